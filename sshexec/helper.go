package sshexec

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// The Go side of the helper (helperscript.go): one per runner, started on
// first use and again after it ended or the link was re-established.

// helperAckTimeout bounds the wait for the helper's answer to a launch; a
// helper that does not answer (frozen) is dropped, and the runner looks
// on the host whether the job started.
const helperAckTimeout = 20 * time.Second

// followDelay is how long a launched job may take before a follower
// session starts streaming its output. A job that ends sooner costs no
// follower at all: the helper tells its end, and sends back its output
// when it printed maxDump bytes or less. (A variable for the tests.)
var followDelay = 30 * time.Millisecond

// helper is a running helper and the requests waiting for its answers.
type helper struct {
	s     *stream
	nonce string
	gen   uint64 // the runner's link generation when it started

	wmu sync.Mutex // one request at a time on its stdin

	mu     sync.Mutex
	waits  map[string]chan answer // "L id" / "F id" / "D id" -> answers
	failed string                 // why the helper cannot work here
	lost   bool                   // its end was the link's
	dead   chan struct{}          // closed when its stdout ended
}

// answer is one answer of the helper: its fields after the nonce, and
// for "data" the output that came with it.
type answer struct {
	f        []string
	out, err []byte
}

// startHelper starts a helper on r's host.
func (r *runner) startHelper(ctx context.Context) (*helper, error) {
	nonce := newToken()
	gen := r.gen.Load()
	s, err := r.t.start(ctx, helperCmd(r.root, nonce))
	if err != nil {
		return nil, err
	}
	h := &helper{s: s, nonce: nonce, gen: gen, waits: map[string]chan answer{}, dead: make(chan struct{})}
	go h.read(true)
	go h.read(false)
	return h, nil
}

// helper returns the runner's helper, starting one if there is none or
// the one there ended or belongs to an earlier connection. It returns
// errNoStream when the transport cannot run one, or the runner is closed
// (a helper started then would never be stopped).
func (r *runner) helper(ctx context.Context) (*helper, error) {
	r.hmu.Lock()
	defer r.hmu.Unlock()
	if r.closed {
		return nil, errNoStream
	}
	if h := r.h; h != nil {
		if !h.ended() && h.gen == r.gen.Load() {
			return h, nil
		}
		h.s.stop()
		r.h = nil
	}
	if r.noStream {
		return nil, errNoStream
	}
	h, err := r.startHelper(ctx)
	if errors.Is(err, errNoStream) {
		r.noStream = true
	}
	if err != nil {
		return nil, err
	}
	r.h = h
	if r.spares {
		go r.refillSpare() // a follower will want one
	}
	return h, nil
}

// Prestart starts the helper of ex, an executor made by Client.Executor
// or NewLocal (or one wrapping it, with an Unwrap method), in the
// background: the first Run then finds it ready, and a spare session
// started, instead of waiting for a login shell. Connecting, then
// creating the journal while the helper starts, saves that wait once per
// release. A failure is left for Run to meet and report.
func Prestart(ex Executor) {
	for {
		u, ok := ex.(interface{ Unwrap() Executor })
		if !ok {
			break
		}
		ex = u.Unwrap()
	}
	r, ok := ex.(*runner)
	if !ok {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), helperAckTimeout)
		defer cancel()
		_, _ = r.helper(ctx)
	}()
}

// dropHelper stops h if it is still the runner's helper (it stopped
// answering).
func (r *runner) dropHelper(h *helper) {
	r.hmu.Lock()
	if r.h == h {
		r.h = nil
	}
	r.hmu.Unlock()
	h.s.stop()
}

// closeHelper stops the helper, if any (Close), and starts no more (a
// Prestart still under way). Jobs it started keep running.
func (r *runner) closeHelper() {
	r.hmu.Lock()
	h := r.h
	r.h, r.closed = nil, true
	r.hmu.Unlock()
	if h != nil {
		_ = h.s.in.Close()
		h.s.stop()
		// Wait a moment for the helper to end (nothing else waits for
		// it), so that one still starting (its mkdir of the jobs
		// directory) does not outlive Close; a dead link does not hold
		// Close longer than helperCloseWait.
		ended := make(chan struct{})
		go func() { _ = h.s.wait(); close(ended) }()
		t := time.NewTimer(helperCloseWait)
		select {
		case <-ended:
		case <-t.C:
		}
		t.Stop()
	}
}

// helperCloseWait bounds how long Close waits for the helper to end.
const helperCloseWait = time.Second

func (h *helper) ended() bool {
	select {
	case <-h.dead:
		return true
	default:
		return false
	}
}

