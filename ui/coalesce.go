package ui

import (
	"context"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"golive/runbook"
)

// Pacing of a run's output into the UI. Every message costs one Update and
// one View (Bubble Tea renders after each). A step printing as fast as the
// link allows would otherwise keep the UI goroutine busy with one render
// per journaled batch, and a key press would queue behind them. So output
// that trickles in reaches Update at most once per outputPace, merged into
// one message; a quiet step's first line after a pause goes at once. Once
// a full batch (maxBatchLines) is pending it goes as soon as the UI took
// the one before: waiting for the pace there capped a fast step at
// maxPendingLines per pace (32k lines per 30 ms, ~84 MB/s of 76-column
// lines) while the UI sat idle, and a batch of that size costs the UI the
// same as before, so a key press waits no longer.
const (
	outputPace = 30 * time.Millisecond
	// maxBatchLines bounds the lines of one message to the UI (about 3 ms
	// of Update on a 2-core VM).
	maxBatchLines = 32 << 10
	// maxPendingLines bounds what waits for the UI: one batch being
	// handed over and the next filling; past it RunJob (and so the
	// host's output) waits until the UI took a batch.
	maxPendingLines = 2 * maxBatchLines
)

// coalescer hands a run's journaled events from RunJob's goroutine to the
// goroutine that feeds the UI, merging batches that pile up.
type coalescer struct {
	ctx   context.Context
	mu    sync.Mutex
	cond  *sync.Cond
	evs   []runbook.Event
	lines int
	done  *runDoneMsg // the run's end, once RunJob returned
}

func newCoalescer(ctx context.Context) *coalescer {
	c := &coalescer{ctx: ctx}
	c.cond = sync.NewCond(&c.mu)
	context.AfterFunc(ctx, func() {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	return c
}

// put adds a journaled batch, waiting while too much is pending.
func (c *coalescer) put(evs []runbook.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.lines >= maxPendingLines && c.ctx.Err() == nil {
		c.cond.Wait()
	}
	if c.ctx.Err() != nil {
		return // quitting: the journal has them
	}
	c.evs = append(c.evs, evs...)
	for _, e := range evs {
		c.lines += len(e.Lines)
	}
	c.cond.Broadcast()
}

// finish records the run's end, to be delivered after every event.
func (c *coalescer) finish(d runDoneMsg) {
	c.mu.Lock()
	c.done = &d
	c.cond.Broadcast()
	c.mu.Unlock()
}

// take waits for pending events, and returns them once a full batch
// (maxBatchLines) is pending or the deadline passed, or, once they are all
// taken, the end of the run. It returns at most maxBatchLines lines' worth
// of events (whole events; one event may be larger), so that one Update
// stays short and a key press never waits behind a long one; the rest
// stays pending. After ctx ended, pending events are dropped (the journal
// has them) and take waits for the end only.
func (c *coalescer) take(deadline time.Time) (evs []runbook.Event, done *runDoneMsg) {
	if wait := time.Until(deadline); wait > 0 {
		t := time.AfterFunc(wait, func() {
			c.mu.Lock()
			c.cond.Broadcast()
			c.mu.Unlock()
		})
		defer t.Stop()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if c.ctx.Err() != nil {
			c.evs, c.lines = nil, 0
		}
		ready := c.lines >= maxBatchLines || c.done != nil || c.ctx.Err() != nil || !time.Now().Before(deadline)
		if len(c.evs) > 0 && ready {
			n, k := 0, 0
			for k < len(c.evs) && (k == 0 || n+len(c.evs[k].Lines) <= maxBatchLines) {
				n += len(c.evs[k].Lines)
				k++
			}
			evs = c.evs[:k:k]
			c.evs = c.evs[k:]
			if len(c.evs) == 0 {
				c.evs = nil
			}
			c.lines -= n
			c.cond.Broadcast()
			return evs, nil
		}
		if len(c.evs) == 0 && c.done != nil {
			return nil, c.done
		}
		c.cond.Wait()
	}
}

// feed sends the run's events to msgs, then its end, and closes msgs.
// Output that trickles in is merged and sent at most once per outputPace;
// once a full batch is pending (the step prints faster than that) it goes
// as soon as the UI took the last one, so the pace never limits
// throughput. The end is always delivered, even after ctx ended: a quit
// waits for it to know whether the job ended or was left running.
func (c *coalescer) feed(runID int, msgs chan<- tea.Msg) {
	defer close(msgs)
	var last time.Time
	for {
		evs, done := c.take(last.Add(outputPace))
		if done != nil {
			msgs <- *done
			return
		}
		select {
		case msgs <- runEventsMsg{runID: runID, evs: evs}:
		case <-c.ctx.Done(): // quitting: the journal has them
		}
		last = time.Now()
	}
}
