package sshexec

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// Spare follower sessions. Over SSH a new session costs a round trip,
// a process forked by sshd and the user's login shell, whose startup
// files (nvm, conda, pyenv...) can take tens or hundreds of milliseconds
// more. A follower is needed exactly when a job has output to stream, so
// the runner keeps one session started ahead, its /bin/sh waiting for a
// script on stdin: a follower takes it and a new one is started in the
// background. The local executor starts followers directly (a fork).

// spareCmd is what a spare session runs: the follower's script arrives on
// its stdin, which then closes.
const spareCmd = "exec /bin/sh -s"

// spare is a started spare session and the link generation it lives on.
type spare struct {
	s   *stream
	gen uint64
}

// takeSpare returns the spare session, if one is ready on the current
// link, and starts the next one in the background.
func (r *runner) takeSpare() *stream {
	if !r.spares {
		return nil
	}
	r.hmu.Lock()
	sp := r.spare
	r.spare = nil
	r.hmu.Unlock()
	go r.refillSpare()
	if sp == nil {
		return nil
	}
	if sp.gen != r.gen.Load() {
		sp.s.stop()
		return nil
	}
	return sp.s
}

// refillSpare starts a spare session unless there is one (or one being
// started, or the runner is closed).
func (r *runner) refillSpare() {
	if !r.spareMu.TryLock() {
		return // another refill is under way
	}
	defer r.spareMu.Unlock()
	r.hmu.Lock()
	have := r.spare != nil || r.closed
	r.hmu.Unlock()
	if have {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	gen := r.gen.Load()
	s, err := r.t.start(ctx, spareCmd)
	if err != nil {
		return // followers start their own session
	}
	r.hmu.Lock()
	defer r.hmu.Unlock()
	if r.spare != nil || r.closed {
		s.stop()
		return
	}
	r.spare = &spare{s: s, gen: gen}
}

// closeSpare stops the spare session, if any.
func (r *runner) closeSpare() {
	r.hmu.Lock()
	sp := r.spare
	r.spare, r.closed = nil, true
	r.hmu.Unlock()
	if sp != nil {
		sp.s.stop()
	}
}

// execOn runs cmd on the spare sp as transport.exec runs it on a new
// session: output to stdout and stderr, the exit code, errConnLost when
// the link broke first.
func (r *runner) execOn(ctx context.Context, sp *stream, cmd string, stdout, stderr io.Writer) (int, error) {
	defer sp.stop()
	go func() {
		_, _ = io.WriteString(sp.in, cmd+"\n")
		_ = sp.in.Close()
	}()
	g := &gate{}
	var wg sync.WaitGroup
	wg.Add(2)
	go g.copy(&wg, stdout, sp.out)
	go g.copy(&wg, stderr, sp.errs)
	fin := make(chan error, 1)
	go func() {
		wg.Wait()
		fin <- sp.wait()
	}()
	var err error
	select {
	case err = <-fin:
	case <-ctx.Done():
		g.shut()
		return -1, ctx.Err()
	}
	if ctx.Err() != nil {
		return -1, ctx.Err()
	}
	if code, sig, ok := exitStatus(err); ok {
		return code, nil
	} else if sig != "" {
		return -1, fmt.Errorf("run on %s: killed by signal %s", r.t.name(), sig)
	}
	if sp.lost() {
		return -1, fmt.Errorf("run on %s: %w: %v", r.t.name(), errConnLost, err)
	}
	return -1, fmt.Errorf("run on %s: %w", r.t.name(), err)
}
