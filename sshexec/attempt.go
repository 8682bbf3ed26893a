package sshexec

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"strconv"
	"strings"
	"time"
)

// attempt is what the host reported in one round of following.
type attempt struct {
	state            string // first failure word, "" when none
	started, ended   bool
	exit             []string
	outSize, errSize int64
	startedAt        time.Time
	endedAt          time.Time
	canceled, timed  bool
	msg              string
}

var failWords = []string{"exists", "short", "startfail", "nojob", "conflict", "nostart", "followfail"}

func parseAttempt(c *ctlWriter) attempt {
	a := attempt{msg: c.message()}
	for _, w := range failWords {
		if a.state == "" && c.has(w) {
			a.state = w
		}
	}
	// stat lines: out and err (sizes), pgid (start), exit (end).
	st := c.all("stat")
	for len(st) < 4 {
		st = append(st, nil)
	}
	a.outSize, a.errSize = statSize(st[0]), statSize(st[1])
	a.startedAt, a.endedAt = statTime(st[2]), statTime(st[3])
	if ex, ok := c.get("exit"); ok && len(ex) > 0 && len(st[1]) > 0 {
		a.ended = true
		a.exit = ex
	}
	a.canceled = c.has("canceled")
	a.timed = c.has("timedout")
	return a
}

// fill records the job's end in res. The host's record of the job's
// start and end, when a follower read both, wins over res.Started (the
// local time of the host's confirmation). Without the host's end (no
// exit file: the wrapper died), or with one before its start (a sudo
// job's exit file, made empty at its launch, that the wrapper never
// wrote), the end is now and the start stays the local one: one clock
// for both, so that Ended-Started is never negative, as it was with
// the host's start and the local end on a host whose clock is ahead.
// A helper's attempt (no startedAt) has a local endedAt.
func (a attempt) fill(res *Result) {
	res.Canceled, res.TimedOut = a.canceled, a.timed
	switch {
	case a.startedAt.IsZero():
		res.Ended = a.endedAt
	case !a.endedAt.IsZero() && !a.endedAt.Before(a.startedAt):
		res.Started, res.Ended = a.startedAt, a.endedAt
	default:
		res.Ended = time.Time{}
	}
	if res.Ended.IsZero() {
		res.Ended = time.Now()
	}
	code, err := strconv.Atoi(a.exit[0])
	if err != nil || len(a.exit) < 2 {
		res.Unknown, res.ExitCode = true, -1
		return
	}
	res.ExitCode = code
	if a.exit[1] != "-" {
		res.Signal = a.exit[1]
	}
}

func statSize(f []string) int64 {
	if len(f) < 1 {
		return 0
	}
	n, _ := strconv.ParseInt(f[0], 10, 64)
	return n
}

func statTime(f []string) time.Time {
	if len(f) < 2 {
		return time.Time{}
	}
	return unixTime(f[1])
}

func unixTime(s string) time.Time {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		return time.Time{}
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9))
}

func joinMsg(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// hostSays formats the host's own error text for an error message.
func hostSays(msg string) string {
	if msg == "" {
		return ""
	}
	return " (the host said: " + msg + ")"
}

// newToken is a random token telling this Run's job directory apart.
func newToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ctlWriter splits a follower's stderr into control lines ("golive:...")
// and other text (error messages from the host), keeping a bounded amount.
type ctlWriter struct {
	partial []byte
	ctl     []string
	other   []string
}

func (w *ctlWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(w.partial) < 4096 {
				w.partial = append(w.partial, p[:min(len(p), 4096-len(w.partial))]...)
			}
			break
		}
		w.partial = append(w.partial, p[:i]...)
		p = p[i+1:]
		w.add(string(w.partial))
		w.partial = w.partial[:0]
	}
	return n, nil
}

// ctlPrefix starts a control line; a control script's first one on each
// stream is ctlBeginWord.
const (
	ctlPrefix    = "golive:"
	ctlBeginWord = "begin"
)

func (w *ctlWriter) add(l string) {
	if rest, ok := strings.CutPrefix(l, ctlPrefix); ok {
		if rest == ctlBeginWord {
			// Whatever came before was the login shell's, not the
			// script's (ctlBegin).
			w.other = w.other[:0]
			return
		}
		w.ctl = append(w.ctl, rest)
		return
	}
	if l = strings.TrimSpace(l); l != "" && len(w.other) < 20 {
		w.other = append(w.other, validText(l))
	}
}

// has reports whether control line word (its first field) arrived.
func (w *ctlWriter) has(word string) bool {
	_, ok := w.get(word)
	return ok
}

// get returns the fields after word of the first control line starting
// with it.
func (w *ctlWriter) get(word string) ([]string, bool) {
	for _, l := range w.ctl {
		f := strings.Fields(l)
		if len(f) > 0 && f[0] == word {
			return f[1:], true
		}
	}
	return nil, false
}

