package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"golive/runbook"
)

// outputPane shows one step's output (a ring) in a viewport: it follows the
// tail only while the operator is at the bottom, scrolls, and searches with
// / then n and N. Each line has a two-column gutter, so stderr is told
// apart without colour: "!│" for stderr, " │" for stdout, "» " for golive's
// own remarks, and ">" marks the current search match.
type outputPane struct {
	vp     viewport.Model
	input  textinput.Model
	styles *styles // the pane's own copy (newOutputPane), never changed: not copied with every Update
	title  string
	r      *ring

	// Search state: query is the active search, matches its hits as
	// absolute line numbers, cur the current one; typing is true while
	// the query is being typed.
	typing  bool
	query   string
	matches []int64
	cur     int

	gutters map[runbook.Stream]string
	gMatch  string

	// tail is true while the viewport holds only the newest lines (the
	// pane follows the output and no search is active): a batch then
	// costs a few screens of work, not the whole ring. Scrolling up
	// loads the whole ring first.
	tail bool
	// held is true once the operator jumped to a search match: new
	// output no longer scrolls the match away, even when it sat in the
	// last screen, until F, esc (the search's end) or pgdn to the bottom.
	held bool
	// empty is what the pane says while the step has no output.
	empty string
	// content is what fill gave the viewport, for body (nil: body is
	// the viewport's own View).
	content *paneContent
	// shown are the ring's counts as of the last fill: the title line
	// counts the lines the pane shows, and changes with them, not with
	// every batch that arrives between two frames.
	shown paneCounts
}

// paneCounts are the counts the pane's title line shows.
type paneCounts struct {
	lines, stderr, dropped int64
	held                   int
}

// tailScreens is how many screens of the newest lines the viewport holds
// while it follows the output (at least tailMinLines).
const (
	tailScreens  = 2
	tailMinLines = 50
)

func newOutputPane(st styles) outputPane {
	vp := viewport.New()
	vp.SoftWrap = false
	vp.FillHeight = true
	in := newTextInput()
	in.Prompt = "/"
	// No placeholder: its first letter, under the cursor, reads as typed.
	in.CharLimit = 200
	return outputPane{
		vp: vp, input: in, styles: &st,
		gutters: map[runbook.Stream]string{
			runbook.StreamStdout: st.GutterStdout.Render(" │"),
			runbook.StreamStderr: st.GutterStderr.Render("!│"),
			runbook.StreamInfo:   st.InfoLine.Render("» "),
		},
		gMatch: st.GutterMatch.Render(">│"),
	}
}

// setSize gives the pane its outer size (title line included).
func (p *outputPane) setSize(w, h int) {
	h -= p.styles.OutputPane.GetVerticalFrameSize() + 1 // the title line
	if h < 1 {
		h = 1
	}
	w -= p.styles.OutputPane.GetHorizontalFrameSize()
	bottom := p.following()
	taller := h > p.vp.Height()
	resized := w != p.vp.Width()
	p.vp.SetWidth(w)
	p.vp.SetHeight(h)
	if resized && (p.r == nil || p.r.len() == 0) {
		p.fill() // the placeholder wraps to the new width
	}
	if taller && p.tail {
		// The content holds screens of the old height: take as many of
		// the newest lines as the new one needs.
		p.fill()
	}
	if bottom {
		p.vp.GotoBottom() // a pane that followed the tail still does
	}
	p.input.SetWidth(w - 4)
}

// show switches the pane to another step's output, at its tail.
func (p *outputPane) show(title string, r *ring) {
	if p.r == r && p.title == title {
		return
	}
	p.title, p.r = title, r
	p.query, p.matches, p.cur, p.typing, p.held = "", nil, 0, false, false
	p.input.Blur()
	p.tail = true // shown at its tail: the newest lines do (scroll loads the rest)
	p.fill()
	p.vp.GotoBottom()
	p.vp.SetXOffset(0) // from its first column, as it is from its tail
}

// appended refreshes the pane after r grew: it keeps the tail in view only
// if the operator was already at the bottom (STYLE §5).
func (p *outputPane) appended(r *ring, from int64) {
	if r != p.r {
		return
	}
	follow := p.following()
	joined, wasJoined := r.takeJoined()
	if p.query != "" {
		// A line before these may have got its rest (a Cont line goes
		// on it): search from there again.
		if wasJoined && joined < from {
			from = joined
			for n := len(p.matches); n > 0 && p.matches[n-1] >= from; n-- {
				p.matches = p.matches[:n-1]
			}
		}
		p.matches = append(p.matches, r.find(p.query, from)...)
		p.cur = min(p.cur, max(0, len(p.matches)-1))
	}
	p.tail = follow && p.query == ""
	p.fill()
	if follow {
		p.vp.GotoBottom()
	}
}

// refresh rebuilds the viewport content from the whole ring.
func (p *outputPane) refresh() {
	p.tail = false
	p.fill()
}

