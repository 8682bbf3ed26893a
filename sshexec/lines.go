package sshexec

import (
	"bytes"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// splitter turns one stream's bytes into Lines. It is an io.Writer fed by a
// follower; it survives reconnects, so bytes are never counted twice.
//
// Rules: "\n" ends a line; a lone "\r" (a progress bar redrawing) ends a
// line too, and "\r\n" is one break; a "\r" that would end an empty line
// yields nothing (progress bars start with one), unless "\n" follows. Lines
// longer than MaxLineBytes are cut at a rune boundary. Memory is bounded by
// MaxLineBytes whatever the input. Offset counts bytes of the stream file
// exactly, so that Attach can resume where a Line ended.
//
// One Write emits at most one batch, holding every line it completed: the
// lines that lie wholly inside the written bytes share one string (one
// conversion for the whole write), and only a line that began in an
// earlier write (the carry buffer) or was cut at MaxLineBytes has a
// string of its own.
//
// Continuations: a partial line delivered after a quiet second
// (firePartial) leaves the splitter in partial (the line's end has not
// been seen) and cont (the next Line carries text of that same line). The
// first Line delivered after it, if any text comes before the line's
// break, has Cont set: the rest (" OK"), a second partial ("b..."), the
// first piece cut at MaxLineBytes, or the first line a "\r" ends. A break
// straight after the partial ends it with no Line and clears cont.
// Resuming (prime) after a byte that is no break means the line before
// the offset was delivered in part, so both are set. That byte may also
// end a piece cut at MaxLineBytes, which cannot be told apart from a
// partial: a resume there marks the next piece Cont too (readers join
// it, which is what the pieces were anyway).
type splitter struct {
	mu     sync.Mutex // Write and the quiet timer
	stream Stream
	off    int64 // file offset of the next byte to consume
	// prime: the next byte received is the one at off-1, re-read only to
	// learn whether it was a '\r' (resuming from a Line's Offset).
	prime bool
	cr    bool // last byte was a '\r' that ended a line: swallow a '\n'
	ecr   bool // last byte was a '\r' on an empty line: '\n' makes ""
	buf   []byte
	emit  func([]Line) error
	pool  *batchPool // where batches come from: the process's free list
	now   func() time.Time
	// quiet: a partial line (no newline yet) that sits this long is
	// delivered as it is, so that "Applying app.0001..." shows while the
	// migration runs; the rest follows as its own Line, marked Cont.
	// Zero: never.
	quiet   time.Duration
	timer   *time.Timer
	partial bool // the last Line was such a partial one
	cont    bool // the next Line continues a line delivered in part
	stopped bool
}

// quietPartial is how long a partial line waits before it is delivered.
const quietPartial = time.Second

// newSplitter follows stream from byte offset from; when from > 0 the
// follower must start one byte earlier (see start).
func newSplitter(s Stream, from int64, emit func([]Line) error) *splitter {
	return &splitter{stream: s, off: from, prime: from > 0, emit: emit, pool: &pool, now: time.Now, quiet: quietPartial}
}

// firePartial delivers a partial line that sat for s.quiet.
func (s *splitter) firePartial() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped || len(s.buf) == 0 {
		return
	}
	if s.emit([]Line{{Stream: s.stream, Cont: s.cont, Text: text(s.buf), Time: s.now(), Offset: s.off}}) == nil {
		s.buf = s.buf[:0]
		s.partial, s.cont = true, true
	}
}

// armPartial starts or stops the quiet timer after a Write.
func (s *splitter) armPartial() {
	switch {
	case s.quiet <= 0 || s.stopped:
	case len(s.buf) == 0:
		if s.timer != nil {
			s.timer.Stop()
		}
	case s.timer == nil:
		s.timer = time.AfterFunc(s.quiet, s.firePartial)
	default:
		s.timer.Reset(s.quiet)
	}
}

// stop ends the quiet timer; the splitter delivers nothing more from it.
func (s *splitter) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	if s.timer != nil {
		s.timer.Stop()
	}
}

