package sshexec

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// split feeds chunks to a fresh splitter from offset from and returns the
// lines, flushed at the end.
func split(t *testing.T, from int64, chunks ...string) []Line {
	t.Helper()
	return splitSteps(t, from, chunks...)
}

type want struct {
	text string
	off  int64
}

func check(t *testing.T, got []Line, w ...want) {
	t.Helper()
	if len(got) != len(w) {
		t.Fatalf("got %d lines %v, want %d %v", len(got), got, len(w), w)
	}
	for i := range w {
		if got[i].Text != w[i].text || got[i].Offset != w[i].off {
			t.Errorf("line %d = %q@%d, want %q@%d", i, got[i].Text, got[i].Offset, w[i].text, w[i].off)
		}
	}
}

func TestSplitterBreaks(t *testing.T) {
	in := "a\nb\r\nc\rd\r\n\ne"
	want := []want{{"a", 2}, {"b", 4}, {"c", 7}, {"d", 9}, {"", 11}, {"e", 12}}
	check(t, split(t, 0, in), want...)
	// Every way of cutting the input into two writes gives the same lines.
	for i := 1; i < len(in); i++ {
		check(t, split(t, 0, in[:i], in[i:]), want...)
	}
	// Byte by byte.
	check(t, split(t, 0, strings.Split(in, "")...), want...)
}

func TestSplitterProgressBar(t *testing.T) {
	// tqdm style: a leading \r on each redraw yields no empty lines.
	got := split(t, 0, "\r 10%\r 50%\r100%\n", "done\n")
	check(t, got, want{" 10%", 6}, want{" 50%", 11}, want{"100%", 16}, want{"done", 21})
}

func TestSplitterCRLFBlankLine(t *testing.T) {
	// A line ending in "\r\n" ends at its "\r"; the "\n" is swallowed.
	check(t, split(t, 0, "a\r\n\r\nb\r\n"), want{"a", 2}, want{"", 5}, want{"b", 7})
}

func TestSplitterInvalidUTF8(t *testing.T) {
	got := split(t, 0, "ok\xff\xfex\n")
	check(t, got, want{"ok\uFFFDx", 6})
}

func TestSplitterLongLine(t *testing.T) {
	n := 3*MaxLineBytes + 100
	got := split(t, 0, strings.Repeat("a", n)+"\n")
	check(t, got, want{strings.Repeat("a", MaxLineBytes), MaxLineBytes},
		want{strings.Repeat("a", MaxLineBytes), 2 * MaxLineBytes},
		want{strings.Repeat("a", MaxLineBytes), 3 * MaxLineBytes},
		want{strings.Repeat("a", 100), int64(n + 1)})
}

func TestSplitterLongLineKeepsRunes(t *testing.T) {
	// "é" is 2 bytes; put one across the cut.
	in := strings.Repeat("a", MaxLineBytes-1) + "é" + "b\n"
	got := split(t, 0, in)
	if len(got) != 2 {
		t.Fatalf("got %d lines", len(got))
	}
	if !utf8.ValidString(got[0].Text) || strings.ContainsRune(got[0].Text, utf8.RuneError) {
		t.Errorf("first piece has a broken rune at its end")
	}
	if got[1].Text != "éb" || got[1].Offset != int64(len(in)) || got[0].Offset != MaxLineBytes-1 {
		t.Errorf("got %q@%d after %d", got[1].Text, got[1].Offset, got[0].Offset)
	}
}

// Resuming from any line's Offset (as Attach does, re-reading the byte
// before it) yields exactly the lines after that one.
func TestSplitterResume(t *testing.T) {
	in := "one\r\ntwo\rthree\r\n\nfour\rfive"
	all := split(t, 0, in)
	for i, l := range all {
		rest := split(t, l.Offset, in[l.Offset-1:])
		if len(rest) != len(all)-i-1 {
			t.Fatalf("resume after %q@%d: got %v, want %v", l.Text, l.Offset, rest, all[i+1:])
		}
		for j := range rest {
			if rest[j].Text != all[i+1+j].Text || rest[j].Offset != all[i+1+j].Offset {
				t.Errorf("resume after %d: line %d = %q@%d, want %q@%d", l.Offset, j,
					rest[j].Text, rest[j].Offset, all[i+1+j].Text, all[i+1+j].Offset)
			}
		}
	}
}

func TestSplitterBoundedMemory(t *testing.T) {
	s := newSplitter(Stdout, 0, func([]Line) error { return nil })
	s.quiet = 0
	chunk := []byte(strings.Repeat("x", 1<<20))
	for range 50 {
		if _, err := s.Write(chunk); err != nil {
			t.Fatal(err)
		}
		if cap(s.buf) > 2*MaxLineBytes {
			t.Fatalf("buffer grew to %d bytes", cap(s.buf))
		}
	}
	if s.off != 50<<20 {
		t.Errorf("offset %d, want %d", s.off, 50<<20)
	}
}

func TestCtlWriter(t *testing.T) {
	var c ctlWriter
	c.Write([]byte("golive:stat 12 1.5\nsudo: a pass"))
	c.Write([]byte("word is required\ngolive:exit 3 -\n"))
	if f, ok := c.get("exit"); !ok || f[0] != "3" || f[1] != "-" {
		t.Errorf("exit = %v %v", f, ok)
	}
	if c.message() != "sudo: a password is required" {
		t.Errorf("message = %q", c.message())
	}
}

