package ui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"golive/runbook"
)

// How a streaming step's output reaches the screen: each message of
// output is applied to the Session and the rings at once (applyRunEvents),
// the screen moves in frames about 20 times a second however fast the
// output comes (paceOutput), and the output pane draws its lines without
// lipgloss (outputPane.body). Bubble Tea renders after every message and
// its renderer repaints the whole screen for every frame that differs, so
// what the screen shows changes only when a frame of output is shown.

// FrameRate is the renderer's frame rate (tea.WithFPS) for golive's
// programs: at most how often a changed screen is written to the
// terminal. A key's change waits for the next frame; at 120 (Bubble
// Tea's most) that is at most ~8 ms instead of ~17 ms at its default of
// 60. Frames that change nothing cost nothing, and streaming output
// changes the screen about 20 times a second whatever the rate.
const FrameRate = 120

// applyRunEvents applies a run's journaled output and connection events
// and shows them.
func (m *Model) applyRunEvents(evs []runbook.Event) (refresh tea.Cmd, err error) {
	if err := m.rel.Apply(evs...); err != nil {
		return nil, err
	}
	// The output goes to the rings after the loop, each ring's batches at
	// once: a message holds many batches, and only the newest ringLines
	// lines of them all need writing (ring.addBatches). A run is one
	// step, so there is one ring in all but odd cases.
	var adds []ringBatches
	for _, ev := range evs {
		switch ev.Type {
		case runbook.EvOutput:
			r := m.ring(ev.Step)
			if r == m.pane.r && !m.paneDirty {
				m.paneDirty, m.paneFrom = true, r.total
			}
			i := 0
			for i < len(adds) && adds[i].r != r {
				i++
			}
			if i == len(adds) {
				adds = append(adds, ringBatches{r: r})
			}
			adds[i].batches = append(adds[i].batches, ev.Lines)
		case runbook.EvConnection:
			m.connBanner(ev.Conn)
		case runbook.EvStepLaunched:
			m.refreshStatuses() // the step list's "starting" becomes "running"
		}
	}
	for _, a := range adds {
		a.r.addBatches(a.batches)
	}
	if len(adds) > 0 { // output arrived
		refresh = m.paceOutput()
	}
	return refresh, nil
}

// ringBatches is the output of one message for one ring.
type ringBatches struct {
	r       *ring
	batches [][]runbook.OutputLine
}

// Output moves on screen in frames: the pane's lines, its title's counts
// and the running attempt's line count change together, when output is
// shown (showOutput), not with every message that brings some. Every
// frame that differs costs the renderer a whole-screen parse and diff,
// so a streaming step shows its output about 20 times a second, however
// fast it comes: at once when the last frame is at least paneRefreshMin
// old (output that trickles in), else paneRefreshEvery after the last
// frame (messages that come faster: the coalescer's, every ~30 ms, and
// full batches). A frame of a 160x50 screen full of fresh output cost
// the renderer ~8 ms of CPU (parse, diff, write): at ~33 frames a second
// a fifth of golive's CPU while a step streamed at full rate, on the
// cores the UI's goroutines need for a key press. At 20 a second a key
// press's frame reached the screen sooner (median p99 50.8 against 57.3
// ms over 16 alternated pairs in a slow hour of a 2-core VM; fix 51 in
// docs/performance.md), and text scrolling faster than anyone reads
// looks no less live.
//
// A frame costs the renderer in proportion to the screen's cells (it
// parses and compares every one): on a larger screen the frames come
// less often, so that they cost about what 20 a second of 160x50 do. At
// 300x80 (three times the cells) 20 frames a second took a key press's
// frame p99 at 200 MB to 74-99 ms (p50 27-29 ms, against 12-15 at
// 160x50); at most maxRefreshEvery apart, so that output still moves.
const (
	paneRefreshEvery = 50 * time.Millisecond
	paneRefreshMin   = 40 * time.Millisecond
	refreshCells     = 160 * 50
	maxRefreshEvery  = 200 * time.Millisecond
)

// frameEvery is how far apart frames of output are at the present screen
// size: paneRefreshEvery up to refreshCells cells, longer in proportion
// past it, at most maxRefreshEvery. quiet is how old the last frame must
// be for output to show at once.
func (m *Model) frameEvery() (every, quiet time.Duration) {
	cells := max(m.width*m.height, 1)
	every = paneRefreshEvery
	if cells > refreshCells {
		every = min(time.Duration(cells)*paneRefreshEvery/refreshCells, maxRefreshEvery)
	}
	return every, every * paneRefreshMin / paneRefreshEvery
}

