package runbook

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The keys each level of a runbook file accepts.
var (
	runbookKeys  = []string{"id", "title", "description", "version", "variables", "prelude", "sections"}
	variableKeys = []string{"name", "description", "default", "required", "secret", "pattern"}
	sectionKeys  = []string{"id", "title", "steps"}
	stepKeys     = []string{"id", "title", "why", "kind", "command", "sudo", "prelude", "expect",
		"risk", "rollback", "timeout", "when", "checklist"}
	expectKeys = []string{"exit", "match", "not_match"}
)

// MaxFileSize is the largest runbook file Parse reads (the built-in ones
// are about 60 KB).
const MaxFileSize = 4 << 20

// maxSteps bounds the size of a runbook, so that a hostile file cannot make
// validation slow.
const maxSteps = 5000

// Parse reads a runbook file. file names it in messages. The runbook is
// checked completely: when anything is wrong, Parse returns a nil Runbook
// and an Errors value listing every problem it found, by line.
//
// Defaults: a step's kind is remote and its risk low; remote steps run after
// the prelude unless they say prelude: false; an empty expect.exit means 0.
func Parse(file string, data []byte) (*Runbook, error) {
	sum := sha256.Sum256(data)
	p := &parser{
		file:  file,
		lines: strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n"),
		rb:    &Runbook{File: file, Hash: hex.EncodeToString(sum[:])},
	}
	if len(data) > MaxFileSize {
		return nil, Errors{{File: file, Msg: fmt.Sprintf("the file is %d bytes; a runbook may have at most %d", len(data), MaxFileSize),
			Hint: "is this the right file?"}}
	}
	root := p.decode(data)
	if root != nil {
		p.runbook(root)
		p.validate()
	}
	if len(p.probs) > 0 {
		sortProblems(p.probs)
		if len(p.probs) > maxProblems {
			p.probs = append(p.probs[:maxProblems:maxProblems], &Problem{File: file,
				Msg: fmt.Sprintf("and %d more problems", len(p.probs)-maxProblems), Hint: "fix these first"})
		}
		return nil, p.probs
	}
	return p.rb, nil
}

// parser holds the state of one Parse: the runbook being built, the YAML
// nodes validation needs for positions, and the problems found so far.
type parser struct {
	file  string
	lines []string
	rb    *Runbook
	probs Errors

	prelude *yaml.Node
	vars    []varNodes
	steps   []stepNodes
	// sections[i] is where rb.Sections[i] is.
	sections []varNodes
	tooMany  bool
}

// varNodes and stepNodes remember where a variable's, a section's or a
// step's fields are in the file, by key (see fields).
type varNodes struct {
	at     *yaml.Node
	fields map[string]*yaml.Node
}

type stepNodes struct {
	section, index int
	at             *yaml.Node
	fields         map[string]*yaml.Node
}

// yamlLine finds the line number in a yaml syntax error ("yaml: line 3: ...").
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// decode parses the YAML text and returns the root node, or nil after
// recording why there is none.
func (p *parser) decode(data []byte) (root *yaml.Node) {
	defer func() {
		// The YAML parser is third-party code: whatever it does on hostile
		// input, a bad runbook must come back as a problem, not a crash.
		if r := recover(); r != nil {
			root = nil
			p.add(nil, "", fmt.Sprintf("YAML parser failed: %v", r), "check the file's YAML syntax")
		}
	}()
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.add(nil, "", "the file is empty", "a runbook needs an id, a title and sections with steps; see docs/runbook-format.md")
			return nil
		}
		p.yamlError(err)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p.add(&extra, "", "the file holds more than one YAML document", "remove the second '---' and what follows, or put it in its own file")
	} else if !errors.Is(err, io.EOF) {
		p.yamlError(err)
	}
	if len(doc.Content) == 0 {
		p.add(nil, "", "the file is empty", "a runbook needs an id, a title and sections with steps; see docs/runbook-format.md")
		return nil
	}
	root = doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.add(root, "", "the file must be a mapping with id, title, sections, not "+kindName(root),
			"start the file with 'id: my-runbook'")
		return nil
	}
	return root
}

