package ui

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"golive/runbook"
)

func outLines(stream runbook.Stream, from, n int) []runbook.OutputLine {
	ls := make([]runbook.OutputLine, n)
	for i := range ls {
		ls[i] = runbook.OutputLine{Stream: stream, Text: fmt.Sprintf("line %d", from+i)}
	}
	return ls
}

// TestRingBounded feeds a million lines through the ring and the pane and
// checks that what is held stays bounded, in lines and in heap.
func TestRingBounded(t *testing.T) {
	r := newRing()
	p := newOutputPane(defaultStyles())
	p.setSize(80, 20)
	p.show("big", r)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const total, batch = 1_000_000, 200
	for i := 0; i < total; i += batch {
		from := r.total
		r.add(outLines(runbook.StreamStdout, i, batch))
		if i%(batch*50) == 0 { // refresh the pane now and then, as batches do
			p.appended(r, from)
		}
	}
	p.appended(r, r.total)
	if r.len() != ringLines {
		t.Fatalf("ring holds %d lines, want %d", r.len(), ringLines)
	}
	if r.total != total || r.dropped() != total-ringLines {
		t.Fatalf("total %d dropped %d", r.total, r.dropped())
	}
	if got := r.at(r.len() - 1).text; got != fmt.Sprintf("line %d", total-1) {
		t.Fatalf("newest line %q", got)
	}
	if got := r.at(0).text; got != fmt.Sprintf("line %d", total-ringLines) {
		t.Fatalf("oldest line %q", got)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap grew by %d KiB for %d lines", grew/1024, total)
	if grew > 16<<20 {
		t.Fatalf("heap grew by %d bytes after %d lines; the ring is not bounded", grew, total)
	}
	if v := ansi.Strip(p.view()); !strings.Contains(v, "showing last 5000") || !strings.Contains(v, "line 999999") {
		t.Fatalf("pane does not show the tail:\n%s", v)
	}
}

func TestRingCutsLongLines(t *testing.T) {
	r := newRing()
	r.add([]runbook.OutputLine{{Stream: runbook.StreamStdout, Text: strings.Repeat("x", 60000)}})
	if n := len(r.at(0).text); n > maxShownBytes {
		t.Fatalf("held %d bytes of a 60000-byte line", n)
	}
}

func TestPaneFollowsTailOnlyAtBottom(t *testing.T) {
	r := newRing()
	p := newOutputPane(defaultStyles())
	p.setSize(80, 10)
	p.show("s", r)
	r.add(outLines(runbook.StreamStdout, 0, 100))
	p.appended(r, 0)
	if !p.vp.AtBottom() {
		t.Fatal("pane at bottom did not follow new output")
	}
	p.scroll(-1)
	off := p.vp.YOffset()
	r.add(outLines(runbook.StreamStdout, 100, 50))
	p.appended(r, 100)
	if p.vp.AtBottom() || p.vp.YOffset() != off {
		t.Fatalf("scrolled-up pane moved: offset %d, was %d", p.vp.YOffset(), off)
	}
	p.follow()
	r.add(outLines(runbook.StreamStdout, 150, 5))
	p.appended(r, 150)
	if !p.vp.AtBottom() || !strings.Contains(ansi.Strip(p.view()), "line 154") {
		t.Fatal("pane did not follow again after F")
	}
}

func TestPaneMarksStreams(t *testing.T) {
	r := newRing()
	p := newOutputPane(defaultStyles())
	p.setSize(80, 10)
	p.show("s", r)
	r.add([]runbook.OutputLine{
		{Stream: runbook.StreamStdout, Text: "normal"},
		{Stream: runbook.StreamStderr, Text: "bad thing"},
		{Stream: runbook.StreamInfo, Text: "connection lost"},
		{Stream: runbook.StreamStdout, Text: "\x1b]0;title\x07\x1b[2Jsneaky"},
	})
	p.appended(r, 0)
	v := ansi.Strip(p.view())
	for _, want := range []string{" │normal", "!│bad thing", "» connection lost", " │sneaky", "1 stderr"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(p.view(), "\x1b]") || strings.Contains(p.view(), "\x1b[2J") {
		t.Error("hostile escape reached the view")
	}
}

func TestPaneSearch(t *testing.T) {
	k := defaultKeyMap()
	r := newRing()
	p := newOutputPane(defaultStyles())
	p.setSize(80, 8)
	p.show("s", r)
	r.add(outLines(runbook.StreamStdout, 0, 300))
	p.appended(r, 0)
	p.startSearch()
	for _, c := range "line 1" {
		p, _ = p.updateInput(tea.KeyPressMsg{Code: c, Text: string(c)}, k)
	}
	p, _ = p.updateInput(tea.KeyPressMsg{Code: tea.KeyEnter}, k)
	if !p.searching() || p.typing {
		t.Fatal("search not active after enter")
	}
	// "line 1", "line 10".."line 19", "line 100".."line 199": 111 matches.
	if len(p.matches) != 111 {
		t.Fatalf("%d matches, want 111", len(p.matches))
	}
	if !strings.Contains(ansi.Strip(p.view()), "match 111 of 111") {
		t.Fatalf("view:\n%s", ansi.Strip(p.view()))
	}
	p.next(1) // wraps to the first
	if p.cur != 0 || !strings.Contains(ansi.Strip(p.view()), ">│line 1") {
		t.Fatalf("current match not first or not marked (cur %d):\n%s", p.cur, ansi.Strip(p.view()))
	}
	p.next(-1)
	if p.cur != 110 {
		t.Fatalf("cur %d after N", p.cur)
	}
	// New output that matches is found too.
	r.add([]runbook.OutputLine{{Stream: runbook.StreamStderr, Text: "LINE 1 again"}})
	p.appended(r, 300)
	if len(p.matches) != 112 {
		t.Fatalf("%d matches after new output, want 112", len(p.matches))
	}
	p.clearSearch()
	if p.searching() {
		t.Fatal("search still active")
	}
}

func TestPaneScrollsLongLinesSideways(t *testing.T) {
	r := newRing()
	p := newOutputPane(defaultStyles())
	p.setSize(70, 10)
	p.show("s", r)
	r.add([]runbook.OutputLine{{Stream: runbook.StreamStdout, Text: "short"}})
	p.appended(r, 0)
	if p.wide() {
		t.Fatal("nothing to scroll to, yet wide")
	}
	long := "Traceback: " + strings.Repeat("x", 90) + " THE-END"
	r.add([]runbook.OutputLine{{Stream: runbook.StreamStderr, Text: long}})
	p.appended(r, 1)
	if !p.wide() {
		t.Fatal("a long line is not scrollable")
	}
	for i := 0; i < 10 && !strings.Contains(ansi.Strip(p.view()), "THE-END"); i++ {
		p.scrollSideways(8)
	}
	v := ansi.Strip(p.view())
	if !strings.Contains(v, "THE-END") || !strings.Contains(v, "!│") || !strings.Contains(v, "column") {
		t.Fatalf("after scrolling right:\n%s", v)
	}
	p.scrollSideways(-1000)
	if p.vp.XOffset() != 0 {
		t.Fatal("did not scroll back")
	}
}

// TestPaneSidewaysResetsForAnotherStep: the sideways scroll of one
// step's output does not carry over to the next step shown: a step with
// no output read "tput yet)" (its "(no output yet)" cut by the first
// step's nine columns) under "[column 9, ← to go back]".
func TestPaneSidewaysResetsForAnotherStep(t *testing.T) {
	a, b := newRing(), newRing()
	p := newOutputPane(defaultStyles())
	p.setSize(70, 10)
	p.show("a", a)
	a.add([]runbook.OutputLine{{Stream: runbook.StreamStdout, Text: strings.Repeat("x", 120)}})
	p.appended(a, 0)
	p.scrollSideways(8)
	if p.vp.XOffset() == 0 {
		t.Fatal("did not scroll sideways")
	}
	p.show("b", b)
	v := ansi.Strip(p.view())
	if p.vp.XOffset() != 0 || strings.Contains(v, "column") || !strings.Contains(v, "(no output yet)") {
		t.Errorf("another step, offset %d:\n%s", p.vp.XOffset(), v)
	}
}

// TestPanePlaceholderWraps: the pane's text for a step without output (a
// manual step's "nothing runs; check its list, then sign off with p, f, s
// or n") is wrapped to the pane, also after a resize, and offers no
// "w wrap": at 80 columns it was cut after "then sign off w".
func TestPanePlaceholderWraps(t *testing.T) {
	p := newOutputPane(defaultStyles())
	p.empty = "(a manual step: nothing runs; check its list, then sign off with p, f, s or n)"
	p.setSize(120, 10)
	p.show("look", newRing())
	for _, w := range []int{40, 51, 30} {
		p.setSize(w, 10)
		v := ansi.Strip(p.view())
		flat := strings.Join(strings.Fields(v), " ")
		if !strings.Contains(flat, "then sign off with p, f, s or n)") || strings.Contains(v, "w wrap") || p.wide() {
			t.Errorf("width %d: the placeholder is cut or offers w wrap:\n%s", w, v)
		}
	}
}

// TestPaneTailFillsATallerPane: a pane that follows the tail holds only a
// few screens of the newest lines; when the terminal grows taller than
// those, the pane still shows a full screen of the newest lines, not the
// few it held with blank rows under them (a step that has ended gets no
// new output to refill it).
func TestPaneTailFillsATallerPane(t *testing.T) {
	r := newRing()
	r.add(outLines(runbook.StreamStdout, 0, 1000))
	p := newOutputPane(defaultStyles())
	p.setSize(80, 12)
	p.show("s", r)
	for _, h := range []int{12, 90, 300, 40} {
		p.setSize(80, h)
		rows := strings.Split(ansi.Strip(p.body()), "\n")
		if len(rows) != p.vp.Height() {
			t.Fatalf("height %d: body has %d rows, viewport %d", h, len(rows), p.vp.Height())
		}
		for i, row := range rows {
			want := fmt.Sprintf("line %d", 1000-len(rows)+i)
			if strings.TrimSpace(strings.TrimLeft(row, " │")) != want {
				t.Fatalf("height %d: row %d is %q, want %q (the newest %d lines)", h, i, row, want, len(rows))
			}
		}
		if !p.vp.AtBottom() {
			t.Fatalf("height %d: the pane no longer follows the tail", h)
		}
	}
}

// TestPaneHoldsASearchMatch: a search that lands on a match in the last
// screen (the view is at the bottom) must not scroll it away when the
// step prints more: it followed the tail, and the match the operator was
// reading went off screen. F follows again, and so does esc.
func TestPaneHoldsASearchMatch(t *testing.T) {
	k := defaultKeyMap()
	r := newRing()
	p := newOutputPane(defaultStyles())
	p.setSize(80, 10)
	p.show("s", r)
	r.add(outLines(runbook.StreamStdout, 0, 40))
	p.appended(r, 0)
	p.startSearch()
	for _, c := range "line 38" {
		p, _ = p.updateInput(tea.KeyPressMsg{Code: c, Text: string(c)}, k)
	}
	p, _ = p.updateInput(tea.KeyPressMsg{Code: tea.KeyEnter}, k)
	if !strings.Contains(ansi.Strip(p.view()), ">│line 38") {
		t.Fatalf("the match is not shown:\n%s", ansi.Strip(p.view()))
	}
	for i := 40; i < 100; i += 5 {
		r.add(outLines(runbook.StreamStdout, i, 5))
		p.appended(r, int64(i))
	}
	v := ansi.Strip(p.view())
	if !strings.Contains(v, ">│line 38") || strings.Contains(v, "line 99") {
		t.Fatalf("new output scrolled the match away:\n%s", v)
	}
	if !strings.Contains(v, "F to follow") {
		t.Errorf("the held view does not say F follows:\n%s", v)
	}
	p.follow()
	r.add(outLines(runbook.StreamStdout, 100, 5))
	p.appended(r, 100)
	if v := ansi.Strip(p.view()); !strings.Contains(v, "line 104") {
		t.Fatalf("F did not follow again:\n%s", v)
	}
	// A match in the last screen, then esc at once: following again.
	p.startSearch()
	for _, c := range "line 103" {
		p, _ = p.updateInput(tea.KeyPressMsg{Code: c, Text: string(c)}, k)
	}
	p, _ = p.updateInput(tea.KeyPressMsg{Code: tea.KeyEnter}, k)
	p.clearSearch()
	r.add(outLines(runbook.StreamStdout, 105, 5))
	p.appended(r, 105)
	if v := ansi.Strip(p.view()); !strings.Contains(v, "line 109") {
		t.Fatalf("after the search's end the pane does not follow:\n%s", v)
	}
}