// paceOutput shows the output that just arrived, or schedules it
// (paneRefreshMsg) when the last frame is too recent.
func (m *Model) paceOutput() tea.Cmd {
	every, quiet := m.frameEvery()
	since := time.Since(m.lastFrame)
	if m.refreshPending && since < 10*every {
		return nil
	}
	// (A refresh pending for longer was lost on the way, say while an
	// error panel took the messages: show the output now.)
	if since >= quiet {
		m.showOutput()
		return nil
	}
	m.refreshPending = true
	return tea.Tick(every-since, func(time.Time) tea.Msg { return paneRefreshMsg{} })
}

// showOutput is a frame of output: the pane and the keys that depend on
// it catch up with what arrived.
func (m *Model) showOutput() {
	m.lastFrame, m.refreshPending = time.Now(), false
	m.refreshPane()
	if m.dlg.kind == dlgNone && !m.pane.typing && m.state == stateMain && !m.zoom {
		// Only the pane changed: skip recomputing every step's status.
		hasOutput := m.pane.r != nil && m.pane.r.len() > 0
		m.keys.PageUp.SetEnabled(hasOutput)
		m.keys.PageDown.SetEnabled(hasOutput)
		// A line wider than the pane may have come: the title offers
		// w at once, so w and → must work at once.
		m.syncPaneKeys(hasOutput)
	}
}

// refreshPane shows the output that arrived since the last refresh, and
// the running attempt's line count as of now.
func (m *Model) refreshPane() {
	if m.paneDirty {
		m.paneDirty = false
		m.pane.appended(m.pane.r, m.paneFrom)
	}
	if r := m.run; r != nil && m.rel != nil {
		if a := m.rel.Session.Step(r.step).Last(); a != nil && a.N == r.attempt {
			r.shownLines, r.shownOK = a.OutputLines, true
		}
	}
}

// While a step streams, the output pane's viewport is most of a frame's
// work: viewport.View hands its visible lines to lipgloss, which wraps
// them, pads each to the pane's width and the block to its height,
// walking every grapheme cluster of the pane several times. body gives
// the same string, byte for byte (TestPaneBodyMatchesViewport), measuring
// each visible line once with cellWidth. What it does not reproduce (soft
// wrap, a styled viewport, tabs, lines the viewport would split, a line
// wider than the pane) takes viewport.View.

// paneContent is what fill gave the viewport, kept for body: the lines
// (without their gutters, as SetContentLines got them) and the widest
// of them in cells.
type paneContent struct {
	lines   []string
	longest int
}

// setPaneContent returns the content body may render for lines, or nil
// when the viewport would not hold them as they are (it splits lines at
// line breaks, and drops a lone empty line).
func setPaneContent(lines []string) *paneContent {
	c := &paneContent{lines: lines}
	for _, l := range lines {
		if strings.ContainsAny(l, "\r\n") {
			return nil
		}
		c.longest = max(c.longest, cellWidth(l))
	}
	if len(lines) == 1 && c.longest == 0 {
		return nil
	}
	return c
}

// body is p.vp.View().
func (p outputPane) body() string {
	s, _ := p.fastBody()
	return s
}

// fastBody is body, and whether it took the fast way.
func (p outputPane) fastBody() (string, bool) {
	vp := &p.vp
	c := p.content
	w, h := vp.Width(), vp.Height()
	fx, fy := vp.Style.GetFrameSize()
	if c == nil || vp.SoftWrap || vp.LeftGutterFunc == nil || vp.StyleLineFunc != nil ||
		fx != 0 || fy != 0 || vp.Style.GetWidth() != 0 || vp.Style.GetHeight() != 0 || w <= 0 || h <= 0 {
		return vp.View(), false
	}
	gw := cellWidth(vp.LeftGutterFunc(viewport.GutterContext{}))
	maxW := w - gw
	if maxW <= 0 {
		return vp.View(), false
	}
	x := vp.XOffset()
	cut := x != 0 || c.longest > maxW
	ridx := min(vp.YOffset(), len(c.lines))
	var b strings.Builder
	b.Grow(h * (w + 32))
	for i := range h {
		idx := ridx + i
		var t string
		if idx < len(c.lines) {
			t = c.lines[idx]
		}
		if cut {
			t = ansi.Cut(t, x, x+maxW)
		}
		row := vp.LeftGutterFunc(viewport.GutterContext{Index: idx, TotalLines: len(c.lines)}) + t
		rw := cellWidth(row)
		if rw > w || strings.IndexByte(row, '\t') >= 0 {
			return vp.View(), false // lipgloss would wrap it, or expand its tabs
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(row)
		writeSpaces(&b, w-rw)
	}
	return b.String(), true
}
