package runbook

import (
	"bytes"
	"strings"
)

// This file holds StreamRedactor.Lines, the batch way through a stream's
// redactor: a command's output comes in batches of hundreds of lines, and
// most lines of most output (base64, logs of a build, a dump) hold nothing
// to mask. Rather than search every line for each byte that may begin a
// shape, Lines searches the whole batch once per byte (its lines joined by
// '\n' in one reused buffer, vectorised IndexByte) and marks the lines
// found. Marked lines, lines where the secret set's scan finds a form, and
// lines the stream's state concerns (a key block or YAML block going on, a
// secret or shape carried from the line before, a cut 64 KiB piece) go
// through Line's own path; every other line is left as it is, at the cost
// of the secret scan and a few table lookups.

// batchSample is how many of a batch's first lines Lines looks at to tell
// prose from data: when half of them hold a byte that marks a line anyway
// (a blank, ':' or '='), the batch goes line by line at once, so that text
// rich in them pays nothing for the batch scans.
const batchSample = 8

// Lines masks the Text of each line in place, exactly as calling Line on
// each in turn would: the same masks, the same state carried from line to
// line (key blocks, YAML blocks, a secret cut across lines). It is the
// fast way for a stream's output batch. Texts holding '\n' are split as
// Line splits them.
//
// What only Lines does, as Line has no Cont: the rest of a line delivered
// in part (Cont) is read as the end of the line before it, so that a
// secret shape the pause split ("PASSWORD=" and then "hunter2", or
// "postgres://app:" and then "s3cret@db") is masked in the rest as one
// cut at a 64 KiB piece's end is; and when a stream's first line is such
// a rest (a resumed job), a head of it that finishes a known secret is
// masked (maskUnseenHead).
func (s *StreamRedactor) Lines(lines []OutputLine) {
	if len(lines) == 0 {
		return
	}
	if s.stream && !s.seen && lines[0].Cont {
		lines[0].Text = s.maskUnseenHead(lines[0].Text)
	}
	s.seen = true
	s.lines(lines)
	if s.stream {
		t := lines[len(lines)-1].Text
		s.before = t[max(0, len(t)-shapeCarry):]
	}
}

// lines is Lines but for what it keeps of the batch's last line.
func (s *StreamRedactor) lines(lines []OutputLine) {
	if !s.stream || len(lines) < 2 || s.prose(lines) {
		s.eachLine(lines)
		return
	}
	var set *secretSet
	if s.r != nil {
		set = s.r.set.Load()
	}
	if set != nil && set.hasSingle {
		s.eachLine(lines) // every byte may be a secret: no scan can skip
		return
	}
	buf := s.join(lines)
	if bytes.Count(buf, []byte{'\n'}) != len(lines)-1 {
		s.eachLine(lines) // a text holds '\n': the joined lines do not line up
		return
	}
	if !s.markAll(buf) {
		s.eachLine(lines) // most lines are hit: the scans cannot help
		return
	}
	forms := set != nil && len(set.forms) > 0
	for i := range lines {
		t := lines[i].Text
		if lines[i].Cont || s.hit[i] || !s.plain(set, t) || forms && set.next(t) >= 0 {
			s.restOf(lines, i)
			lines[i].Text = s.line(t)
			continue
		}
		// What line leaves for a line it masks nothing in.
		s.prev, s.cutTail = "", ""
		if forms && t != "" {
			s.prev = t[len(t)-1:]
		}
	}
}

// eachLine is Lines the slow way: Line on each text.
func (s *StreamRedactor) eachLine(lines []OutputLine) {
	for i := range lines {
		s.restOf(lines, i)
		lines[i].Text = s.Line(lines[i].Text)
	}
}

// prose reports whether half of the batch's first lines hold a blank, ':'
// or '=' (each marks its line for line's path).
func (s *StreamRedactor) prose(lines []OutputLine) bool {
	n, k := min(len(lines), batchSample), 0
	for _, l := range lines[:n] {
		t := l.Text
		if strings.IndexByte(t, ' ') >= 0 || strings.IndexByte(t, ':') >= 0 || strings.IndexByte(t, '=') >= 0 {
			if k++; 2*k >= n {
				return true
			}
		}
	}
	return false
}

