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
	"regexp"
	"strings"
	"time"

	"golive/runbook"
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
	fmt.Fprintf(stderr, "golive: unknown command %q; %s\n", args[0], unknownCommandHint(args[0]))
	return 2
}

// unknownCommandHint says what an operator who typed name for a command
// may have meant: a runbook (golive non-docker, golive release.yaml) is
// walked with run --runbook; a command mistyped by a letter or two
// (resum, exprot) is named; else the list is in --help.
func unknownCommandHint(name string) string {
	if id := builtinNamed(name); id != "" {
		return "to walk that built-in runbook: golive run --runbook " + id
	}
	if fi, err := os.Stat(name); err == nil && !fi.IsDir() && (strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
		return "to walk that runbook file: golive run --runbook " + name
	}
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	if s := runbook.Suggest(name, names); s != "" {
		return fmt.Sprintf("did you mean 'golive %s'? ('golive --help' lists the commands)", s)
	}
	return "run 'golive --help' for the list"
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "golive: a terminal runbook for production releases of Django apps")
	fmt.Fprintln(w, "\nUsage: golive [command] [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'golive COMMAND --help' for a command's flags.")
}

// Go's flag package words its parse errors for programmers ("flag
// provided but not defined: -bogus", with one dash where the operator
// typed two). flagProblem rewords them for the operator, naming the flag
// as golive's help does (--name); other errors pass unchanged.
var (
	flagInvalidValue = regexp.MustCompile(`^invalid value ".*" for flag -([\w-]+): (.*)$`)
	flagInvalidBool  = regexp.MustCompile(`^invalid boolean value (".*") for -([\w-]+): .*$`)
)

// flagProblem is the operator's words for a flag parse error. A value the
// flag refused is not repeated (it may be a secret's, --var db_password=…):
// the flag's own reason says what is wrong with it.
func flagProblem(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return fmt.Sprintf("unknown flag --%s; the flags it takes are listed above", name)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		value := "VALUE"
		if name == "var" {
			value = "NAME=VALUE"
		}
		return fmt.Sprintf("--%s needs a value: --%s %s", name, name, value)
	}
	if m := flagInvalidValue.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("--%s: %s", m[1], m[2])
	}
	if m := flagInvalidBool.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("--%s takes no value (%s): give --%s alone to turn it on, --%s=false to leave it off", m[2], m[1], m[2], m[2])
	}
	if arg, ok := strings.CutPrefix(msg, "bad flag syntax: "); ok {
		return fmt.Sprintf("%s is no flag: flags are --name or --name=value", arg)
	}
	return msg
}
