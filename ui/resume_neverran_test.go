package ui

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"golive/runbook"
	"golive/sshexec"
)

// crashBeforeLaunch journals the check step's start and abandons the
// model as a crash would before the job printed anything: on resume the
// host has no such job (the fake answers ErrNoJob), as when golive died
// between journaling step.started and launching the job.
func crashBeforeLaunch(t *testing.T, ex *fakeExec) (Options, string) {
	t.Helper()
	ex.on("manage.py check", &fakeJob{hold: make(chan struct{}), unlaunched: true})
	m := started(t, ex, 100, 30)
	m = sel(m, "backup")
	m = press(t, m, "p", "enter")
	m = sel(m, "check")
	m = press(t, m, "enter")
	if m.run == nil {
		t.Fatal("no run")
	}
	path := m.rel.Journal.Path()
	m.run.cancel()
	m.rel.Journal.Close()
	return m.opts, path
}

// TestResumeNeverStartedCanRunAgain: a step whose job never reached the
// host shows that it never ran (not "unknown"), the status line says so
// and how to run it, and enter runs it as a new attempt, which passes.
func TestResumeNeverStartedCanRunAgain(t *testing.T) {
	ex := newFakeExec("web1")
	opts, path := crashBeforeLaunch(t, ex)
	m := resumeTUI(t, opts, path)
	if m.state != stateMain {
		t.Fatalf("state %v (%v)", m.state, m.errPanel)
	}
	a := m.rel.Session.Step("check").Last()
	if !neverStarted(a) {
		t.Fatalf("attempt after resume: %+v; want one that never started", a)
	}
	if got := m.stepStatusOf("check"); got != statusNotRun {
		t.Fatalf("check shows %q, want %q", got.Label(), statusNotRun.Label())
	}
	s := screen(m)
	for _, want := range []string{"not run", "never started on the host", "enter run"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "? unknown") || strings.Contains(s, "connection lost") {
		t.Errorf("a job that never started is shown as unknown:\n%s", s)
	}
	if !strings.Contains(m.status, "never started") || !strings.Contains(m.status, "enter") {
		t.Errorf("status %q: want what happened and the key to run it", m.status)
	}

	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, "System check identified no issues"), res: sshexec.Result{ExitCode: 0}})
	m = press(t, m, "enter")
	m = settle(t, m)
	st := m.rel.Session.Step("check")
	if len(st.Attempts) != 2 || st.Last().Exit == nil || st.Last().Exit.Code != 0 || !st.Last().ExpectationsMet {
		t.Fatalf("check after enter: %+v; want a second attempt that passed", st.Attempts)
	}
	if got := m.stepStatusOf("check"); got != statusAwaiting {
		t.Fatalf("check shows %q after its run, want %q", got.Label(), statusAwaiting.Label())
	}
}

// TestResumeNeverStartedAgainShowsIt: a run resumed once more after the
// lost attempt was recorded still shows the step as not run, selected,
// with the same hint: never "unknown".
func TestResumeNeverStartedAgainShowsIt(t *testing.T) {
	ex := newFakeExec("web1")
	opts, path := crashBeforeLaunch(t, ex)
	m := resumeTUI(t, opts, path)
	m.rel.Journal.Close()

	m = resumeTUI(t, opts, path)
	if len(ex.attached) != 1 {
		t.Fatalf("attached %v: a recorded lost attempt must not be reattached again", ex.attached)
	}
	if m.steps[m.selected] != "check" || m.stepStatusOf("check") != statusNotRun {
		t.Fatalf("selected %s, check %q", m.steps[m.selected], m.stepStatusOf("check").Label())
	}
	if !strings.Contains(m.status, "never started") {
		t.Fatalf("status %q", m.status)
	}
}

// TestPlainResumeNeverStartedSaysSo: plain mode (without --yes) says the
// same as the TUI and runs the step again with r.
func TestPlainResumeNeverStartedSaysSo(t *testing.T) {
	ex := newFakeExec("web1")
	opts, path := crashBeforeLaunch(t, ex)
	rel, events, err := OpenRun(opts, path)
	if err != nil {
		t.Fatal(err)
	}
	defer rel.Journal.Close()
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, "System check identified no issues"), res: sshexec.Result{ExitCode: 0}})
	var buf bytes.Buffer
	// r runs check again, p + note signs it off; then end of input.
	ResumePlain(context.Background(), opts, rel, events, PlainOptions{In: strings.NewReader("r\np\n\n"), Out: &buf})
	o := buf.String()
	t.Logf("output:\n%s", o)
	if !strings.Contains(o, "never started on the host") || !strings.Contains(o, "r runs it") {
		t.Errorf("plain does not say the job never started and how to run it")
	}
	if strings.Contains(o, "already ran") {
		t.Errorf("plain says a job that never started already ran")
	}
	st := rel.Session.Step("check")
	if len(st.Attempts) != 2 || st.Verdict != runbook.VerdictPassed {
		t.Fatalf("check: %d attempts, verdict %q; want 2 and passed", len(st.Attempts), st.Verdict)
	}
}

// TestResumeLaunchedJobGoneIsUnknown: an attempt whose start the host
// confirmed (step.launched) ran, even when a reattach later finds no
// directory for its job (pruned, removed by hand) and it printed nothing:
// its end is unknown, never "never started: nothing ran", and enter asks
// before running it again beside a job that may still run.
func TestResumeLaunchedJobGoneIsUnknown(t *testing.T) {
	ex := newFakeExec("web1")
	m, _, path := diesWhileCheckRuns(t, ex)
	m = resumeTUI(t, m.opts, path)
	a := m.rel.Session.Step("check").Last()
	if a == nil || a.Launched.IsZero() || a.Exit == nil || !a.Exit.Unknown {
		t.Fatalf("attempt after resume: %+v; want one the host confirmed, its end unknown", a)
	}
	if neverStarted(a) {
		t.Errorf("a job the host confirmed started counts as never started: %+v", a)
	}
	if got := m.stepStatusOf("check"); got != statusUnknown {
		t.Errorf("check shows %q, want %q", got.Label(), statusUnknown.Label())
	}
	if s := screen(m); strings.Contains(s, "never started") || strings.Contains(s, "nothing ran") {
		t.Errorf("a job that started is shown as never run:\n%s", s)
	}
	m = sel(m, "check")
	m = press(t, m, "R")
	if m.dlg.kind != dlgRetryUnknown {
		t.Errorf("R on it did not ask first (dialog %v)", m.dlg.kind)
	}
}
