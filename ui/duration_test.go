package ui

import (
	"strings"
	"testing"
	"time"

	"golive/sshexec"
)

// TestStepDuration: a step under a second reads in milliseconds, longer
// ones in tenths of a second.
func TestStepDuration(t *testing.T) {
	for _, c := range []struct {
		in   time.Duration
		want string
	}{
		{13*time.Millisecond + 400*time.Microsecond, "13ms"},
		{999 * time.Millisecond, "999ms"},
		{1234 * time.Millisecond, "1.2s"},
		{83*time.Second + 460*time.Millisecond, "1m23.5s"},
	} {
		if got := stepDuration(c.in).String(); got != c.want {
			t.Errorf("stepDuration(%v) = %s, want %s", c.in, got, c.want)
		}
	}
}

// TestSummaryQuickStepDuration: the summary's "Longest steps" shows a
// 13 ms step as the sign-off line does, not as "0s".
func TestSummaryQuickStepDuration(t *testing.T) {
	ex := goldenExec()
	t0 := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	ex.on("manage.py check", &fakeJob{res: sshexec.Result{Started: t0, Ended: t0.Add(13 * time.Millisecond)}})
	m := started(t, ex, 80, 24)
	m = press(t, m, "enter", "p", "enter") // check
	top, rest := m.summaryContent()
	all := strings.Join(append(top, rest...), "\n")
	for _, l := range strings.Split(all, "\n") {
		if strings.Contains(l, "check ") && strings.HasPrefix(strings.TrimSpace(l), "check") {
			if !strings.HasSuffix(strings.TrimSpace(l), " 13ms") {
				t.Fatalf("summary line %q, want the duration 13ms", l)
			}
			return
		}
	}
	t.Fatalf("no line for step check in the summary:\n%s", all)
}

// TestSummaryListsPassesOverUnmetExpectations: a step the operator passed
// though its expectations were not met is listed with the operator's note
// under its own heading, not only counted among the passes.
func TestSummaryListsPassesOverUnmetExpectations(t *testing.T) {
	ex := goldenExec()
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, "1 issue"), res: sshexec.Result{ExitCode: 3}})
	m := started(t, ex, 80, 24)
	m = press(t, m, "enter", "p")
	m = typeText(t, m, "known warning, ticket 42")
	m = press(t, m, "enter")
	_, rest := m.summaryContent()
	all := strings.Join(rest, "\n")
	i := strings.Index(all, "Passed though expectations were not met:")
	if i < 0 {
		t.Fatalf("no heading for the step passed over its checks:\n%s", all)
	}
	if !strings.Contains(all[i:], "check: known warning, ticket 42") {
		t.Fatalf("the step and its note are not under the heading:\n%s", all[i:])
	}

	// Passed with its expectations met: no such heading.
	m = started(t, goldenExec(), 80, 24)
	m = press(t, m, "enter", "p", "enter")
	_, rest = m.summaryContent()
	if all := strings.Join(rest, "\n"); strings.Contains(all, "expectations were not met") {
		t.Fatalf("a step that met its expectations is listed as passed over them:\n%s", all)
	}
}
