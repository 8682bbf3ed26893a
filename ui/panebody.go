package ui

import (
	"strings"

	"charm.land/bubbles/v2/viewport"
	"github.com/charmbracelet/x/ansi"
)

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