func (p *parser) yamlError(err error) {
	msg := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	// The YAML parser often names the line where the enclosing block
	// starts, not the line that broke it: look for the first line whose
	// addition makes the text unparseable, and report the later of the two.
	line = max(line, p.firstBadLine())
	hint := "check indentation and quoting on this line and the one before"
	switch {
	case line > 0 && line <= len(p.lines) && strings.HasPrefix(strings.TrimLeft(p.lines[line-1], " "), "\t"):
		hint = "YAML does not allow tabs for indentation; indent with spaces"
	case strings.Contains(msg, "mapping values are not allowed"):
		hint = "check the indentation; a value containing ': ' must be quoted, or written as a block ('command: |' with the text indented below)"
	}
	p.probs = append(p.probs, &Problem{File: p.file, Line: line, Msg: "YAML syntax: " + msg, Hint: hint})
}

// firstBadLine returns the smallest n such that the first n lines of the
// file do not parse as YAML (a binary search: a prefix that holds an error
// stays broken as it grows), or 0.
func (p *parser) firstBadLine() int {
	bad := func(n int) (failed bool) {
		defer func() {
			if recover() != nil {
				failed = true
			}
		}()
		var node yaml.Node
		dec := yaml.NewDecoder(strings.NewReader(strings.Join(p.lines[:n], "\n")))
		for {
			err := dec.Decode(&node)
			if errors.Is(err, io.EOF) {
				return false
			}
			if err != nil {
				return true
			}
		}
	}
	lo, hi := 1, len(p.lines)
	if !bad(hi) {
		return 0
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if bad(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// add records a problem at node n (nil: the whole file).
func (p *parser) add(n *yaml.Node, step, msg, hint string) {
	pr := &Problem{File: p.file, Step: step, Msg: msg, Hint: hint}
	if n != nil {
		pr.Line, pr.Col = n.Line, n.Column
	}
	p.probs = append(p.probs, pr)
}

// addAt records a problem at an explicit position.
func (p *parser) addAt(line, col int, step, msg, hint string) {
	p.probs = append(p.probs, &Problem{File: p.file, Line: line, Col: col, Step: step, Msg: msg, Hint: hint})
}

func (p *parser) runbook(root *yaml.Node) {
	f := p.fields(root, "", "the runbook", runbookKeys)
	rb := p.rb
	rb.ID = p.str(f["id"], "", "id")
	rb.Title = p.str(f["title"], "", "title")
	rb.Description = p.str(f["description"], "", "description")
	rb.Version = p.str(f["version"], "", "version")
	if n := f["prelude"]; n != nil {
		rb.Prelude = p.str(n, "", "prelude")
		p.prelude = n
	}
	if absent(f, "id") {
		p.add(orNode(f["id"], root), "", "the runbook has no id", "add 'id: my-runbook' (letters a-z, digits and '-')")
	} else if rb.ID != "" && !validID.MatchString(rb.ID) {
		p.add(f["id"], "", fmt.Sprintf("runbook id %q may only use a-z, 0-9 and '-'", rb.ID), "rename it, e.g. "+strconv.Quote(fixID(rb.ID)))
	}
	if absent(f, "title") {
		p.add(orNode(f["title"], root), "", "the runbook has no title", "add 'title: ...' saying what it releases")
	}
	for _, n := range p.seq(f["variables"], "", "variables") {
		p.variable(n)
	}
	for _, n := range p.seq(f["sections"], "", "sections") {
		p.section(n)
	}
}

func (p *parser) variable(n *yaml.Node) {
	f := p.fields(n, "", "a variable", variableKeys)
	if n.Tag == "!!null" {
		p.add(n, "", "empty variable", "remove the lone '-', or add 'name: ...'")
	}
	if f == nil {
		return
	}
	v := Variable{
		Name:        p.str(f["name"], "", "name"),
		Description: p.str(f["description"], "", "description"),
		Default:     p.str(f["default"], "", "default"),
		Required:    p.boolean(f["required"], "", "required"),
		Secret:      p.boolean(f["secret"], "", "secret"),
		Pattern:     p.str(f["pattern"], "", "pattern"),
		Line:        n.Line,
	}
	p.rb.Variables = append(p.rb.Variables, v)
	p.vars = append(p.vars, varNodes{at: n, fields: f})
}

func (p *parser) section(n *yaml.Node) {
	f := p.fields(n, "", "a section", sectionKeys)
	if n.Tag == "!!null" {
		p.add(n, "", "empty section", "remove the lone '-', or add 'id:', 'title:' and 'steps:'")
	}
	if f == nil {
		return
	}
	s := Section{ID: p.str(f["id"], "", "id"), Title: p.str(f["title"], "", "title"), Line: n.Line}
	si := len(p.rb.Sections)
	for _, sn := range p.seq(f["steps"], "", "steps") {
		if len(p.steps) >= maxSteps {
			if !p.tooMany {
				p.add(sn, "", fmt.Sprintf("more than %d steps", maxSteps), "split the runbook")
				p.tooMany = true
			}
			break
		}
		if st, ok := p.step(sn, si, len(s.Steps)); ok {
			s.Steps = append(s.Steps, st)
		}
	}
	p.rb.Sections = append(p.rb.Sections, s)
	p.sections = append(p.sections, varNodes{at: n, fields: f})
}

func (p *parser) step(n *yaml.Node, si, i int) (Step, bool) {
	// Name the step in field errors as soon as its id is known.
	id := ""
	if n.Kind == yaml.MappingNode {
		for k := 0; k+1 < len(n.Content); k += 2 {
			if n.Content[k].Value == "id" && n.Content[k+1].Kind == yaml.ScalarNode {
				id = n.Content[k+1].Value
			}
		}
	}
	f := p.fields(n, id, "a step", stepKeys)
	if n.Tag == "!!null" {
		p.add(n, "", "empty step", "remove the lone '-', or add 'id:', 'title:' and 'command:'")
	}
	if f == nil {
		return Step{}, false
	}
	st := Step{
		ID:        p.str(f["id"], id, "id"),
		Title:     p.str(f["title"], id, "title"),
		Why:       p.str(f["why"], id, "why"),
		Kind:      Kind(p.str(f["kind"], id, "kind")),
		Command:   p.str(f["command"], id, "command"),
		Checklist: p.strList(f["checklist"], id, "checklist"),
		Sudo:      p.boolean(f["sudo"], id, "sudo"),
		Risk:      Risk(p.str(f["risk"], id, "risk")),
		Rollback:  p.str(f["rollback"], id, "rollback"),
		When:      strings.TrimSpace(p.str(f["when"], id, "when")),
		Line:      n.Line,
	}
	if st.Kind == "" {
		st.Kind = KindRemote
	}
	if st.Risk == "" {
		st.Risk = RiskLow
	}
	if pn := f["prelude"]; pn != nil {
		st.NoPrelude = !p.boolean(pn, id, "prelude")
	}
	if tn := f["timeout"]; tn != nil {
		st.Timeout = p.duration(tn, id)
	}
	if en := f["expect"]; en != nil && en.Tag != "!!null" {
		ef := p.fields(en, id, "expect", expectKeys)
		st.Expect.Exit = p.exitCodes(ef["exit"], id)
		st.Expect.Match = p.strList(ef["match"], id, "match")
		st.Expect.NotMatch = p.strList(ef["not_match"], id, "not_match")
	}
	p.steps = append(p.steps, stepNodes{section: si, index: i, at: n, fields: f})
	return st, true
}

// fields checks that n is a mapping whose keys are all known and appear
// once, and returns its values by key. A key that looks like a typo of a
// known one is reported, and recorded as "?known" so that the known key is
// not reported missing as well. It returns nil when n is absent or not a
// mapping (after recording why).
func (p *parser) fields(n *yaml.Node, step, what string, known []string) map[string]*yaml.Node {
	if n == nil || n.Tag == "!!null" {
		return nil
	}
	if n = p.deref(n, step); n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.add(n, step, fmt.Sprintf("%s must be a mapping of key: value, not %s", what, kindName(n)), "")
		return nil
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	keyAt := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.add(k, step, "a key must be a plain word, not "+kindName(k), "")
			continue
		}
		if !slices.Contains(known, k.Value) {
			hint := "known keys: " + strings.Join(known, ", ")
			if s := suggest(k.Value, known); s != "" {
				hint = fmt.Sprintf("did you mean %q?", s)
				out["?"+s] = k
			}
			p.add(k, step, fmt.Sprintf("unknown key %q", k.Value), hint)
			continue
		}
		if first, dup := keyAt[k.Value]; dup {
			p.add(k, step, fmt.Sprintf("key %q appears twice; the first is at line %d", k.Value, first.Line), "keep one of them")
			continue
		}
		keyAt[k.Value] = k
		if v = p.deref(v, step); v != nil {
			out[k.Value] = v
		}
	}
	return out
}

// deref rejects aliases: runbooks are written out in full so that every
// step has one place in the file (and an alias cannot multiply the work).
func (p *parser) deref(n *yaml.Node, step string) *yaml.Node {
	if n.Kind == yaml.AliasNode {
		p.add(n, step, "YAML aliases (*name) are not supported in runbooks", "write the value out in full")
		return nil
	}
	return n
}
