package runbook

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Mask is what a secret value is replaced by wherever golive shows, stores
// or exports text.
const Mask = "********"

// Plan is a runbook with its variables settled: every step's script
// rendered and its condition decided. Build it with Runbook.Plan.
type Plan struct {
	Runbook *Runbook
	// Vars holds every declared variable's value: its default, overlaid
	// with the values given. It holds secrets in clear; show MaskedVars.
	Vars  map[string]string
	Steps []PlannedStep
}

// PlannedStep is one step of a Plan.
type PlannedStep struct {
	Section *Section
	Step    *Step
	// Applicable is false when the step's condition is false; Reason then
	// says why ("uses_celery is false").
	Applicable bool
	Reason     string
	// Script is the exact shell text to run: the prelude (remote steps,
	// unless the step opts out) and the command, every {{name}} replaced by
	// its shell-quoted value. Empty for manual steps.
	Script string
	// Display is Script with every secret value masked: the only form that
	// may be shown, journaled or exported.
	Display string
}

// VarError is a value Plan refuses for a declared variable: required and
// empty, or not matching its pattern. Its Error names the file and line
// and says to set the value with --var, as on the command line; a caller
// that takes values another way (the TUI's form) words the advice itself
// from Problem and Name. Plan's error joins them (errors.Join) with its
// other problems.
type VarError struct {
	File string
	Line int
	// Name is the variable's; Problem says what is wrong with its value,
	// never a secret value.
	Name, Problem string
}

// Error reads "FILE:LINE: PROBLEM; set it with --var NAME=VALUE".
func (e *VarError) Error() string {
	return fmt.Sprintf("%s:%d: %s; set it with --var %s=VALUE", e.File, e.Line, e.Problem, e.Name)
}

// UndeclaredVarError is Plan's refusal of values given for names the
// runbook does not declare (a misspelled --var): only what was given can
// fix it, not the runbook. Plan's error joins it (errors.Join) with its
// other problems; find it with errors.As.
type UndeclaredVarError struct {
	File string
	// Names are the undeclared names given, sorted; Declared the
	// runbook's variables, in its order.
	Names, Declared []string
}

// Error reads "FILE declares no variable X, Y; it declares: A, B".
func (e *UndeclaredVarError) Error() string {
	declared := "(none)"
	if len(e.Declared) > 0 {
		declared = strings.Join(e.Declared, ", ")
	}
	return fmt.Sprintf("%s declares no variable %s; it declares: %s", e.File, strings.Join(e.Names, ", "), declared)
}