// read dispatches the answers on the helper's stdout (main) or the exit
// notices on its stderr. The end of stdout is the end of the helper.
func (h *helper) read(main bool) {
	src := h.s.errs
	if main {
		src = h.s.out
	}
	br := bufio.NewReaderSize(src, 4096)
answers:
	for {
		line, err := readLine(br)
		if err != nil {
			break
		}
		rest, ok := strings.CutPrefix(line, h.nonce+" ")
		if !ok {
			continue // not ours: a login script's chatter
		}
		f := strings.Fields(rest)
		if len(f) < 2 || (f[0] == "exit") == main {
			continue
		}
		switch f[0] {
		case "fail":
			if f[1] == "-" {
				h.mu.Lock()
				h.failed = strings.TrimSpace(strings.TrimPrefix(rest, "fail -"))
				h.mu.Unlock()
				continue
			}
			f = append(f[:2], strings.TrimSpace(strings.TrimPrefix(rest, "fail "+f[1])))
		case "ready":
			continue
		}
		a := answer{f: f}
		key := "L " + f[1]
		switch f[0] {
		case "forgot":
			key = "F " + f[1]
		case "big":
			key = "D " + f[1]
		case "data":
			key = "D " + f[1]
			if a.out, a.err, err = readData(br, f); err != nil {
				// The answers are out of step with the stream: a helper
				// that cannot be understood any more ends here.
				break answers
			}
		}
		h.mu.Lock()
		ch := h.waits[key]
		h.mu.Unlock()
		if ch != nil {
			select {
			case ch <- a:
			default:
			}
		}
	}
	if !main {
		return
	}
	lost := h.s.lost()
	h.mu.Lock()
	h.lost = lost
	h.mu.Unlock()
	close(h.dead)
	h.s.stop()
}

// readData reads the output that follows a data answer (data <id>
// <mark>): out's bytes up to the mark, err's up to the mark again, and
// a newline. Neither may be longer than maxDump+1 bytes (the helper sends
// no more). An error means the stream can no longer be read as answers.
func readData(br *bufio.Reader, f []string) (out, errb []byte, err error) {
	if len(f) < 3 || len(f[2]) < 16 {
		return nil, nil, fmt.Errorf("bad data answer %q", f)
	}
	mark := []byte(f[2])
	if out, err = readMarked(br, mark); err != nil {
		return nil, nil, err
	}
	if errb, err = readMarked(br, mark); err != nil {
		return nil, nil, err
	}
	if b, err := br.ReadByte(); err != nil || b != '\n' {
		return nil, nil, fmt.Errorf("data of %s does not end with a newline", f[1])
	}
	return out, errb, nil
}

// readMarked reads up to mark, which it consumes, and returns what came
// before it: at most maxDump+1 bytes.
func readMarked(br *bufio.Reader, mark []byte) ([]byte, error) {
	var b []byte
	last := mark[len(mark)-1]
	for len(b) < maxDump+1+len(mark) {
		c, err := br.ReadByte()
		if err != nil {
			return nil, err
		}
		b = append(b, c)
		if c == last && bytes.HasSuffix(b, mark) {
			return b[:len(b)-len(mark)], nil
		}
	}
	return nil, errors.New("data longer than asked for")
}

// readLine reads one line without its newline. A line longer than the
// reader's buffer is not an answer (they are short): it is skipped whole,
// so that a login script's long chatter cannot stop the reading.
func readLine(br *bufio.Reader) (string, error) {
	long := false
	for {
		b, err := br.ReadSlice('\n')
		switch {
		case err == bufio.ErrBufferFull:
			long = true
			continue
		case err != nil:
			return "", err
		case long:
			long = false
			continue
		}
		return string(b[:len(b)-1]), nil
	}
}

// request sends req and returns the channel its answers arrive on; done
// must be called when no more are wanted.
func (h *helper) request(key string, req []byte) (answers <-chan answer, done func(), err error) {
	ch := make(chan answer, 4)
	h.mu.Lock()
	if _, busy := h.waits[key]; busy {
		h.mu.Unlock()
		return nil, nil, fmt.Errorf("sshexec: %s is already under way", key)
	}
	h.waits[key] = ch
	h.mu.Unlock()
	done = func() {
		h.mu.Lock()
		delete(h.waits, key)
		h.mu.Unlock()
	}
	h.wmu.Lock()
	_, err = h.s.in.Write(req)
	h.wmu.Unlock()
	if err != nil {
		done()
		return nil, nil, h.gone()
	}
	return ch, done, nil
}

// gone says why the helper is not answering: the link broke (wrapping
// errConnLost), it could not work on this host, or it ended.
func (h *helper) gone() error {
	select {
	case <-h.dead:
	case <-time.After(time.Second):
		return errHelperGone
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.lost:
		return fmt.Errorf("the helper's channel ended: %w", errConnLost)
	case h.failed != "":
		return &helperFailed{msg: h.failed}
	}
	return errHelperGone
}

// helperFailed: the helper said it cannot work on this host.
type helperFailed struct{ msg string }

func (e *helperFailed) Error() string { return e.msg }
