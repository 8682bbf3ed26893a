package ui

import (
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"golive/runbook"
	"golive/runbooks"
)

// benchModel is the main screen of the built-in non-docker runbook, on
// --host local, with no journal writes during the benchmark.
func benchModel(b *testing.B) Model {
	b.Helper()
	rb, err := runbook.Load(runbooks.FS, "non-docker")
	if err != nil {
		b.Fatal(err)
	}
	plan, err := rb.Plan(nil)
	if err != nil {
		b.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	sess := runbook.NewSession(plan, now)
	ev, err := sess.Begin(runbook.RunInfo{ID: "bench", Host: "web1", Operator: "alice"})
	if err != nil {
		b.Fatal(err)
	}
	if err := sess.Apply(ev); err != nil {
		b.Fatal(err)
	}
	rel := &Release{Plan: plan, Session: sess, Redactor: runbook.NewRedactor(nil), Operator: "alice", Host: "web1", RunID: "bench", Now: now}
	m := New(Options{Now: now, noTick: true})
	m = m.begin(rel)
	nm, _ := m.Update(tea.WindowSizeMsg{Width: 160, Height: 50})
	m = nm.(Model)
	lines := make([]runbook.OutputLine, 5000)
	for i := range lines {
		lines[i] = runbook.OutputLine{Stream: runbook.StreamStdout, Text: fmt.Sprintf("\x1b[32mcollectstatic\x1b[0m: copied static/app/%06d.js", i)}
	}
	r := m.ring(m.steps[0])
	r.add(lines)
	m.pane.appended(r, 0)
	return m
}

// BenchmarkView measures one frame of the main screen (81 steps, 5,000
// lines of output in the pane) at 160x50.
func BenchmarkView(b *testing.B) {
	m := benchModel(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = m.View()
	}
}

// BenchmarkOutputBatch measures taking one batch of 200 lines into a full
// pane and refreshing it, as a chatty step does.
func BenchmarkOutputBatch(b *testing.B) {
	m := benchModel(b)
	r := m.ring(m.steps[0])
	batch := make([]runbook.OutputLine, 200)
	for i := range batch {
		batch[i] = runbook.OutputLine{Stream: runbook.StreamStderr, Text: fmt.Sprintf("Applying shop.%04d_auto... OK", i)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		from := r.total
		r.add(batch)
		m.pane.appended(r, from)
	}
}
