package runbook

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// This file turns YAML nodes into Go values, reporting a problem at the
// node for each value of the wrong type. A missing or null value is the
// zero value and no problem: required keys are checked by validate.

// seq returns the items of a sequence; a missing or null value is empty.
func (p *parser) seq(n *yaml.Node, step, key string) []*yaml.Node {
	if n == nil || n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.add(n, step, fmt.Sprintf("%s must be a list (lines starting with '- '), not %s", key, kindName(n)), "")
		return nil
	}
	var out []*yaml.Node
	for _, c := range n.Content {
		if c = p.deref(c, step); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// str returns a scalar's text; any scalar (a number, a date) is taken as
// written. A missing or null value is "".
func (p *parser) str(n *yaml.Node, step, key string) string {
	if n == nil || n.Tag == "!!null" {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		p.add(n, step, fmt.Sprintf("%s must be text, not %s", key, kindName(n)), "quote the value if it contains ': ' or starts with '-'")
		return ""
	}
	return n.Value
}

func (p *parser) boolean(n *yaml.Node, step, key string) bool {
	if n == nil || n.Tag == "!!null" {
		return false
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err == nil {
			return b
		}
	}
	p.add(n, step, fmt.Sprintf("%s must be true or false, not %s", key, describe(n)), "")
	return false
}

// strList accepts a list of texts, or a single text as a list of one.
func (p *parser) strList(n *yaml.Node, step, key string) []string {
	if n != nil && n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []string{n.Value}
	}
	var out []string
	for _, c := range p.seq(n, step, key) {
		if c.Kind != yaml.ScalarNode || c.Tag == "!!null" {
			p.add(c, step, fmt.Sprintf("each item of %s must be text, not %s", key, describe(c)), "")
			continue
		}
		out = append(out, c.Value)
	}
	return out
}

// exitCodes accepts an exit code or a list of them.
func (p *parser) exitCodes(n *yaml.Node, step string) []int {
	if n == nil || n.Tag == "!!null" {
		return nil
	}
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = p.seq(n, step, "exit")
	}
	var out []int
	for _, c := range items {
		code, err := strconv.Atoi(c.Value)
		if c.Kind != yaml.ScalarNode || c.Tag != "!!int" || err != nil || code < 0 || code > 255 {
			p.add(c, step, fmt.Sprintf("exit code must be a number from 0 to 255, not %s", describe(c)),
				"write 'exit: 0' or 'exit: [0, 1]'")
			continue
		}
		out = append(out, code)
	}
	return out
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	if n.Tag == "!!null" {
		return "nothing"
	}
	return "text"
}

// describe names a node for a message: its value when it is a short
// scalar, otherwise its kind.
func describe(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" && len(n.Value) <= 40 && !strings.Contains(n.Value, "\n") {
		return strconv.Quote(n.Value)
	}
	return kindName(n)
}

// absent reports whether key is missing from f, null or empty text, and
// not misspelt (the misspelling was reported already). A value of the
// wrong type is not absent: its own problem was reported.
func absent(f map[string]*yaml.Node, key string) bool {
	if f["?"+key] != nil {
		return false
	}
	n := f[key]
	return n == nil || n.Tag == "!!null" || (n.Kind == yaml.ScalarNode && strings.TrimSpace(n.Value) == "")
}

func orNode(n, fallback *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	return fallback
}