// fill rebuilds the viewport content from the ring: all of it, or only the
// newest lines while p.tail.
func (p *outputPane) fill() {
	p.shown = paneCounts{}
	if p.r != nil {
		p.shown = paneCounts{lines: p.r.lines, stderr: p.r.stderr, dropped: p.r.dropped(), held: p.r.len()}
	}
	if p.r == nil || p.r.len() == 0 {
		p.vp.LeftGutterFunc = nil
		empty := p.empty
		if empty == "" {
			empty = "(no output yet)"
		}
		// Wrapped to the pane (setSize wraps it again): it is prose, and
		// nothing to scroll sideways to.
		var lines []string
		for _, l := range strings.Split(wrap(empty, p.vp.Width()-2), "\n") {
			lines = append(lines, p.styles.Muted.Render("  "+l))
		}
		p.vp.SetContentLines(lines)
		p.content = nil
		return
	}
	for len(p.matches) > 0 && p.matches[0] < p.r.first() {
		p.matches = p.matches[1:]
		if p.cur > 0 {
			p.cur--
		}
	}
	var curAbs int64 = -1
	if len(p.matches) > 0 {
		curAbs = p.matches[p.cur]
	}
	skip := 0
	if p.tail {
		skip = max(0, p.r.len()-max(tailScreens*p.vp.Height(), tailMinLines))
	}
	lines := make([]string, p.r.len()-skip)
	gutters := make([]string, len(lines))
	for i := range lines {
		l := p.r.at(skip + i)
		gutters[i] = p.gutters[l.stream]
		if p.r.first()+int64(skip+i) == curAbs {
			gutters[i] = p.gMatch
		}
		t := l.text
		if l.stream == runbook.StreamInfo {
			t = p.styles.InfoLine.Render(t)
		}
		// Two spaces for the gutter's width: the viewport's furthest
		// sideways scroll ignores the gutter and would cut two columns.
		lines[i] = t + "  "
	}
	// The gutter is the viewport's, so it stays put when a long line is
	// scrolled sideways. It is a snapshot of this content: the ring moves
	// on between refreshes, the content does not.
	p.vp.LeftGutterFunc = func(c viewport.GutterContext) string {
		if c.Index < 0 || c.Index >= len(gutters) {
			return "  "
		}
		return gutters[c.Index]
	}
	p.vp.SetContentLines(lines)
	p.content = setPaneContent(lines)
}

// searching reports whether a search is active (n/N move between matches).
func (p *outputPane) searching() bool { return p.query != "" }

// startSearch opens the query input.
func (p *outputPane) startSearch() tea.Cmd {
	p.typing = true
	p.input.SetValue(p.query)
	return p.input.Focus()
}

// clearSearch ends the search.
func (p *outputPane) clearSearch() {
	p.query, p.matches, p.cur, p.typing, p.held = "", nil, 0, false, false
	p.input.Blur()
	p.refresh()
}

// updateInput handles a key while the query is being typed: enter runs the
// search, esc abandons it.
func (p outputPane) updateInput(msg tea.KeyPressMsg, k keyMap) (outputPane, tea.Cmd) {
	switch {
	case key.Matches(msg, k.Submit):
		p.typing = false
		p.input.Blur()
		p.query = p.input.Value()
		p.matches, p.cur = nil, 0
		if p.r != nil && p.query != "" {
			p.matches = p.r.find(p.query, 0)
			p.cur = len(p.matches) - 1 // newest match first: what just happened
		}
		p.refresh()
		p.jump()
		return p, nil
	case key.Matches(msg, k.Esc):
		p.typing = false
		p.input.Blur()
		return p, nil
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	return p, cmd
}

// next moves to the next (d=1) or previous (d=-1) match, wrapping.
func (p *outputPane) next(d int) {
	if len(p.matches) == 0 {
		return
	}
	p.cur = (p.cur + d + len(p.matches)) % len(p.matches)
	p.refresh()
	p.jump()
}

// jump scrolls so the current match is in view.
func (p *outputPane) jump() {
	if len(p.matches) == 0 || p.r == nil {
		return
	}
	i := int(p.matches[p.cur] - p.r.first())
	p.vp.SetYOffset(i - p.vp.Height()/2)
	p.held = true
}

// following reports whether new output scrolls into view: the view is at
// the bottom and not held on a search match.
func (p *outputPane) following() bool { return p.vp.AtBottom() && !p.held }

// scroll moves the view by pages (d<0 up).
func (p *outputPane) scroll(d int) {
	if p.tail {
		p.refresh()
		p.vp.GotoBottom()
	}
	if d < 0 {
		p.vp.PageUp()
	} else {
		p.vp.PageDown()
		p.held = p.held && !p.vp.AtBottom() // down to the end: follow again
	}
}

// scrollSideways moves the view of long lines left (d<0) or right.
func (p *outputPane) scrollSideways(d int) {
	if d < 0 {
		p.vp.ScrollLeft(-d)
	} else {
		p.vp.ScrollRight(d)
	}
}

// wide reports whether some line is wider than the pane, so scrolling
// right shows more.
func (p outputPane) wide() bool {
	return p.vp.HorizontalScrollPercent() < 1
}

// toggleWrap wraps long lines to the pane's width, or stops wrapping them
// (then ←/→ scroll sideways).
func (p *outputPane) toggleWrap() {
	bottom := p.following() // before: wrapping changes where the bottom is
	p.vp.SoftWrap = !p.vp.SoftWrap
	p.vp.SetXOffset(0)
	p.refresh()
	if bottom {
		p.vp.GotoBottom()
	}
}

// follow jumps to the tail, so new output scrolls into view again.
func (p *outputPane) follow() { p.held = false; p.vp.GotoBottom() }