// all returns the fields of every control line starting with word.
func (w *ctlWriter) all(word string) [][]string {
	var out [][]string
	for _, l := range w.ctl {
		f := strings.Fields(l)
		if len(f) > 0 && f[0] == word {
			out = append(out, f[1:])
		}
	}
	return out
}

// message is the host's own error text, for error messages.
func (w *ctlWriter) message() string {
	if len(w.partial) > 0 {
		w.add(string(w.partial))
		w.partial = nil
	}
	return strings.Join(w.other, "; ")
}

// demux splits a session's stderr: what comes before the start mark
// (when set) is dropped, then the job's stderr goes to data until the
// sentinel, everything after it to ctl. Bytes that might begin the start
// mark or the sentinel are held back until it is clear they do not; on a
// dropped link they are simply read again (data's offset never counted
// them).
//
// The start mark keeps what the host prints before our script runs out of
// the job's stderr: a login shell's startup files (.bashrc running pyenv,
// nvm, conda...) may write to the session's stderr, and those bytes, were
// they counted as the job's, would shift every stderr offset, so that a
// reattach resumes at the wrong byte (lines twice, or cut).
type demux struct {
	data     io.Writer
	ctl      io.Writer
	start    []byte // startMark's bytes; nil: the data starts at once
	started  bool
	sentinel []byte
	held     []byte
	seen     bool
	// onData, if set, is called once, before the first bytes go to data:
	// the job's stderr, which only a job that runs can have written.
	onData  func()
	gotData bool // bytes went to data
}

// write hands p, if not empty, to d.data, after onData the first time.
func (d *demux) write(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	if !d.gotData && d.onData != nil {
		d.onData()
	}
	d.gotData = true
	_, err := d.data.Write(p)
	return err
}

func (d *demux) Write(p []byte) (int, error) {
	n := len(p)
	if d.seen {
		return d.ctl.Write(p)
	}
	buf := p
	if len(d.held) > 0 {
		buf = append(d.held, p...)
		d.held = nil
	}
	if !d.started && d.start != nil {
		rest, held, found := afterMark(buf, d.start)
		if !found {
			d.held = held // startup noise: dropped, but for an end that may begin the mark
			return n, nil
		}
		d.started = true
		buf = rest
		if len(buf) == 0 {
			return n, nil
		}
	}
	if i := bytes.Index(buf, d.sentinel); i >= 0 {
		if err := d.write(buf[:i]); err != nil {
			return n, err
		}
		d.seen = true
		_, err := d.ctl.Write(buf[i+len(d.sentinel):])
		return n, err
	}
	k := partialSuffix(buf, d.sentinel)
	if err := d.write(buf[:len(buf)-k]); err != nil {
		return n, err
	}
	d.held = append([]byte(nil), buf[len(buf)-k:]...)
	return n, nil
}

// afterMark finds mark in buf and returns what follows it. Without mark
// in buf, found is false and held is a copy of buf's end that may begin
// mark (to be put before the next write's bytes); the rest is dropped.
func afterMark(buf, mark []byte) (rest, held []byte, found bool) {
	if i := bytes.Index(buf, mark); i >= 0 {
		return buf[i+len(mark):], nil, true
	}
	return nil, append([]byte(nil), buf[len(buf)-partialSuffix(buf, mark):]...), false
}

// partialSuffix is the length of the longest end of b that begins sent.
func partialSuffix(b, sent []byte) int {
	for k := min(len(b), len(sent)-1); k > 0; k-- {
		if b[len(b)-k] == sent[0] && bytes.HasPrefix(sent, b[len(b)-k:]) {
			return k
		}
	}
	return 0
}

// markWriter passes on what a session's stdout carries after its mark
// (want: the nonce and a newline, which the launcher prints once the job
// started and a follower before its first byte of output) and drops what
// came before it: a login shell's startup files (.bashrc) may print on
// stdout before our script runs, and those bytes, were they counted as
// the job's, would shift every stdout offset. ok reports that the mark
// was seen; onMark, if set, runs when it is, before any byte after it
// is passed on.
type markWriter struct {
	want   string
	held   []byte // an end of the bytes dropped so far that may begin want
	ok     bool
	next   io.Writer
	onMark func()
}

func (w *markWriter) Write(p []byte) (int, error) {
	n := len(p)
	if !w.ok {
		rest, held, found := afterMark(append(w.held, p...), []byte(w.want))
		if !found {
			w.held = held
			return n, nil
		}
		w.ok, w.held = true, nil
		if w.onMark != nil {
			w.onMark()
		}
		p = rest
	}
	if len(p) == 0 {
		return n, nil
	}
	_, err := w.next.Write(p)
	return n, err
}
