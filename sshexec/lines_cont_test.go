package sshexec

import (
	"fmt"
	"strings"
	"testing"
)

// quiet, as a step of splitSteps, stands for a quiet second: the partial
// line the splitter holds is delivered (firePartial, called directly
// instead of by the timer, so the tests need no clock).
const quiet = "\x00quiet"

// splitSteps feeds steps (writes, or quiet) to a fresh splitter following
// from offset from, then flushes, and returns every Line delivered.
func splitSteps(t *testing.T, from int64, steps ...string) []Line {
	t.Helper()
	var got []Line
	s := newSplitter(Stdout, from, func(b []Line) error {
		if len(b) == 0 {
			t.Error("an empty batch")
		}
		got = append(got, b...)
		return nil
	})
	s.quiet = 0 // no timer: quiet steps fire by hand
	for _, p := range steps {
		if p == quiet {
			s.firePartial()
			continue
		}
		if n, err := s.Write([]byte(p)); err != nil || n != len(p) {
			t.Fatalf("Write(%q) = %d, %v", p, n, err)
		}
	}
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	return got
}

// cl is a wanted Line: its text and whether it is a continuation.
type cl struct {
	text string
	cont bool
}

// show writes lines as text/cont pairs for failure messages.
func show(lines []Line) string {
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%.40q/%v@%d ", l.Text, l.Cont, l.Offset)
	}
	return b.String()
}

func checkCont(t *testing.T, name string, got []Line, want ...cl) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = got[i].Text == want[i].text && got[i].Cont == want[i].cont
	}
	if !ok {
		var w strings.Builder
		for _, l := range want {
			fmt.Fprintf(&w, "%.40q/%v ", l.text, l.cont)
		}
		t.Errorf("%s:\n got %s\nwant %s", name, show(got), w.String())
	}
}

// everyCut feeds rest after the steps in two writes cut at every place
// (and whole, and byte by byte): the lines never depend on how the bytes
// were cut, whichever way (carried buffer, plain fast path) they take.
func everyCut(t *testing.T, name string, steps []string, rest string, want ...cl) {
	t.Helper()
	checkCont(t, name+" whole", splitSteps(t, 0, append(steps, rest)...), want...)
	for i := 1; i < len(rest); i++ {
		got := splitSteps(t, 0, append(steps, rest[:i], rest[i:])...)
		checkCont(t, fmt.Sprintf("%s cut at %d", name, i), got, want...)
	}
	got := splitSteps(t, 0, append(steps, strings.Split(rest, "")...)...)
	checkCont(t, name+" byte by byte", got, want...)
}

// Django's migrate: the rest of a line delivered in part is marked Cont;
// the lines after it are not, however the bytes come.
func TestContRest(t *testing.T) {
	const p = "  Applying app.0001_initial..."
	everyCut(t, "rest then a line", []string{p, quiet}, " OK\nnext\n",
		cl{p, false}, cl{" OK", true}, cl{"next", false})
	everyCut(t, "rest and more lines in one write", []string{p, quiet}, " OK\nl2\nl3\nl4\n",
		cl{p, false}, cl{" OK", true}, cl{"l2", false}, cl{"l3", false}, cl{"l4", false})
	everyCut(t, "rest ending in \\r\\n", []string{p, quiet}, " OK\r\nl2\r\n",
		cl{p, false}, cl{" OK", true}, cl{"l2", false})
	// Writes after the one that carried the rest are never marked.
	checkCont(t, "later writes", splitSteps(t, 0, p, quiet, " OK\nl2\n", "l3\n", "l4\nl5\n"),
		cl{p, false}, cl{" OK", true}, cl{"l2", false}, cl{"l3", false}, cl{"l4", false}, cl{"l5", false})
	// The rest has no newline when the job ends: flush delivers it, Cont.
	checkCont(t, "rest flushed", splitSteps(t, 0, p, quiet, " OK"), cl{p, false}, cl{" OK", true})
	// A line with no quiet second in it is never a continuation.
	checkCont(t, "no quiet", splitSteps(t, 0, p, " OK\n", "a", "b\n", "tail"),
		cl{p + " OK", false}, cl{"ab", false}, cl{"tail", false})
}

