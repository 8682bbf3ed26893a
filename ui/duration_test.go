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
