package ui

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"golive/runbook"
	"golive/sshexec"
)

// TestRunJobJournalFailsMidRun: RunJob journals on a second goroutine
// while it redacts the next batch. When the journal fails mid-run, RunJob
// returns that error, emits nothing after it, and keeps draining the
// executor so that it finishes (50,000 lines never block it).
func TestRunJobJournalFailsMidRun(t *testing.T) {
	ex := newFakeExec("web1")
	texts := make([]string, 50_000)
	for i := range texts {
		texts[i] = fmt.Sprintf("line %d", i)
	}
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, texts...)})
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
	emits, afterClose := 0, 0
	closed := false
	type result struct {
		exit *runbook.Event
		err  error
	}
	done := make(chan result, 1)
	go func() {
		exit, _, err := rel.RunJob(context.Background(), j, func(evs []runbook.Event) {
			emits++
			if closed {
				afterClose++
			}
			if emits == 1 {
				rel.Journal.Close() // the disk goes away
				closed = true
			}
		})
		done <- result{exit, err}
	}()
	select {
	case r := <-done:
		if !errors.Is(r.err, runbook.ErrJournalClosed) || r.exit != nil {
			t.Fatalf("exit %+v, err %v; want the journal's error", r.exit, r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("RunJob did not return after the journal failed")
	}
	if afterClose != 0 {
		t.Fatalf("%d batches emitted after the journal failed", afterClose)
	}
}