// A break right after the partial ends its line with no Line of its own:
// nothing after it is a continuation.
func TestContBreakOnly(t *testing.T) {
	for _, brk := range []string{"\n", "\r\n", "\r"} {
		everyCut(t, fmt.Sprintf("%q", brk), []string{"a...", quiet}, brk+"next\n",
			cl{"a...", false}, cl{"next", false})
	}
	checkCont(t, `"\r" then "\n"`, splitSteps(t, 0, "a...", quiet, "\r", "\n", "next\n"),
		cl{"a...", false}, cl{"next", false})
	checkCont(t, "break only, then a partial", splitSteps(t, 0, "a...", quiet, "\n", "b...", quiet, "\n"),
		cl{"a...", false}, cl{"b...", false})
	checkCont(t, "break at the end", splitSteps(t, 0, "a...", quiet, "\n"), cl{"a...", false})
}

// Two quiet seconds in one line: the second piece and the end are both
// continuations.
func TestContPartialTwice(t *testing.T) {
	everyCut(t, "twice", []string{"a...", quiet, "b...", quiet}, " OK\nnext\n",
		cl{"a...", false}, cl{"b...", true}, cl{" OK", true}, cl{"next", false})
	checkCont(t, "three times", splitSteps(t, 0, "a", quiet, "b", quiet, "c", quiet, "\nd\n"),
		cl{"a", false}, cl{"b", true}, cl{"c", true}, cl{"d", false})
	// The rest ends its line and starts another that sits: that one is
	// new, not a continuation.
	checkCont(t, "rest then a new partial", splitSteps(t, 0, "a...", quiet, " OK\nb...", quiet, " OK\n"),
		cl{"a...", false}, cl{" OK", true}, cl{"b...", false}, cl{" OK", true})
}

// A rest longer than MaxLineBytes: its first piece is the continuation;
// the further pieces are cut as always, not marked.
func TestContLongRest(t *testing.T) {
	long := strings.Repeat("x", 2*MaxLineBytes+10)
	want := []cl{{"a...", false}, {long[:MaxLineBytes], true}, {long[:MaxLineBytes], false}, {long[:10], false}, {"next", false}}
	checkCont(t, "one write", splitSteps(t, 0, "a...", quiet, long+"\nnext\n"), want...)
	var chunks []string
	in := long + "\nnext\n"
	for len(in) > 0 {
		k := min(len(in), 32<<10)
		chunks = append(chunks, in[:k])
		in = in[k:]
	}
	checkCont(t, "32 KiB writes", splitSteps(t, 0, append([]string{"a...", quiet}, chunks...)...), want...)
	// A quiet second on a long line's tail after a cut: that partial is
	// no continuation (pieces are a bound), its rest is.
	checkCont(t, "partial after a cut", splitSteps(t, 0, long[:MaxLineBytes+5], quiet, "!\n"),
		cl{long[:MaxLineBytes], false}, cl{"xxxxx", false}, cl{"!", true})
}

// A progress bar after a partial: the first line ends at a "\r" and is
// the continuation; its redraws are not. A "\r" straight after the
// partial ends the partial's line, so what follows is a redraw.
func TestContProgressBar(t *testing.T) {
	everyCut(t, "progress", []string{"Downloading ", quiet}, "50%\r60%\r100%\ndone\n",
		cl{"Downloading ", false}, cl{"50%", true}, cl{"60%", false}, cl{"100%", false}, cl{"done", false})
	everyCut(t, "redraw", []string{" 10%", quiet}, "\r 50%\r100%\n",
		cl{" 10%", false}, cl{" 50%", false}, cl{"100%", false})
}

