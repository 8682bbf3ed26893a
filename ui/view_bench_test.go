package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"golive/runbook"
	"golive/runbooks"
)

// journalHash stands in for the journal's hash of an output event: the
// session digests a new attempt's output by its records' hashes
// (runbook.DigestRecords), so output must carry one to apply.
var journalHash = strings.Repeat("0", 64)

// viewSizes are the terminal sizes the main screen's View is measured
// at: the smallest supported, a common wide one, and a very large one.
var viewSizes = [][2]int{{80, 24}, {160, 50}, {300, 80}}

// streamingModel is the main screen of the built-in non-docker runbook
// (81 steps) mid-run: its first runnable remote step is running with
// 5,000 lines in the pane. The returned clock moves only when set; the
// returned frame advances the run as a streaming step does between two
// frames: 30 ms later, one more batch of output applied to the Session
// and the ring, the pane refreshed.
func streamingModel(tb testing.TB, w, h int) (Model, func(Model) Model) {
	tb.Helper()
	rb, err := runbook.Load(runbooks.FS, "non-docker")
	if err != nil {
		tb.Fatal(err)
	}
	plan, err := rb.Plan(nil)
	if err != nil {
		tb.Fatal(err)
	}
	t := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := func() time.Time { return t }
	sess := runbook.NewSession(plan, now)
	rel := &Release{Plan: plan, Session: sess, Redactor: runbook.NewRedactor(nil), Operator: "alice", Host: "web1", RunID: "bench", Now: now}
	if err := rel.Apply(must(sess.Begin(runbook.RunInfo{ID: "bench", Host: "web1", Operator: "alice"}))); err != nil {
		tb.Fatal(err)
	}
	step := ""
	for _, ps := range plan.Steps {
		if ps.Step != nil && ps.Applicable && ps.Step.Kind == runbook.KindRemote {
			step = ps.Step.ID
			break
		}
	}
	ev, err := rel.StartEvent(step, false)
	if err != nil {
		tb.Fatal(err)
	}
	if err := rel.Apply(ev); err != nil {
		tb.Fatal(err)
	}
	m := New(Options{Now: now, noTick: true})
	m = m.begin(rel)
	m.selectStep(step)
	m.showSelected()
	m.run = &activeRun{step: step, attempt: 1, cancel: func() {}}
	m.syncKeys()
	nm, _ := m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m = nm.(Model)
	n := 0
	batch := func(k int) []runbook.OutputLine {
		lines := make([]runbook.OutputLine, k)
		for i := range lines {
			lines[i] = runbook.OutputLine{Stream: runbook.StreamStdout, Text: fmt.Sprintf("\x1b[32mcollectstatic\x1b[0m: copied static/app/%06d.js", n)}
			n++
		}
		return lines
	}
	frame := func(m Model) Model {
		t = t.Add(30 * time.Millisecond)
		lines := batch(200)
		ev, err := sess.Output(step, lines)
		if err != nil {
			tb.Fatal(err)
		}
		ev.Hash = journalHash // no journal here: a stand-in for the hash Record stamps
		if err := rel.Apply(ev); err != nil {
			tb.Fatal(err)
		}
		r := m.ring(step)
		from := r.total
		r.add(lines)
		m.pane.appended(r, from)
		return m
	}
	for i := 0; i < 25; i++ {
		m = frame(m)
	}
	return m, frame
}

// must returns ev, failing on err (for the benchmark's set-up only).
func must(ev runbook.Event, err error) runbook.Event {
	if err != nil {
		panic(fmt.Sprintf("set-up: %v", err))
	}
	return ev
}

// BenchmarkMainView measures one frame of the main screen of the 81-step
// non-docker runbook mid-run, at 80x24, 160x50 and 300x80. streaming:
// between frames the step prints a batch (the attempt's line count, the
// clock and the pane change; untimed); still: the same screen again, as
// after a key that changes nothing on it.
func BenchmarkMainView(b *testing.B) {
	for _, size := range viewSizes {
		name := fmt.Sprintf("%dx%d", size[0], size[1])
		b.Run(name+"/streaming", func(b *testing.B) {
			m, frame := streamingModel(b, size[0], size[1])
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				m = frame(m)
				b.StartTimer()
				_ = m.View()
			}
		})
		b.Run(name+"/still", func(b *testing.B) {
			m, _ := streamingModel(b, size[0], size[1])
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_ = m.View()
			}
		})
	}
}

// BenchmarkMainKey measures a key press that changes the screen (the
// selection moves down, then up) and the frame that shows it, mid-run at
// 160x50.
func BenchmarkMainKey(b *testing.B) {
	m, _ := streamingModel(b, 160, 50)
	keys := []tea.KeyPressMsg{{Code: tea.KeyDown}, {Code: tea.KeyUp}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		nm, _ := m.Update(keys[i%2])
		m = nm.(Model)
		_ = m.View()
	}
}

// BenchmarkMainHelpKey measures the key the latency benchmark types ("?",
// the help toggle) and the frame that shows it, mid-run, at each size.
func BenchmarkMainHelpKey(b *testing.B) {
	for _, size := range viewSizes {
		b.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(b *testing.B) {
			m, _ := streamingModel(b, size[0], size[1])
			help := tea.KeyPressMsg{Code: '?', Text: "?"}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				nm, _ := m.Update(help)
				m = nm.(Model)
				_ = m.View()
			}
		})
	}
}
