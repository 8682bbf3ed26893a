package sshexec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// openRetries bounds retries of a refused session open ("open failed":
// sshd's MaxSessions reached, often by sessions still closing).
const openRetries = 10

// exec implements transport: it runs cmd with /bin/sh (posixShell) in a
// new session (no PTY) on the shared connection, at most MaxSessions at a
// time.
func (c *Client) exec(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	l, err := c.current()
	if err != nil {
		return -1, err
	}
	if l.dead() {
		return -1, fmt.Errorf("run on %s: %w: %v", c.Name(), errConnLost, l.why())
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return -1, ctx.Err()
	case <-l.done:
		return -1, fmt.Errorf("run on %s: %w: %v", c.Name(), errConnLost, l.why())
	}
	defer func() { <-c.sem }()

	sess, err := c.openSession(ctx, l)
	if err != nil {
		return -1, err
	}
	defer c.sessionClosed(sess)
	outPipe, err := sess.StdoutPipe()
	if err != nil {
		return -1, fmt.Errorf("run on %s: %w", c.Name(), err)
	}
	errPipe, err := sess.StderrPipe()
	if err != nil {
		return -1, fmt.Errorf("run on %s: %w", c.Name(), err)
	}
	var in io.WriteCloser
	if stdin != nil {
		if in, err = sess.StdinPipe(); err != nil {
			return -1, fmt.Errorf("run on %s: %w", c.Name(), err)
		}
	}
	if err := sess.Start(posixShell(cmd)); err != nil {
		return -1, c.sessionErr(ctx, l, err)
	}
	if in != nil {
		// Not waited for: a stdin that never ends must not hold the result.
		go func() {
			_, _ = io.Copy(in, stdin)
			in.Close()
		}()
	}
	// Both streams are read to EOF before Wait: they share one window, and
	// a stream nobody reads stalls the command.
	out := &gate{}
	var wg sync.WaitGroup
	wg.Add(2)
	go out.copy(&wg, stdout, outPipe)
	go out.copy(&wg, stderr, errPipe)
	finished := make(chan error, 1)
	go func() {
		wg.Wait()
		finished <- sess.Wait()
	}()
	select {
	case err = <-finished:
	case <-ctx.Done():
		// Without a PTY sshd keeps the channel until the command ends, so
		// stop waiting here: the caller's writers get nothing more, and the
		// session closes in the background.
		out.shut()
		sess.Close()
		return -1, ctx.Err()
	}
	if ctx.Err() != nil {
		return -1, ctx.Err()
	}
	if code, sig, ok := exitStatus(err); ok {
		return code, nil
	} else if sig != "" {
		return -1, fmt.Errorf("run on %s: killed by signal %s", c.Name(), sig)
	}
	return -1, c.sessionErr(ctx, l, err)
}

// exitStatus reads how a finished command ended from its Wait error, the
// same way for a new session, a spare one and a local process: nil is 0,
// an exit status is itself, a known signal is 128+n as a shell reports it.
// ok is false when err is something else (a broken link), or a signal
// golive has no number for (then named in sig).
func exitStatus(err error) (code int, sig string, ok bool) {
	if err == nil {
		return 0, "", true
	}
	var se *ssh.ExitError
	if errors.As(err, &se) {
		if sig := se.Signal(); sig != "" {
			if n, known := signalNumbers[sig]; known {
				return 128 + n, "", true
			}
			return -1, sig, false
		}
		return se.ExitStatus(), "", true
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, isWS := ee.Sys().(syscall.WaitStatus); isWS && ws.Signaled() {
			return 128 + int(ws.Signal()), "", true
		}
		return ee.ExitCode(), "", true
	}
	return -1, "", false
}

// sessionErr classifies a session failure: errConnLost when the link died
// (the command's fate is then unknown), the plain error otherwise.
func (c *Client) sessionErr(ctx context.Context, l *link, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if c.lostSoon(l) {
		return fmt.Errorf("run on %s: %w: %v", c.Name(), errConnLost, l.why())
	}
	var missing *ssh.ExitMissingError
	if errors.As(err, &missing) {
		return fmt.Errorf("run on %s: exit status unknown: %w", c.Name(), err)
	}
	return fmt.Errorf("run on %s: %w", c.Name(), err)
}

// gate serialises writes of both streams to the caller's writers and can
// be shut, after which output is drained and dropped.
type gate struct {
	mu   sync.Mutex
	shot bool
}

func (g *gate) shut() {
	g.mu.Lock()
	g.shot = true
	g.mu.Unlock()
}

