package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"golive/runbook"
)

// TestPaneTailWindow checks the pane's fast path: while it follows the
// output, the viewport holds only the newest few screens (a batch costs a
// few screens of work, not the whole 5,000-line ring), the newest line is
// on screen, and scrolling up still reaches the oldest line the ring
// holds; after F the fast path comes back.
func TestPaneTailWindow(t *testing.T) {
	r := newRing()
	p := newOutputPane(defaultStyles())
	p.setSize(100, 30)
	p.show("step", r)
	for i := 0; i < 4000; i += 500 {
		from := r.total
		r.add(outLines(runbook.StreamStdout, i, 500))
		p.appended(r, from)
	}
	if !p.tail {
		t.Fatal("pane at the bottom is not in tail mode")
	}
	if n := p.vp.TotalLineCount(); n >= r.len() || n > max(tailScreens*p.vp.Height(), tailMinLines) {
		t.Fatalf("viewport holds %d lines of %d while following", n, r.len())
	}
	if v := ansi.Strip(p.view()); !strings.Contains(v, "line 3999") || !strings.Contains(v, "4,000 lines") && !strings.Contains(v, "4000 lines") {
		t.Fatalf("newest line or count not shown:\n%s", v)
	}
	for i := 0; i < 1000 && !paneHas(p, "line 0"); i++ {
		p.scroll(-1)
	}
	if p.tail || !paneHas(p, "line 0") {
		t.Fatalf("scrolling up did not reach the oldest line:\n%s", ansi.Strip(p.view()))
	}
	// New output while reading up: the view stays put (full content).
	from := r.total
	r.add(outLines(runbook.StreamStdout, 4000, 10))
	p.appended(r, from)
	if p.tail || !paneHas(p, "line 0") {
		t.Fatalf("view moved while the operator read up:\n%s", ansi.Strip(p.view()))
	}
	p.follow()
	from = r.total
	r.add(outLines(runbook.StreamStdout, 4010, 10))
	p.appended(r, from)
	if !p.tail || !strings.Contains(ansi.Strip(p.view()), "line 4019") {
		t.Fatalf("after follow: tail %v\n%s", p.tail, ansi.Strip(p.view()))
	}
	// A search works over the whole ring again.
	p.query = "line 1234"
	p.matches = r.find(p.query, 0)
	p.refresh()
	if p.tail || p.vp.TotalLineCount() != r.len() || len(p.matches) != 1 {
		t.Fatalf("search: tail %v, %d lines, %d matches", p.tail, p.vp.TotalLineCount(), len(p.matches))
	}
}

// paneHas reports whether the pane shows a line whose text is exactly text.
func paneHas(p outputPane, text string) bool {
	for _, l := range strings.Split(ansi.Strip(p.view()), "\n") {
		if strings.HasSuffix(strings.TrimRight(l, " │"), "│"+text) {
			return true
		}
	}
	return false
}
