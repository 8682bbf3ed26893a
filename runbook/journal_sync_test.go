package runbook

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// AppendLazy stamps and writes like Append, leaves the fsync to the
// background syncer (which runs within lazySyncDelay), and what it wrote
// reads back after Close with an unbroken chain that Append continues.
func TestJournalAppendLazy(t *testing.T) {
	j, err := CreateJournal(t.TempDir(), "lazy")
	if err != nil {
		t.Fatal(err)
	}
	evs := sampleEvents(9)
	var want []Event
	for i, ev := range evs {
		appendFn := j.Append
		if ev.Type == EvOutput {
			appendFn = j.AppendLazy
		}
		got, err := appendFn(ev)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		want = append(want, got...)
		j.mu.Lock()
		dirty := j.dirty
		j.mu.Unlock()
		if dirty != (ev.Type == EvOutput) {
			t.Fatalf("after %s: dirty %v", ev.Type, dirty)
		}
	}
	if _, err := j.AppendLazy(sampleEvents(3)[2]); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		j.mu.Lock()
		dirty, armed := j.dirty, j.armed
		j.mu.Unlock()
		if !dirty && !armed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the background fsync never ran")
		}
		time.Sleep(lazySyncDelay / 4)
	}
	last, err := j.AppendLazy(Event{Type: EvOutput, Step: "step-9", Attempt: 1, Lines: []OutputLine{{Stream: StreamStdout, Text: "tail"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Sync(); !errors.Is(err, ErrJournalClosed) {
		t.Fatalf("Sync after Close: %v, want ErrJournalClosed", err)
	}
	if _, err := j.AppendLazy(evs[0]); !errors.Is(err, ErrJournalClosed) {
		t.Fatalf("AppendLazy after Close: %v, want ErrJournalClosed", err)
	}
	j2, got, err := OpenJournal(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	if len(got) != len(want)+2 || got[len(got)-1].Hash != last[0].Hash {
		t.Fatalf("reopened %d events, want %d ending in %.12s", len(got), len(want)+2, last[0].Hash)
	}
	if !reflect.DeepEqual(normTimes(got[:len(want)]), normTimes(want)) {
		t.Fatal("reopened events differ from the appended ones")
	}
	if err := VerifyChain(got); err != nil {
		t.Fatal(err)
	}
}

// Sync waits for a background fsync under way (syncMu held, dirty already
// cleared) instead of reporting the records durable before it ends.
func TestJournalSyncWaitsForBackgroundFsync(t *testing.T) {
	j, err := CreateJournal(t.TempDir(), "lazy-wait")
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if _, err := j.AppendLazy(sampleEvents(3)[2]); err != nil {
		t.Fatal(err)
	}
	j.syncMu.Lock() // what bgSync holds across its fsync
	j.mu.Lock()
	j.dirty = false // as bgSync leaves it before the fsync
	j.mu.Unlock()
	done := make(chan error, 1)
	go func() { done <- j.Sync() }()
	select {
	case err := <-done:
		j.syncMu.Unlock()
		t.Fatalf("Sync returned (%v) while a background fsync was under way", err)
	case <-time.After(200 * time.Millisecond):
	}
	j.syncMu.Unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
