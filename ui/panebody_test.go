package ui

import (
	"fmt"
	"strings"
	"testing"

	"golive/runbook"
)

// The pane's fast body is what the viewport renders, byte for byte, at
// every size and scroll position, for plain, coloured, wide, combining
// and too-long lines of every stream, and it takes the fast way for
// them (but where the viewport must: soft wrap).
func TestPaneBodyMatchesViewport(t *testing.T) {
	texts := []string{
		"plain ascii line",
		"\x1b[32mgreen\x1b[0m and \x1b[1;31mbold red\x1b[0m",
		"wide 漢字かな text and more 漢字",
		"combining e\u0301 and emoji 👍🏽 flags 🇫🇷",
		strings.Repeat("long-", 60) + "end",
		"",
		"tab\tstops\texpanded",
		"\x1b]0;title\x07escaped \x1b[2J junk",
		strings.Repeat("漢", 90),
	}
	streams := []runbook.Stream{runbook.StreamStdout, runbook.StreamStderr, runbook.StreamInfo}
	fast, total := 0, 0
	for _, n := range []int{1, 7, 40, 700} {
		r := newRing()
		var lines []runbook.OutputLine
		for i := range n {
			lines = append(lines, runbook.OutputLine{Stream: streams[i%3], Text: fmt.Sprintf("%d %s", i, texts[i%len(texts)])})
		}
		r.add(lines)
		for _, size := range [][2]int{{12, 4}, {40, 8}, {80, 24}, {163, 50}, {300, 80}} {
			for _, mode := range []string{"tail", "whole", "top", "right", "far-right", "search", "wrap"} {
				p := newOutputPane(defaultStyles())
				p.setSize(size[0], size[1])
				p.show("s", r)
				switch mode {
				case "whole":
					p.refresh()
					p.vp.GotoBottom()
				case "top":
					p.refresh()
					p.vp.GotoTop()
				case "right":
					p.scrollSideways(7)
				case "far-right":
					p.scrollSideways(500)
				case "search":
					p.query = "line"
					p.matches = r.find("e", 0)
					p.cur = len(p.matches) / 2
					p.refresh()
					p.jump()
				case "wrap":
					p.toggleWrap()
				}
				got, ok := p.fastBody()
				want := p.vp.View()
				if got != want {
					t.Fatalf("%d lines at %dx%d, %s: body\n%q\nviewport\n%q", n, size[0], size[1], mode, got, want)
				}
				total++
				if ok {
					fast++
				} else if mode != "wrap" && n < len(texts) {
					t.Errorf("%d lines at %dx%d, %s: body took the viewport's way", n, size[0], size[1], mode)
				}
			}
		}
	}
	t.Logf("%d of %d bodies the fast way", fast, total)
	if fast < total/2 {
		t.Fatalf("only %d of %d bodies took the fast way", fast, total)
	}
}
