package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"

	"golive/runbook"
	"golive/runbooks"
	"golive/ui"
)

const showUsage = `Usage: golive show RUNBOOK [--var NAME=VALUE]...
       golive show --runbook RUNBOOK [--var NAME=VALUE]...

Print the plan of a runbook: every section and step in order, with its kind,
risk, rationale, whether its condition holds, the command exactly as it would
run (secrets masked), what it must show to pass, its rollback and checklist.
Nothing is executed.

RUNBOOK is a built-in runbook (see 'golive list') or a runbook file path,
given as the argument or with --runbook as for 'golive run'.

Flags:
`

func cmdShow(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("golive show")
	vars := varFlags{}
	fs.Var(vars, "var", "set a variable, NAME=VALUE (repeatable)")
	named := fs.String("runbook", "", "built-in runbook (non-docker, docker) or a runbook file, as for 'golive run'; the same as the argument")
	pos, code := parseFlags(fs, args, showUsage, stdout, stderr)
	if code >= 0 {
		return code
	}
	if *named != "" {
		pos = append(pos, *named)
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "golive show: give exactly one runbook (a built-in id or a file, as the argument or with --runbook); run 'golive list' for the built-in ones")
		return 2
	}
	rb, err := loadRunbook(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "golive show: %s\n", ui.ErrorText(err))
		return 1
	}
	plan, err := rb.Plan(vars)
	if err != nil {
		fmt.Fprintf(stderr, "golive show: %s\n", ui.ErrorText(err))
		return 1
	}
	if err := writePlan(stdout, plan); err != nil {
		fmt.Fprintf(stderr, "golive show: %s\n", ui.ErrorText(err))
		return 1
	}
	return 0
}

// loadRunbook loads a runbook named on the command line: a path to a file
// (it contains a slash or ends in .yaml/.yml, or no built-in has that name
// and the file exists) or the id of a built-in runbook. A name like
// docker.yaml that is no file in the current directory names the built-in.
func loadRunbook(arg string) (*runbook.Runbook, error) {
	if strings.ContainsRune(arg, os.PathSeparator) || strings.Contains(arg, "/") {
		return loadFile(arg)
	}
	if strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") {
		rb, err := loadFile(arg)
		if errors.Is(err, fs.ErrNotExist) { // "docker.yaml" names the built-in too
			if builtin, berr := runbook.Load(runbooks.FS, arg); berr == nil {
				return builtin, nil
			}
		}
		return rb, err
	}
	rb, err := runbook.Load(runbooks.FS, arg)
	if errors.Is(err, runbook.ErrNotFound) {
		if _, statErr := os.Stat(arg); statErr == nil {
			return loadFile(arg)
		}
	}
	return rb, err
}

// loadFile loads a runbook file; a path that is missing or a directory
// says what to give instead, and a missing bare name like docker.yaml or
// docker that names a built-in runbook says to use --runbook.
func loadFile(path string) (*runbook.Runbook, error) {
	rb, err := runbook.LoadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && builtinNamed(path) != "":
		return nil, fmt.Errorf("%w; use --runbook %s (a built-in runbook), or give the path of a file", err, builtinNamed(path))
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w; check the path and give the path of a runbook file ('golive list' names the built-in runbooks)", err)
	case errors.Is(err, syscall.EISDIR):
		return nil, fmt.Errorf("%w; give the path of a runbook file, not a directory", err)
	}
	return rb, err
}

// builtinNamed is the id of the built-in runbook a bare name (no
// directory) names, with or without .yaml or .yml, or "" when it names none.
func builtinNamed(name string) string {
	if strings.ContainsRune(name, os.PathSeparator) || strings.Contains(name, "/") {
		return ""
	}
	id := strings.TrimSuffix(strings.TrimSuffix(name, ".yaml"), ".yml")
	list, _ := runbook.List(runbooks.FS) // a broken built-in is reported by 'golive list'
	for _, rb := range list {
		if rb.ID == id {
			return id
		}
	}
	return ""
}

// varFlags collects repeated --var NAME=VALUE flags.
type varFlags map[string]string

// String lists the names set (never the values: one may be a secret).
func (v varFlags) String() string {
	names := make([]string, 0, len(v))
	for k := range v {
		names = append(names, k+"=…")
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}

// Set records one NAME=VALUE; a name given twice is an error.
func (v varFlags) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	if _, dup := v[name]; dup {
		return fmt.Errorf("%s is given twice; give each variable once", name)
	}
	v[name] = value
	return nil
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name string) *flag.FlagSet {
	return flag.NewFlagSet(name, flag.ContinueOnError)
}

