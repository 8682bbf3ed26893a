package ui

import (
	"fmt"
	"strings"
	"testing"

	"golive/runbook"
)

// A batch larger than the ring is counted in full (lines, stderr, total),
// though only the newest ringLines are held.
func TestRingCountsLinesThatFallOffAtOnce(t *testing.T) {
	r := newRing()
	var batch []runbook.OutputLine
	for i := range ringLines + 1500 {
		s := runbook.StreamStdout
		switch i % 10 {
		case 3:
			s = runbook.StreamStderr
		case 7:
			s = runbook.StreamInfo
		}
		batch = append(batch, runbook.OutputLine{Stream: s, Text: fmt.Sprintf("line %d", i)})
	}
	r.add(batch)
	r.add(batch[:10])
	n := int64(len(batch) + 10)
	if r.total != n || r.lines != n-n/10 || r.stderr != n/10 || r.len() != ringLines {
		t.Fatalf("total %d lines %d stderr %d held %d; want %d %d %d %d", r.total, r.lines, r.stderr, r.len(), n, n-n/10, n/10, ringLines)
	}
	if got := r.at(ringLines - 1).text; got != "line 9" {
		t.Fatalf("newest line %q", got)
	}
	if got := r.at(0).text; got != fmt.Sprintf("line %d", len(batch)+10-ringLines) {
		t.Fatalf("oldest line %q", got)
	}
}

// Lines are sanitized when read, and what is read is what the pane
// shows: no escape but colours, long lines cut.
func TestRingSanitizesWhatItShows(t *testing.T) {
	r := newRing()
	long := strings.Repeat("x", 3*maxShownBytes)
	r.add([]runbook.OutputLine{
		{Stream: runbook.StreamStdout, Text: "\x1b]0;pwned\x07title\x1b[2J \x1b[31mred"},
		{Stream: runbook.StreamStdout, Text: long},
	})
	for pass := range 2 { // the second read comes from the cache
		if got := r.at(0).text; got != "title \x1b[31mred\x1b[0m" {
			t.Fatalf("pass %d: line 0 shown as %q", pass, got)
		}
		if got := r.at(1).text; len(got) > maxShownBytes || !strings.HasPrefix(got, "xxx") {
			t.Fatalf("pass %d: long line shown with %d bytes", pass, len(got))
		}
	}
	if got := r.find("RED", 0); len(got) != 1 || got[0] != 0 {
		t.Fatalf("find: %v", got)
	}
}

// Batches added at once hold and count exactly what adding their lines
// one after the other does, whether they fit the ring or overflow it.
func TestRingAddBatchesMatchesAddInTurn(t *testing.T) {
	n := 0
	batch := func(k int) []runbook.OutputLine {
		out := make([]runbook.OutputLine, k)
		for i := range out {
			s := runbook.StreamStdout
			if n%7 == 3 {
				s = runbook.StreamStderr
			}
			out[i] = runbook.OutputLine{Stream: s, Text: fmt.Sprintf("line %d", n)}
			n++
		}
		return out
	}
	for _, sizes := range [][]int{{3}, {2000, 2000}, {2000, 2000, 2000}, {ringLines + 7, 5}, {1, ringLines, 0, 3000}} {
		one, all := newRing(), newRing()
		one.add(batch(1234)) // the ring is part full and wraps below
		for i := 0; i < 1234; i++ {
			all.add([]runbook.OutputLine{{Stream: one.buf[i].stream, Text: one.buf[i].text}})
		}
		var bs [][]runbook.OutputLine
		for _, k := range sizes {
			b := batch(k)
			bs = append(bs, b)
			for _, l := range b { // line by line: no line falls off at once
				one.add([]runbook.OutputLine{l})
			}
		}
		all.addBatches(bs)
		if one.total != all.total || one.lines != all.lines || one.stderr != all.stderr || one.len() != all.len() {
			t.Fatalf("%v: in turn total %d lines %d stderr %d held %d; at once %d %d %d %d", sizes,
				one.total, one.lines, one.stderr, one.len(), all.total, all.lines, all.stderr, all.len())
		}
		for i := 0; i < one.len(); i++ {
			if a, b := one.at(i), all.at(i); a != b {
				t.Fatalf("%v: line %d: in turn %q, at once %q", sizes, i, a.text, b.text)
			}
		}
	}
}
