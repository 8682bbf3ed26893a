package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"golive/runbook"
	"golive/ui"
)

// TestRunListSaysUnderAMinute: a run last active 40 s ago is listed as
// "under a minute ago", in the table and in the picker, not "0s ago"
// (which reads as "this instant"); older ones keep the minutes.
func TestRunListSaysUnderAMinute(t *testing.T) {
	now := time.Now()
	if got := ago(now.Add(-40 * time.Second)); !strings.HasSuffix(got, "(under a minute ago)") {
		t.Errorf("ago(40s) = %q", got)
	}
	if got := ago(now.Add(-5*time.Minute - 10*time.Second)); !strings.HasSuffix(got, "(5m0s ago)") {
		t.Errorf("ago(5m10s) = %q", got)
	}
	p := ui.NewRunPicker([]runbook.RunSummary{{ID: "r1", RunbookID: "docker", Host: "web1", Operator: "bob", LastStep: "migrate", LastTime: now.Add(-40 * time.Second)}},
		func() time.Time { return now })
	var m tea.Model = p
	if v := ansi.Strip(m.View().Content); !strings.Contains(v, "last step migrate · under a minute ago") {
		t.Errorf("picker:\n%s", v)
	}
}

// TestRefusedPlainResumeExits1: a resume refused because the host's key
// changed exits 1 (golive could not go on), as the TUI's refusal of the
// same resume does; it exited 2, which says bad flags. A journal locked
// by another golive exits 1 too. Through dispatch, as the binary runs.
func TestRefusedPlainResumeExits1(t *testing.T) {
	home, cfg, _, _, id := failedSignKeyRun(t)
	journal := filepath.Join(home, "state", "golive", "runs", id, runbook.JournalName)
	before, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}

	// The journal is locked, as by a golive still running the release.
	f, err := os.Open(journal)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run("resume", id, "--plain", "--yes")
	_ = f.Close()
	if code != 1 {
		t.Errorf("resume of a locked journal: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	// known_hosts now holds another key for the host: the host's key
	// changed, as far as golive can tell.
	giveHostAnotherKey(t, cfg)
	code, stdout, stderr = run("resume", id, "--plain", "--yes")
	if code != 1 || !strings.Contains(stdout+stderr, "IDENTIFICATION HAS CHANGED") {
		t.Errorf("resume on a changed host key: exit %d, want 1 and the refusal\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if after, _ := os.ReadFile(journal); !bytes.Equal(before, after) {
		t.Error("a refused resume wrote to the journal")
	}
}

// TestResumeFinishedRunSaysExport: resuming a run that finished (an
// operator who quit from the summary without exporting, looking for the
// transcript) says the run is finished and gives the export command; it
// said "no unfinished run", as if the id were wrong.
func TestResumeFinishedRunSaysExport(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := t.TempDir()
	rb := filepath.Join(dir, "one.yaml")
	if err := os.WriteFile(rb, []byte("id: one\ntitle: One\nsections:\n  - id: main\n    title: Main\n    steps:\n      - id: hi\n        title: Hi\n        command: echo hi\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run("run", "--plain", "--yes", "--host", "local", "--runbook", rb, "--operator", "op", "--out", dir)
	m := regexp.MustCompile(`-- run ([0-9A-Za-z-]+):`).FindStringSubmatch(stdout)
	if code != 0 || m == nil {
		t.Fatalf("run: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, _, stderr = run("resume", m[1])
	if code != 2 || !strings.Contains(stderr, "run "+m[1]+" is finished") || !strings.Contains(stderr, "golive export "+m[1]) {
		t.Errorf("resume of a finished run: exit %d, stderr %q; want 2, that it is finished, and the export command", code, stderr)
	}
	code, _, stderr = run("resume", "nosuch")
	if code != 2 || !strings.Contains(stderr, `no unfinished run "nosuch"`) {
		t.Errorf("resume of no run: exit %d, stderr %q", code, stderr)
	}
}
