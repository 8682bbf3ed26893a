package runbook

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

var (
	validID      = regexp.MustCompile(`^[a-z0-9-]+$`)
	validVarName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
)

// fixID proposes an id close to s that is valid.
func fixID(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		case r == '_' || r == ' ' || r == '.':
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "my-step"
	}
	return b.String()
}

// duration parses a step timeout: a Go duration with a unit, above zero.
func (p *parser) duration(n *yaml.Node, step string) time.Duration {
	if n.Tag == "!!null" {
		return 0
	}
	if n.Kind == yaml.ScalarNode {
		d, err := time.ParseDuration(n.Value)
		if err == nil && d > 0 {
			return d
		}
		if err == nil {
			p.add(n, step, fmt.Sprintf("timeout %s must be more than zero", describe(n)), "leave it out for the default of 10m")
			return 0
		}
	}
	p.add(n, step, fmt.Sprintf("timeout %s is not a duration", describe(n)), "write a number with a unit, like 90s, 5m or 1h30m")
	return 0
}

// validate checks what needs the whole file: names declared, ids unique,
// steps complete, expressions well-formed.
func (p *parser) validate() {
	declared := p.validateVariables()
	if p.prelude != nil {
		p.checkTemplate(p.prelude, p.rb.Prelude, "", "prelude", declared)
	}
	sectionAt := map[string]int{}
	stepAt := map[string]int{}
	total := 0
	for si := range p.rb.Sections {
		s := &p.rb.Sections[si]
		n, f := p.sections[si].at, p.sections[si].fields
		where := fmt.Sprintf("section %q: ", s.ID)
		switch {
		case absent(f, "id"):
			p.add(n, "", "section without an id", "add 'id: ...' (a-z, 0-9, '-')")
			where = fmt.Sprintf("section at line %d: ", n.Line)
		case s.ID == "":
		case !validID.MatchString(s.ID):
			p.add(f["id"], "", fmt.Sprintf("section id %q may only use a-z, 0-9 and '-'", s.ID), "rename it, e.g. "+strconv.Quote(fixID(s.ID)))
		default:
			if first, dup := sectionAt[s.ID]; dup {
				p.add(f["id"], "", fmt.Sprintf("duplicate section id %q; the first is at line %d", s.ID, first), "give each section its own id")
			} else {
				sectionAt[s.ID] = f["id"].Line
			}
		}
		if absent(f, "title") {
			p.add(orNode(f["title"], n), "", where+"no title", "add 'title: ...'")
		}
		if len(s.Steps) == 0 && f["?steps"] == nil {
			p.add(orNode(f["steps"], n), "", where+"no steps", "add steps under 'steps:', or remove the section")
		}
		total += len(s.Steps)
	}
	for _, sn := range p.steps {
		p.validateStep(sn, declared, stepAt)
	}
	if total == 0 && !p.tooMany {
		p.add(nil, "", "the runbook has no steps", "add sections with steps; see docs/runbook-format.md")
	}
}

// fieldsOf returns a mapping node's values by key (no checks: fields did them).
func (p *parser) fieldsOf(n *yaml.Node) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if _, seen := out[n.Content[i].Value]; !seen {
			out[n.Content[i].Value] = n.Content[i+1]
		}
	}
	return out
}

// validateVariables checks the declarations and returns the declared names.
func (p *parser) validateVariables() map[string]bool {
	declared := map[string]bool{}
	firstAt := map[string]int{}
	for i := range p.rb.Variables {
		v := &p.rb.Variables[i]
		vn := p.vars[i]
		nameNode := orNode(vn.fields["name"], vn.at)
		switch {
		case absent(vn.fields, "name"):
			p.add(vn.at, "", "variable without a name", "add 'name: ...' (a-z, 0-9, '_', not starting with a digit)")
			continue
		case v.Name == "": // misspelt or of the wrong type: reported already
			continue
		case !validVarName.MatchString(v.Name):
			p.add(nameNode, "", fmt.Sprintf("variable name %q may only use a-z, 0-9 and '_', and may not start with a digit", v.Name),
				"rename it, e.g. "+strconv.Quote(fixVarName(v.Name)))
		}
		if first, dup := firstAt[v.Name]; dup {
			p.add(nameNode, "", fmt.Sprintf("variable %q is declared twice; the first is at line %d", v.Name, first), "remove one of them")
			continue
		}
		firstAt[v.Name] = nameNode.Line
		declared[v.Name] = true
		if v.Pattern == "" {
			continue
		}
		_, err := regexp.Compile(v.Pattern)
		if err != nil {
			p.add(vn.fields["pattern"], "", fmt.Sprintf("variable %q: pattern is not a valid regular expression: %s", v.Name, reError(err)),
				"use Go (RE2) syntax; no lookahead or backreferences")
			continue
		}
		re, err := regexp.Compile(anchor(v.Pattern))
		if err != nil {
			p.add(vn.fields["pattern"], "", fmt.Sprintf("variable %q: pattern is not a valid regular expression: %s", v.Name, reError(err)), "simplify it")
			continue
		}
		if v.Default != "" && !re.MatchString(v.Default) {
			msg := fmt.Sprintf("variable %q: default %q does not match its pattern %q", v.Name, v.Default, v.Pattern)
			if v.Secret {
				msg = fmt.Sprintf("variable %q: the default does not match its pattern %q", v.Name, v.Pattern)
			}
			p.add(vn.fields["default"], "", msg, "fix the default or the pattern")
		}
	}
	return declared
}

