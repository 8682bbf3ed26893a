package sshexec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// link is one live connection (and the jump connections under it). done is
// closed once it has ended for whatever reason.
type link struct {
	client *ssh.Client
	hops   []*ssh.Client
	done   chan struct{}
	info   ConnInfo

	mu     sync.Mutex
	reason error
}

func (c *Client) startLink(sc *ssh.Client, hops []*ssh.Client) *link {
	l := &link{client: sc, hops: hops, done: make(chan struct{})}
	go func() {
		err := sc.Wait()
		l.mu.Lock()
		if l.reason == nil {
			if err == nil || errors.Is(err, io.EOF) {
				err = errors.New("the connection was closed")
			}
			l.reason = err
		}
		l.mu.Unlock()
		for i := len(hops) - 1; i >= 0; i-- {
			hops[i].Close()
		}
		close(l.done)
	}()
	go c.keepalive(l)
	return l
}

// abort closes the link for the given reason.
func (l *link) abort(reason error) {
	l.mu.Lock()
	if l.reason == nil {
		l.reason = reason
	}
	l.mu.Unlock()
	l.client.Close()
}

func (l *link) dead() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// why says why the link ended.
func (l *link) why() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.reason == nil {
		return errors.New("the connection ended")
	}
	return l.reason
}

// keepalive sends keepalive@openssh.com with want-reply every interval; a
// probe still unanswered after countMax intervals (from when it was sent)
// closes the link, so a dead link is noticed within interval*countMax. The
// reply's ok=false (OpenSSH's answer) still means alive.
func (c *Client) keepalive(l *link) {
	t := time.NewTicker(c.interval)
	defer t.Stop()
	var pending chan error
	unanswered := 0
	for {
		select {
		case <-l.done:
			return
		case <-t.C:
		}
		if pending != nil {
			select {
			case err := <-pending:
				pending = nil
				if err != nil {
					return // the link is closing; Wait reports why
				}
			default:
				unanswered++
				if unanswered >= c.countMax {
					l.abort(fmt.Errorf("no answer to keepalives for %s", time.Duration(unanswered)*c.interval))
					return
				}
				continue
			}
		}
		pending, unanswered = make(chan error, 1), 1
		go func(p chan error) {
			_, _, err := l.client.SendRequest("keepalive@openssh.com", true, nil)
			p <- err
		}(pending)
	}
}

// current is the link in use, or an error when the client is closed.
func (c *Client) current() (*link, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.link == nil {
		return nil, fmt.Errorf("connection to %s is closed", c.Name())
	}
	return c.link, nil
}

// reconnect re-dials with the same options after the link died: the host
// keys must still verify. It retries with backoff (1s doubling to 10s) until
// ctx is done, and returns at once if another caller already reconnected.
func (c *Client) reconnect(ctx context.Context, notify notifyFunc) error {
	if notify == nil {
		notify = func(NoticeKind, string) {}
	}
	c.reconnectMu.Lock()
	defer c.reconnectMu.Unlock()
	old, err := c.current()
	if err != nil {
		return err
	}
	if !old.dead() {
		// Someone reconnected already, or the link is fine. A link that
		// looks alive but failed the caller is dropped first.
		if _, _, err := sendWithTimeout(old.client, c.interval); err == nil {
			return nil
		}
		old.abort(errors.New("the connection stopped answering"))
		<-old.done
	}
	cause := old.why()
	delay := time.Second
	for attempt := 1; ; attempt++ {
		notify(NoticeReconnecting, fmt.Sprintf("connection lost: %v; reconnecting (attempt %d)", cause, attempt))
		l, err := c.connect(ctx)
		if err == nil {
			c.mu.Lock()
			closed := c.closed
			if !closed {
				c.link = l
			}
			c.mu.Unlock()
			if closed {
				l.client.Close()
				return fmt.Errorf("connection to %s is closed", c.Name())
			}
			notify(NoticeReconnected, "reconnected")
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("reconnect to %s: %w (last error: %v)", c.Name(), ctx.Err(), err)
		}
		var he *HostKeyError
		if errors.As(err, &he) {
			return fmt.Errorf("reconnect to %s: %w", c.Name(), err)
		}
		cause = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("reconnect to %s: %w (last error: %v)", c.Name(), ctx.Err(), err)
		case <-time.After(delay):
		}
		delay = min(2*delay, 10*time.Second)
	}
}

// sendWithTimeout sends one keepalive and waits at most d for the answer.
func sendWithTimeout(sc *ssh.Client, d time.Duration) (bool, []byte, error) {
	type res struct {
		ok  bool
		b   []byte
		err error
	}
	ch := make(chan res, 1)
	go func() {
		ok, b, err := sc.SendRequest("keepalive@openssh.com", true, nil)
		ch <- res{ok, b, err}
	}()
	select {
	case r := <-ch:
		return r.ok, r.b, r.err
	case <-time.After(d):
		return false, nil, errors.New("no answer")
	}
}
