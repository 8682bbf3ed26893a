package ui

import (
	"os"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"golive/internal/sshdtest"
	"golive/runbook"
	"golive/sshexec"
)

// TestRealSSHDSlowLoginShellSaysStarting: on a host whose every SSH
// session waits in the login shell's startup files (here sshd's
// ForceCommand, waiting while a file exists, as a ~/.bashrc stuck on a
// lock would), the step says it is starting, and past a few seconds why
// and what to check, for as long as the job has not started there; then
// it runs. The journal has when the host confirmed the start, and the
// attempt's duration is the job's own, without the wait.
func TestRealSSHDSlowLoginShellSaysStarting(t *testing.T) {
	srv, hold := sshdtest.StartSlowLogin(t)
	opts := sshdOpts(t, srv, "sshd-slow")
	opts.Connect = dialTo(srv, srv.WriteKnownHosts(false))
	opts.Now, opts.noTick = time.Now, false // the attempt line counts real seconds
	tm := teatest.NewTestModel(t, New(opts), teatest.WithInitialTermSize(80, 24),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	sc := &screenLog{tm: tm}
	sc.waitText(t, "pending")
	asked := time.Now()
	keys(tm, "enter")
	sc.waitText(t, "starting")
	sc.waitText(t, "bashrc") // past slowStart: why, and what to check
	if s := ansi.Strip(string(sc.acc)); strings.Contains(s, "running for") {
		t.Fatalf("the step said it runs while the host's login shell still waited:\n%s", s)
	}
	released := time.Now()
	if err := os.Remove(hold); err != nil {
		t.Fatal(err)
	}
	sc.waitText(t, "running")
	sc.waitText(t, "met") // expectations met: it printed "finished"
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
	t.Cleanup(func() { fm.rel.Remote.Close() })
	var types []string
	var launchedAt time.Time
	var exit *runbook.ExitInfo
	for _, e := range journal(t, fm) {
		if e.Step == "slow" {
			types = append(types, string(e.Type))
		}
		switch e.Type {
		case runbook.EvStepLaunched:
			launchedAt = e.Time
		case runbook.EvStepExited:
			exit = e.Exit
		}
	}
	if len(types) < 3 || types[0] != "step.started" || types[1] != "step.launched" {
		t.Fatalf("the step's events %v: want step.started, then step.launched before its output", types)
	}
	if launchedAt.Before(released.Truncate(time.Millisecond)) {
		t.Errorf("launched at %v, before the login shell was released at %v", launchedAt, released)
	}
	// The host's start and end stamps are file times, on the kernel's
	// coarse clock (a tick, up to 10 ms): sleep 3 measured 2.998 s once.
	if exit == nil || exit.Code != 0 || exit.Duration < 3*time.Second-50*time.Millisecond || exit.Duration >= released.Sub(asked)+3*time.Second {
		t.Errorf("exit %+v: want exit 0 in the job's own time (sleep 3), not counting the %v golive waited for the host",
			exit, released.Sub(asked).Round(time.Millisecond))
	}
	if a := fm.rel.Session.Step("slow").Last(); a == nil || a.Launched.IsZero() {
		t.Errorf("the attempt does not know when the host started it: %+v", a)
	}
}

// TestRealSSHDPlainSaysSlowStart: plain mode says, once, that a step has
// not started on the host after slowStart and why, then when it started;
// the output and the verdict are as on any host.
func TestRealSSHDPlainSaysSlowStart(t *testing.T) {
	srv, hold := sshdtest.StartSlowLogin(t)
	e := newPlainEnv(t, nil)
	e.opts.Runbook = "testdata/sshd.yaml"
	e.opts.Host = srv.Addr
	e.opts.Connect = dialTo(srv, srv.WriteKnownHosts(false))
	release := time.AfterFunc(slowStart+time.Second, func() { os.Remove(hold) })
	defer release.Stop()
	code, out := e.run(t, "", true)
	if code != ExitPassed {
		t.Fatalf("exit %d, want %d", code, ExitPassed)
	}
	for _, want := range []string{
		"-- attempt 1: not started on " + srv.Addr + " after 3s: the login shell there is slow to start. Its startup files (~/.bashrc, ~/.profile) run for every SSH session golive opens: check them.",
		"-- attempt 1: started on " + srv.Addr + " after ",
		"  | hello from ",
	} {
		if strings.Count(out, want) != 1 {
			t.Errorf("output has %q %d times, want once", want, strings.Count(out, want))
		}
	}
	if i, j := strings.Index(out, "not started on"), strings.Index(out, "| hello from"); i < 0 || j < i {
		t.Errorf("the slow start is not told before the output")
	}
}

// TestStartingUntilTheHostConfirms: until the executor says the host
// started the job, the step list and the attempt say "starting", not
// "running"; past slowStart the attempt says why and what to check; the
// confirmation turns both to running, and a reattach of an attempt the
// journal knows started is running at once.
func TestStartingUntilTheHostConfirms(t *testing.T) {
	ex := newFakeExec("web1")
	launch, hold := make(chan struct{}), make(chan struct{})
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, "working"), launch: launch, hold: hold})
	clock := &testClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	opts := testOpts(t, ex)
	opts.Runbook, opts.Host, opts.Now = "release", "web1", clock.now
	m := startedWith(t, opts, 100, 30)
	m = press(t, m, "enter")
	s := screen(m)
	if !strings.Contains(s, "◌ starting") || !strings.Contains(s, "Attempt 1: starting on web1… 0s") || strings.Contains(s, "running") {
		t.Fatalf("before the host confirmed:\n%s", s)
	}
	clock.t = clock.t.Add(slowStart)
	if s := screen(m); !strings.Contains(s, "starting on web1… 3s") || !strings.Contains(s, "~/.bashrc") {
		t.Fatalf("past slowStart, no word of why:\n%s", s)
	}
	close(launch)
	m = nextParked(t, m) // the run's next message: the confirmation; the job holds on
	s = screen(m)
	if !strings.Contains(s, "● running") || !strings.Contains(s, "Attempt 1: running for 0s") || strings.Contains(s, "starting") {
		t.Fatalf("after the host confirmed:\n%s", s)
	}
	close(hold)
	m = settle(t, m)
	if a := m.rel.Session.Step("check").Last(); a == nil || a.Exit == nil || a.Launched.IsZero() {
		t.Fatalf("attempt %+v", a)
	}
}

