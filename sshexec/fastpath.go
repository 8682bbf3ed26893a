package sshexec

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Launching and forgetting through the helper (helper.go): the fast path
// of a step. Sudo jobs and transports without a helper use a session per
// launch (launchCmd) instead; both leave the same job directory, so
// following, Attach, Cancel and Forget work on either.

// maxHelperScript bounds the script and environment sent to the helper:
// its shell reads them a byte at a time and appends line by line, which
// grows with the square of the size (300 KB took seconds). Larger ones go
// through a session launch, whose script file is unlinked as soon as the
// job's shell opened it (as for sudo jobs).
const maxHelperScript = 32 << 10

// maxDump bounds the output the helper sends back itself for a job that
// ended within followDelay (helperDump): a step printing a few thousand
// lines then costs no follower session. Larger output is followed.
const maxDump = 64 << 10

// helperAttempt launches l's job through the helper, then waits up to
// followDelay for its end. It returns the same attempt as attemptOnce,
// with state "follow" when a follower must take over (the job runs on, or
// it printed more than the helper sends back), and ended set when the job
// ended: its exit record then comes from the helper's notice, its output,
// if any, from the helper too (helperDump), and its end time from the
// local clock (the host's would cost an exec). An error wrapping
// errNoStream means there is no helper: launch through a session.
func (r *runner) helperAttempt(ctx context.Context, f *follower, l *launch) (attempt, error) {
	h, err := r.helper(ctx)
	if err != nil {
		return attempt{}, err
	}
	req := launchRequest(l.spec, l.env, f.token)
	defer clear(req)
	ans, done, err := h.request("L "+f.id, req)
	if err != nil {
		return r.helperGone(h, err, false)
	}
	defer done()
	timer := time.NewTimer(helperAckTimeout)
	defer timer.Stop()
	started := false
	for {
		select {
		case <-ctx.Done():
			return attempt{started: started}, ctx.Err()
		case <-h.dead:
			return r.helperGone(h, h.gone(), started)
		case <-timer.C:
			if !started {
				// A helper that does not answer is dropped; whether the
				// job started is then looked up on the host.
				r.dropHelper(h)
				return attempt{}, nil
			}
			return r.raceFollower(ctx, f, h, ans)
		case a := <-ans:
			m := a.f
			switch m[0] {
			case "ack":
				started = true
				f.confirm()
				timer.Reset(followDelay)
			case "exit":
				f.confirm() // no ack came before (a short answer): the exit says it ran
				ex := exitNotice(m)
				if ex.state == "follow" && len(m) >= 8 {
					if da, ok := r.helperDump(ctx, f, h, m); ok {
						return da, nil
					}
				}
				return ex, nil
			case "exists":
				if len(m) > 2 && m[2] == f.token {
					// Our own launch, cut off earlier, made it.
					f.confirm()
					return attempt{started: true, state: "follow"}, nil
				}
				return attempt{state: "exists"}, nil
			case "short":
				return attempt{state: "short"}, nil
			case "fail":
				msg := ""
				if len(m) > 2 {
					msg = m[2]
				}
				return attempt{state: "startfail", msg: msg}, nil
			}
		}
	}
}

// raceFollower follows a job that outlived followDelay, while still
// listening for its exit notice: a job that then ends without output is
// done at once, its follower (still starting, on a loaded host) dropped.
// Otherwise the follower's report is the attempt.
func (r *runner) raceFollower(ctx context.Context, f *follower, h *helper, ans <-chan answer) (attempt, error) {
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type res struct {
		a   attempt
		err error
	}
	done := make(chan res, 1)
	go func() {
		a, err := r.attemptOnce(fctx, f, nil)
		a.started = true // the helper acknowledged the start, whatever the follower saw
		done <- res{a, err}
	}()
	for {
		select {
		case fr := <-done:
			return fr.a, fr.err
		case m := <-ans:
			if m.f[0] != "exit" {
				continue
			}
			if a := exitNotice(m.f); a.ended {
				cancel()
				<-done // the follower wrote nothing (there is nothing) and is gone
				return a, nil
			}
		case <-h.dead:
			ans = nil // the follower alone reports
		}
	}
}

