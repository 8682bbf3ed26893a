// Command golive walks an operator through a Django production release:
// step by step, commands run on the server over SSH with live output, each
// step signed off, and a signed transcript at the end.
//
// main parses the command line, builds the pieces and reports the outcome;
// the work lives in packages ui, runbook and sshexec.
package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"golive/ui"
)

// command is one golive subcommand. Each lives in its own cmd_*.go file.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"run", "walk a runbook on a host (the default)", cmdRun},
		{"resume", "list unfinished runs, or resume one", cmdResume},
		{"list", "list the built-in runbooks", cmdList},
		{"show", "print a runbook's plan with commands rendered; runs nothing", cmdShow},
		{"validate", "check runbook files and report every problem", cmdValidate},
		{"verify", "verify a signed transcript", cmdVerify},
		{"export", "write a run's transcript again from its journal", cmdExport},
		{"version", "print golive's version and the Go version (also --version)", cmdVersion},
	}
}

// began is when main started: the zero of plain mode's timing log
// ($GOLIVE_TIMING).
var began time.Time

func main() {
	began = time.Now()
	ui.TuneGC()
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return cmdRun(nil, stdout, stderr)
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(stdout)
		return 0
	case "--version", "-version":
		return cmdVersion(args[1:], stdout, stderr)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	if len(args[0]) > 0 && args[0][0] == '-' { // flags only: `golive --host web1`
		return cmdRun(args, stdout, stderr)
	}
	fmt.Fprintf(stderr, "golive: unknown command %q; run 'golive --help' for the list\n", args[0])
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "golive: a terminal runbook for production releases of Django apps")
	fmt.Fprintln(w, "\nUsage: golive [command] [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'golive COMMAND --help' for a command's flags.")
}
