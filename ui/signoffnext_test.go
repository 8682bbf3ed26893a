package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"golive/runbook"
)

// TestSignOffMovesOnFromWhereTheOperatorIs: an operator who went ahead
// (earlier steps left open) and signs off a later step goes on to the step
// after it, not back to the first open step at the top (where enter would
// run a step they did not mean to); with nothing open after it, the first
// open step from the top comes next.
func TestSignOffMovesOnFromWhereTheOperatorIs(t *testing.T) {
	m := started(t, newFakeExec("web1"), 80, 24)
	if m.steps[m.selected] != "check" {
		t.Fatalf("selected %s, want check first", m.steps[m.selected])
	}
	// backup is manual: sign it off without running, check left open.
	m = sel(m, "backup")
	m = press(t, m, "p")
	m = typeText(t, m, "backup taken")
	m = press(t, m, "enter")
	if st := m.rel.Session.Step("backup"); st.SignOff == nil {
		t.Fatalf("backup not signed off; status %q", m.status)
	}
	if got := m.steps[m.selected]; got != "migrate" {
		t.Errorf("after signing off backup the selection is %s, want migrate (the step after it)", got)
	}
	// smoke is the last step: after it, back to the first open one.
	m = sel(m, "smoke")
	m = press(t, m, "s")
	m = typeText(t, m, "checked by hand")
	m = press(t, m, "enter")
	if st := m.rel.Session.Step("smoke"); st.SignOff == nil {
		t.Fatalf("smoke not signed off; status %q", m.status)
	}
	if got := m.steps[m.selected]; got != "check" {
		t.Errorf("after signing off the last step the selection is %s, want check (the first open step)", got)
	}
}

// TestRunningAttemptCountsLinesInWords: "running for 1s, 1 line", as the
// output header says it, not "1 lines".
func TestRunningAttemptCountsLinesInWords(t *testing.T) {
	m := started(t, newFakeExec("web1"), 80, 24)
	now := m.opts.Now()
	for n, want := range map[int64]string{0: ", 0 lines", 1: ", 1 line", 2: ", 2 lines"} {
		got := ansi.Strip(m.attemptLine("check", &runbook.Attempt{N: 1, Started: now, Launched: now, OutputLines: n}))
		if !strings.HasSuffix(got, want) {
			t.Errorf("%d lines: %q, want it to end %q", n, got, want)
		}
	}
}

// TestReattachConfirmedAttemptRunsSinceItsStart: an attempt whose
// step.launched only a reattach brought (golive stopped between the
// step's start and the host's confirmation, the job ran on) has run since
// its start, not since golive found it again; one the launch confirmed
// runs since that confirmation.
func TestReattachConfirmedAttemptRunsSinceItsStart(t *testing.T) {
	m := started(t, newFakeExec("web1"), 80, 24)
	now := m.opts.Now()
	start := now.Add(-10 * time.Minute)
	reattached := now.Add(-6 * time.Second)
	for name, tc := range map[string]struct {
		a    runbook.Attempt
		want string
	}{
		"confirmed by the reattach": {runbook.Attempt{N: 1, Started: start, Resumed: []time.Time{reattached}, Launched: reattached.Add(time.Second)}, "running for 10m0s"},
		"confirmed by the launch":   {runbook.Attempt{N: 1, Started: start, Launched: start.Add(4 * time.Second), Resumed: []time.Time{reattached}}, "running for 9m56s"},
	} {
		if got := ansi.Strip(m.attemptLine("check", &tc.a)); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", name, got, tc.want)
		}
	}
}
