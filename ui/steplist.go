package ui

import (
	"cmp"
	"fmt"
	"slices"
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

// refreshStatuses recomputes the status cache, unless the Session has
// applied no event since it was computed (statuses depend on nothing
// else, and only Apply changes a Session).
func (m *Model) refreshStatuses() {
	if m.rel == nil {
		return
	}
	s := m.rel.Session
	if m.statusesOf == s && m.statusesAt == s.Applied() && len(m.statusBytes) == len(m.steps) {
		return
	}
	m.statusesOf, m.statusesAt = s, s.Applied()
	c := make(map[string]stepStatus, len(m.steps))
	b := make([]byte, len(m.steps))
	for i, id := range m.steps {
		c[id] = m.computeStatus(id)
		b[i] = byte(c[id])
	}
	m.statuses, m.statusBytes = c, string(b)
}

// listKey is everything the step list is rendered from: the plan (its
// sections, ids, titles, applicability), the size, the selection, and
// every step's status, one byte each.
type listKey struct {
	styles   uint64
	plan     *runbook.Plan
	w, h     int
	selected int
	statuses string
}

// rowKey is everything one row of the step list is rendered from: a
// section title (section set) or a step (id set).
type rowKey struct {
	styles  uint64
	plan    *runbook.Plan
	section *runbook.Section
	id      string
	w       int
	status  stepStatus
	sel     bool
}

// listRow is a row of the step list before it is rendered: a section
// title, or the step at index step of m.steps.
type listRow struct {
	section *runbook.Section
	step    int
}

// stepListView renders the steps grouped by section, with a glyph and a
// word for each status, the selection marked with ▸ as well as reverse
// video, scrolled so the selection is visible. Every line is w cells
// wide. Only the rows in view are rendered, each once until its status,
// the selection or the width changes, and the whole list is rendered
// again only when one of those does.
func (m Model) stepListView(w, h int) string {
	statuses := m.statusBytes
	if len(statuses) != len(m.steps) {
		b := make([]byte, len(m.steps))
		for i, id := range m.steps {
			b[i] = byte(m.stepStatusOf(id))
		}
		statuses = string(b)
	}
	k := listKey{styles: m.styles.id, plan: m.rel.Plan, w: w, h: h, selected: m.selected, statuses: statuses}
	return m.vc.memoList(k, func() string { return m.renderStepList(k) })
}

// renderStepList renders the step list of k (see stepListView).
func (m Model) renderStepList(k listKey) string {
	st := m.styles
	w, h := k.w, k.h
	var rows []listRow
	selRow := 0
	var section *runbook.Section
	for i, id := range m.steps {
		ps := m.rel.planned(id)
		if ps == nil {
			continue
		}
		if ps.Section != section {
			section = ps.Section
			rows = append(rows, listRow{section: section, step: -1})
		}
		if i == k.selected {
			selRow = len(rows)
		}
		rows = append(rows, listRow{step: i})
	}
	// Scroll: keep the selected row in view, with its section title
	// when there is room.
	top := 0
	if len(rows) > h {
		top = max(0, min(selRow-h/2, len(rows)-h))
	}
	idW := 0 // the widest id: the titles start in one column after it
	for _, id := range m.steps {
		idW = max(idW, cellWidth(id))
	}
	var out []string
	for i := top; i < len(rows) && len(out) < h; i++ {
		out = append(out, m.listRowView(rows[i], k, idW).text)
	}
	pad := func(s string) string { return padRight(s, cellWidth(s), w) }
	if top > 0 {
		out[0] = pad(st.Muted.Render(fmt.Sprintf("  ↑ %d more", top)))
	}
	if top+h < len(rows) {
		out[len(out)-1] = pad(st.Muted.Render(fmt.Sprintf("  ↓ %d more", len(rows)-top-h+1)))
	}
	for len(out) < h {
		out = append(out, strings.Repeat(" ", w))
	}
	return strings.Join(out, "\n")
}

// minTitle is the fewest cells the id column leaves a step's title in a
// wide list; an id longer than that allows pushes its own title along.
const minTitle = 8

// wideLabelW is the cells of a step's status label in a wide list (50
// cells and more): its glyph, a space and the longest status word.
const wideLabelW = 19

// listRowView renders one row of the step list, padded to k.w cells.
// In a list wide enough for titles, the titles line up in a column after
// the widest id, idW cells (as far as minTitle cells are left for them).
// idW depends on the plan only, which the row's key holds.
func (m Model) listRowView(r listRow, k listKey, idW int) cachedLine {
	st := m.styles
	w := k.w
	if r.step < 0 {
		rk := rowKey{styles: st.id, plan: k.plan, section: r.section, w: w}
		return m.vc.row(rk, func() cachedLine {
			title := ""
			if r.section != nil {
				title = r.section.Title
			}
			return padLine(st.Section.Render(ansi.Truncate(title, w, "…")), w)
		})
	}
	id := m.steps[r.step]
	status := stepStatus(k.statuses[r.step])
	sel := r.step == k.selected
	rk := rowKey{styles: st.id, plan: k.plan, id: id, w: w, status: status, sel: sel}
	return m.vc.row(rk, func() cachedLine {
		ps := m.rel.planned(id)
		word := listWords[status]
		if word == "" {
			word = status.String()
		}
		label := fmt.Sprintf("%s %-8s", status.Glyph(), word)
		if w >= 50 { // wide: the full words, in a column
			label = fmt.Sprintf("%s %-*s", status.Glyph(), wideLabelW-2, status.String())
		}
		// The id is never cut silently: when it does not fit it loses
		// its middle to "…" (ids often share a beginning), and the
		// detail pane shows it whole.
		room := w - 2 - cellWidth(label) - 1
		name := id
		if cellWidth(id) > room {
			name = shortenID(id, room, m.steps)
		} else if w >= 48 {
			col := min(idW, room-2-minTitle) // where the titles start, after two spaces
			name = id + strings.Repeat(" ", max(2, col+2-cellWidth(id))) + st.Muted.Render(ps.Step.Title)
		}
		marker := "  "
		if sel {
			marker = "▸ "
		}
		line := marker + st.statusStyle(status).Render(label) + " " + name
		line = ansi.Truncate(line, w, "…")
		if sel {
			line = st.StepSelected.Render(ansi.Strip(line) + strings.Repeat(" ", max(0, w-cellWidth(line))))
		} else if !ps.Applicable {
			line = st.StepNA.Render(ansi.Strip(line))
		}
		return padLine(line, w)
	})
}

// padLine pads a line with spaces to w cells.
func padLine(s string, w int) cachedLine {
	sw := cellWidth(s)
	return cachedLine{text: padRight(s, sw, w), width: max(sw, w)}
}

// shortenID fits a step id into room cells by putting "…" in place of
// part of it: its middle ("migrate…release"), or, when another of the
// ids would read the same, the cut nearest the middle that tells it
// apart from all of them ("m…efore-release" beside "migrate-check-after-
// release"). Step ids are ASCII (a-z, 0-9, -).
func shortenID(id string, room int, ids []string) string {
	if room < 3 || len(id) != cellWidth(id) {
		return ansi.Truncate(id, max(room, 1), "…")
	}
	keep := room - 1 // what the "…" leaves of the id
	// Every split of keep into head and tail, nearest the middle first
	// (of two as near, the one keeping more of the beginning).
	heads := make([]int, keep+1)
	for h := range heads {
		heads[h] = h
	}
	mid := keep / 2
	slices.SortFunc(heads, func(a, b int) int {
		if c := cmp.Compare(abs(a-mid), abs(b-mid)); c != 0 {
			return c
		}
		return cmp.Compare(b, a)
	})
	for _, h := range heads {
		head, tail := id[:h], id[len(id)-(keep-h):]
		if !readsLikeAnother(id, head, tail, ids) {
			return head + "…" + tail
		}
	}
	return id[:mid] + "…" + id[len(id)-(keep-mid):] // no cut tells it apart: the detail does
}

// abs is |x|.
func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// readsLikeAnother reports whether another of ids could be shown as
// head…tail: one that begins with head and ends with tail, and is long
// enough to be cut.
func readsLikeAnother(id, head, tail string, ids []string) bool {
	for _, o := range ids {
		if o != id && len(o) > len(head)+len(tail) && strings.HasPrefix(o, head) && strings.HasSuffix(o, tail) {
			return true
		}
	}
	return false
}