// join copies the texts into s.joined, each followed by '\n' but the last,
// and records where each ends (s.ends) and that none is hit yet (s.hit).
func (s *StreamRedactor) join(lines []OutputLine) []byte {
	buf, ends := s.joined[:0], s.ends[:0]
	for i := range lines {
		if i > 0 {
			buf = append(buf, '\n')
		}
		buf = append(buf, lines[i].Text...)
		ends = append(ends, len(buf))
	}
	s.joined, s.ends = buf, ends
	s.hit = append(s.hit[:0], make([]bool, len(lines))...)
	s.hits = 0
	if cap(buf) > 4<<20 {
		s.joined = nil // a huge batch: don't keep its memory
	}
	return buf
}

// markAll marks in s.hit every line that holds a byte where one of line's
// shape tests may begin: a blank or a tab (arguments, bearer tokens, the
// markers of a key block, "-----BEGIN RSA PRIVATE KEY-----", and the lines
// of a YAML block, which are indented), ':' or '=' (assignments, URLs, the
// key that opens a YAML block). A block that goes on is the stream's
// state, which plain checks. It returns false, leaving the marks half
// done, as soon as more than half of the lines are marked.
//
// The secret set's Wu-Manber scan stays per line (in Lines): over the
// joined text its jumps make one long chain, each waiting for the one
// before, where line by line the processor overlaps the short chains of
// several lines (2.5 times as fast on 76-byte lines, measured).
func (s *StreamRedactor) markAll(buf []byte) bool {
	for _, c := range []byte{' ', ':', '=', '\t'} {
		if !s.mark(buf, c) {
			return false
		}
	}
	return true
}

// mark marks the line of each c in buf, going on after the end of each
// line it marked. It returns false once more than half of the lines are
// marked.
func (s *StreamRedactor) mark(buf []byte, c byte) bool {
	k := 0 // the line of pos
	for pos := 0; pos < len(buf); {
		i := bytes.IndexByte(buf[pos:], c)
		if i < 0 {
			break
		}
		p := pos + i
		for s.ends[k] < p { // the '\n' after line k counts as line k's
			k++
		}
		if !s.hit[k] {
			s.hit[k] = true
			s.hits++
			if 2*s.hits > len(s.hit) {
				return false
			}
		}
		pos = s.ends[k] + 1
		k++
	}
	return true
}

// plain reports whether line, with the stream's state as it is, would
// leave t (which no test of markAll hit) as it is: no block goes on, no
// shape or secret was carried from the line before or may go on into the
// next, and t is no cut piece.
func (s *StreamRedactor) plain(set *secretSet, t string) bool {
	if s.inBlock || s.inKey || s.cutTail != "" || len(t) >= pieceBytes-3 {
		return false
	}
	if set == nil || len(set.forms) == 0 {
		return true
	}
	if len(s.prev) > 1 || s.prev != "" && set.mayFinishOneByte(s.prev[0], t) {
		return false
	}
	return set.partialTail(t, 2) < 0
}

// next returns where the first form in text starts, or -1.
func (set *secretSet) next(text string) int {
	start, _, _ := set.find(text, set.minLen-1)
	return start
}

// restOf readies line for lines[i] when it is the rest of a line (Cont):
// the end of the line before (lines[i-1], or the last line of the batch
// before), masked already, is the tail in which a secret shape may have
// begun (cutTail), unless a cut piece's tail is there already.
func (s *StreamRedactor) restOf(lines []OutputLine, i int) {
	if !lines[i].Cont || !s.stream || s.cutTail != "" {
		return
	}
	if i == 0 {
		s.cutTail = s.before
		return
	}
	t := lines[i-1].Text
	s.cutTail = t[max(0, len(t)-shapeCarry):]
}
