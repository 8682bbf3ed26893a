package ui

// This file renders the output pane: its title line, which shortens to
// fit a narrow pane, over the viewport.

import (
	"fmt"

	"charm.land/lipgloss/v2"
)

// view renders the title line and the viewport.
func (p outputPane) view() string {
	width := p.vp.Width()
	title := "Output"
	if p.title != "" {
		title = "Output: " + p.title
	}
	// Narrow panes (80 columns) take the first heading that fits: the
	// whole one; the step's name alone says whose output it is; the scroll
	// percentage goes (a search's match count says where the view is);
	// shorter words; at last the name goes too.
	name := p.title
	if name == "" {
		name = "Output"
	}
	heads := []string{title + " · " + p.headInfo(false, true), name + " · " + p.headInfo(false, true)}
	if !p.typing { // the search being typed has no shorter form
		heads = append(heads, name+" · "+p.headInfo(false, false), name+" · "+p.headInfo(true, false), p.headInfo(true, false))
	}
	head := heads[len(heads)-1]
	for _, h := range heads {
		if lipgloss.Width(h) <= width {
			head = h
			break
		}
	}
	head = fit(p.styles.OutputTitle.Render(head), width, 1) // "…" only where text is cut, not the input's padding
	return stackUnderRule(p.styles, head, p.body())
}

// headInfo is the title line's text after the step's name: the line
// counts (or the search), the wrap and sideways state and, when the pane
// does not follow the output, how to follow it again. short uses fewer
// words; pct adds how far down the view is.
func (p outputPane) headInfo(short, pct bool) string {
	var info string
	if p.r != nil {
		info = plural(int(p.shown.lines), "line")
		if p.shown.stderr > 0 {
			info += fmt.Sprintf(", %d stderr !│", p.shown.stderr)
		}
		if p.shown.dropped > 0 {
			info += fmt.Sprintf(", showing last %d (full output in the journal)", p.shown.held)
		}
	}
	switch {
	case p.typing:
		return p.input.View()
	case p.query != "" && len(p.matches) == 0:
		info = fmt.Sprintf("/%s: no match", p.query)
	case p.query != "" && short:
		info = fmt.Sprintf("/%s: %d/%d", p.query, p.cur+1, len(p.matches))
	case p.query != "":
		info = fmt.Sprintf("/%s: match %d of %d", p.query, p.cur+1, len(p.matches))
	}
	switch {
	case p.vp.SoftWrap && short:
		info += " · wrap"
	case p.vp.SoftWrap:
		info += " · wrapped (w)"
	case p.vp.XOffset() == 0 && p.wide() && !short:
		info += " · w wrap"
	}
	if x := p.vp.XOffset(); x > 0 && short {
		info += fmt.Sprintf("  [col %d, ←]", x+1)
	} else if x > 0 {
		info += fmt.Sprintf("  [column %d, ← to go back]", x+1)
	}
	if !p.following() {
		switch {
		case pct:
			info += fmt.Sprintf("  [%3.0f%%, F to follow]", p.vp.ScrollPercent()*100)
		case short:
			info += "  [F follows]"
		default:
			info += "  [F to follow]"
		}
	}
	return info
}