// Reads and writes of a session's output. x/crypto/ssh grants the server
// more window on each Read that finds more than 96 KiB received and not
// yet granted: while golive is behind a fast step that is every Read, and
// each grant is a packet written to the connection (a system call, and a
// wake-up of sshd). Reading up to copyRead at a time makes one grant per
// 128 KiB instead of per 32 KiB (x/crypto/ssh's adjustWindow: 0.12 -> 0.05
// CPU s over three 200 MB runs); the writers still get at most copyWrite
// bytes at a time, the size the line splitter's batches are made for.
const (
	copyRead  = 128 << 10
	copyWrite = 32 << 10
)

// copy copies r to w (dropped when w is nil, fails or the gate is shut),
// always reading r to EOF so the remote command never stalls.
func (g *gate) copy(wg *sync.WaitGroup, w io.Writer, r io.Reader) {
	defer wg.Done()
	buf := make([]byte, copyRead)
	for {
		n, err := r.Read(buf)
		if n > 0 && w != nil {
			g.mu.Lock()
			for p := buf[:n]; len(p) > 0 && w != nil && !g.shot; {
				k := min(len(p), copyWrite)
				if _, werr := w.Write(p[:k]); werr != nil {
					w = nil
				}
				p = p[k:]
			}
			g.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// openSession opens a session, retrying "open failed" with backoff, and
// gives up when ctx is done or the link dies.
func (c *Client) openSession(ctx context.Context, l *link) (*ssh.Session, error) {
	type res struct {
		s   *ssh.Session
		err error
	}
	delay := 50 * time.Millisecond
	tries := 0
	for attempt := 1; ; attempt++ {
		ch := make(chan res, 1)
		go func() {
			s, err := l.client.NewSession()
			ch <- res{s, err}
		}()
		abandon := func() {
			go func() {
				if r := <-ch; r.s != nil {
					r.s.Close()
				}
			}()
		}
		var r res
		select {
		case r = <-ch:
		case <-ctx.Done():
			abandon()
			return nil, ctx.Err()
		case <-l.done:
			abandon()
			return nil, fmt.Errorf("open session on %s: %w: %v", c.Name(), errConnLost, l.why())
		}
		if r.err == nil {
			c.sessionOpened()
			return r.s, nil
		}
		var oce *ssh.OpenChannelError
		if !errors.As(r.err, &oce) {
			if c.lostSoon(l) {
				return nil, fmt.Errorf("open session on %s: %w: %v", c.Name(), errConnLost, l.why())
			}
			return nil, fmt.Errorf("open session on %s: %w", c.Name(), r.err)
		}
		// The server is full. While our own sessions are open, one of them
		// ending frees a slot: wait for that, without counting the try. With
		// none open, sessions that linger on the server (commands still
		// running) hold the slots: retry a bounded number of times.
		freed, others := c.waitFree()
		if others == 0 {
			tries++
		}
		if tries >= openRetries {
			return nil, fmt.Errorf("open session on %s: %w (after %d tries; sshd's MaxSessions may be lower than golive's --max-sessions, or earlier commands still hold sessions)", c.Name(), r.err, attempt)
		}
		select {
		case <-freed:
		case <-time.After(delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		delay = min(2*delay, time.Second)
	}
}

// sessionOpened counts an open session of ours.
func (c *Client) sessionOpened() {
	c.smu.Lock()
	c.open++
	c.smu.Unlock()
}

// sessionClosed closes s and wakes those waiting for a free slot.
func (c *Client) sessionClosed(s *ssh.Session) {
	s.Close()
	c.smu.Lock()
	c.open--
	c.smu.Unlock()
	c.wakeFree()
}

// wakeFree wakes the opens waiting for a free slot (waitFree).
func (c *Client) wakeFree() {
	c.smu.Lock()
	if c.freed != nil {
		close(c.freed)
		c.freed = nil
	}
	c.smu.Unlock()
}

// waitFree returns a channel closed when one of our sessions closes, and
// how many of ours are open now.
func (c *Client) waitFree() (<-chan struct{}, int) {
	c.smu.Lock()
	defer c.smu.Unlock()
	if c.freed == nil {
		c.freed = make(chan struct{})
	}
	return c.freed, c.open
}

var signalNumbers = map[string]int{
	"HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8,
	"KILL": 9, "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15,
}

// name implements transport.
func (c *Client) name() string { return c.Name() }

// close implements transport.
func (c *Client) close() error { return c.Close() }

// lostSoon reports whether the link dies within a moment: a dropped link
// fails sessions slightly before Wait on the connection returns.
func (c *Client) lostSoon(l *link) bool {
	select {
	case <-l.done:
		return true
	case <-time.After(2 * time.Second):
		return false
	}
}
