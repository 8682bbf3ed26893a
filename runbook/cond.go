package runbook

import (
	"fmt"
	"strconv"
	"strings"
)

// A step's when is a small boolean expression over variables:
//
//	expr    = and { "||" and }
//	and     = unary { "&&" unary }
//	unary   = "!" unary | primary
//	primary = "(" expr ")" | name [ ("==" | "!=") quoted ]
//	quoted  = "'" chars "'" | '"' chars '"'      (no escapes)
//
// A bare name is true when its value is true, yes, on or 1 (any case).
// Comparisons are exact and case-sensitive.

// Condition is a parsed when expression.
type Condition struct {
	expr string
	root condNode
}

// CondName is a variable name used in a condition, with its byte offset in
// the expression.
type CondName struct {
	Name   string
	Offset int
}

// ConditionError is a syntax error in a condition. Offset is the byte
// offset in the expression where the problem is; Error reports it as a
// 1-based column.
type ConditionError struct {
	Expr   string
	Offset int
	Msg    string
	Hint   string
}

// Error returns "condition "a &&": column 5: ...".
func (e *ConditionError) Error() string {
	s := fmt.Sprintf("condition %q: column %d: %s", e.Expr, e.Offset+1, e.Msg)
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// Truthy reports whether a variable's value counts as true in a condition:
// true, yes, on or 1, in any case, surrounding spaces ignored.
func Truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "on", "1":
		return true
	}
	return false
}

// maxCondDepth bounds nesting, so that "!!!!…" or "((((…" cannot exhaust
// the stack.
const maxCondDepth = 64

// ParseCondition parses a when expression. It returns a *ConditionError
// for a syntax error.
func ParseCondition(expr string) (*Condition, error) {
	cp := &condParser{src: expr}
	cp.next()
	if cp.tok.kind == tEOF && cp.err == nil {
		return nil, &ConditionError{Expr: expr, Msg: "empty condition", Hint: "write a variable name, e.g. uses_celery"}
	}
	root := cp.or(0)
	if cp.err == nil && cp.tok.kind != tEOF {
		cp.fail(cp.tok.pos, fmt.Sprintf("unexpected %s after a complete condition", cp.tok.describe()), "join conditions with && or ||")
	}
	if cp.err != nil {
		return nil, cp.err
	}
	return &Condition{expr: expr, root: root}, nil
}

// EvalCondition parses expr and evaluates it against vars. It returns an
// error for a syntax error or a name that vars does not hold.
func EvalCondition(expr string, vars map[string]string) (bool, error) {
	c, err := ParseCondition(expr)
	if err != nil {
		return false, err
	}
	return c.Eval(vars)
}

// String returns the expression as written.
func (c *Condition) String() string { return c.expr }

// Names returns the variable names used, in order of appearance.
func (c *Condition) Names() []CondName {
	var out []CondName
	c.root.names(&out)
	return out
}

// Eval evaluates the condition. It returns an error naming the first
// variable that vars does not hold.
func (c *Condition) Eval(vars map[string]string) (bool, error) {
	for _, n := range c.Names() {
		if _, ok := vars[n.Name]; !ok {
			return false, fmt.Errorf("condition %q: %q is not a declared variable", c.expr, n.Name)
		}
	}
	return c.root.eval(vars), nil
}

// Explain describes the values the condition depends on, for an operator:
// `uses_celery is false, web_server is "apache"`. Values of the names in
// secret are not shown.
func (c *Condition) Explain(vars map[string]string, secret func(name string) bool) string {
	seen := map[string]bool{}
	var parts []string
	for _, n := range c.Names() {
		if seen[n.Name] {
			continue
		}
		seen[n.Name] = true
		v := vars[n.Name]
		switch {
		case secret != nil && secret(n.Name) && v != "":
			parts = append(parts, n.Name+" is set (secret)")
		case secret != nil && secret(n.Name):
			parts = append(parts, n.Name+" is empty (secret)")
		case c.root.compared(n.Name):
			parts = append(parts, fmt.Sprintf("%s is %q", n.Name, v))
		default:
			parts = append(parts, fmt.Sprintf("%s is %t", n.Name, Truthy(v)))
		}
	}
	return strings.Join(parts, ", ")
}

// condNode is a node of a parsed condition.
type condNode interface {
	eval(vars map[string]string) bool
	names(out *[]CondName)
	compared(name string) bool
}

type (
	nameNode struct {
		name string
		pos  int
	}
	cmpNode struct {
		name  string
		pos   int
		value string
		neq   bool
	}
	notNode struct{ x condNode }
	binNode struct {
		and  bool
		l, r condNode
	}
)

func (n nameNode) eval(v map[string]string) bool { return Truthy(v[n.name]) }
func (n cmpNode) eval(v map[string]string) bool  { return (v[n.name] == n.value) != n.neq }
func (n notNode) eval(v map[string]string) bool  { return !n.x.eval(v) }
func (n binNode) eval(v map[string]string) bool {
	if n.and {
		return n.l.eval(v) && n.r.eval(v)
	}
	return n.l.eval(v) || n.r.eval(v)
}

func (n nameNode) names(out *[]CondName) { *out = append(*out, CondName{n.name, n.pos}) }
func (n cmpNode) names(out *[]CondName)  { *out = append(*out, CondName{n.name, n.pos}) }
func (n notNode) names(out *[]CondName)  { n.x.names(out) }
func (n binNode) names(out *[]CondName)  { n.l.names(out); n.r.names(out) }

