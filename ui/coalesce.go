package ui

import (
	"context"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"golive/runbook"
)

// Pacing of a run's output into the UI. Every message costs one Update and
// one View (Bubble Tea renders after each), and a View of the main screen
// costs milliseconds. A step printing as fast as the link allows would
// otherwise keep the UI goroutine busy with one render per journaled batch,
// and a key press would queue behind them. So output reaches Update at most
// once per outputPace: what the journal produced in between goes as one
// message. A quiet step's first line after a pause goes at once.
const (
	outputPace = 30 * time.Millisecond
	// maxPendingLines bounds what waits for the UI; past it RunJob (and
	// so the host's output) waits until the UI took the batch.
	maxPendingLines = 32 << 10
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

// take waits for pending events (all of them are returned) or, once they
// are all taken, the end of the run. After ctx ended, pending events are
// dropped (the journal has them) and take waits for the end only.
func (c *coalescer) take() (evs []runbook.Event, done *runDoneMsg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if c.ctx.Err() != nil {
			c.evs, c.lines = nil, 0
		}
		if len(c.evs) > 0 {
			evs, c.evs, c.lines = c.evs, nil, 0
			c.cond.Broadcast()
			return evs, nil
		}
		if c.done != nil {
			return nil, c.done
		}
		c.cond.Wait()
	}
}

// feed sends the run's events to msgs, at most once per outputPace, then
// its end, and closes msgs. The end is always delivered, even after ctx
// ended: a quit waits for it to know whether the job ended or was left
// running.
func (c *coalescer) feed(runID int, msgs chan<- tea.Msg) {
	defer close(msgs)
	var last time.Time
	for {
		if wait := outputPace - time.Since(last); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-c.ctx.Done():
				t.Stop()
			}
		}
		evs, done := c.take()
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
