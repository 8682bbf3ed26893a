package sshexec

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// batches feeds chunks to a fresh splitter and returns what each Write
// emitted (nil when it emitted nothing), then what flush emitted.
func batches(t *testing.T, chunks ...string) [][]Line {
	t.Helper()
	var got [][]Line
	var cur []Line
	calls := 0
	s := newSplitter(Stdout, 0, func(b []Line) error {
		calls++
		cur = b
		return nil
	})
	s.quiet = 0
	for _, c := range chunks {
		calls, cur = 0, nil
		if _, err := s.Write([]byte(c)); err != nil {
			t.Fatal(err)
		}
		if calls > 1 {
			t.Fatalf("Write(%q) emitted %d batches, want at most one", c, calls)
		}
		got = append(got, cur)
	}
	calls, cur = 0, nil
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	return append(got, cur)
}

func TestSplitterOneBatchPerWrite(t *testing.T) {
	got := batches(t, "a\nb\r\nc", "d\ne\n\rf\r", "\n", "tail")
	want := [][]want{
		{{"a", 2}, {"b", 4}},
		{{"cd", 8}, {"e", 10}, {"f", 13}},
		nil,
		nil,
		{{"tail", 18}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d batches, want %d", len(got), len(want))
	}
	for i := range want {
		if len(want[i]) == 0 {
			if got[i] != nil {
				t.Errorf("write %d emitted %v, want nothing", i, got[i])
			}
			continue
		}
		check(t, got[i], want[i]...)
	}
}

// Valid lines in a batch with a bad one are kept as they are; the bad one
// is replaced exactly as a line of its own would be.
func TestSplitterBatchInvalidUTF8(t *testing.T) {
	got := batches(t, "good\nb\xffad\n\xe9t\xc3\xa9\n\xc3\n")
	check(t, got[0], want{"good", 5}, want{"b\uFFFDad", 10}, want{"\uFFFDté", 15}, want{"\uFFFD", 17})
}

// One 32 KiB write of lines costs the batch and its one string; a line
// carried over from the write before costs one string more.
func TestSplitterAllocs(t *testing.T) {
	line := strings.Repeat("A", 76) + "\n"
	whole := []byte(strings.Repeat(line, 32<<10/len(line)))
	s := newSplitter(Stdout, 0, func([]Line) error { return nil })
	s.quiet = 0
	if n := testing.AllocsPerRun(100, func() { s.Write(whole) }); n > 2 {
		t.Errorf("a write of whole lines made %.1f allocations, want at most 2", n)
	}
	// Cut mid-line: every write carries a line over into the next.
	cut := whole[:len(whole)-30]
	if n := testing.AllocsPerRun(100, func() { s.Write(cut) }); n > 3 {
		t.Errorf("a write with a carried line made %.1f allocations, want at most 3", n)
	}
}

// However the input is cut into writes, the lines are those of feeding it
// byte by byte (where every line comes from the carry buffer). Half the
// rounds have no '\r', which the splitter's fast path takes; of those, a
// few have no bad UTF-8 either, or only in a line cut by a write.
func TestSplitterBatchesMatchBytewise(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	all := []string{"a", "bc", "é", "日本", "\n", "\r", "\r\n", "\xff", "\xc3", "\xe6\x97", strings.Repeat("x", 300)}
	noCR := []string{"a", "bc", "é", "日本", "\n", "\n", "\xff", "\xc3", "\xe6\x97", strings.Repeat("x", 300)}
	for round := range 400 {
		pieces := all
		if round%2 == 1 {
			pieces = noCR
			if round%6 == 1 {
				pieces = noCR[:6] // valid UTF-8 ("é" and "日本" cut by writes only)
			}
		}
		var b strings.Builder
		for range rng.IntN(200) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		if round%20 == 0 {
			b.WriteString(strings.Repeat("y", MaxLineBytes+rng.IntN(3*MaxLineBytes)))
			b.WriteString("é\n")
		}
		in := b.String()
		ref := split(t, 0, strings.Split(in, "")...)
		var chunks []string
		for rest := in; rest != ""; {
			k := min(len(rest), 1+rng.IntN(2*MaxLineBytes))
			if rng.IntN(3) == 0 {
				k = min(len(rest), 1+rng.IntN(40))
			}
			chunks = append(chunks, rest[:k])
			rest = rest[k:]
		}
		for _, feed := range [][]string{{in}, chunks} {
			got := split(t, 0, feed...)
			if len(got) != len(ref) {
				t.Fatalf("round %d: %d lines, byte by byte %d", round, len(got), len(ref))
			}
			for i := range ref {
				if got[i].Text != ref[i].Text || got[i].Offset != ref[i].Offset {
					t.Fatalf("round %d line %d: %q@%d, byte by byte %q@%d", round, i, got[i].Text, got[i].Offset, ref[i].Text, ref[i].Offset)
				}
			}
		}
	}
}

// Lines right at MaxLineBytes, with no '\r' around (the fast path), are
// cut exactly where byte-by-byte feeding cuts them.
func TestSplitterPlainLineLimits(t *testing.T) {
	for _, n := range []int{MaxLineBytes - 1, MaxLineBytes, MaxLineBytes + 1, 2*MaxLineBytes + 1} {
		in := "a\n" + strings.Repeat("z", n) + "\nb\n"
		ref := split(t, 0, strings.Split(in, "")...)
		got := split(t, 0, in)
		if len(got) != len(ref) {
			t.Fatalf("%d bytes: %d lines, byte by byte %d", n, len(got), len(ref))
		}
		for i := range ref {
			if got[i].Text != ref[i].Text || got[i].Offset != ref[i].Offset {
				t.Fatalf("%d bytes, line %d: %d bytes @%d, byte by byte %d bytes @%d", n, i, len(got[i].Text), got[i].Offset, len(ref[i].Text), ref[i].Offset)
			}
		}
	}
}

// A consumer that is gone fails the Write; nothing of it was delivered.
func TestSplitterEmitFails(t *testing.T) {
	gone := errors.New("gone")
	calls := 0
	s := newSplitter(Stdout, 0, func([]Line) error { calls++; return gone })
	s.quiet = 0
	if _, err := s.Write(bytes.Repeat([]byte("line\n"), 10)); !errors.Is(err, gone) || calls != 1 {
		t.Errorf("Write = %v after %d emits, want %v after one", err, calls, gone)
	}
}
