package ui

import (
	"path/filepath"
	"strings"
	"testing"
)

// finishedSummary walks the test runbook to its summary, every step
// settled, nothing exported.
func finishedSummary(t *testing.T) Model {
	t.Helper()
	m := started(t, goldenExec(), 80, 24)
	m = press(t, m, "enter", "p", "enter") // check
	m = press(t, m, "s")                   // backup
	m = typeText(t, m, "dump verified by DBA")
	m = press(t, m, "enter", "enter")
	m = typeText(t, m, "migrate")
	m = press(t, m, "enter", "p", "enter") // migrate
	m = sel(m, "smoke")
	m = press(t, m, "s")
	m = typeText(t, m, "checked by hand")
	m = press(t, m, "enter")
	if m.state != stateSummary {
		t.Fatalf("state %v, want summary (status %q)", m.state, m.status)
	}
	return m
}

// TestSummaryQuitAsksForTranscript: q on the summary of a finished run
// whose transcript was not written asks first, with the keys in the help
// bar (y quits without it, e exports it now, n stays); it quit at once
// and left no transcript, while plain mode writes one at the end. Once
// exported, q quits without asking.
func TestSummaryQuitAsksForTranscript(t *testing.T) {
	m := finishedSummary(t)
	m = press(t, m, "q")
	if m.quitting || m.dlg.kind != dlgQuitUnexported {
		t.Fatalf("q: quitting %v, dialog %v; want the question", m.quitting, m.dlg.kind)
	}
	s := screen(m)
	for _, want := range []string{"Quit without the transcript?", "golive export " + m.rel.RunID, "y quit without the transcript", "e export it now", "n stay"} {
		if !strings.Contains(s, want) {
			t.Errorf("the question lacks %q:\n%s", want, s)
		}
	}
	m = press(t, m, "n")
	if m.quitting || m.dlg.kind != dlgNone || m.state != stateSummary {
		t.Fatalf("n: quitting %v, dialog %v, state %v; want the summary", m.quitting, m.dlg.kind, m.state)
	}
	m = press(t, m, "q", "e")
	if m.dlg.kind != dlgExport {
		t.Fatalf("e in the question: dialog %v, want the export's directory", m.dlg.kind)
	}
	m.dlg.input.SetValue(filepath.Join(t.TempDir(), "out"))
	m = press(t, m, "enter")
	if len(m.outcome.Files) == 0 {
		t.Fatalf("nothing exported; status %q", m.status)
	}
	m = press(t, m, "q")
	if !m.quitting || !m.outcome.Finished {
		t.Errorf("q after the export: quitting %v, finished %v; want to quit without asking", m.quitting, m.outcome.Finished)
	}

	m = finishedSummary(t)
	m = press(t, m, "q", "y")
	if !m.quitting || !m.outcome.Finished || len(m.outcome.Files) != 0 {
		t.Errorf("y: quitting %v, finished %v, files %v; want to quit, the run finished, unexported", m.quitting, m.outcome.Finished, m.outcome.Files)
	}
}