// start is the file offset the follower must read from.
func (s *splitter) start() int64 {
	if s.prime {
		return s.off - 1
	}
	return s.off
}

// Write consumes p and emits the lines it completed as one batch. It
// fails only when emit does (the consumer is gone); none of p's lines
// were then delivered.
func (s *splitter) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) == 0 {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.armPartial()
	if s.prime {
		s.cr = p[0] == '\r'
		if p[0] != '\n' && p[0] != '\r' {
			// The line before the offset was delivered in part.
			s.partial, s.cont = true, true
		}
		s.prime = false
		p = p[1:]
	}
	b := lineBatch{stream: s.stream, t: s.now(), base: p, pool: s.pool}
	hasCR := bytes.IndexByte(p, '\r') >= 0
	for len(p) > 0 {
		if !hasCR && len(s.buf) == 0 && !s.cr && !s.ecr && !s.partial {
			// Nothing carried and no '\r' ahead: the plain lines go at
			// one IndexByte each; what is left (a line with no end yet,
			// or one too long) takes the general way below.
			if p = s.plainLines(&b, p); len(p) == 0 {
				break
			}
		}
		if s.cr || s.ecr {
			wasEmpty := s.ecr
			s.cr, s.ecr = false, false
			if p[0] == '\n' {
				s.off++
				p = p[1:]
				if wasEmpty {
					b.add("", s.off)
				}
				continue
			}
		}
		if s.partial && p[0] != '\n' && p[0] != '\r' {
			s.partial = false
		}
		room := MaxLineBytes - len(s.buf)
		q := p[:min(len(p), room+1)]
		var i int
		if hasCR {
			i = indexBreak(q)
		} else {
			i = bytes.IndexByte(q, '\n')
		}
		if i < 0 || i > room {
			k := min(len(p), room)
			s.buf = append(s.buf, p[:k]...)
			s.off += int64(k)
			p = p[k:]
			if len(s.buf) >= MaxLineBytes && len(p) > 0 {
				// p[0] is no break: the line is longer than
				// MaxLineBytes. (A full buffer with nothing after it
				// waits for the next byte: a '\n' there makes it a
				// line of exactly MaxLineBytes, as in one write.)
				s.cut(&b)
			}
			continue
		}
		c := p[i]
		lo := len(b.base) - len(p)
		carried := len(s.buf) > 0
		if carried {
			s.buf = append(s.buf, p[:i]...)
		}
		s.off += int64(i + 1)
		p = p[i+1:]
		if !carried && i == 0 && s.partial {
			// The end of a line already delivered in part.
			s.partial, s.cont = false, false
			s.cr = c == '\r'
			continue
		}
		s.partial = false
		if c == '\r' && !carried && i == 0 {
			s.ecr = true
			continue
		}
		s.cr = c == '\r'
		if carried {
			b.add(text(s.buf), s.off)
			s.buf = s.buf[:0]
		} else {
			b.span(lo, lo+i, s.off)
		}
	}
	if len(b.lines) == 0 {
		return n, nil
	}
	if s.cont {
		// cont is still set only if no break ended the partial line:
		// the first line of this write is its rest (or more of it).
		b.lines[0].Cont = true
		s.cont = false
	}
	return n, s.emit(b.lines)
}

