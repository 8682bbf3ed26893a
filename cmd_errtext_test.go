package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golive/runbook"
)

// stoppedLocalRun runs a one-step runbook on --host local in plain mode
// with no input, so that it stops at the first sign-off, and returns the
// run's id and journal. XDG_STATE_HOME is the test's own.
func stoppedLocalRun(t *testing.T) (id, journal string) {
	t.Helper()
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	dir := t.TempDir()
	rb := filepath.Join(dir, "one.yaml")
	if err := os.WriteFile(rb, []byte("id: one\ntitle: One\nsections:\n  - id: main\n    title: Main\n    steps:\n"+
		"      - id: hi\n        title: Hi\n        command: echo hi\n      - id: bye\n        title: Bye\n        command: echo bye\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run("run", "--plain", "--host", "local", "--runbook", rb, "--operator", "op", "--out", dir)
	m := regexp.MustCompile(`-- run ([0-9A-Za-z-]+):`).FindStringSubmatch(stdout)
	if code != 3 || m == nil {
		t.Fatalf("run: exit %d, want 3 (stopped at the sign-off)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	return m[1], filepath.Join(state, "golive", "runs", m[1], runbook.JournalName)
}

// TestStartupErrorsHaveNoLibraryPrefix: a resume and an export whose
// journal does not replay (an event that does not fit the run, appended
// with a sound hash chain) stop before the first step, through dispatch as
// the binary runs, with an error that says which run and what to do, and
// without the library's "runbook: " in front of its words (which read
// "the journal does not replay: runbook: event does not fit the session").
func TestStartupErrorsHaveNoLibraryPrefix(t *testing.T) {
	id, journal := stoppedLocalRun(t)
	j, _, err := runbook.OpenJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	// bye never started: its exit does not fit the session.
	if _, err := j.Append(runbook.Event{Type: runbook.EvStepExited, Step: "bye", Attempt: 1, Exit: &runbook.ExitInfo{}}); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"resume", id, "--plain"},
		{"resume", id[:8]},
		{"export", id, "--out", t.TempDir()},
	} {
		code, stdout, stderr := run(args...)
		if code != 1 {
			t.Errorf("%v: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", args, code, stdout, stderr)
		}
		all := stdout + stderr
		if strings.Contains(all, "runbook: ") || strings.Contains(all, "sshexec: ") {
			t.Errorf("%v: a library prefix reaches the operator:\n%s", args, all)
		}
		t.Logf("%v: exit %d\n%s", args, code, all)
		if !strings.Contains(all, id) || !strings.Contains(all, `event seq 5 (step.exited of step "bye", which was pending) does not fit the run`) ||
			!strings.Contains(all, "start the release again with 'golive run'") {
			t.Errorf("%v: the error does not name the run %s and what is wrong:\n%s", args, id, all)
		}
	}
}
