package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"golive/runbook"
	"golive/runbooks"
)

// dockerAt starts the built-in docker runbook in a w x h terminal.
func dockerAt(t *testing.T, w, h int) Model {
	t.Helper()
	opts := testOpts(t, newFakeExec("web1"))
	opts.Runbooks = runbooks.FS
	opts.Runbook, opts.Host = "docker", "web1"
	return startedWith(t, opts, w, h)
}

// checkFits fails t unless view has at most h lines, none wider than w
// cells.
func checkFits(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) > h {
		t.Errorf("%dx%d: %d lines", w, h, len(lines))
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			t.Errorf("%dx%d: line %d is %d cells wide: %q", w, h, i+1, lw, ansi.Strip(l))
		}
	}
}

// TestStepListWideTerminal: the docker runbook's step list at 300x80,
// 160x50, 120x40 and 80x24. Every line of the screen fits the terminal,
// the output column stays wider than the list, and at 300 columns (where
// a list capped at 60 cells left the 26-cell ids' titles 10 cells) every
// step's title shows whole or at least 30 cells of it, wherever the
// selection scrolls the list.
func TestStepListWideTerminal(t *testing.T) {
	for _, size := range []struct{ w, h int }{{300, 80}, {160, 50}, {120, 40}, {80, 24}} {
		m := dockerAt(t, size.w, size.h)
		listW, _, detailW, _ := m.mainGeometry()
		if detailW <= listW {
			t.Errorf("%dx%d: the list is %d cells, the output column %d: want the output the larger", size.w, size.h, listW, detailW)
		}
		seen := map[string]bool{}
		for _, at := range []string{m.steps[0], m.steps[len(m.steps)/2], m.steps[len(m.steps)-1]} {
			m = sel(m, at)
			view := m.View().Content
			checkFits(t, view, size.w, size.h)
			if size.w < 300 {
				continue
			}
			for _, row := range strings.Split(ansi.Strip(view), "\n") {
				list, _, ok := strings.Cut(row, "│")
				if !ok {
					continue
				}
				id, shown := listedStep(m.rel.Plan, list)
				if id == "" {
					continue
				}
				seen[id] = true
				title := m.rel.planned(id).Step.Title
				if shown != title && (!strings.HasSuffix(shown, "…") || ansi.StringWidth(shown) < 30) {
					t.Errorf("%dx%d: the title of %s shows as %q (%d cells), want %q whole or at least 30 cells",
						size.w, size.h, id, shown, ansi.StringWidth(shown), title)
				}
			}
		}
		if size.w >= 300 && len(seen) != len(m.steps) {
			t.Errorf("%dx%d: %d of %d steps seen in the list", size.w, size.h, len(seen), len(m.steps))
		}
	}
}

// listedStep finds the step a row of the step list shows (the id as a
// whole word) and what of its title the row shows after the id.
func listedStep(plan *runbook.Plan, list string) (id, title string) {
	fields := strings.Fields(list)
	for i, f := range fields {
		if ps := plan.Step(f); ps != nil && ps.Step != nil {
			return f, strings.Join(fields[i+1:], " ")
		}
	}
	return "", ""
}
