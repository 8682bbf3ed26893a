package main

import (
	"errors"
	"fmt"
	"io"

	"golive/runbook"
)

const validateUsage = `Usage: golive validate FILE...

Check runbook files and print every problem, one per line, as
file:line:col: what is wrong; how to fix it. Exits 1 if any file has a
problem, 0 when all are valid. The format is in docs/runbook-format.md.

`

func cmdValidate(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("golive validate")
	files, code := parseFlags(fs, args, validateUsage, stdout, stderr)
	if code >= 0 {
		return code
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "golive validate: give one or more runbook files, e.g. golive validate release.yaml")
		return 2
	}
	status := 0
	for _, file := range files {
		rb, err := runbook.LoadFile(file)
		var problems runbook.Errors
		switch {
		case errors.As(err, &problems):
			for _, p := range problems {
				fmt.Fprintln(stdout, p.Error())
			}
			status = 1
		case err != nil:
			fmt.Fprintf(stdout, "%s: %v\n", file, err)
			status = 1
		default:
			fmt.Fprintf(stdout, "%s: ok (%d steps)\n", file, rb.StepCount())
		}
	}
	return status
}
