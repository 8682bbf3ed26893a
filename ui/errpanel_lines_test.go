package ui

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	tea "charm.land/bubbletea/v2"
)

// TestErrorPanelKeepsLinesAndFits: a broken runbook's problems, one a
// line, show one a line on the error panel (they ran together into one
// paragraph), and a list taller than the screen is cut with a count, so
// the panel's frame, its hint and the help bar stay on screen.
func TestErrorPanelKeepsLinesAndFits(t *testing.T) {
	var rb strings.Builder
	rb.WriteString("id: many\ntitle: Many\nsections:\n  - id: s\n    title: S\n    steps:\n")
	for i := range 30 {
		fmt.Fprintf(&rb, "      - id: s%d\n        title: Step %d\n        comand: echo %d\n", i, i, i)
	}
	for _, size := range [][2]int{{80, 24}, {60, 12}, {300, 80}, {100, 30}} {
		opts := testOpts(t, newFakeExec("web1"))
		opts.Runbooks = fstest.MapFS{"many.yaml": {Data: []byte(rb.String())}}
		opts.Runbook, opts.Host = "many", "web1"
		m := New(opts)
		nm, _ := m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		m = drive(t, nm.(Model), m.Init())
		if m.state != stateError {
			t.Fatalf("%v: state %v, want the error panel", size, m.state)
		}
		s := screen(m)
		lines := strings.Split(s, "\n")
		if len(lines) > size[1] {
			t.Errorf("%v: the screen has %d lines", size, len(lines))
		}
		if !strings.Contains(s, "╰") || !strings.Contains(s, "Press any key to go back") || !strings.Contains(lines[len(lines)-1], "q quit") {
			t.Errorf("%v: the panel's end, its hint or the help bar is cut off:\n%s", size, s)
		}
		var starts int // lines that begin with a problem
		for _, l := range lines {
			if strings.HasPrefix(strings.TrimLeft(l, " │"), "many.yaml:") {
				starts++
			}
		}
		if starts < 2 {
			t.Errorf("%v: the problems do not start lines of their own:\n%s", size, s)
		}
		if size[1] < 80 && !strings.Contains(s, "more lines: q quits and prints the whole") {
			t.Errorf("%v: the cut list does not say so:\n%s", size, s)
		}
		if size[1] == 80 && (starts != 30 || strings.Contains(s, "more lines")) {
			t.Errorf("%v: %d of 30 problems shown on a screen with room for all:\n%s", size, starts, s)
		}
	}
}
