package ui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"golive/runbook"
)

// View renders the current screen. It only reads the model.
func (m Model) View() tea.View {
	var s string
	switch {
	case m.state == stateForm && m.rb == nil, m.state == stateMain && m.rel == nil:
		s = "" // nothing to show yet
	default:
		s = m.viewState()
	}
	v := tea.NewView(s)
	v.AltScreen = true
	v.WindowTitle = "golive"
	if m.rel != nil {
		done, total, _ := m.rel.Progress()
		v.WindowTitle = fmt.Sprintf("golive: %s on %s (%d/%d)", m.rel.Plan.Runbook.ID, m.rel.Host, done, total)
	}
	return v
}

// viewState renders the screen of the current state.
func (m Model) viewState() string {
	var s string
	switch m.state {
	case stateChoose, stateForm, stateConnect:
		s = m.startView()
	case stateError:
		s = m.errorView()
	case stateSummary:
		s = m.summaryView()
	default:
		s = m.mainView()
	}
	return s
}

// mainGeometry splits the screen: the step list's width, the body's height,
// and the detail column's width and output pane's height.
func (m Model) mainGeometry() (listW, bodyH, detailW, outH int) {
	g := m.mainLayout()
	return g.listW, g.bodyH, g.detailW, g.outH
}

// mainLayout is how the main screen is split (mainGeometry), and the
// selected step's detail at the detail column's width, which the split
// depends on (so a frame renders it once).
type mainLayout struct {
	listW, bodyH, detailW, outH int
	detail                      string
}

func (m Model) mainLayout() mainLayout {
	var g mainLayout
	w, h := max(m.width, 40), max(m.height, 10)
	g.listW = m.listWidth(w)
	g.detailW = w - g.listW - m.styles.ListPane.GetHorizontalFrameSize() - m.styles.DetailPane.GetHorizontalFrameSize()
	footerH := lipgloss.Height(m.footer())
	g.bodyH = h - 1 - footerH - lipgloss.Height(m.statusLine()) // header, footer, status line
	if m.banner != "" {
		g.bodyH--
	}
	g.bodyH = max(g.bodyH, 4)
	if m.zoom {
		return g // the whole step, no output pane
	}
	need := 6
	if m.rel != nil && len(m.steps) > 0 {
		g.detail = m.detailView(g.detailW, false)
		need = lipgloss.Height(g.detail)
	}
	g.outH = g.bodyH - m.detailHeight(g.bodyH, need)
	return g
}

// listWidth is the step list's width in a w-column terminal: 28 cells,
// 32 from 100 columns, a quarter plus 12 from 120 (as far as 60), and
// past 160 columns it grows by half of every further column, as far as
// the list needs to show every id and title whole (listWant) but never
// past two fifths of the screen, so the output pane stays the larger.
// At 300 columns the docker runbook's 26-cell ids leave its titles about
// 70 cells, where a list capped at 60 left them 10.
func (m Model) listWidth(w int) int {
	switch {
	case w < 100:
		return 28
	case w < 120:
		return 32
	}
	lw := min(w/4+12, 60)
	if w > 160 {
		// m.listWant is set with the release (begin); 0 before it.
		lw = max(lw, min(lw+(w-160)/2, m.listWant, w*2/5))
	}
	return lw
}

// listWant is how wide the step list must be to show every step's id and
// title whole in a wide list (listRowView): the marker, the status
// label, the widest id and the widest title, with the spaces between.
func listWant(plan *runbook.Plan) int {
	if plan == nil {
		return 0
	}
	idW, titleW := 0, 0
	for _, ps := range plan.Steps {
		if ps.Step != nil {
			idW = max(idW, cellWidth(ps.Step.ID))
			titleW = max(titleW, cellWidth(ps.Step.Title))
		}
	}
	return 2 + wideLabelW + 1 + idW + 2 + titleW
}

// detailHeight is how many body lines the step detail gets: what it
// needs (need lines), up to half the body, so the output pane gets the
// rest.
func (m Model) detailHeight(bodyH, need int) int {
	limit := bodyH / 2
	if m.rel != nil && len(m.steps) > 0 {
		id := m.steps[m.selected]
		r := m.outputs[id]
		switch {
		case r == nil || r.len() == 0:
			limit = bodyH - 4 // no output yet: the detail is what there is to read
		case m.run == nil || m.run.step != id:
			// Finished output: the pane needs its lines (plus title and
			// rule), at least 5 and at most half; the detail the rest.
			// (While a step runs the split stays put.)
			limit = bodyH - max(5, min(r.len()+3, bodyH/2))
		}
	}
	return max(4, min(need, limit))
}

// mainView is the main screen: header, banner, the step list beside the
// step's detail and output (or a dialog, or the whole step), the status
// line and the help bar.
func (m Model) mainView() string {
	if m.rel == nil {
		return ""
	}
	g := m.mainLayout()
	listW, bodyH, detailW, outH := g.listW, g.bodyH, g.detailW, g.outH
	st := m.styles
	var right []string
	if m.dlg.kind != dlgNone {
		right = []string{lipgloss.PlaceVertical(bodyH, lipgloss.Center, m.dialogView(min(detailW, 76), bodyH))}
	} else if m.zoom {
		right = []string{m.zoomView(detailW, bodyH)}
	} else {
		right = []string{m.detailBoxOf(g.detail, detailW, bodyH-outH), m.pane.view()}
	}
	body := joinBody(st, m.stepListView(listW, bodyH), right, detailW, bodyH)
	parts := []string{m.header()}
	if m.banner != "" {
		parts = append(parts, st.Banner.Width(m.width).Render(ansi.Truncate(plainText(m.banner), m.width-2, "…")))
	}
	parts = append(parts, body, m.statusLine(), m.footer())
	return strings.Join(parts, "\n")
}

