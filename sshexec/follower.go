package sshexec

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// follower is the state of one Run or Attach: the two splitters persist
// across reconnects so no byte is delivered twice or skipped.
type follower struct {
	id, token      string
	out            chan<- []Line
	ctx            context.Context
	stdout, stderr *splitter
	done           chan struct{} // closed when Run/Attach returns
	mu             sync.Mutex
	closed         bool
	cancels        []chan struct{} // Cancels of this job in progress
	launched       time.Time       // when the host confirmed the start (confirm)
	confirmed      sync.Once       // confirm's send
}

// send hands batch (non-empty, the receiver's from now on) to Run's or
// Attach's caller.
func (f *follower) send(batch []Line) error {
	select {
	case f.out <- batch:
		return nil
	default:
	}
	select {
	case f.out <- batch:
		return nil
	case <-f.ctx.Done():
		return f.ctx.Err()
	case <-f.done:
		return errFollowEnded
	}
}

// errFollowEnded: a late partial line after Run or Attach returned.
var errFollowEnded = errors.New("sshexec: follow ended")

// notice sends a Notice of the given kind from the Run/Attach goroutine.
func (f *follower) notice(kind NoticeKind, msg string) {
	_ = f.send([]Line{{Stream: Notice, Kind: kind, Text: msg, Time: time.Now()}})
}

// confirm sends NoticeLaunched, once: the host confirmed that the job
// started (or, for Attach, that it found it). Run's goroutine, a
// raceFollower's and the goroutines copying the session's stdout (its
// mark) and stderr (the job's first bytes there) may all call it; a call
// returns once the notice was sent, so that no line of the job's goes
// before it.
func (f *follower) confirm() {
	f.confirmed.Do(func() {
		now := time.Now()
		f.mu.Lock()
		f.launched = now
		f.mu.Unlock()
		_ = f.send([]Line{{Stream: Notice, Kind: NoticeLaunched, Text: fmt.Sprintf("job %s started on the host", f.id), Time: now}})
	})
}

// launchedAt is when confirm first ran; zero before.
func (f *follower) launchedAt() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.launched
}

// external sends a Notice from another goroutine (Cancel); it never sends
// after Run/Attach returned.
func (f *follower) external(ctx context.Context, kind NoticeKind, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	select {
	case f.out <- []Line{{Stream: Notice, Kind: kind, Text: msg, Time: time.Now()}}:
	case <-f.done:
	case <-f.ctx.Done():
	case <-ctx.Done():
	}
}

// beginCancel tells the follower of id, if any, that a Cancel is under
// way; it waits for the returned func before returning a canceled Result,
// so that Cancel's verdict reaches its stream.
func (r *runner) beginCancel(id string) (end func()) {
	r.mu.Lock()
	f := r.active[id]
	r.mu.Unlock()
	if f == nil {
		return func() {}
	}
	ch := make(chan struct{})
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return func() {}
	}
	f.cancels = append(f.cancels, ch)
	return func() { close(ch) }
}

// waitCancels waits for the Cancels under way to finish.
func (f *follower) waitCancels() {
	f.mu.Lock()
	chs := f.cancels
	f.mu.Unlock()
	for _, ch := range chs {
		select {
		case <-ch:
		case <-f.ctx.Done():
			return
		}
	}
}

func (r *runner) register(ctx context.Context, id, token string, from Offsets, out chan<- []Line) (*follower, error) {
	f := &follower{id: id, token: token, out: out, ctx: ctx, done: make(chan struct{})}
	f.stdout = newSplitter(Stdout, from.Stdout, f.send)
	f.stderr = newSplitter(Stderr, from.Stderr, f.send)
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, busy := r.active[id]; busy {
		return nil, fmt.Errorf("sshexec: job %s on %s is already being followed by this golive", id, r.t.name())
	}
	r.active[id] = f
	return f, nil
}

func (r *runner) unregister(f *follower) {
	close(f.done)
	f.stdout.stop()
	f.stderr.stop()
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	r.mu.Lock()
	delete(r.active, f.id)
	r.mu.Unlock()
}

// noticeJob tells the Run or Attach following id, if any, about msg.
func (r *runner) noticeJob(ctx context.Context, id string, kind NoticeKind, msg string) {
	r.mu.Lock()
	f := r.active[id]
	r.mu.Unlock()
	if f != nil {
		f.external(ctx, kind, msg)
	}
}
