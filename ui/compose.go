package ui

import (
	"strings"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// The screen is measured line by line every frame (cut to the pane,
// padded to a column). ansi.StringWidth walks every grapheme cluster,
// which was most of the main screen's View; cellWidth gives the same
// answer for the text the screen is mostly made of (ASCII, SGR colour
// sequences, the UI's own symbols) in one pass over the bytes, and asks
// ansi.StringWidth for anything else.

// uiRunes are the non-ASCII symbols golive draws itself (borders,
// gutters, status glyphs, arrows). Their widths are taken from
// ansi.StringWidth once, so cellWidth never disagrees with it.
const uiRunes = "│─…·▸↪↑↓←→✓✗○●⏸⊘–☐☑»⟳⚠"

// uiRuneWidth maps each of uiRunes to its width in cells.
var uiRuneWidth = func() map[rune]int {
	w := make(map[rune]int, utf8.RuneCountInString(uiRunes))
	for _, r := range uiRunes {
		w[r] = ansi.StringWidth(string(r))
	}
	return w
}()

// cellWidth is ansi.StringWidth(s): how many terminal cells s takes.
// Escape sequences take none.
func cellWidth(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= 0x20 && c < 0x7f:
			n++
			i++
		case c == 0x1b && i+1 < len(s) && s[i+1] == '[':
			// CSI: parameters and intermediates, then a final byte.
			j := i + 2
			for j < len(s) && s[j] >= 0x20 && s[j] <= 0x3f {
				j++
			}
			if j >= len(s) || s[j] < 0x40 || s[j] > 0x7e {
				return ansi.StringWidth(s) // malformed: the parser decides
			}
			i = j + 1
		case c >= 0x80:
			r, size := utf8.DecodeRuneInString(s[i:])
			w, ok := uiRuneWidth[r]
			if !ok {
				// Anything else (wide, combining, emoji) may join with
				// what follows: measure by grapheme clusters.
				return ansi.StringWidth(s)
			}
			n += w
			i += size
		default:
			return ansi.StringWidth(s) // control characters, other escapes
		}
	}
	return n
}

// blockWidth is lipgloss.Width(s): the widest line of s.
func blockWidth(s string) int {
	w := 0
	for s != "" {
		line := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		w = max(w, cellWidth(line))
	}
	return w
}

// padRight pads s, of width w cells, with spaces to width to.
func padRight(s string, w, to int) string {
	if w >= to {
		return s
	}
	return s + strings.Repeat(" ", to-w)
}

// bodyLine is a line of the right column on its way to the screen: its
// text, width, and the spaces it is padded with.
type bodyLine struct {
	text       string
	width, pad int
}

// joinBody lays the step list (h lines) and the right column (blocks one
// under the other) side by side, the right column cut to w x h: what
//
//	list := st.ListPane.Height(h).Render(list)
//	right := st.DetailPane.Render(fit(lipgloss.JoinVertical(lipgloss.Left, right...), w, h))
//	lipgloss.JoinHorizontal(lipgloss.Top, list, right)
//
// gives, byte for byte (joinBodyLipgloss), measuring each line once.
// Styles the fast path does not reproduce, and text with tabs (which
// lipgloss expands), take lipgloss's way.
func joinBody(st *styles, list string, right []string, w, h int) string {
	h = max(h, 1)
	if !st.fastJoin || strings.Count(list, "\n")+1 != h || strings.ContainsRune(list, '\t') {
		return joinBodyLipgloss(st, list, right, w, h)
	}
	for _, r := range right {
		if strings.ContainsRune(r, '\t') {
			return joinBodyLipgloss(st, list, right, w, h)
		}
	}
	// The list block: every line padded to the widest, then the edge.
	ll := strings.Split(list, "\n")
	lw := make([]int, len(ll))
	listW := 0
	for i, l := range ll {
		lw[i] = cellWidth(l)
		listW = max(listW, lw[i])
	}
	// The right column: JoinVertical pads the blocks' lines to the
	// widest of them all, fit cuts to w and h, DetailPane pads to the
	// widest line left.
	n := 0
	for _, b := range right {
		n += strings.Count(b, "\n") + 1
	}
	rl := make([]bodyLine, 0, max(n, h))
	widest := 0
	for _, b := range right {
		for l := range strings.SplitSeq(b, "\n") {
			x := bodyLine{text: l, width: cellWidth(l)}
			widest = max(widest, x.width)
			rl = append(rl, x)
		}
	}
	if len(right) > 1 {
		for i := range rl {
			rl[i].pad = widest - rl[i].width
		}
	}
	if len(rl) > h {
		rl = rl[:h]
	}
	rightW := 0
	for i := range rl {
		x := &rl[i]
		if x.width+x.pad > w {
			if x.width <= w {
				x.pad = w - x.width // only padding is cut
			} else {
				x.text, x.width = fitLine(x.text+strings.Repeat(" ", x.pad), x.width+x.pad, w)
				x.pad = 0
			}
		}
		rightW = max(rightW, x.width+x.pad)
	}
	for len(rl) < h {
		rl = append(rl, bodyLine{})
	}
	size := len(list) + h*(len(st.listEdge)+1+listW+rightW)
	for _, x := range rl {
		size += len(x.text)
	}
	var b strings.Builder
	b.Grow(size) // an upper bound: one allocation
	for i := range h {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(ll[i])
		writeSpaces(&b, listW-lw[i])
		b.WriteString(st.listEdge)
		b.WriteByte(' ')
		b.WriteString(rl[i].text)
		writeSpaces(&b, rightW-rl[i].width)
	}
	return b.String()
}

