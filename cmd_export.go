package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golive/runbook"
	"golive/ui"
)

const exportUsage = `Usage: golive export RUNID [--out DIR] [--identity KEY] [--ssh-config FILE] [--var name=value]

Write a run's transcript (Markdown, JSON, signature and allowed_signers)
from its journal, whether the run is finished or not: when golive stopped
before exporting, to export again, or while another golive is still
running the release (the transcript then holds what is written so far).
The journal is only read: nothing is added to it, and it is not locked.

Flags:
`

// cmdExport writes the transcript of any run, finished or not, from its
// journal under the state directory.
func cmdExport(args []string, stdout, stderr io.Writer) int {
	c := runConfig{vars: map[string]string{}}
	fset := newFlagSet("golive export")
	fset.StringVar(&c.out, "out", ".", "`DIR`ectory to write the transcript to")
	fset.StringVar(&c.identity, "identity", "", "private key `FILE` to sign with (default: ssh-agent, then the ssh config's IdentityFile for the run's host, then ~/.ssh/id_*)")
	fset.StringVar(&c.sshConfig, "ssh-config", "", "ssh config `FILE` whose IdentityFile for the run's host may sign (default: ~/.ssh/config)")
	fset.StringVar(&c.operator, "operator", "", "`NAME` to sign as (default: the run's operator)")
	fset.Var(varFlags(c.vars), "var", "a secret variable's value, if the runbook needs it to render (`name=value`)")
	pos, code := parseFlags(fset, args, exportUsage, stdout, stderr)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "golive export: give exactly one run id; 'golive resume' lists the unfinished runs")
		return 2
	}
	if id := pos[0]; !isRunDirName(id) {
		fmt.Fprintf(stderr, "golive export: %q is not a run id; 'golive resume' lists the unfinished runs\n", id)
		return 2
	}
	stateDir, err := runbook.StateDir()
	if err != nil {
		// The machine's configuration, as for run: 2, golive tried nothing.
		fmt.Fprintf(stderr, "golive export: %s\n", ui.ErrorText(err))
		return 2
	}
	path := filepath.Join(runbook.RunDir(stateDir, pos[0]), runbook.JournalName)
	// Without --identity, the key the ssh config names for the run's host
	// may sign (after the agent): the journal names the host.
	c.signHost = journalHost(path)
	opts, err := buildOptions(c, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "golive export: %s\n", ui.ErrorText(err))
		return 2
	}
	// An encrypted key not in the agent: its passphrase is asked on the
	// terminal (without one, the transcript is written unsigned and the
	// reason printed).
	sign := opts.SignAsking(func(prompt string) ([]byte, error) {
		pw, err := askPassword(strings.TrimSpace(prompt)+" ", stderr)
		if err != nil {
			key := strings.TrimSuffix(strings.TrimPrefix(prompt, "Passphrase for "), ": ")
			return nil, fmt.Errorf("%w; load the key into ssh-agent (ssh-add %s) and export again, or export on a terminal", err, key)
		}
		return pw, nil
	})
	// The journal is only read, never locked or changed: a golive still
	// running this release keeps writing it meanwhile.
	ex, err := ui.ExportRun(opts, path, c.out, sign)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(stderr, "golive export: no run %q in %s; give the whole run id: every run, finished or not, has a directory in %s, and 'golive resume' lists the unfinished ones\n",
			pos[0], stateDir, filepath.Join(stateDir, "runs"))
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "golive export: %s\n", ui.ErrorText(err))
		return 1
	}
	state := "unfinished"
	switch {
	case ex.Finished:
		state = "finished"
	case ex.Live:
		state = "in progress"
	}
	fmt.Fprintf(stdout, "golive: run %s (%s, %s)\n", ex.RunID, state, ex.Verdict)
	for _, f := range ex.Files() {
		fmt.Fprintf(stdout, "golive: wrote %s\n", f)
	}
	if ex.SignError != nil {
		fmt.Fprintf(stdout, "golive: transcript not signed: %s\n", ui.ErrorText(ex.SignError))
	}
	switch {
	case ex.Live && !ex.Finished:
		fmt.Fprintf(stdout, "golive: run %s is still in progress (another golive is writing it): the transcript holds the %d events written so far; export again when the run has ended\n", ex.RunID, ex.Events)
	case ex.Torn:
		fmt.Fprintf(stdout, "golive: the journal's last record is not whole (golive stopped while writing it): it is left out; golive resume %s repairs the journal\n", ex.RunID)
	}
	return 0
}

// journalHost is the host of the run whose journal is at path, as its
// first record (run.started) names it; "" when it cannot be read (the
// export then says what is wrong with the journal).
func journalHost(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	for e, err := range runbook.JournalEvents(runbook.JournalReader(f), path, nil) {
		if err != nil || e.Run == nil {
			return ""
		}
		return e.Run.Host
	}
	return ""
}

// isRunDirName reports whether id can name a run's directory under the
// state dir (runbook.RunDir): a single name, never one that reaches outside
// it (../x, /abs, ., ..).
func isRunDirName(id string) bool {
	return id != "" && id != "." && id != ".." && filepath.Base(id) == id
}
