package ui

// Tests of the fast streaming path (coalescer, the pane's tail window,
// RunJob's journaling stage): it must keep every guarantee of the slow one.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	tea "charm.land/bubbletea/v2"

	"golive/runbook"
	"golive/sshexec"
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
	if evs, _ := c.take(time.Time{}); len(evs[0].Lines) != maxPendingLines {
		t.Fatalf("took %d lines", len(evs[0].Lines))
	}
	select {
	case <-put:
	case <-time.After(5 * time.Second):
		t.Fatal("put still waits after the pending lines were taken")
	}
}

// TestCoalescerFullBatchesDoNotWait: output faster than the UI's pace
// is handed over in messages of at most maxBatchLines as soon as a full
// one is pending, not once per outputPace (which capped throughput at
// maxPendingLines per pace); a partial batch still waits for the pace.
func TestCoalescerFullBatchesDoNotWait(t *testing.T) {
	c := newCoalescer(context.Background())
	const batches = 6
	deadline := time.Now().Add(time.Hour) // the pace alone would never let go
	put := make(chan struct{})
	go func() {
		defer close(put)
		for i := 0; i < batches*maxBatchLines/1024; i++ {
			c.put(lineEvents(i*1024, 1024))
		}
	}()
	got := 0
	for k := 0; k < batches; k++ {
		var evs []runbook.Event
		took := make(chan struct{})
		go func() { evs, _ = c.take(deadline); close(took) }()
		select {
		case <-took:
		case <-time.After(5 * time.Second):
			t.Fatalf("message %d: a full batch is pending and take still waits for the pace", k)
		}
		n := 0
		for _, e := range evs {
			n += len(e.Lines)
		}
		if n != maxBatchLines {
			t.Fatalf("message %d carries %d lines, want a full batch of %d", k, n, maxBatchLines)
		}
		if first := evs[0].Lines[0].Text; first != outLines(runbook.StreamStdout, got, 1)[0].Text {
			t.Fatalf("message %d starts with %q: out of order", k, first)
		}
		got += n
	}
	<-put
	c.put(lineEvents(got, 10))
	taken := make(chan int)
	go func() {
		evs, _ := c.take(time.Now().Add(200 * time.Millisecond))
		taken <- len(evs[0].Lines)
	}()
	select {
	case n := <-taken:
		t.Fatalf("a partial batch (%d lines) went before its pace", n)
	case <-time.After(100 * time.Millisecond):
	}
	if n := <-taken; n != 10 {
		t.Fatalf("partial batch of %d lines, want 10", n)
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

// TestPaneTailWindow checks the pane's fast path: while it follows the
// output, the viewport holds only the newest few screens (a batch costs a
// few screens of work, not the whole 5,000-line ring), the newest line is
// on screen, and scrolling up still reaches the oldest line the ring
// holds; after F the fast path comes back.
func TestPaneTailWindow(t *testing.T) {
	r := newRing()
	p := newOutputPane(defaultStyles())
	p.setSize(100, 30)
	p.show("step", r)
	for i := 0; i < 4000; i += 500 {
		from := r.total
		r.add(outLines(runbook.StreamStdout, i, 500))
		p.appended(r, from)
	}
	if !p.tail {
		t.Fatal("pane at the bottom is not in tail mode")
	}
	if n := p.vp.TotalLineCount(); n >= r.len() || n > max(tailScreens*p.vp.Height(), tailMinLines) {
		t.Fatalf("viewport holds %d lines of %d while following", n, r.len())
	}
	if v := ansi.Strip(p.view()); !strings.Contains(v, "line 3999") || !strings.Contains(v, "4,000 lines") && !strings.Contains(v, "4000 lines") {
		t.Fatalf("newest line or count not shown:\n%s", v)
	}
	for i := 0; i < 1000 && !paneHas(p, "line 0"); i++ {
		p.scroll(-1)
	}
	if p.tail || !paneHas(p, "line 0") {
		t.Fatalf("scrolling up did not reach the oldest line:\n%s", ansi.Strip(p.view()))
	}
	// New output while reading up: the view stays put (full content).
	from := r.total
	r.add(outLines(runbook.StreamStdout, 4000, 10))
	p.appended(r, from)
	if p.tail || !paneHas(p, "line 0") {
		t.Fatalf("view moved while the operator read up:\n%s", ansi.Strip(p.view()))
	}
	p.follow()
	from = r.total
	r.add(outLines(runbook.StreamStdout, 4010, 10))
	p.appended(r, from)
	if !p.tail || !strings.Contains(ansi.Strip(p.view()), "line 4019") {
		t.Fatalf("after follow: tail %v\n%s", p.tail, ansi.Strip(p.view()))
	}
	// A search works over the whole ring again.
	p.query = "line 1234"
	p.matches = r.find(p.query, 0)
	p.refresh()
	if p.tail || p.vp.TotalLineCount() != r.len() || len(p.matches) != 1 {
		t.Fatalf("search: tail %v, %d lines, %d matches", p.tail, p.vp.TotalLineCount(), len(p.matches))
	}
}

// paneHas reports whether the pane shows a line whose text is exactly text.
func paneHas(p outputPane, text string) bool {
	for _, l := range strings.Split(ansi.Strip(p.view()), "\n") {
		if strings.HasSuffix(strings.TrimRight(l, " │"), "│"+text) {
			return true
		}
	}
	return false
}

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
	rel, j := checkJob(t, ex)
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