// The session's stderr carries the job's stderr, then a sentinel, then
// control lines: however the bytes are cut into writes, the split is exact.
func TestDemux(t *testing.T) {
	sent := "\x00golive.abc123\n"
	data := "err one\n\x00not the sentinel\x00golive.abc12 nearly\nlast"
	ctl := "golive:exit 3 -\n"
	in := data + sent + ctl
	for cut1 := 0; cut1 <= len(in); cut1++ {
		for _, cut2 := range []int{cut1, (cut1 + len(in)) / 2, len(in)} {
			var d, c strings.Builder
			dm := &demux{data: &d, ctl: &c, sentinel: []byte(sent)}
			for _, part := range []string{in[:cut1], in[cut1:cut2], in[cut2:]} {
				if n, err := dm.Write([]byte(part)); err != nil || n != len(part) {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if d.String() != data || c.String() != ctl || !dm.seen {
				t.Fatalf("cuts %d,%d: data %q ctl %q", cut1, cut2, d.String(), c.String())
			}
		}
	}
}

// What the host prints before the start mark (a login shell's startup
// files complaining on stderr) is not the job's: however the bytes are
// cut into writes, data gets exactly the job's stderr.
func TestDemuxStartMark(t *testing.T) {
	start, sent := "\x00golive+abc123\n", "\x00golive.abc123\n"
	noise := "pyenv: cannot rehash: /root/.pyenv/shims isn't writable\n\x00golive+abc12 no\n"
	data := "e1\ne2\n\x00golive+abc123 late\n"
	ctl := "golive:exit 0 -\n"
	in := noise + start + data + sent + ctl
	for cut1 := 0; cut1 <= len(in); cut1++ {
		for _, cut2 := range []int{cut1, (cut1 + len(in)) / 2, len(in)} {
			var d, c strings.Builder
			dm := &demux{data: &d, ctl: &c, start: []byte(start), sentinel: []byte(sent)}
			for _, part := range []string{in[:cut1], in[cut1:cut2], in[cut2:]} {
				if n, err := dm.Write([]byte(part)); err != nil || n != len(part) {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if d.String() != data || c.String() != ctl || !dm.seen {
				t.Fatalf("cuts %d,%d: data %q ctl %q", cut1, cut2, d.String(), c.String())
			}
		}
	}
	if startMark("abc123") != start {
		t.Errorf("startMark = %q, want %q", startMark("abc123"), start)
	}
}

// markWriter passes on what follows the mark, whatever came before it (a
// login shell's startup noise) and however the stream is cut.
func TestMarkWriter(t *testing.T) {
	const want = "n0nce\n"
	for _, noise := range []string{"", "pyenv: cannot rehash\n", "n0n", "n0nce", "Welcome\r\nn0nce "} {
		in := noise + want + "hello\nn0nce\nworld"
		for cut := 0; cut <= len(in); cut++ {
			for cut2 := cut; cut2 <= len(in); cut2 += 3 {
				var out strings.Builder
				w := &markWriter{want: want, next: &out}
				for _, p := range []string{in[:cut], in[cut:cut2], in[cut2:]} {
					if n, err := w.Write([]byte(p)); err != nil || n != len(p) {
						t.Fatalf("Write(%q) = %d, %v", p, n, err)
					}
				}
				if !w.ok || out.String() != "hello\nn0nce\nworld" {
					t.Fatalf("noise %q cut %d/%d: ok %v, out %q", noise, cut, cut2, w.ok, out.String())
				}
			}
		}
	}
	var out strings.Builder
	w := &markWriter{want: want, next: &out}
	if _, err := w.Write([]byte("no mark here\nn0nc")); err != nil || w.ok || out.Len() != 0 {
		t.Errorf("without the mark: ok %v, out %q, err %v", w.ok, out.String(), err)
	}
}

// A partial line that sits is delivered; its end, when it comes, is a Line
// of its own, and a newline right after the partial adds no empty line.
func TestSplitterQuietPartial(t *testing.T) {
	lines := make(chan Line, 10)
	s := newSplitter(Stdout, 0, func(b []Line) error {
		if len(b) != 1 {
			t.Errorf("batch of %d lines, want one line per write here", len(b))
		}
		for _, l := range b {
			lines <- l
		}
		return nil
	})
	s.quiet = 20 * time.Millisecond
	defer s.stop()
	next := func() Line {
		select {
		case l := <-lines:
			return l
		case <-time.After(5 * time.Second):
			t.Fatal("no line")
		}
		return Line{}
	}
	s.Write([]byte("Applying app.0001..."))
	if l := next(); l.Text != "Applying app.0001..." || l.Offset != 20 {
		t.Fatalf("partial = %q@%d", l.Text, l.Offset)
	}
	s.Write([]byte(" OK\nApplying app.0002..."))
	if l := next(); l.Text != " OK" || l.Offset != 24 {
		t.Fatalf("rest = %q@%d", l.Text, l.Offset)
	}
	if l := next(); l.Text != "Applying app.0002..." {
		t.Fatalf("second partial = %q", l.Text)
	}
	s.Write([]byte("\r\ndone\n"))
	if l := next(); l.Text != "done" || l.Offset != 51 {
		t.Fatalf("after a partial, \\r\\n then done: %q@%d", l.Text, l.Offset)
	}
	select {
	case l := <-lines:
		t.Fatalf("extra line %q", l.Text)
	case <-time.After(100 * time.Millisecond):
	}
}