func (n nameNode) compared(string) bool     { return false }
func (n cmpNode) compared(name string) bool { return n.name == name }
func (n notNode) compared(name string) bool { return n.x.compared(name) }
func (n binNode) compared(name string) bool { return n.l.compared(name) || n.r.compared(name) }

type tokKind int

const (
	tEOF tokKind = iota
	tName
	tString
	tNot
	tAnd
	tOr
	tEq
	tNeq
	tLParen
	tRParen
)

type token struct {
	kind tokKind
	pos  int
	text string // name, or the unquoted string
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of condition"
	case tName:
		return "name " + strconv.Quote(t.text)
	case tString:
		return "text " + strconv.Quote(t.text)
	}
	return strconv.Quote(t.text)
}

// condParser is a recursive-descent parser; it stops at the first error.
type condParser struct {
	src string
	pos int
	tok token
	err *ConditionError
}

func (cp *condParser) fail(pos int, msg, hint string) {
	if cp.err == nil {
		cp.err = &ConditionError{Expr: cp.src, Offset: pos, Msg: msg, Hint: hint}
	}
	cp.tok = token{kind: tEOF, pos: len(cp.src)}
}

// next scans the next token into cp.tok.
func (cp *condParser) next() {
	if cp.err != nil {
		return
	}
	s := cp.src
	for cp.pos < len(s) && (s[cp.pos] == ' ' || s[cp.pos] == '\t' || s[cp.pos] == '\n' || s[cp.pos] == '\r') {
		cp.pos++
	}
	start := cp.pos
	if start >= len(s) {
		cp.tok = token{kind: tEOF, pos: start}
		return
	}
	two := ""
	if start+1 < len(s) {
		two = s[start : start+2]
	}
	switch two {
	case "&&", "||", "==", "!=":
		kinds := map[string]tokKind{"&&": tAnd, "||": tOr, "==": tEq, "!=": tNeq}
		cp.tok, cp.pos = token{kind: kinds[two], pos: start, text: two}, start+2
		return
	}
	c := s[start]
	switch {
	case c == '!':
		cp.tok, cp.pos = token{kind: tNot, pos: start, text: "!"}, start+1
	case c == '(':
		cp.tok, cp.pos = token{kind: tLParen, pos: start, text: "("}, start+1
	case c == ')':
		cp.tok, cp.pos = token{kind: tRParen, pos: start, text: ")"}, start+1
	case c == '\'' || c == '"':
		end := strings.IndexByte(s[start+1:], c)
		if end < 0 {
			cp.fail(start, "text started here is never closed", "add the closing "+string(c))
			return
		}
		cp.tok, cp.pos = token{kind: tString, pos: start, text: s[start+1 : start+1+end]}, start+2+end
	case isNameByte(c, true):
		end := start + 1
		for end < len(s) && isNameByte(s[end], false) {
			end++
		}
		cp.tok, cp.pos = token{kind: tName, pos: start, text: s[start:end]}, end
	case c == '&' || c == '|':
		cp.fail(start, fmt.Sprintf("single %q", c), fmt.Sprintf("write %c%c", c, c))
	case c == '=':
		cp.fail(start, "single '='", "write == to compare")
	default:
		cp.fail(start, fmt.Sprintf("unexpected character %q", c), "use names, !, &&, ||, (), == and != with quoted values")
	}
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9')
}

func (cp *condParser) or(depth int) condNode {
	l := cp.and(depth)
	for cp.tok.kind == tOr {
		cp.next()
		l = binNode{and: false, l: l, r: cp.and(depth)}
	}
	return l
}

func (cp *condParser) and(depth int) condNode {
	l := cp.unary(depth)
	for cp.tok.kind == tAnd {
		cp.next()
		l = binNode{and: true, l: l, r: cp.unary(depth)}
	}
	return l
}

func (cp *condParser) unary(depth int) condNode {
	if depth > maxCondDepth {
		cp.fail(cp.tok.pos, "condition nested too deeply", "simplify it")
		return nameNode{}
	}
	switch cp.tok.kind {
	case tNot:
		cp.next()
		return notNode{cp.unary(depth + 1)}
	case tLParen:
		open := cp.tok.pos
		cp.next()
		x := cp.or(depth + 1)
		if cp.tok.kind != tRParen {
			cp.fail(cp.tok.pos, fmt.Sprintf("expected ')' to close the '(' at column %d, found %s", open+1, cp.tok.describe()), "")
			return x
		}
		cp.next()
		return x
	case tName:
		name := cp.tok
		cp.next()
		if cp.tok.kind != tEq && cp.tok.kind != tNeq {
			return nameNode{name: name.text, pos: name.pos}
		}
		op := cp.tok
		cp.next()
		if cp.tok.kind != tString {
			cp.fail(cp.tok.pos, fmt.Sprintf("expected a quoted value after %s, found %s", op.text, cp.tok.describe()),
				fmt.Sprintf("write %s %s 'value'", name.text, op.text))
			return nameNode{}
		}
		v := cp.tok.text
		cp.next()
		return cmpNode{name: name.text, pos: name.pos, value: v, neq: op.kind == tNeq}
	}
	cp.fail(cp.tok.pos, fmt.Sprintf("expected a variable name, '!' or '(', found %s", cp.tok.describe()), "")
	return nameNode{}
}