// plainLines adds to b the lines of p that end in '\n' and are at most
// MaxLineBytes long, and returns the rest of p. The splitter must carry
// nothing (no buffer, no pending '\r', no partial line) and p must hold
// no '\r': then every '\n' ends a line, and a line is the bytes before
// it. UTF-8 is checked once over all of those lines; only when that finds
// a bad byte does each line get checked (and repaired as text does).
func (s *splitter) plainLines(b *lineBatch, p []byte) []byte {
	last := bytes.LastIndexByte(p, '\n')
	if last < 0 {
		return p
	}
	lo := len(b.base) - len(p)
	seg := b.from(lo)[:last+1]
	valid := utf8.ValidString(seg)
	if b.lines == nil {
		b.alloc()
	}
	off := s.off
	for {
		i := strings.IndexByte(seg, '\n')
		if i < 0 || i > MaxLineBytes {
			break
		}
		txt := seg[:i]
		if !valid {
			txt = validText(txt)
		}
		off += int64(i + 1)
		b.lines = append(b.lines, Line{Stream: b.stream, Text: txt, Time: b.t, Offset: off})
		seg = seg[i+1:]
	}
	n := int(off - s.off)
	s.off = off
	return p[n:]
}

// cut adds the first MaxLineBytes (or fewer, not to split a rune) of a
// full buffer to b as a line and keeps the rest.
func (s *splitter) cut(b *lineBatch) {
	k := cutPoint(s.buf)
	rest := len(s.buf) - k
	b.add(text(s.buf[:k]), s.off-int64(rest))
	s.buf = s.buf[:copy(s.buf, s.buf[k:])]
}

// lineBatch collects the lines one Write completes. The lines wholly
// inside the written bytes (spans) are substrings of one string, made at
// the first of them from there to the end of the write.
type lineBatch struct {
	stream Stream
	t      time.Time
	base   []byte // what Write consumes
	pool   *batchPool
	lines  []Line
	all    string // base[at:] as a string, once a span was added
	at     int
}

// add adds a line with its own text.
func (b *lineBatch) add(txt string, off int64) {
	if b.lines == nil {
		b.alloc()
	}
	b.lines = append(b.lines, Line{Stream: b.stream, Text: txt, Time: b.t, Offset: off})
}

// span adds the line base[lo:hi], replacing invalid UTF-8 as text does.
func (b *lineBatch) span(lo, hi int, off int64) {
	b.add(validText(b.from(lo)[:hi-lo]), off)
}

// from returns base[lo:] as a string: a substring of the one string the
// batch makes, at the first line that needs it, from there to the end of
// the write. lo never goes back below that first line.
func (b *lineBatch) from(lo int) string {
	if b.all == "" {
		b.all, b.at = string(b.base[lo:]), lo
	}
	return b.all[lo-b.at:]
}

// alloc makes room for as many lines as the write has breaks (the batch
// grows in the rare case of more: lines cut at MaxLineBytes), in a batch
// the receiver handed back (Recycle) when there is one big enough.
func (b *lineBatch) alloc() {
	n := bytes.Count(b.base, nl)
	if bytes.IndexByte(b.base, '\r') >= 0 {
		n += bytes.Count(b.base, cr)
	}
	b.lines = b.pool.get(n + len(b.base)/MaxLineBytes + 1)
}

var nl, cr = []byte{'\n'}, []byte{'\r'}

// flush emits a last line that had no newline; called when the job ended
// and the stream was read to its end.
func (s *splitter) flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.buf) == 0 {
		return nil
	}
	err := s.emit([]Line{{Stream: s.stream, Cont: s.cont, Text: text(s.buf), Time: s.now(), Offset: s.off}})
	s.buf = s.buf[:0]
	s.cont = false
	return err
}

// indexBreak is the index of the first '\n' or '\r' in p, or -1.
func indexBreak(p []byte) int {
	i := bytes.IndexByte(p, '\n')
	head := p
	if i >= 0 {
		head = p[:i]
	}
	if j := bytes.IndexByte(head, '\r'); j >= 0 {
		return j
	}
	return i
}

// cutPoint is where to cut b without splitting a rune at its end.
func cutPoint(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if i > 0 && !utf8.FullRune(b[i:]) {
				return i
			}
			break
		}
	}
	return len(b)
}

// text makes b a valid UTF-8 string, replacing bad bytes with U+FFFD.
func text(b []byte) string {
	return validText(string(b))
}

// validText is s with bad UTF-8 bytes replaced with U+FFFD (s itself
// when it is valid).
func validText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