// stdout and stderr have a splitter each: a partial on one never marks
// the other's lines.
func TestContStreamsApart(t *testing.T) {
	var got []Line
	emit := func(b []Line) error { got = append(got, b...); return nil }
	out, errs := newSplitter(Stdout, 0, emit), newSplitter(Stderr, 0, emit)
	out.quiet, errs.quiet = 0, 0
	out.Write([]byte("a..."))
	out.firePartial()
	errs.Write([]byte("warn\nmore"))
	errs.firePartial()
	out.Write([]byte(" OK\n"))
	errs.Write([]byte("!\nlast\n"))
	checkCont(t, "interleaved", got, cl{"a...", false}, cl{"warn", false}, cl{"more", false}, cl{" OK", true}, cl{"!", true}, cl{"last", false})
	for i, s := range []Stream{Stdout, Stderr, Stderr, Stdout, Stderr, Stderr} {
		if i < len(got) && got[i].Stream != s {
			t.Errorf("line %d on %s, want %s", i, got[i].Stream, s)
		}
	}
}

// Resuming from any Line's Offset (Attach re-reads the byte before it)
// delivers exactly what the live splitter delivered after that Line,
// Cont included: after a partial, the rest is Cont; a break after it
// makes no Line.
func TestContResume(t *testing.T) {
	steps := []string{"  Applying app.0001...", quiet, " OK\nApplying app.0002...", quiet, "\n",
		"c...", quiet, "d...", quiet, "\r\nprog ", quiet, "1%\r2%\rok\n", "tail...", quiet, " OK"}
	in := strings.Join(strings.Split(strings.Join(steps, ""), quiet), "")
	all := splitSteps(t, 0, steps...)
	checkCont(t, "live", all, cl{"  Applying app.0001...", false}, cl{" OK", true},
		cl{"Applying app.0002...", false}, cl{"c...", false}, cl{"d...", true},
		cl{"prog ", false}, cl{"1%", true}, cl{"2%", false}, cl{"ok", false},
		cl{"tail...", false}, cl{" OK", true})
	for i, l := range all {
		rest := splitSteps(t, l.Offset, stepsFrom(steps, l.Offset-1)...)
		name := fmt.Sprintf("resume after %q@%d", l.Text, l.Offset)
		if len(rest) != len(all)-i-1 {
			t.Errorf("%s: got %s, want %s", name, show(rest), show(all[i+1:]))
			continue
		}
		for j, r := range rest {
			if w := all[i+1+j]; r.Text != w.Text || r.Cont != w.Cont || r.Offset != w.Offset {
				t.Errorf("%s: line %d = %q/%v@%d, want %q/%v@%d", name, j, r.Text, r.Cont, r.Offset, w.Text, w.Cont, w.Offset)
			}
		}
	}
	// The named cases, whole.
	checkCont(t, "after the partial", splitSteps(t, 22, in[21:]),
		cl{" OK", true}, cl{"Applying app.0002...", false}, cl{"c...d...", false}, cl{"prog 1%", false},
		cl{"2%", false}, cl{"ok", false}, cl{"tail... OK", false})
	checkCont(t, "after a partial its break follows", splitSteps(t, 46, "."+"\nnext\n"), cl{"next", false})
	checkCont(t, `after a partial, "\r\n"`, splitSteps(t, 46, "."+"\r\nnext\n"), cl{"next", false})
	checkCont(t, "after a whole line", splitSteps(t, 4, "\nnext\n"), cl{"next", false})
	checkCont(t, `after a "\r" line`, splitSteps(t, 4, "\r\nnext\n"), cl{"next", false})
}

// A resume right after a piece cut at MaxLineBytes looks exactly like one
// after a partial (the byte before is no break): its next piece is marked
// Cont, which readers join as the pieces were anyway.
func TestContResumeAfterCut(t *testing.T) {
	long := strings.Repeat("x", MaxLineBytes+10) + "\n"
	all := splitSteps(t, 0, long)
	if len(all) != 2 || all[0].Cont || all[1].Cont {
		t.Fatalf("live: %s", show(all))
	}
	rest := splitSteps(t, all[0].Offset, long[all[0].Offset-1:])
	checkCont(t, "resume after the cut", rest, cl{long[:10], true})
}

// stepsFrom is steps from byte offset off of the stream they write on,
// quiet seconds kept where they were.
func stepsFrom(steps []string, off int64) []string {
	var out []string
	for _, p := range steps {
		switch {
		case p == quiet:
			if off <= 0 {
				out = append(out, p)
			}
		case off >= int64(len(p)):
			off -= int64(len(p))
		default:
			out = append(out, p[off:])
			off = 0
		}
	}
	return out
}
