package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"golive/runbook"
	"golive/sshexec"
)

func TestConnState(t *testing.T) {
	for in, want := range map[string]string{
		"connection to web1 lost; job x keeps running on the host; reconnecting":  "lost",
		"reconnecting to web1 (attempt 3)":                                        "reconnecting",
		"reconnected to web1; following job x from stdout byte 10, stderr byte 0": "restored",
		"job x stopped (TERM)": "",
		"connection to web1 lost while cancelling job x; reconnecting": "lost",
	} {
		if got := connState(in); got != want {
			t.Errorf("connState(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJobID(t *testing.T) {
	if got := JobID("20260102T030405Z-abc", "db/migrate step", 2); got != "20260102T030405Z-abc-db_migrate_step-2" {
		t.Fatalf("JobID = %q", got)
	}
}

// checkJob journals the start of the check step on a fresh release
// against ex, as Update does before it runs a step, and returns the
// release and the Job that journaled start names.
func checkJob(t *testing.T, ex *fakeExec) (*Release, Job) {
	t.Helper()
	m := started(t, ex, 100, 30)
	rel := m.rel
	ev, err := rel.StartEvent("check", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := rel.Commit(ev, nil); err != nil {
		t.Fatal(err)
	}
	stored := journal(t, m)
	j, err := rel.JobFor(stored[len(stored)-1])
	if err != nil {
		t.Fatal(err)
	}
	return rel, j
}

// TestRunJobBatchesInOrder streams 1,000 lines through RunJob against a
// real journal: every line arrives once, in order, in batches of at most
// batchLines, redacted, journaled before they are emitted, then the exit.
func TestRunJobBatchesInOrder(t *testing.T) {
	ex := newFakeExec("web1")
	var texts []string
	for i := 0; i < 1000; i++ {
		texts = append(texts, fmt.Sprintf("line %d", i))
	}
	texts[500] = "DB_PASSWORD=hunter2hunter2"
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, texts...), res: sshexec.Result{ExitCode: 0}})
	rel, j := checkJob(t, ex)
	var got []string
	batches := 0
	exit, detached, err := rel.RunJob(context.Background(), j, func(evs []runbook.Event) {
		batches++
		for _, e := range evs {
			if e.Seq == 0 || e.Hash == "" {
				t.Error("emitted an event that was not journaled")
			}
			if len(e.Lines) > batchLines {
				t.Errorf("batch of %d lines", len(e.Lines))
			}
			for _, l := range e.Lines {
				got = append(got, l.Text)
			}
		}
		if err := rel.Apply(evs...); err != nil {
			t.Fatal(err)
		}
	})
	if err != nil || detached || exit == nil || exit.Exit.Code != 0 {
		t.Fatalf("exit %+v detached %v err %v", exit, detached, err)
	}
	if len(got) != 1000 || got[0] != "line 0" || got[999] != "line 999" {
		t.Fatalf("%d lines, first %q last %q", len(got), got[0], got[len(got)-1])
	}
	for i, g := range got {
		if i != 500 && g != texts[i] {
			t.Fatalf("line %d is %q, want %q", i, g, texts[i])
		}
	}
	if strings.Contains(got[500], "hunter2") {
		t.Fatalf("secret-shaped output not redacted: %q", got[500])
	}
	t.Logf("1000 lines in %d batches", batches)
	if len(ex.forgot) != 1 || ex.forgot[0] != j.Spec.JobID {
		t.Errorf("forgot %q after the exit was journaled, want [%s]", ex.forgot, j.Spec.JobID)
	}
	if err := rel.Apply(*exit); err != nil {
		t.Fatal(err)
	}
	if a := rel.Session.Step("check").Last(); a.OutputLines != 1000 {
		t.Fatalf("session counted %d lines", a.OutputLines)
	}
}

func TestLocalStepNeedsLocalExecutor(t *testing.T) {
	m := started(t, newFakeExec("web1"), 100, 30)
	m.rel.Local = nil
	ev := runbook.Event{Type: runbook.EvStepStarted, Step: "smoke", Attempt: 1, Start: &runbook.StartInfo{JobID: "x"}}
	if _, err := m.rel.JobFor(ev); err == nil {
		t.Fatal("a local step was given the remote executor")
	}
}