// nextParked waits for the first parked command's message and drives
// what it brings, leaving later commands parked (a job that holds on).
func nextParked(t *testing.T, m Model) Model {
	t.Helper()
	if len(parked[t]) == 0 {
		t.Fatal("nothing parked")
	}
	ch := parked[t][0]
	parked[t] = parked[t][1:]
	select {
	case msg := <-ch:
		m, next := feed(m, msg)
		return drive(t, m, next)
	case <-time.After(5 * time.Second):
		t.Fatal("the parked command did not return within 5s")
	}
	return m
}

// TestReattachOfLaunchedJobRunsAtOnce: golive died while a job the host
// had confirmed started was quiet; the resumed run shows it running at
// once, before the reattach hears from the host, and journals no second
// confirmation when it does.
func TestReattachOfLaunchedJobRunsAtOnce(t *testing.T) {
	ex := newFakeExec("web1")
	m, jobID, path := diesWhileCheckRuns(t, ex)
	launch, hold := make(chan struct{}), make(chan struct{})
	ex.on("attach:"+jobID, &fakeJob{launch: launch, hold: hold})
	r := resumeTUI(t, m.opts, path)
	if s := screen(r); !strings.Contains(s, "Attempt 1: running for") || strings.Contains(s, "starting") {
		t.Fatalf("a reattached job the journal knows started:\n%s", s)
	}
	close(launch)
	close(hold)
	r = settle(t, r)
	n := 0
	for _, e := range journal(t, r) {
		if e.Type == runbook.EvStepLaunched {
			n++
		}
	}
	if a := r.rel.Session.Step("check").Last(); a == nil || a.Exit == nil || n != 1 {
		t.Fatalf("attempt %+v, %d step.launched events; want it ended, confirmed once", a, n)
	}
}

// diesWhileCheckRuns starts the check step on ex with a job the host
// confirms and that then holds, and stops golive while it runs (its
// journal closed, its parked commands dropped: none reach a resumed
// golive). It returns that golive's last model, the job and the journal.
func diesWhileCheckRuns(t *testing.T, ex *fakeExec) (m Model, jobID, path string) {
	t.Helper()
	ex.on("manage.py check", &fakeJob{hold: make(chan struct{})})
	m = started(t, ex, 100, 30)
	m = sel(m, "check")
	m = press(t, m, "enter")
	if m.run == nil {
		t.Fatal("no run")
	}
	jobID, path = m.run.jobID, m.rel.Journal.Path()
	m.run.cancel()
	m.rel.Journal.Close()
	parked[t] = nil
	return m, jobID, path
}
