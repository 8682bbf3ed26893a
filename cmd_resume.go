package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	tea "charm.land/bubbletea/v2"
	"golang.org/x/term"

	"golive/runbook"
	"golive/ui"
)

const resumeUsage = `Usage: golive resume [RUNID] [flags]

Without RUNID, lists the unfinished runs (on a terminal, to pick one).
With RUNID (or its first 6 or more characters), reopens that run: its
sign-offs and output come back from the journal, and a step still running
on the host is reattached. The flags are those of 'golive run'; a run
continues on its own host with its own runbook, so --host and --runbook,
if given, must name those.

Flags:
`

// cmdResume lists the unfinished runs, or reopens one: its sign-offs and
// output come back from the journal, and a step that was running is
// reattached if its job is still alive on the host.
func cmdResume(args []string, stdout, stderr io.Writer) int {
	var c runConfig
	fs := runFlags("resume", stderr, &c)
	// Flags may follow the run id: golive resume RUNID --plain --yes.
	pos, code := parseFlags(fs, args, resumeUsage, stdout, stderr)
	if code >= 0 {
		return code
	}
	if len(pos) > 1 {
		fmt.Fprintf(stderr, "golive resume: give at most one run id (got %q and %q); 'golive resume' lists them\n", pos[0], pos[1])
		return 2
	}
	stateDir, err := runbook.StateDir()
	if err != nil {
		// The machine's configuration, as for run: 2, golive tried nothing.
		fmt.Fprintf(stderr, "golive resume: %s\n", ui.ErrorText(err))
		return 2
	}
	runs, err := runbook.ListRuns(stateDir)
	if err != nil {
		fmt.Fprintf(stderr, "golive resume: %s\n", ui.ErrorText(err))
		return 1
	}
	if len(pos) == 0 {
		if len(runs) == 0 {
			fmt.Fprintf(stdout, "No unfinished runs in %s.\n", stateDir)
			return 0
		}
		if c.plain || c.yes || !term.IsTerminal(int(os.Stdout.Fd())) {
			printRuns(stdout, runs)
			fmt.Fprintln(stdout, "\nResume one with: golive resume RUNID")
			return 0
		}
		final, err := tea.NewProgram(ui.NewRunPicker(runs, time.Now), programOptions()...).Run()
		if err != nil {
			fmt.Fprintf(stderr, "golive resume: %s\n", ui.ErrorText(err))
			return 1
		}
		picked := final.(ui.RunPicker).Chosen()
		if picked == "" {
			return 0
		}
		pos = append(pos, picked)
	}
	id := pos[0]
	var found *runbook.RunSummary
	for i := range runs {
		if runs[i].ID == id || (len(id) >= 6 && strings.HasPrefix(runs[i].ID, id)) {
			if found != nil {
				fmt.Fprintf(stderr, "golive resume: %q matches more than one run; give the whole id\n", id)
				return 2
			}
			found = &runs[i]
		}
	}
	if found == nil {
		for _, r := range runs {
			if strings.HasPrefix(r.ID, id) { // too short to be taken as a prefix
				fmt.Fprintf(stderr, "golive resume: give at least 6 characters of the run id (%q is the start of %s); 'golive resume' lists them\n", id, r.ID)
				return 2
			}
		}
		// A journal that is not listed is a finished run's.
		if isRunDirName(id) {
			if _, err := os.Stat(filepath.Join(runbook.RunDir(stateDir, id), runbook.JournalName)); err == nil {
				fmt.Fprintf(stderr, "golive resume: run %s is finished, nothing is left to resume; 'golive export %s --out DIR' writes its transcript again from its journal\n", id, id)
				return 2
			}
		}
		fmt.Fprintf(stderr, "golive resume: no unfinished run %q in %s; 'golive resume' lists them\n", id, stateDir)
		return 2
	}
	if found.Problem != "" {
		fmt.Fprintf(stderr, "golive resume: run %s cannot be read: %s\n", found.ID, found.Problem)
		return 1
	}
	if problem := resumeFlagConflict(c, *found); problem != "" {
		fmt.Fprintf(stderr, "golive resume: %s\n", problem)
		return 2
	}
	// The transcript is signed for the run's host (its ssh config
	// IdentityFile), which the journal names.
	c.signHost = found.Host
	opts, err := buildOptions(c, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "golive resume: %s\n", ui.ErrorText(err))
		return 2
	}
	rel, events, err := ui.OpenRun(opts, found.Path)
	if err != nil {
		fmt.Fprintf(stderr, "golive resume: %s\n", ui.ErrorText(err))
		if needsFlags(err) {
			return 2
		}
		return 1
	}
	defer rel.Journal.Close()
	if c.plain || c.yes || !term.IsTerminal(int(os.Stdout.Fd())) {
		warnUnsigned(c, stderr)
		return ui.ResumePlain(context.Background(), opts, rel, events, plainOptions(c, stdout, stderr))
	}
	return runTUI(ui.NewResume(opts, rel, events), len(opts.SudoPassword) > 0, stdout, stderr)
}

// needsFlags reports whether a resume failed for want of a variable's
// value (a secret the journal does not keep, or one the runbook requires):
// bad flags, exit 2, as for a new run; golive tried nothing.
func needsFlags(err error) bool {
	var secret *ui.SecretNeededError
	var v *runbook.VarError
	return errors.As(err, &secret) || errors.As(err, &v)
}

// resumeFlagConflict says why --host or --runbook, which a resume takes
// from the run's journal, cannot be what was given: a run continues on
// the host and with the runbook it began with, and golive would otherwise
// resume on the journal's host while the operator believes it another.
// "" when neither was given, or each names the run's own.
func resumeFlagConflict(c runConfig, r runbook.RunSummary) string {
	if c.host != "" && c.host != r.Host {
		return fmt.Sprintf("--host %s: run %s began on %s and continues only there; drop --host "+
			"(to release to %s, start a new run: golive run --host %s)", c.host, r.ID, r.Host, c.host, c.host)
	}
	if c.runbook != "" && givenRunbookID(c.runbook) != r.RunbookID {
		return fmt.Sprintf("--runbook %s: run %s walks the runbook %s and continues only with it; drop --runbook "+
			"(to walk %s, start a new run: golive run --runbook %s)", c.runbook, r.ID, r.RunbookID, c.runbook, c.runbook)
	}
	return ""
}

// givenRunbookID is the id of the runbook --runbook names: a built-in's,
// or the id a file declares (which its file name need not be); the name
// without .yaml when it does not load.
func givenRunbookID(arg string) string {
	if rb, err := loadRunbook(arg); err == nil {
		return rb.ID
	}
	return strings.TrimSuffix(strings.TrimSuffix(filepath.Base(arg), ".yaml"), ".yml")
}

// printRuns prints the unfinished runs as a table, newest first.
func printRuns(w io.Writer, runs []runbook.RunSummary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tRUNBOOK\tHOST\tOPERATOR\tLAST STEP\tLAST ACTIVITY")
	for _, r := range runs {
		if r.Problem != "" {
			fmt.Fprintf(tw, "%s\t(unreadable: %s)\t\t\t\t%s\n", r.ID, r.Problem, ago(r.LastTime))
			continue
		}
		last := r.LastStep
		if last == "" {
			last = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.RunbookID, r.Host, r.Operator, last, ago(r.LastTime))
	}
	tw.Flush()
}

// ago renders a time as UTC plus how long ago.
func ago(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return fmt.Sprintf("%s (%s ago)", t.UTC().Format("2006-01-02 15:04Z"), ui.SinceWords(time.Since(t)))
}