// parseFlags parses args with fs, allowing flags after positional
// arguments (golive show non-docker --var a=b). It returns the positional
// arguments and -1, or an exit code when the command is over: 0 after
// --help (usage on stdout), 2 after a bad flag (usage, then the problem,
// on stderr).
func parseFlags(fs *flag.FlagSet, args []string, usage string, stdout, stderr io.Writer) ([]string, int) {
	fs.SetOutput(io.Discard) // we print the errors ourselves, once
	printUsage := func(w io.Writer) {
		fmt.Fprint(w, usage)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return nil, 0
		}
		if err != nil {
			// The problem goes last: run's usage is taller than a
			// 24-line terminal, and a first line scrolls out of sight.
			var u strings.Builder
			printUsage(&u)
			fmt.Fprintf(stderr, "%s\n\n%s: %s\n", strings.TrimRight(u.String(), "\n"), fs.Name(), flagProblem(err))
			return nil, 2
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, -1
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), -1 // everything after -- is positional
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// writePlan prints a plan for reading: header, variables (secrets masked),
// then each section and its numbered steps.
func writePlan(w io.Writer, p *runbook.Plan) error {
	rb := p.Runbook
	ew := &errWriter{w: w}
	ew.printf("%s: %s\n", rb.ID, rb.Title)
	ew.printf("file %s, sha256 %s", rb.File, rb.Hash)
	if rb.Version != "" {
		ew.printf(", version %s", rb.Version)
	}
	ew.printf("\n%d sections, %d steps\n", len(rb.Sections), rb.StepCount())
	if d := strings.TrimSpace(rb.Description); d != "" {
		ew.printf("\n%s\n", indent(d, ""))
	}
	if len(rb.Variables) > 0 {
		ew.printf("\nVariables:\n")
		masked := p.MaskedVars()
		width := 0
		for _, v := range rb.Variables {
			width = max(width, len(v.Name))
		}
		for _, v := range rb.Variables {
			val := runbook.Quote(masked[v.Name])
			var notes []string
			if v.Secret {
				notes = append(notes, "secret")
			}
			if v.Required {
				notes = append(notes, "required")
			}
			note := ""
			if len(notes) > 0 {
				note = " (" + strings.Join(notes, ", ") + ")"
			}
			ew.printf("  %-*s = %s%s\n", width, v.Name, val, note)
			if v.Description != "" {
				pad := strings.Repeat(" ", width+5)
				ew.printf("%s%s\n", pad, indent(strings.TrimSpace(v.Description), pad))
			}
		}
	}
	n := 0
	var section *runbook.Section
	sectionNo := 0
	for i := range p.Steps {
		ps := &p.Steps[i]
		if ps.Section != section {
			section = ps.Section
			sectionNo++
			ew.printf("\n== %d. %s [%s]\n", sectionNo, section.Title, section.ID)
		}
		n++
		writeStep(ew, n, len(p.Steps), ps)
	}
	return ew.err
}

func writeStep(ew *errWriter, n, total int, ps *runbook.PlannedStep) {
	st := ps.Step
	ew.printf("\n%d/%d  %s: %s\n", n, total, st.ID, st.Title)
	facts := []string{"kind " + string(st.Kind), "risk " + string(st.Risk)}
	if st.Risk == runbook.RiskHigh {
		facts[1] += " (typed confirmation)"
	}
	if st.Kind != runbook.KindManual {
		t := st.Timeout
		if t == 0 {
			t = runbook.DefaultTimeout
		}
		facts = append(facts, "timeout "+shortDuration(t))
	}
	if st.Sudo {
		facts = append(facts, "sudo")
	}
	if st.Kind == runbook.KindRemote && st.NoPrelude {
		facts = append(facts, "no prelude")
	}
	ew.printf("    %s\n", strings.Join(facts, ", "))
	if st.Why != "" {
		ew.printf("    why: %s\n", indent(strings.TrimSpace(st.Why), "         "))
	}
	if st.When != "" {
		verdict := "applies"
		if !ps.Applicable {
			verdict = "not applicable: " + ps.Reason
		}
		ew.printf("    when: %s -> %s\n", st.When, verdict)
	}
	if ps.Display != "" {
		ew.printf("    command:\n")
		for _, line := range strings.Split(strings.TrimRight(ps.Display, "\n"), "\n") {
			ew.printf("      | %s\n", line)
		}
	}
	if st.Kind != runbook.KindManual {
		ew.printf("    expect: %s\n", describeExpect(st.Expect))
	}
	if st.Rollback != "" {
		ew.printf("    rollback: %s\n", indent(strings.TrimSpace(st.Rollback), "              "))
	}
	if len(st.Checklist) > 0 {
		ew.printf("    checklist:\n")
		for _, c := range st.Checklist {
			ew.printf("      [ ] %s\n", indent(strings.TrimSpace(c), "          "))
		}
	}
}

func describeExpect(e runbook.Expect) string {
	codes := "0"
	if len(e.Exit) > 0 {
		s := make([]string, len(e.Exit))
		for i, c := range e.Exit {
			s[i] = fmt.Sprint(c)
		}
		codes = strings.Join(s, " or ")
	}
	parts := []string{"exit " + codes}
	for _, m := range e.Match {
		parts = append(parts, fmt.Sprintf("output matches /%s/", m))
	}
	for _, m := range e.NotMatch {
		parts = append(parts, fmt.Sprintf("no line matches /%s/", m))
	}
	return strings.Join(parts, "; ")
}

// shortDuration drops zero units: 2m rather than 2m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// indent puts prefix before every line of s but the first.
func indent(s, prefix string) string {
	return strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// errWriter keeps the first write error, so that printing code stays flat.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
