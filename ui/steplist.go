package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"golive/runbook"
)

// listWords are the status words of the step list, short enough for an
// 80-column terminal; the detail shows the full label.
var listWords = map[stepStatus]string{
	statusAwaiting:    "sign-off",
	statusInterrupted: "paused",
}

// stepStatusOf returns the UI status of a step now: from the cache
// syncKeys fills after every change, so a frame does not copy every
// step's state out of the Session.
func (m Model) stepStatusOf(id string) stepStatus {
	if st, ok := m.statuses[id]; ok {
		return st
	}
	return m.computeStatus(id)
}

func (m Model) computeStatus(id string) stepStatus {
	st := m.rel.Session.Step(id)
	return statusOf(st, st.Verdict == "" && m.rel.Session.BlockedBy(id) != "")
}

// refreshStatuses recomputes the status cache.
func (m *Model) refreshStatuses() {
	if m.rel == nil {
		return
	}
	c := make(map[string]stepStatus, len(m.steps))
	for _, id := range m.steps {
		c[id] = m.computeStatus(id)
	}
	m.statuses = c
}

// stepListView renders the steps grouped by section, with a glyph and a
// word for each status, the selection marked with ▸ as well as reverse
// video, scrolled so the selection is visible.
func (m Model) stepListView(w, h int) string {
	st := m.styles
	type row struct {
		text string
		sel  bool
	}
	var rows []row
	selRow := 0
	var section *runbook.Section
	for i, id := range m.steps {
		ps := m.rel.planned(id)
		if ps == nil {
			continue
		}
		if ps.Section != section {
			section = ps.Section
			title := ""
			if section != nil {
				title = section.Title
			}
			rows = append(rows, row{text: st.Section.Render(ansi.Truncate(title, w, "…"))})
		}
		status := m.stepStatusOf(id)
		word := listWords[status]
		if word == "" {
			word = status.String()
		}
		label := fmt.Sprintf("%s %-8s", status.Glyph(), word)
		if w >= 50 { // wide: the full words, in a column
			label = fmt.Sprintf("%s %-17s", status.Glyph(), status.String())
		}
		name := id
		if w >= 48 {
			name = id + "  " + st.Muted.Render(ps.Step.Title)
		}
		marker := "  "
		if i == m.selected {
			marker = "▸ "
			selRow = len(rows)
		}
		line := marker + st.statusStyle(status).Render(label) + " " + name
		line = ansi.Truncate(line, w, "…")
		if i == m.selected {
			line = st.StepSelected.Render(ansi.Strip(line) + strings.Repeat(" ", max(0, w-ansi.StringWidth(line))))
		} else if !ps.Applicable {
			line = st.StepNA.Render(ansi.Strip(line))
		}
		rows = append(rows, row{text: line, sel: i == m.selected})
	}
	// Scroll: keep the selected row in view, with its section title
	// when there is room.
	top := 0
	if len(rows) > h {
		top = max(0, min(selRow-h/2, len(rows)-h))
	}
	var out []string
	for i := top; i < len(rows) && len(out) < h; i++ {
		out = append(out, rows[i].text)
	}
	if top > 0 {
		out[0] = st.Muted.Render(fmt.Sprintf("  ↑ %d more", top))
	}
	if top+h < len(rows) {
		out[len(out)-1] = st.Muted.Render(fmt.Sprintf("  ↓ %d more", len(rows)-top-h+1))
	}
	for len(out) < h {
		out = append(out, "")
	}
	for i := range out {
		out[i] = out[i] + strings.Repeat(" ", max(0, w-ansi.StringWidth(out[i])))
	}
	return strings.Join(out, "\n")
}