// writeSpaces writes n spaces (none when n <= 0).
func writeSpaces(b *strings.Builder, n int) {
	const spaces = "                                                                "
	for n > 0 {
		k := min(n, len(spaces))
		b.WriteString(spaces[:k])
		n -= k
	}
}

// joinBodyLipgloss is joinBody done by lipgloss, line by line measured
// again at every step: the reference joinBody must match.
func joinBodyLipgloss(st *styles, list string, right []string, w, h int) string {
	l := st.ListPane.Height(h).Render(list)
	r := st.DetailPane.Render(fit(lipgloss.JoinVertical(lipgloss.Left, right...), w, h))
	return lipgloss.JoinHorizontal(lipgloss.Top, l, r)
}

// fastJoinWorks reports whether joinBody's fast path gives what lipgloss
// gives with these styles, on a sample with every case: a short and a
// long list line, blocks of different widths, a line cut with "…", a
// line of which only padding is cut, colours, and too many lines.
func fastJoinWorks(st styles) bool {
	st.fastJoin = true
	list := "ab\n\x1b[1mcdef\x1b[0m\n"
	right := []string{"\x1b[33mone\x1b[0m\ntwo three four", "x\ny", "z\nw"}
	for _, w := range []int{3, 8, 20} {
		if joinBody(&st, list, right, w, 3) != joinBodyLipgloss(&st, list, right, w, 3) {
			return false
		}
	}
	return true
}

// stackUnderRule is the output pane's frame: what
// st.OutputPane.Render(lipgloss.JoinVertical(lipgloss.Left, head, body))
// gives (a rule over the title line and the viewport, every line padded
// to the widest), measuring each line once.
func stackUnderRule(st *styles, head, body string) string {
	if !st.fastPane || strings.ContainsRune(head, '\t') || strings.ContainsRune(body, '\t') {
		return st.OutputPane.Render(lipgloss.JoinVertical(lipgloss.Left, head, body))
	}
	lines := make([]bodyLine, 0, strings.Count(body, "\n")+2)
	widest := 0
	for _, b := range []string{head, body} {
		for l := range strings.SplitSeq(b, "\n") {
			x := bodyLine{text: l, width: cellWidth(l)}
			widest = max(widest, x.width)
			lines = append(lines, x)
		}
	}
	var b strings.Builder
	b.Grow(len(head) + len(body) + len(lines)*8 + len(st.ruleOpen) + len(st.ruleClose) + widest*3)
	b.WriteString(st.ruleOpen)
	for range widest {
		b.WriteString("─")
	}
	b.WriteString(st.ruleClose)
	for _, x := range lines {
		b.WriteByte('\n')
		b.WriteString(x.text)
		writeSpaces(&b, widest-x.width)
	}
	return b.String()
}

// fastPaneWorks reports whether stackUnderRule's fast path gives what
// lipgloss gives with these styles, on lines of different widths.
func fastPaneWorks(st styles) bool {
	if st.ruleOpen == "" && st.ruleClose == "" {
		return false
	}
	st.fastPane = true
	head, body := "\x1b[2mOutput · 3 lines\x1b[0m", " │one\n!│\x1b[31mtwo three\x1b[0m\n"
	return stackUnderRule(&st, head, body) == st.OutputPane.Render(lipgloss.JoinVertical(lipgloss.Left, head, body))
}