// helperDump asks the helper for the output of f's job, which ended
// (notice m) with output, and delivers it: the bytes of out and err from
// offset 0, so that offsets stay those of the files and a reattach
// resumes where this left off. The helper reads them with head (one exec
// a stream, and none for an empty one) and ends each with a random mark
// sent with the request, which nothing on the host knew when the output
// was written. ok is false when the helper sent nothing usable (more
// than maxDump, a stream said to hold output came back empty, the helper
// gone or slow, the streams not at their start): a follower then reads
// the files as for any job. The end time is the local clock's (the host's
// would cost an exec). A ctx that ends while the lines are delivered
// leaves ok true: follow sees ctx.
func (r *runner) helperDump(ctx context.Context, f *follower, h *helper, m []string) (attempt, bool) {
	if f.stdout.start() != 0 || f.stderr.start() != 0 {
		return attempt{}, false
	}
	req := fmt.Sprintf("D %s %d %s %s %s\n", f.id, maxDump+1, m[4], m[5], newToken())
	ans, done, err := h.request("D "+f.id, []byte(req))
	if err != nil {
		return attempt{}, false
	}
	defer done()
	timer := time.NewTimer(helperAckTimeout)
	defer timer.Stop()
	var d answer
	select {
	case d = <-ans:
	case <-h.dead:
		return attempt{}, false
	case <-ctx.Done():
		return attempt{}, false
	case <-timer.C:
		r.dropHelper(h)
		return attempt{}, false
	}
	if d.f[0] != "data" || len(d.out) > maxDump || len(d.err) > maxDump ||
		(m[4] == "1") != (len(d.out) > 0) || (m[5] == "1") != (len(d.err) > 0) {
		return attempt{}, false
	}
	a := attempt{started: true, ended: true, exit: m[2:4], timed: m[6] == "1", canceled: m[7] == "1",
		outSize: int64(len(d.out)), errSize: int64(len(d.err)), endedAt: time.Now()}
	if _, err := f.stdout.Write(d.out); err == nil {
		_, _ = f.stderr.Write(d.err)
	}
	return a, true
}

// exitNotice reads a wrapper's exit notice: exit <id> <status> <sig>
// <out?> <err?> <timedout?> <canceled?>.
func exitNotice(m []string) attempt {
	if len(m) < 8 || m[4] != "0" || m[5] != "0" {
		return attempt{started: true, state: "follow"} // output to read: follow
	}
	return attempt{started: true, ended: true, exit: m[2:4], endedAt: time.Now(),
		timed: m[6] == "1", canceled: m[7] == "1"}
}

// helperGone turns the end of the helper during a launch into an
// attempt: the link broke (the error wraps errConnLost: reconnect), the
// helper cannot work on this host (startfail), or it ended (follow the job
// if it started, else look whether it did).
func (r *runner) helperGone(h *helper, err error, started bool) (attempt, error) {
	r.dropHelper(h)
	var hf *helperFailed
	switch {
	case errors.Is(err, errConnLost):
		return attempt{started: started}, err
	case errors.As(err, &hf):
		return attempt{state: "startfail", msg: hf.msg}, nil
	case started:
		return attempt{started: true, state: "follow"}, nil
	}
	return attempt{}, nil
}

// helperForget forgets job id through the helper. handled is false when
// the helper could not decide (no helper, a sudo job, the helper ended):
// the caller then forgets through a session.
func (r *runner) helperForget(ctx context.Context, id, where string) (handled bool, err error) {
	h, err := r.helper(ctx)
	if err != nil {
		return false, nil
	}
	ans, done, err := h.request("F "+id, []byte("F "+id+"\n"))
	if err != nil {
		return false, nil
	}
	defer done()
	select {
	case a := <-ans:
		switch a.f[len(a.f)-1] {
		case "removed", "gone":
			return true, nil
		case "running":
			return true, fmt.Errorf("sshexec: cannot forget %s: it is still running; cancel it or wait for its end: %w", where, ErrJobRunning)
		}
		return false, nil
	case <-h.dead:
		return false, nil
	case <-ctx.Done():
		return true, fmt.Errorf("sshexec: could not remove the directory of %s: %w", where, ctx.Err())
	case <-time.After(helperAckTimeout):
		r.dropHelper(h)
		return false, nil
	}
}