func fixVarName(s string) string {
	r := strings.ReplaceAll(fixID(s), "-", "_")
	if r[0] >= '0' && r[0] <= '9' {
		r = "v_" + r
	}
	return r
}

// anchor makes a pattern match the whole value.
func anchor(pattern string) string { return `^(?:` + pattern + `)$` }

// reError shortens regexp's messages ("error parsing regexp: missing closing ): `(`").
func reError(err error) string {
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

func (p *parser) validateStep(sn stepNodes, declared map[string]bool, stepAt map[string]int) {
	st := &p.rb.Sections[sn.section].Steps[sn.index]
	f, id := sn.fields, st.ID
	// add reports a problem of this step; a step without an id is named by
	// its line.
	add := func(n *yaml.Node, msg, hint string) {
		if id == "" {
			msg = fmt.Sprintf("step at line %d: %s", sn.at.Line, msg)
		}
		p.add(n, id, msg, hint)
	}
	switch {
	case absent(f, "id"):
		p.add(sn.at, "", fmt.Sprintf("step at line %d has no id", sn.at.Line), "add 'id: ...' (a-z, 0-9, '-')")
	case st.ID == "":
	case !validID.MatchString(st.ID):
		add(f["id"], "id may only use a-z, 0-9 and '-'", "rename it, e.g. "+strconv.Quote(fixID(st.ID)))
	default:
		if first, dup := stepAt[st.ID]; dup {
			add(f["id"], fmt.Sprintf("duplicate step id; the first is at line %d", first), "give each step its own id")
		} else {
			stepAt[st.ID] = f["id"].Line
		}
	}
	if absent(f, "title") {
		add(orNode(f["title"], sn.at), "no title", "add 'title: ...' saying what the step checks or does")
	}
	switch st.Kind {
	case KindRemote, KindLocal:
		if absent(f, "command") {
			add(orNode(f["command"], sn.at), fmt.Sprintf("%s step has no command", st.Kind),
				"add 'command: ...', or make it 'kind: manual' with a checklist")
		}
	case KindManual:
		if st.Command != "" {
			add(f["command"], "manual step has a command", "remove the command, or make it 'kind: remote' or 'kind: local'")
		}
		if len(st.Checklist) == 0 && f["?checklist"] == nil {
			add(orNode(f["checklist"], sn.at), "manual step has no checklist", "add 'checklist:' with what the operator confirms")
		}
		if st.Sudo {
			add(f["sudo"], "manual step cannot use sudo", "remove 'sudo:'")
		}
		if f["expect"] != nil {
			add(f["expect"], "manual step has no output to expect anything of", "remove 'expect:'")
		}
	default:
		hint := "use remote, local or manual"
		if s := suggest(string(st.Kind), []string{"remote", "local", "manual"}); s != "" {
			hint = fmt.Sprintf("did you mean %q?", s)
		}
		add(f["kind"], fmt.Sprintf("unknown kind %q", st.Kind), hint)
	}
	if (st.Kind == KindLocal || st.Kind == KindManual) && f["prelude"] != nil && !st.NoPrelude {
		add(f["prelude"], "prelude applies only to remote steps", "remove 'prelude:'")
	}
	switch st.Risk {
	case RiskLow, RiskMedium, RiskHigh:
	default:
		hint := "use low, medium or high"
		if s := suggest(string(st.Risk), []string{"low", "medium", "high"}); s != "" {
			hint = fmt.Sprintf("did you mean %q?", s)
		}
		add(f["risk"], fmt.Sprintf("unknown risk %q", st.Risk), hint)
	}
	if st.Command != "" {
		p.checkTemplate(f["command"], st.Command, id, "command", declared)
	}
	if en := f["expect"]; en != nil && en.Kind == yaml.MappingNode {
		ef := p.fieldsOf(en)
		p.checkRegexps(ef["match"], st.Expect.Match, id, "match")
		p.checkRegexps(ef["not_match"], st.Expect.NotMatch, id, "not_match")
	}
	if st.When != "" {
		p.checkCondition(f["when"], id, declared)
	}
}

// checkRegexps reports each pattern that does not compile, at its item.
func (p *parser) checkRegexps(n *yaml.Node, patterns []string, step, key string) {
	for i, pat := range patterns {
		if _, err := regexp.Compile(pat); err != nil {
			at := n
			if n.Kind == yaml.SequenceNode && i < len(n.Content) {
				at = n.Content[i]
			}
			p.add(at, step, fmt.Sprintf("%s pattern %q is not a valid regular expression: %s", key, pat, reError(err)),
				"use Go (RE2) syntax; escape literal characters like ( [ . with a backslash")
		}
	}
}

// checkCondition reports a syntax error in a step's when, or a name that is
// not a declared variable, at its column.
func (p *parser) checkCondition(n *yaml.Node, step string, declared map[string]bool) {
	c, err := ParseCondition(n.Value)
	if err != nil {
		ce := err.(*ConditionError)
		line, col := p.posIn(n, n.Value, ce.Offset)
		p.addAt(line, col, step, "when: "+ce.Msg, ce.Hint)
		return
	}
	for _, name := range c.Names() {
		if declared[name.Name] {
			continue
		}
		line, col := p.posIn(n, n.Value, name.Offset)
		p.addAt(line, col, step, fmt.Sprintf("when: %q is not a declared variable", name.Name), p.undeclaredHint(name.Name))
	}
}

// checkTemplate reports {{name}} placeholders that are malformed or name no
// declared variable, each at its own line and column.
func (p *parser) checkTemplate(n *yaml.Node, text, step, key string, declared map[string]bool) {
	phs, bad := scanTemplate(text)
	for _, b := range bad {
		line, col := p.posIn(n, text, b.offset)
		p.addAt(line, col, step, key+": "+b.msg, b.hint)
	}
	unsafe := unsafePlaceholders(text, phs)
	for _, ph := range phs {
		line, col := p.posIn(n, text, ph.start)
		if !declared[ph.name] {
			p.addAt(line, col, step, fmt.Sprintf("{{%s}} is not a declared variable", ph.name), p.undeclaredHint(ph.name))
		}
		if where, bad := unsafe[ph.start]; bad {
			hint := "remove the quotes around it: the value is inserted already shell-quoted"
			switch where {
			case "a here-document":
				hint = "pass the value another way, e.g. printf '%s\\n' {{" + ph.name + "}} | command"
			case "a comment":
				hint = "take it out of the comment"
			}
			p.addAt(line, col, step, fmt.Sprintf("%s: {{%s}} is inside %s, where its shell quoting does not protect it", key, ph.name, where), hint)
		}
	}
}

func (p *parser) undeclaredHint(name string) string {
	names := make([]string, len(p.rb.Variables))
	for i, v := range p.rb.Variables {
		names[i] = v.Name
	}
	if s := suggest(name, names); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return "declare it under variables: or fix the name"
}

// posIn returns the file position of byte offset off of a scalar's value
// text. It is exact for single-line scalars and literal blocks (|); for
// other multi-line styles it falls back to the scalar's start.
func (p *parser) posIn(n *yaml.Node, text string, off int) (line, col int) {
	if n == nil {
		return 0, 0
	}
	if off < 0 || off > len(text) {
		return n.Line, n.Column
	}
	k := strings.Count(text[:off], "\n")
	lineStart := strings.LastIndexByte(text[:off], '\n') + 1
	c := off - lineStart
	lineText := text[lineStart:]
	if i := strings.IndexByte(lineText, '\n'); i >= 0 {
		lineText = lineText[:i]
	}
	switch {
	case n.Style&yaml.LiteralStyle != 0:
		l := n.Line + 1 + k
		if l-1 < len(p.lines) {
			// The value's line is the source line minus the block's
			// indentation (and any trailing spaces the block dropped).
			src := strings.TrimRight(p.lines[l-1], " \t")
			if t := strings.TrimRight(lineText, " \t"); strings.HasSuffix(src, t) {
				return l, len(src) - len(t) + c + 1
			}
		}
	case k == 0 && !strings.Contains(text, "\n"):
		l, start := n.Line, n.Column-1
		if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 {
			start++
		}
		if l-1 < len(p.lines) && start >= 0 && start+off <= len(p.lines[l-1]) &&
			strings.HasPrefix(p.lines[l-1][start+off:], text[off:min(len(text), off+2)]) {
			return l, start + off + 1
		}
	}
	return n.Line, n.Column
}
