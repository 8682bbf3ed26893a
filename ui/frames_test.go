package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"golive/runbook"
)

// Streaming output moves on screen in frames: output that arrives while
// the last frame is recent changes nothing on screen (not the pane's
// lines, not its title's count, not the attempt's line count) until the
// scheduled refresh, which shows all of it at once; output after a pause
// shows at once.
func TestStreamingOutputMovesInFrames(t *testing.T) {
	m, _ := streamingModel(t, 160, 50)
	step := m.run.step
	send := func(m Model, word string, n int) (Model, tea.Cmd) {
		t.Helper()
		lines := make([]runbook.OutputLine, n)
		for i := range lines {
			lines[i] = runbook.OutputLine{Stream: runbook.StreamStdout, Text: fmt.Sprintf("%s %d", word, i)}
		}
		ev, err := m.rel.Session.Output(step, lines)
		if err != nil {
			t.Fatal(err)
		}
		ev.Hash = journalHash
		nm, cmd := m.Update(runEventsMsg{runID: m.run.id, evs: []runbook.Event{ev}})
		return nm.(Model), cmd
	}
	view := func(m Model) string { return m.View().Content }
	// countsShown fails unless screen v shows m's attempt line count and
	// its pane's line count.
	countsShown := func(m Model, v, when string) {
		t.Helper()
		if want := fmt.Sprintf(", %d lines", m.rel.Session.Step(step).Last().OutputLines); !strings.Contains(v, want) {
			t.Fatalf("attempt line count %q not shown%s:\n%s", want, when, v)
		}
		if want := plural(int(m.pane.r.lines), "line"); !strings.Contains(v, want) {
			t.Fatalf("pane count %q not shown%s:\n%s", want, when, v)
		}
	}

	// After a pause: shown at once, counts and all.
	m.lastFrame = time.Time{}
	m, _ = send(m, "alpha", 100)
	v1 := view(m)
	if !strings.Contains(v1, "alpha 99") || m.refreshPending {
		t.Fatalf("output after a pause not shown at once (pending %v):\n%s", m.refreshPending, v1)
	}
	countsShown(m, v1, "")

	// A frame was just shown: the next batches wait for the refresh and
	// the screen stays exactly as it was.
	m.lastFrame = time.Now().Add(time.Hour)
	m, _ = send(m, "bravo", 100)
	if !m.refreshPending {
		t.Fatalf("no refresh scheduled for output after a recent frame")
	}
	m, _ = send(m, "charlie", 100)
	if v := view(m); v != v1 {
		t.Fatalf("the screen changed between frames:\n%s\nwas\n%s", v, v1)
	}

	// The refresh shows both batches, and the counts that go with them.
	nm, _ := m.Update(paneRefreshMsg{})
	m = nm.(Model)
	v2 := view(m)
	if !strings.Contains(v2, "charlie 99") || m.refreshPending {
		t.Fatalf("refresh did not show the new output (pending %v):\n%s", m.refreshPending, v2)
	}
	countsShown(m, v2, " after the refresh")

	// A refresh that never came (lost while an error panel took the
	// messages) does not stop the output: once it is long overdue, new
	// output shows at once, and the frames after it are paced again.
	m.refreshPending, m.lastFrame = true, time.Now().Add(-time.Second)
	m, _ = send(m, "delta", 100)
	if v := view(m); !strings.Contains(v, "delta 99") || m.refreshPending {
		t.Fatalf("output after a lost refresh not shown (pending %v):\n%s", m.refreshPending, v)
	}
	m.lastFrame = time.Now().Add(time.Hour)
	if m, _ = send(m, "echo", 10); !m.refreshPending {
		t.Fatal("no refresh scheduled after a lost one was made up for")
	}
}

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

// Frames of output come further apart on a larger screen, in proportion
// to its cells past 160x50, at most 200 ms apart: output 60 ms after a
// frame shows at once at 80x24 and 160x50, waits at 300x80 (frames 150
// ms apart) and at 400x200 (200 ms).
func TestFramesSlowerOnLargerScreens(t *testing.T) {
	for _, c := range []struct {
		w, h  int
		every time.Duration
	}{{80, 24, 50 * time.Millisecond}, {160, 50, 50 * time.Millisecond}, {300, 80, 150 * time.Millisecond}, {400, 200, 200 * time.Millisecond}} {
		m := Model{width: c.w, height: c.h}
		every, quiet := m.frameEvery()
		if every != c.every || quiet != every*4/5 {
			t.Errorf("%dx%d: frames every %v (at once after %v), want %v", c.w, c.h, every, quiet, c.every)
		}
		sm, _ := streamingModel(t, c.w, c.h)
		sm.lastFrame = time.Now().Add(-60 * time.Millisecond)
		if cmd := sm.paceOutput(); (cmd == nil) != (c.every < 60*time.Millisecond) {
			t.Errorf("%dx%d: output 60 ms after a frame: scheduled %v, want %v", c.w, c.h, cmd != nil, c.every >= 60*time.Millisecond)
		}
	}
}