// header is the top line: runbook, host, operator, progress, elapsed.
// Rendered again only when one of them changes (the clock: once a second).
func (m Model) header() string {
	s := m.rel.Session
	elapsed := time.Duration(0)
	if !s.Started().IsZero() {
		end := m.opts.Now()
		if s.Finished() {
			end = s.Ended()
		}
		elapsed = end.Sub(s.Started()).Truncate(time.Second)
	}
	k := headerKey{styles: m.styles.id, width: m.width, title: m.rel.Plan.Runbook.Title, host: m.rel.Host,
		operator: m.rel.Operator, progress: m.rel.progressWords(), elapsed: fmtDuration(elapsed)}
	return m.vc.memoHeader(k, func() string {
		st := m.styles
		sep := st.HeaderLabel.Render(" │ ")
		fields := []string{
			st.HeaderTitle.Render("golive"),
			st.HeaderField.Render(k.title),
			st.HeaderLabel.Render("host ") + st.HeaderField.Render(k.host),
			st.HeaderLabel.Render("operator ") + st.HeaderField.Render(k.operator),
			st.HeaderField.Render(k.progress),
			st.HeaderField.Render(k.elapsed),
		}
		line := strings.Join(fields, sep)
		w := m.width - st.Header.GetHorizontalFrameSize()
		if cellWidth(line) > w {
			// Narrow terminal: keep progress and time, shorten the rest.
			line = strings.Join([]string{fields[0], fields[2], fields[4], fields[5], fields[3], fields[1]}, sep)
			line = ansi.Truncate(line, w, "…")
		}
		return st.Header.Width(m.width).Render(line)
	})
}

// statusLine is the last action's remark, above the help bar: wrapped to
// two lines at most, so a narrow terminal still shows what to do next.
func (m Model) statusLine() string {
	if m.status == "" {
		return ""
	}
	k := statusKey{styles: m.styles.id, width: m.width, text: m.status, ok: m.statusOK}
	return m.vc.memoStatus(k, func() string {
		st := m.styles.Bad
		if m.statusOK {
			st = m.styles.Good
		}
		w := max(m.width-2, 10)
		lines := strings.Split(ansi.Wrap(plainText(m.status), w, " "), "\n")
		if len(lines) > 2 {
			lines = lines[:2]
			lines[1] = ansi.Truncate(lines[1], w-1, "") + "…"
		}
		for i, l := range lines {
			lines[i] = " " + st.Render(l)
		}
		return strings.Join(lines, "\n")
	})
}

// errorView is the error panel of a broken tool: what happened (the whole
// chain) and a key to go back.
func (m Model) errorView() string {
	st := m.styles
	w := min(m.width-4, 100)
	hint := wrap(m.errorHint(), w-4)
	if m.rel != nil {
		hint += "\n" + wrap("The run is journaled: 'golive resume "+m.rel.RunID+"' continues it.", w-4)
	}
	// Each line of the error (a broken runbook's problems are one a line)
	// is cleaned and wrapped on its own. What the screen has no room for
	// is counted: quitting prints the whole error.
	var lines []string
	for _, l := range strings.Split(ErrorText(m.errPanel), "\n") {
		lines = append(lines, strings.Split(wrap(plainText(l), w-4), "\n")...)
	}
	room := m.height - lipgloss.Height(m.footer()) - 2 - 3 - lipgloss.Height(hint) // border; title and blanks
	if len(lines) > max(room, 2) {
		keep := max(room, 2) - 1
		more := wrap(fmt.Sprintf("… %d more lines: q quits and prints the whole message", len(lines)-keep), w-4)
		keep = max(keep-(lipgloss.Height(more)-1), 1)
		lines = append(lines[:keep:keep], st.Hint.Render(more))
	}
	body := st.ErrorTitle.Render("golive cannot go on") + "\n\n" +
		strings.Join(lines, "\n") + "\n\n" + st.Hint.Render(hint)
	panel := st.ErrorPanel.Width(w).Render(body)
	return lipgloss.Place(m.width, m.height-1, lipgloss.Center, lipgloss.Center, panel) + "\n" + m.footer()
}

// errorHint says what a key does on the error panel: a resume has nothing
// to go back to.
func (m Model) errorHint() string {
	if m.resuming != nil {
		return "Press any key to quit."
	}
	return "Press any key to go back, q to quit."
}

// fit cuts or pads s to exactly h lines of at most w cells.
func fit(s string, w, h int) string {
	h = max(h, 1) // a tiny terminal gets a line, never a panic
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i], _ = fitLine(l, cellWidth(l), w)
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// fitLine cuts l, lw cells wide, to at most w cells, with "…" where text
// is cut (none when only padding is), and returns it with its width.
func fitLine(l string, lw, w int) (string, int) {
	if lw <= w {
		return l, lw
	}
	tail := "…"
	if cellWidth(strings.TrimRight(ansi.Strip(l), " ")) <= w {
		tail = "" // only padding is cut
	}
	l = ansi.Truncate(l, w, tail)
	return l, cellWidth(l)
}

// wrap wraps plain text to w cells.
func wrap(s string, w int) string {
	if w < 10 {
		w = 10
	}
	return keepFlags(s, func(s string) string { return lipgloss.Wrap(s, w, " ") })
}

// fmtDuration renders a duration as h:mm:ss.
func fmtDuration(d time.Duration) string {
	d = d.Truncate(time.Second)
	h := int(d.Hours())
	mnt := int(d.Minutes()) % 60
	sec := int(d.Seconds()) % 60
	return fmt.Sprintf("%d:%02d:%02d", h, mnt, sec)
}

// plural renders a count with its noun: "1 line", "2 lines".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
