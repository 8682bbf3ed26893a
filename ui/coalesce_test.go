package ui

import (
	"context"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"golive/runbook"
)

func lineEvents(from, n int) []runbook.Event {
	return []runbook.Event{{Type: runbook.EvOutput, Step: "s", Attempt: 1, Lines: outLines(runbook.StreamStdout, from, n)}}
}

// collect reads msgs to the end: the output lines in order, how many
// messages carried them, and the end message.
func collect(t *testing.T, msgs <-chan tea.Msg) (texts []string, batches int, done *runDoneMsg) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				return texts, batches, done
			}
			switch m := m.(type) {
			case runEventsMsg:
				batches++
				for _, e := range m.evs {
					for _, l := range e.Lines {
						texts = append(texts, l.Text)
					}
				}
			case runDoneMsg:
				if done != nil {
					t.Fatal("two end messages")
				}
				done = &m
			}
		case <-timeout:
			t.Fatal("the run's messages never ended")
		}
	}
}

// TestCoalescerOrderAndPacing puts 1,000 small batches as fast as it can:
// every line arrives once, in order, in far fewer messages, then exactly
// one end message, and the channel closes.
func TestCoalescerOrderAndPacing(t *testing.T) {
	c := newCoalescer(context.Background())
	msgs := make(chan tea.Msg, 1)
	go c.feed(7, msgs)
	go func() {
		for i := 0; i < 1000; i++ {
			c.put(lineEvents(i*3, 3))
		}
		c.finish(runDoneMsg{runID: 7})
	}()
	texts, batches, done := collect(t, msgs)
	if len(texts) != 3000 {
		t.Fatalf("%d lines, want 3000", len(texts))
	}
	for i, s := range texts {
		if want := outLines(runbook.StreamStdout, i, 1)[0].Text; s != want {
			t.Fatalf("line %d is %q, want %q", i, s, want)
		}
	}
	if batches >= 1000 || batches == 0 {
		t.Fatalf("%d messages for 1000 batches put at full speed: not coalesced", batches)
	}
	if done == nil || done.runID != 7 {
		t.Fatalf("end message %+v", done)
	}
}

// TestCoalescerBackpressure: past maxPendingLines, put waits for the UI
// to take what is pending.
func TestCoalescerBackpressure(t *testing.T) {
	c := newCoalescer(context.Background())
	c.put(lineEvents(0, maxPendingLines))
	put := make(chan struct{})
	go func() { c.put(lineEvents(maxPendingLines, 1)); close(put) }()
	select {
	case <-put:
		t.Fatal("put did not wait with maxPendingLines pending")
	case <-time.After(100 * time.Millisecond):
	}
	if evs, _ := c.take(); len(evs[0].Lines) != maxPendingLines {
		t.Fatalf("took %d lines", len(evs[0].Lines))
	}
	select {
	case <-put:
	case <-time.After(5 * time.Second):
		t.Fatal("put still waits after the pending lines were taken")
	}
}

// TestCoalescerQuitStillEnds: once ctx ends (quit), pending output is
// dropped (the journal has it), put no longer waits, and the end message
// still arrives.
func TestCoalescerQuitStillEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c := newCoalescer(ctx)
	msgs := make(chan tea.Msg, 1)
	c.put(lineEvents(0, maxPendingLines))
	cancel()
	c.put(lineEvents(0, 10)) // must not block
	go c.feed(3, msgs)
	time.Sleep(50 * time.Millisecond)
	c.finish(runDoneMsg{runID: 3, detached: true})
	_, _, done := collect(t, msgs)
	if done == nil || !done.detached {
		t.Fatalf("end message after quit: %+v", done)
	}
}
