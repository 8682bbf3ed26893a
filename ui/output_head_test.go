package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"golive/runbook"
	"golive/sshexec"
)

// headLine is the screen's line that holds the output pane's search
// header, from the pane's border on, trimmed.
func headLine(t *testing.T, s, query string) string {
	t.Helper()
	for _, l := range strings.Split(s, "\n") {
		if i := strings.Index(l, "/"+query); i >= 0 {
			return strings.TrimSpace(l[strings.LastIndex(l[:i], "│")+len("│"):])
		}
	}
	t.Fatalf("no search header for %q on the screen:\n%s", query, s)
	return ""
}

// TestSearchHeaderFits80Columns: with a search on and the view held on a
// match, the output pane's header at 80x24 was cut to "[100%, F to f…";
// it must show the match count and the F key whole, and stay as it was at
// 160 columns.
func TestSearchHeaderFits80Columns(t *testing.T) {
	for _, c := range []struct {
		w, h int
		want string
	}{
		{80, 24, "check · /line 1: match 111 of 111  [F to follow]"},
		{160, 50, "Output: check · /line 1: match 111 of 111  [100%, F to follow]"},
	} {
		ex := newFakeExec("web1")
		var texts []string
		for i := 0; i < 200; i++ {
			texts = append(texts, fmt.Sprintf("System check line %d", i))
		}
		ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, texts...)})
		m := started(t, ex, c.w, c.h)
		m = press(t, m, "enter", "/")
		m = typeText(t, m, "line 1")
		m = press(t, m, "enter")
		s := screen(m)
		if got := headLine(t, s, "line 1"); got != c.want {
			t.Errorf("%dx%d: search header %q, want %q; screen:\n%s", c.w, c.h, got, c.want, s)
		}
	}
}

// TestSearchHeaderShortensInNarrowPane: in a pane narrower still, the
// header drops "Output:", then the percentage, then uses shorter words,
// then the step's name, before anything is cut.
func TestSearchHeaderShortensInNarrowPane(t *testing.T) {
	k := defaultKeyMap()
	for _, c := range []struct {
		width int
		want  string
	}{
		{60, "collectstatic · /line 1: match 1 of 111  [  0%, F to follow]"},
		{56, "collectstatic · /line 1: match 1 of 111  [F to follow]"},
		{46, "collectstatic · /line 1: 1/111  [F follows]"},
		{30, "/line 1: 1/111  [F follows]"},
	} {
		r := newRing()
		p := newOutputPane(defaultStyles())
		p.setSize(c.width, 8)
		p.show("collectstatic", r)
		r.add(outLines(runbook.StreamStdout, 0, 300))
		p.appended(r, 0)
		p.startSearch()
		for _, ch := range "line 1" {
			p, _ = p.updateInput(tea.KeyPressMsg{Code: ch, Text: string(ch)}, k)
		}
		p, _ = p.updateInput(tea.KeyPressMsg{Code: tea.KeyEnter}, k)
		p.next(1) // the first match: the view leaves the tail
		lines := strings.Split(ansi.Strip(p.view()), "\n")
		head := strings.TrimSpace(lines[min(1, len(lines)-1)]) // under the rule
		if head != c.want {
			t.Errorf("width %d: header %q, want %q", c.width, head, c.want)
		}
	}
}
