package ui

import (
	"errors"
	"strings"
	"testing"

	"golive/sshexec"
)

// TestRetryAfterUnknownEndAsks: a step whose last attempt ended unknown
// (the connection could not be restored) may still run on the host; R asks
// before running it a second time beside it. n starts nothing; y does.
func TestRetryAfterUnknownEndAsks(t *testing.T) {
	ex := newFakeExec("web1")
	ex.on("manage.py check", &fakeJob{res: sshexec.Result{ExitCode: -1, Unknown: true},
		err: errors.New("sshexec: job x on web1: could not reconnect, the job may still be running")})
	m := started(t, ex, 100, 30)
	m = runTo(t, m, "enter")
	a := attempts(t, m, "check", 1)[0]
	if a.Exit == nil || !a.Exit.Unknown {
		t.Fatalf("first attempt's end: %+v, want unknown", a.Exit)
	}
	m = press(t, m, "R")
	if m.dlg.kind != dlgRetryUnknown {
		t.Fatalf("R after an unknown end opened no question (dialog %v):\n%s", m.dlg.kind, screen(m))
	}
	s := screen(m)
	flat := strings.Join(strings.Fields(strings.ReplaceAll(s, "│", " ")), " ") // the dialog wraps its text
	if !strings.Contains(flat, "may still be running on the host") || !strings.Contains(s, "y run check again") {
		t.Fatalf("the question or its keys are missing:\n%s", s)
	}
	m = runTo(t, m, "n")
	attempts(t, m, "check", 1)
	if len(ex.specs) != 1 {
		t.Fatalf("n ran the step: %d runs", len(ex.specs))
	}
	m = press(t, m, "R")
	m = runTo(t, m, "y")
	attempts(t, m, "check", 2)
	if len(ex.specs) != 2 {
		t.Fatalf("y did not run the step again: %d runs", len(ex.specs))
	}
}

// TestRetryAfterKnownFailureDoesNotAsk: a step that failed with an exit
// code ran to its end; R runs it again at once.
func TestRetryAfterKnownFailureDoesNotAsk(t *testing.T) {
	ex := newFakeExec("web1")
	ex.on("manage.py check", &fakeJob{res: sshexec.Result{ExitCode: 1}})
	m := started(t, ex, 100, 30)
	m = runTo(t, m, "enter")
	m = runTo(t, m, "R")
	if m.dlg.kind != dlgNone {
		t.Fatalf("R after a known failure asked (dialog %v)", m.dlg.kind)
	}
	attempts(t, m, "check", 2)
}
