package runbook

import (
	"fmt"
	"time"
)

// Output is most of a journal, and fsyncing every batch of it bound a
// fast step by the disk's fsync latency (one fsync per 2,000 lines, each
// waiting for the batch to reach the disk). Output does not need that:
// the job's output stays in files on the host until golive forgets the job,
// which it does only after step.exited is journaled with Append (whose
// fsync covers every record before it), and a resume reattaches from the
// last output offset the journal holds. So output is written at once (it
// survives golive crashing: it is in the kernel) and fsynced in the
// background, at most lazySyncDelay later; only a crash of the machine
// itself can lose that last moment, and the host still has it.

// lazySyncDelay bounds how long a record written by AppendLazy waits for
// its fsync.
const lazySyncDelay = 100 * time.Millisecond

// AppendLazy is Append without waiting for the fsync: the events are
// written (one write) and stamped exactly as Append would, and fsynced by a
// background fsync within lazySyncDelay, or earlier by the next Append,
// Sync or Close. Use it for step output only: events that can be fetched
// again from the host after a crash of the machine. Anything a resume or a
// reviewer relies on (a step started or exited, a sign-off) goes through
// Append. A failed background fsync makes every later call fail, as a
// failed Append does.
func (j *Journal) AppendLazy(evs ...Event) ([]Event, error) {
	return j.append(evs, false)
}

// Sync fsyncs whatever AppendLazy wrote and returns the journal's sticky
// error, if any. It waits for a background fsync under way, which has
// already cleared dirty: returning before it ends would claim records
// durable that are not yet, and miss its error.
func (j *Journal) Sync() error {
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return ErrJournalClosed
	}
	if j.err != nil {
		return j.err
	}
	if !j.dirty {
		return nil
	}
	return j.syncLocked()
}

// syncLocked fsyncs the file (j.mu held); a failure is sticky.
func (j *Journal) syncLocked() error {
	if j.noSync {
		j.dirty = false
		return nil
	}
	if err := j.f.Sync(); err != nil {
		return j.fail(fmt.Errorf("journal: fsync %s: %w", j.path, err))
	}
	j.dirty = false
	return nil
}

// armSync makes sure a background fsync comes within lazySyncDelay (j.mu
// held).
func (j *Journal) armSync() {
	if j.armed {
		return
	}
	j.armed = true
	if j.timer == nil {
		j.timer = time.AfterFunc(lazySyncDelay, j.bgSync)
		return
	}
	j.timer.Reset(lazySyncDelay)
}

// bgSync is the background fsync. It holds syncMu, not mu, across the
// fsync, so that appends are not held up by it; Close waits for it.
func (j *Journal) bgSync() {
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	j.mu.Lock()
	j.armed = false
	f := j.f
	if f == nil || !j.dirty || j.err != nil || j.noSync {
		j.mu.Unlock()
		return
	}
	j.dirty = false
	durable := j.size // once the fsync returns
	j.mu.Unlock()
	if err := f.Sync(); err == nil {
		// Everything before durable is on disk now, whatever fsync
		// made it so (this one or an Append's): drop it behind.
		dropBehind(f, &j.dropped, durable)
	} else {
		j.mu.Lock()
		if j.err == nil {
			// The kernel may have dropped written records: stop, as a
			// failed Append does. Nothing is cut: the records are whole.
			j.err = fmt.Errorf("journal: fsync %s: %w", j.path, err)
		}
		j.mu.Unlock()
	}
}
