package sshexec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Long-lived processes on the host: the helper (helper.go) runs in one,
// started once per connection rather than once per step.

// start implements transport: it opens a session on the current
// connection and starts cmd in it. The session holds one of the
// MaxSessions slots for as long as it is open, so it is only offered when
// there are at least two; it is not counted among the sessions whose end
// frees a slot for a refused open (it does not end by itself).
func (c *Client) start(ctx context.Context, cmd string) (*stream, error) {
	if cap(c.sem) < 2 {
		return nil, errNoStream
	}
	l, err := c.current()
	if err != nil {
		return nil, err
	}
	if l.dead() {
		return nil, fmt.Errorf("start on %s: %w: %v", c.Name(), errConnLost, l.why())
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.done:
		return nil, fmt.Errorf("start on %s: %w: %v", c.Name(), errConnLost, l.why())
	}
	release := sync.OnceFunc(func() { <-c.sem })
	sess, err := c.openSession(ctx, l)
	if err != nil {
		release()
		return nil, err
	}
	c.smu.Lock()
	c.open-- // see above: not one of the sessions that end by themselves
	c.smu.Unlock()
	fail := func(err error) (*stream, error) {
		sess.Close()
		release()
		return nil, fmt.Errorf("start on %s: %w", c.Name(), err)
	}
	in, err := sess.StdinPipe()
	if err != nil {
		return fail(err)
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		return fail(err)
	}
	errs, err := sess.StderrPipe()
	if err != nil {
		return fail(err)
	}
	if err := sess.Start(posixShell(cmd)); err != nil {
		sess.Close()
		release()
		return nil, c.sessionErr(ctx, l, err)
	}
	return &stream{
		in: in, out: out, errs: errs,
		lost: func() bool {
			select {
			case <-l.done:
				return true
			case <-time.After(300 * time.Millisecond):
				return l.dead()
			}
		},
		stop: sync.OnceFunc(func() {
			sess.Close()
			release()
			c.wakeFree()
		}),
		wait: sess.Wait,
	}, nil
}

// start implements transport: cmd runs under /bin/sh in a session of its
// own (no controlling terminal, so the terminal's signals never reach it
// or the jobs it starts), on pipes.
func (localTransport) start(_ context.Context, cmd string) (*stream, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("sshexec: local helper: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		closeAll(inR, inW)
		return nil, fmt.Errorf("sshexec: local helper: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		closeAll(inR, inW, outR, outW)
		return nil, fmt.Errorf("sshexec: local helper: %w", err)
	}
	c := exec.Command("/bin/sh", "-c", cmd)
	c.Stdin, c.Stdout, c.Stderr = inR, outW, errW
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = c.Start()
	closeAll(inR, outW, errW) // the child has its copies
	if err != nil {
		closeAll(inW, outR, errR)
		return nil, fmt.Errorf("sshexec: local /bin/sh: %w", err)
	}
	done := make(chan struct{})
	var werr error
	go func() { werr = c.Wait(); close(done) }() // reap it; the pipes are ours to close
	return &stream{
		in: inW, out: outR, errs: errR,
		lost: func() bool { return false },
		stop: sync.OnceFunc(func() { closeAll(inW, outR, errR) }),
		wait: func() error { <-done; return werr },
	}, nil
}

// closeAll closes files, ignoring errors (they are pipes being dropped).
func closeAll(fs ...*os.File) {
	for _, f := range fs {
		_ = f.Close()
	}
}

// errHelperGone: the helper's stdout ended while a request waited.
var errHelperGone = errors.New("sshexec: the helper on the host ended")
