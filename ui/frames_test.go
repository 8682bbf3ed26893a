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
		nm, cmd := m.Update(runEventsMsg{runID: m.run.id, evs: []runbook.Event{ev}})
		return nm.(Model), cmd
	}
	view := func(m Model) string { return m.View().Content }
	attemptLines := func(m Model) int64 { return m.rel.Session.Step(step).Last().OutputLines }

	// After a pause: shown at once, counts and all.
	m.lastFrame = time.Time{}
	m, _ = send(m, "alpha", 100)
	v1 := view(m)
	if !strings.Contains(v1, "alpha 99") || m.refreshPending {
		t.Fatalf("output after a pause not shown at once (pending %v):\n%s", m.refreshPending, v1)
	}
	if want := fmt.Sprintf(", %d lines", attemptLines(m)); !strings.Contains(v1, want) {
		t.Fatalf("attempt line count %q not shown:\n%s", want, v1)
	}
	if want := plural(int(m.pane.r.lines), "line"); !strings.Contains(v1, want) {
		t.Fatalf("pane count %q not shown:\n%s", want, v1)
	}

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
	if want := fmt.Sprintf(", %d lines", attemptLines(m)); !strings.Contains(v2, want) {
		t.Fatalf("attempt line count %q not shown after the refresh:\n%s", want, v2)
	}
	if want := plural(int(m.pane.r.lines), "line"); !strings.Contains(v2, want) {
		t.Fatalf("pane count %q not shown after the refresh:\n%s", want, v2)
	}

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
