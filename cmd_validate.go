package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"golive/runbook"
	"golive/ui"
)

const validateUsage = `Usage: golive validate FILE...
       golive validate --runbook RUNBOOK [FILE]...

Check runbook files and print every problem, one per line, as
file:line:col: what is wrong; how to fix it. Exits 1 if any file has a
problem, 0 when all are valid. The format is in docs/runbook-format.md.

--runbook names a runbook as 'golive run' does: a file, or a built-in
(see 'golive list'). It may be given more than once, and with files;
the runbooks it names are checked first.

Flags:
`

func cmdValidate(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("golive validate")
	var named runbookFlags
	fs.Var(&named, "runbook", "a runbook to check, a file or a built-in as for 'golive run' (repeatable)")
	files, code := parseFlags(fs, args, validateUsage, stdout, stderr)
	if code >= 0 {
		return code
	}
	if len(files) == 0 && len(named) == 0 {
		fmt.Fprintln(stderr, "golive validate: give one or more runbook files, e.g. golive validate release.yaml (or --runbook release.yaml)")
		return 2
	}
	status := 0
	load := func(i int) (*runbook.Runbook, error) {
		if i < len(named) {
			return loadRunbook(named[i])
		}
		return loadFile(files[i-len(named)])
	}
	for i, file := range append(append([]string(nil), named...), files...) {
		rb, err := load(i)
		var problems runbook.Errors
		switch {
		case errors.As(err, &problems):
			for _, p := range problems {
				fmt.Fprintln(stdout, p.Error())
			}
			status = 1
		case err != nil:
			fmt.Fprintf(stdout, "%s: %s\n", file, ui.ErrorText(err))
			status = 1
		default:
			unit := "steps"
			if rb.StepCount() == 1 {
				unit = "step"
			}
			fmt.Fprintf(stdout, "%s: ok (%d %s)\n", file, rb.StepCount(), unit)
		}
	}
	return status
}

// runbookFlags collects repeated --runbook flags in the order given.
type runbookFlags []string

// String lists the runbooks named so far.
func (r *runbookFlags) String() string { return strings.Join(*r, " ") }

// Set records one runbook name; an empty one is an error.
func (r *runbookFlags) Set(s string) error {
	if s == "" {
		return errors.New("want a runbook file or a built-in id, got nothing")
	}
	*r = append(*r, s)
	return nil
}
