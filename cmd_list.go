package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"golive/runbook"
	"golive/runbooks"
)

const listUsage = `Usage: golive list

List the built-in runbooks: id, step count and title. Show one with
'golive show ID'; run it with 'golive run --runbook ID'.

`

func cmdList(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("golive list")
	pos, code := parseFlags(fs, args, listUsage, stdout, stderr)
	if code >= 0 {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "golive list: takes no arguments (got %q); use 'golive show %s' to see one\n", pos[0], pos[0])
		return 2
	}
	list, err := runbook.List(runbooks.FS)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTEPS\tTITLE")
	for _, rb := range list {
		def := ""
		if rb.ID == runbooks.Default {
			def = " (default)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s%s\n", rb.ID, rb.StepCount(), rb.Title, def)
	}
	if ferr := tw.Flush(); ferr != nil {
		fmt.Fprintf(stderr, "golive list: %v\n", ferr)
		return 1
	}
	if err != nil {
		// A broken built-in is a bug in this build of golive.
		fmt.Fprintf(stderr, "golive list: a built-in runbook is broken:\n%v\n", err)
		return 1
	}
	return 0
}