// Plan settles the variables and renders every step. vars overrides the
// defaults. It returns an error, listing every problem, when vars names an
// undeclared variable, a required variable is empty, or a value does not
// match its variable's pattern. Errors never contain a secret value.
func (r *Runbook) Plan(vars map[string]string) (*Plan, error) {
	values := make(map[string]string, len(r.Variables))
	for _, v := range r.Variables {
		values[v.Name] = v.Default
	}
	var errs []error
	var unknown []string
	for name, val := range vars {
		if r.Variable(name) == nil {
			unknown = append(unknown, name)
			continue
		}
		values[name] = val
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		declared := make([]string, len(r.Variables))
		for i, v := range r.Variables {
			declared[i] = v.Name
		}
		errs = append(errs, &UndeclaredVarError{File: r.File, Names: unknown, Declared: declared})
	}
	for _, v := range r.Variables {
		val := values[v.Name]
		if v.Required && strings.TrimSpace(val) == "" {
			errs = append(errs, &VarError{File: r.File, Line: v.Line, Name: v.Name,
				Problem: fmt.Sprintf("variable %q is required and has no value", v.Name)})
			continue
		}
		if v.Pattern == "" || val == "" {
			continue
		}
		re, err := regexp.Compile(anchor(v.Pattern))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: variable %q: bad pattern: %w", r.File, v.Line, v.Name, err))
			continue
		}
		if !re.MatchString(val) {
			shown := fmt.Sprintf(" %q", val)
			if v.Secret {
				shown = ""
			}
			errs = append(errs, &VarError{File: r.File, Line: v.Line, Name: v.Name,
				Problem: fmt.Sprintf("variable %q: the value%s does not match the pattern %q", v.Name, shown, v.Pattern)})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	p := &Plan{Runbook: r, Vars: values}
	masked := p.MaskedVars()
	secrets := p.Secrets()
	isSecret := func(name string) bool { v := r.Variable(name); return v != nil && v.Secret }
	for _, ss := range r.Steps() {
		ps := PlannedStep{Section: ss.Section, Step: ss.Step, Applicable: true}
		if ss.Step.When != "" {
			c, err := ParseCondition(ss.Step.When)
			if err == nil {
				ps.Applicable, err = c.Eval(values)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s:%d: step %q: %w", r.File, ss.Step.Line, ss.Step.ID, err))
				continue
			}
			if !ps.Applicable {
				ps.Reason = c.Explain(values, isSecret)
			}
		}
		if ss.Step.Kind != KindManual {
			ps.Script = r.script(ss.Step, values)
			ps.Display = maskAll(r.script(ss.Step, masked), secrets)
		}
		p.Steps = append(p.Steps, ps)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

// script renders a step's full shell text with the given values.
func (r *Runbook) script(st *Step, values map[string]string) string {
	cmd := render(st.Command, values)
	if st.Kind != KindRemote || st.NoPrelude || strings.TrimSpace(r.Prelude) == "" {
		return cmd
	}
	return strings.TrimRight(render(r.Prelude, values), "\n") + "\n" + cmd
}

// Step returns the planned step with the given id, or nil.
func (p *Plan) Step(id string) *PlannedStep {
	for i := range p.Steps {
		if p.Steps[i].Step.ID == id {
			return &p.Steps[i]
		}
	}
	return nil
}

// Secrets returns the non-empty values of secret variables, longest first
// (so that a redactor replacing them in order never leaves part of a longer
// secret behind).
func (p *Plan) Secrets() []string {
	var out []string
	for _, v := range p.Runbook.Variables {
		if val := p.Vars[v.Name]; v.Secret && val != "" {
			out = append(out, val)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// MaskedVars returns the variable values with every non-empty secret
// replaced by Mask, also where a secret appears inside another variable's
// value: safe to show, journal and export.
func (p *Plan) MaskedVars() map[string]string {
	secrets := p.Secrets()
	out := make(map[string]string, len(p.Vars))
	for name, val := range p.Vars {
		if v := p.Runbook.Variable(name); v != nil && v.Secret && val != "" {
			val = Mask
		}
		out[name] = maskAll(val, secrets)
	}
	return out
}

// maskAll replaces every occurrence of each secret in s by Mask; secrets is
// longest first. It catches a secret that reached the text some other way
// than its own placeholder (inside another variable's value, say).
func maskAll(s string, secrets []string) string {
	for _, sec := range secrets {
		s = strings.ReplaceAll(s, sec, Mask)
	}
	return s
}

// render replaces each {{name}} in text by Quote(values[name]). Text that
// is not a placeholder (a Go template such as {{.State.Status}}) is kept.
func render(text string, values map[string]string) string {
	phs, _ := scanTemplate(text)
	if len(phs) == 0 {
		return text
	}
	var b strings.Builder
	last := 0
	for _, ph := range phs {
		b.WriteString(text[last:ph.start])
		b.WriteString(Quote(values[ph.name]))
		last = ph.end
	}
	b.WriteString(text[last:])
	return b.String()
}

// placeholder is a {{name}} in a template, at text[start:end].
type placeholder struct {
	start, end int
	name       string
}

// templateProblem is a malformed placeholder at a byte offset.
type templateProblem struct {
	offset    int
	msg, hint string
}

// scanTemplate finds the {{name}} placeholders of text (spaces inside the
// braces are allowed). A {{ with no }} on the same line, an empty {{}} and
// a word that is not a valid variable name ({{app-dir}}) are problems.
// Braces holding anything else, such as docker's --format '{{.Names}}' or
// '{{json .State}}', are a Go template for the command itself and are left
// alone.
func scanTemplate(text string) ([]placeholder, []templateProblem) {
	var phs []placeholder
	var bad []templateProblem
	for i := 0; i < len(text); {
		j := strings.Index(text[i:], "{{")
		if j < 0 {
			break
		}
		start := i + j
		rest := text[start+2:]
		if nl := strings.IndexByte(rest, '\n'); nl >= 0 {
			rest = rest[:nl]
		}
		k := strings.Index(rest, "}}")
		if k < 0 {
			bad = append(bad, templateProblem{start, "unterminated {{", "close it on the same line, e.g. {{app_dir}}"})
			i = start + 2
			continue
		}
		end := start + 2 + k + 2
		word := strings.TrimSpace(rest[:k])
		switch {
		case word == "":
			bad = append(bad, templateProblem{start, "empty {{}}", "put a variable name inside, e.g. {{app_dir}}"})
		case validVarName.MatchString(word):
			phs = append(phs, placeholder{start: start, end: end, name: word})
		case isWordish(word):
			bad = append(bad, templateProblem{start, fmt.Sprintf("{{%s}} is not a valid variable name", word),
				"names use a-z, 0-9 and '_', e.g. {{" + fixVarName(word) + "}}"})
		}
		i = end
	}
	return phs, bad
}

// isWordish reports whether s looks like an attempt at a variable name
// rather than a Go template expression.
func isWordish(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}
