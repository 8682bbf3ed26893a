package ui

import (
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"golive/sshexec"
)

// TestSummaryScrollsAfterExport: the export adds the transcript's file
// names under the summary; where that makes it longer than the screen, the
// summary says "pgup/pgdn", and those keys must be in the help bar and work
// at the first press (they stayed off until some other key came, so the
// first pgdn did nothing and the files below stayed hidden).
func TestSummaryScrollsAfterExport(t *testing.T) {
	grew := 0
	for h := 10; h <= 40; h++ {
		ex := newFakeExec("web1")
		m := started(t, ex, 80, h)
		m = press(t, m, "S")
		if m.state != stateSummary {
			t.Fatalf("height %d: summary not shown", h)
		}
		scrolledBefore := strings.Contains(screen(m), "pgup/pgdn")
		m = press(t, m, "e")
		m.dlg.input.SetValue(filepath.Join(t.TempDir(), "out"))
		m = press(t, m, "enter")
		if len(m.outcome.Files) == 0 {
			t.Fatalf("height %d: nothing exported; status %q", h, m.status)
		}
		v := screen(m)
		scrolls := strings.Contains(v, "pgup/pgdn")
		if scrolls != m.keys.PageDown.Enabled() {
			t.Errorf("height %d: the summary says pgup/pgdn: %v, pgdn on: %v:\n%s", h, scrolls, m.keys.PageDown.Enabled(), v)
			continue
		}
		if !scrolls || scrolledBefore {
			continue
		}
		grew++
		if !strings.Contains(v, "pgdn") || !strings.Contains(footerLine(v), "pgdn") {
			t.Errorf("height %d: the help bar lacks pgdn:\n%s", h, v)
		}
		m = press(t, m, "pgdown")
		if after := screen(m); after == v {
			t.Errorf("height %d: the first pgdn did not scroll the summary:\n%s", h, after)
		}
	}
	if grew == 0 {
		t.Fatal("no height where only the export made the summary scroll: the test checks nothing")
	}
}

// footerLine is the last line of a screen, the help bar.
func footerLine(v string) string {
	lines := strings.Split(strings.TrimRight(v, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestFormHelpShowsPreviousField: shift+tab (and up) goes back a field on
// the form; the help bar, the form's only list of keys, must say so at 80
// columns and wide.
func TestFormHelpShowsPreviousField(t *testing.T) {
	for _, w := range []int{80, 300} {
		m := resize(New(testOpts(t, goldenExec())), w, 24)
		m = press(t, m, "enter")
		if m.state != stateForm {
			t.Fatalf("state %v, want form (error %v)", m.state, m.errPanel)
		}
		bar := footerLine(screen(m))
		for _, want := range []string{"tab", "shift+tab", "enter start", "esc", "ctrl+c"} {
			if !strings.Contains(bar, want) {
				t.Errorf("%d columns: the form's help bar lacks %q: %q", w, want, bar)
			}
		}
		first := m.form.cur
		m = press(t, m, "tab")
		if m.form.cur == first {
			t.Fatalf("tab did not move to the next field")
		}
		m = press(t, m, "shift+tab")
		if m.form.cur != first {
			t.Errorf("shift+tab went to field %d, want %d", m.form.cur, first)
		}
	}
}

// TestWideHelpBarShowsEveryKey: at 300 columns the help bar of the main
// screen has room for every key that works, so it shows them all (the
// moves, the note and the summary were left to "?"); at 80 columns it
// keeps "? all keys" and leaves those to it whole, not half of them.
func TestWideHelpBarShowsEveryKey(t *testing.T) {
	for _, w := range []int{300, 80} {
		m := started(t, goldenExec(), w, 40)
		m = press(t, m, "enter")
		m = settle(t, m)
		bar := footerLine(screen(m))
		if w == 80 {
			for _, absent := range []string{"g first step", "G last step", "a add note"} {
				if strings.Contains(bar, absent) {
					t.Errorf("80 columns: the bar shows %q of the extras: %q", absent, bar)
				}
			}
			if !strings.Contains(bar, "? all keys") || !strings.Contains(bar, "q quit") {
				t.Errorf("80 columns: %q", bar)
			}
			continue
		}
		n := 0
		for _, g := range m.FullHelp() {
			for _, b := range g {
				if !b.Enabled() {
					continue
				}
				n++
				h := b.Help()
				if want := h.Key + " " + h.Desc; !strings.Contains(bar, want) {
					t.Errorf("%d columns: the help bar lacks %q:\n%q", w, want, bar)
				}
			}
		}
		if n < 15 {
			t.Fatalf("only %d keys work after a run: the test checks little", n)
		}
	}
}

// TestWrapKeyWorksAsSoonAsItShows: output with a line wider than the pane
// arrives while the step runs; the pane's title then offers "w wrap", and
// w must work at the first press (it stayed off until some other key came,
// so the first w did nothing), and → must scroll.
func TestWrapKeyWorksAsSoonAsItShows(t *testing.T) {
	ex := newFakeExec("web1")
	hold := make(chan struct{})
	defer close(hold)
	long := "connection lost: read tcp 127.0.0.1:38762->127.0.0.1:54389: read: connection reset by peer; reconnecting (attempt 1) " + strings.Repeat("x", 80)
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, long), hold: hold})
	m := started(t, ex, 80, 24)
	m = press(t, m, "enter")
	for i := 0; i < 50 && !strings.Contains(screen(m), "w wrap"); i++ {
		m = drive(t, m, func() tea.Msg { return paneRefreshMsg{} })
	}
	if !strings.Contains(screen(m), "w wrap") {
		t.Fatalf("the long line did not show with its w wrap hint:\n%s", screen(m))
	}
	if !m.keys.Wrap.Enabled() || !m.keys.Right.Enabled() {
		t.Fatalf("the title offers w wrap, yet w is on: %v, → is on: %v", m.keys.Wrap.Enabled(), m.keys.Right.Enabled())
	}
	m = press(t, m, "w")
	if !m.pane.vp.SoftWrap {
		t.Errorf("the first w did not wrap:\n%s", screen(m))
	}
}
