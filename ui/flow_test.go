package ui

import (
	"strings"
	"testing"

	"golive/runbook"
	"golive/sshexec"
)

func TestStartWithFlagsOpensMainScreen(t *testing.T) {
	ex := newFakeExec("web1")
	m := started(t, ex, 100, 30)
	if got := m.steps; strings.Join(got, ",") != "check,backup,migrate,celery,smoke" {
		t.Fatalf("steps %v", got)
	}
	if m.steps[m.selected] != "check" {
		t.Fatalf("selected %s, want the first step", m.steps[m.selected])
	}
	evs := journal(t, m)
	if len(evs) != 1 || evs[0].Type != runbook.EvRunStarted || evs[0].Run.Operator != "alice" || evs[0].Run.Host != "web1" {
		t.Fatalf("journal %+v", evs)
	}
	s := screen(m)
	for _, want := range []string{"Test release", "host web1", "operator alice", "0 of 4 signed off · 1 n/a", "○ pending", "– n/a", "check"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q:\n%s", want, s)
		}
	}
}

func TestRunStepThenSignOff(t *testing.T) {
	ex := newFakeExec("web1")
	ex.on("manage.py check", &fakeJob{lines: append(out(sshexec.Stdout, "System check identified no issues (0 silenced)."), out(sshexec.Stderr, "warning: DEBUG is off")...)})
	m := started(t, ex, 100, 30)
	m = press(t, m, "enter")
	if m.run != nil {
		t.Fatal("run still active after the job ended")
	}
	st := m.rel.Session.Step("check")
	if st.Status != runbook.StatusAwaiting || st.Last() == nil || !st.Last().ExpectationsMet {
		t.Fatalf("check: %+v", st)
	}
	if len(ex.specs) != 1 || ex.specs[0].JobID != JobID(m.rel.RunID, "check", 1) || !strings.Contains(ex.specs[0].Script, "cd '/srv/app'") {
		t.Fatalf("specs %+v", ex.specs)
	}
	s := screen(m)
	for _, want := range []string{"… sign-off", "no issues", "!│warning: DEBUG is off", "expectations met"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q:\n%s", want, s)
		}
	}
	m = press(t, m, "p", "enter")
	if v := m.rel.Session.Step("check").Verdict; v != runbook.VerdictPassed {
		t.Fatalf("verdict %q", v)
	}
	if m.steps[m.selected] != "backup" {
		t.Fatalf("selection did not move to the next step: %s", m.steps[m.selected])
	}
	// Everything shown is in the journal, in order.
	var types []string
	for _, e := range journal(t, m) {
		types = append(types, string(e.Type))
	}
	want := "run.started,step.started,step.launched,step.output,step.exited,step.signed_off"
	if strings.Join(types, ",") != want {
		t.Fatalf("journal %v, want %s", types, want)
	}
}

func TestManualStepSignOffNeedsNoRun(t *testing.T) {
	m := started(t, newFakeExec("web1"), 100, 30)
	m = press(t, m, "j") // backup (manual)
	if m.keys.Run.Enabled() {
		t.Fatal("run offered for a manual step")
	}
	if !strings.Contains(screen(m), "A fresh dump exists") {
		t.Fatalf("checklist not shown:\n%s", screen(m))
	}
	m = press(t, m, "p", "enter")
	if v := m.rel.Session.Step("backup").Verdict; v != runbook.VerdictPassed {
		t.Fatalf("manual step verdict %q", v)
	}
}

func TestSkipNeedsNote(t *testing.T) {
	m := started(t, newFakeExec("web1"), 100, 30)
	m = press(t, m, "s", "enter")
	if m.dlg.kind != dlgSignOff || !strings.Contains(m.dlg.err, "note is required") {
		t.Fatalf("skip without note: dialog %v err %q", m.dlg.kind, m.dlg.err)
	}
	if !strings.Contains(screen(m), "note is required") {
		t.Fatalf("refusal not shown:\n%s", screen(m))
	}
	m = typeText(t, m, "checked by hand")
	m = press(t, m, "enter")
	st := m.rel.Session.Step("check")
	if st.Verdict != runbook.VerdictSkipped || st.SignOff.Note != "checked by hand" {
		t.Fatalf("check: %+v", st.SignOff)
	}
}

func TestFailedExpectationsNeedNoteToPass(t *testing.T) {
	ex := newFakeExec("web1")
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, "ERROR: SECRET_KEY too short"), res: sshexec.Result{ExitCode: 1}})
	m := started(t, ex, 100, 30)
	m = press(t, m, "enter")
	if !strings.Contains(screen(m), "expectations not met") {
		t.Fatalf("failure not shown:\n%s", screen(m))
	}
	m = press(t, m, "p", "enter")
	if m.dlg.err == "" {
		t.Fatal("passing a failed check without a note was accepted")
	}
	m = press(t, m, "esc", "R")
	if n := len(m.rel.Session.Step("check").Attempts); n != 2 {
		t.Fatalf("retry: %d attempts", n)
	}
	if ex.specs[1].JobID != JobID(m.rel.RunID, "check", 2) {
		t.Fatalf("retry job id %s", ex.specs[1].JobID)
	}
}

func TestHighRiskNeedsTypedConfirmation(t *testing.T) {
	ex := newFakeExec("web1")
	ex.on("migrate", &fakeJob{lines: out(sshexec.Stdout, "Applying app.0002... OK")})
	m := started(t, ex, 100, 30)
	m = press(t, m, "j", "j") // migrate
	m = press(t, m, "enter")
	if m.dlg.kind != dlgConfirmRisk {
		t.Fatalf("dialog %v, want the typed confirmation", m.dlg.kind)
	}
	m = typeText(t, m, "y")
	m = press(t, m, "enter")
	if len(ex.specs) != 0 || m.dlg.err == "" {
		t.Fatalf("ran after a wrong confirmation (specs %d, err %q)", len(ex.specs), m.dlg.err)
	}
	m = press(t, m, "esc", "enter")
	m = typeText(t, m, "migrate")
	m = press(t, m, "enter")
	if len(ex.specs) != 1 {
		t.Fatal("did not run after typing the step id")
	}
	if a := m.rel.Session.Step("migrate").Last(); a == nil || !a.Start.Confirmed {
		t.Fatalf("confirmation not recorded: %+v", a)
	}
}

func TestFailedHighRiskBlocksUntilRollback(t *testing.T) {
	ex := newFakeExec("web1")
	ex.on("migrate", &fakeJob{lines: out(sshexec.Stderr, "django.db.utils.OperationalError: lock timeout"), res: sshexec.Result{ExitCode: 1}})
	m := started(t, ex, 120, 40)
	m = press(t, m, "j", "j", "enter")
	m = typeText(t, m, "yes")
	m = press(t, m, "enter", "f", "enter")
	if v := m.rel.Session.Step("migrate").Verdict; v != runbook.VerdictFailed {
		t.Fatalf("verdict %q", v)
	}
	if by := m.rel.Session.BlockedBy("smoke"); by != "migrate" {
		t.Fatalf("smoke blocked by %q", by)
	}
	m = sel(m, "smoke")
	if m.keys.Run.Enabled() {
		t.Fatal("run offered for a blocked step")
	}
	if s := screen(m); !strings.Contains(s, "Blocked by migrate") || !strings.Contains(s, "⊘ blocked") {
		t.Fatalf("block not shown:\n%s", s)
	}
	m = sel(m, "migrate")
	m = press(t, m, "b")
	if m.dlg.kind != dlgRollback {
		t.Fatalf("b did not open the rollback dialog (status %q)", m.status)
	}
	m = typeText(t, m, "restored the backup")
	t.Logf("typed %q focused %v", m.dlg.input.Value(), m.dlg.input.Focused())
	m = press(t, m, "enter")
	t.Logf("after enter: dlg %v err %q status %q", m.dlg.kind, m.dlg.err, m.status)
	if m.dlg.err != "" {
		t.Fatalf("rollback refused: %s", m.dlg.err)
	}
	if by := m.rel.Session.BlockedBy("smoke"); by != "" {
		var types []string
		for _, e := range journal(t, m) {
			types = append(types, string(e.Type))
		}
		t.Fatalf("still blocked by %q after rollback; journal %v; state %+v", by, types, m.rel.Session.Step("migrate"))
	}
}

func TestStaleRunMessagesAreDropped(t *testing.T) {
	ex := newFakeExec("web1")
	hold := make(chan struct{})
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, "first"), hold: hold})
	m := started(t, ex, 100, 30)
	m = press(t, m, "enter")
	if m.run == nil {
		t.Fatal("no active run")
	}
	before := m.outputs["check"].total
	stale := runEventsMsg{runID: m.run.id - 1, evs: []runbook.Event{{Type: runbook.EvOutput, Step: "check", Attempt: 1,
		Lines: []runbook.OutputLine{{Stream: runbook.StreamStdout, Text: "from an old run"}}}}}
	nm, cmd := m.Update(stale)
	m = nm.(Model)
	if cmd != nil || m.outputs["check"].total != before {
		t.Fatal("stale output was applied")
	}
	nm, _ = m.Update(runDoneMsg{runID: m.run.id + 7})
	m = nm.(Model)
	if m.run == nil {
		t.Fatal("a stale done message ended the run")
	}
	close(hold)
	m = settle(t, m)
	if m.run != nil || m.rel.Session.Step("check").Status != runbook.StatusAwaiting {
		t.Fatal("run did not end")
	}
}

func TestCancelRunningStep(t *testing.T) {
	ex := newFakeExec("web1")
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, "working"), hold: make(chan struct{})})
	m := started(t, ex, 100, 30)
	m = press(t, m, "enter")
	if !m.keys.Cancel.Enabled() || m.keys.Run.Enabled() {
		t.Fatal("keys while running: cancel should be on, run off")
	}
	m = press(t, m, "x")
	if m.dlg.kind != dlgCancel {
		t.Fatal("no cancel confirmation")
	}
	m = press(t, m, "n")
	if m.dlg.kind != dlgNone || len(ex.canceled) != 0 {
		t.Fatal("n did not keep the step running")
	}
	m = press(t, m, "ctrl+x", "y")
	m = settle(t, m)
	if len(ex.canceled) != 1 {
		t.Fatalf("canceled %v", ex.canceled)
	}
	a := m.rel.Session.Step("check").Last()
	if a == nil || a.Exit == nil || !a.Exit.Canceled {
		t.Fatalf("attempt %+v", a)
	}
	if !strings.Contains(m.status, "stopped") && !strings.Contains(screen(m), "canceled") {
		t.Fatalf("status %q", m.status)
	}
}

func TestCancelUnconfirmedSaysMaybeRunning(t *testing.T) {
	ex := newFakeExec("web1")
	ex.cancelFn = func(string) error { return sshexec.ErrMaybeRunning }
	hold := make(chan struct{})
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, "working"), hold: hold})
	m := started(t, ex, 100, 30)
	m = press(t, m, "enter", "x", "y")
	if !strings.Contains(m.status, "remote process may still be running") {
		t.Fatalf("status %q", m.status)
	}
	close(hold)
	m = settle(t, m)
}

func TestConnectionLossShowsBanner(t *testing.T) {
	ex := newFakeExec("web1")
	hold := make(chan struct{})
	lines := out(sshexec.Stdout, "before")
	lines = append(lines, notice(sshexec.NoticeLost, "connection to web1 lost; job j keeps running on the host; reconnecting")...)
	lines = append(lines, notice(sshexec.NoticeReconnecting, "reconnecting to web1 (attempt 2 of many)")...)
	ex.on("manage.py check", &fakeJob{lines: lines, hold: hold})
	m := started(t, ex, 100, 30)
	m = press(t, m, "enter")
	if !strings.Contains(screen(m), "reconnecting to web1") {
		t.Fatalf("no banner:\n%s", screen(m))
	}
	var conns []string
	for _, e := range journal(t, m) {
		if e.Type == runbook.EvConnection {
			conns = append(conns, e.Conn.State)
		}
	}
	if strings.Join(conns, ",") != "lost,reconnecting" {
		t.Fatalf("connection events %v", conns)
	}
	close(hold)
	m = settle(t, m)
	if m.banner != "" {
		t.Fatalf("banner left after the run: %q", m.banner)
	}
}

// A second drop after a reconnect: the status line no longer says the
// connection was restored while the banner says it is lost again.
func TestSecondConnectionLossClearsRestoredStatus(t *testing.T) {
	ex := newFakeExec("web1")
	hold := make(chan struct{})
	lines := out(sshexec.Stdout, "before")
	lines = append(lines, notice(sshexec.NoticeLost, "connection to web1 lost; job j keeps running on the host; reconnecting")...)
	lines = append(lines, notice(sshexec.NoticeReconnected, "reconnected")...)
	lines = append(lines, out(sshexec.Stdout, "between")...)
	lines = append(lines, notice(sshexec.NoticeLost, "connection to web1 lost; job j keeps running on the host; reconnecting")...)
	lines = append(lines, notice(sshexec.NoticeReconnecting, "connection lost: connect to web1: connection refused; reconnecting (attempt 2)")...)
	ex.on("manage.py check", &fakeJob{lines: lines, hold: hold})
	m := started(t, ex, 100, 30)
	m = press(t, m, "enter")
	s := screen(m)
	if !strings.Contains(s, "reconnecting to web1") || strings.Contains(s, "restored") {
		t.Fatalf("lost again, but the screen says restored (status %q):\n%s", m.status, s)
	}
	close(hold)
	m = settle(t, m)
}

// x while the connection is down: the dialog and the status say the
// cancel reaches the host only once golive has reconnected.
func TestCancelWhileDisconnectedSaysWhen(t *testing.T) {
	ex := newFakeExec("web1")
	hold := make(chan struct{})
	lines := out(sshexec.Stdout, "before")
	lines = append(lines, notice(sshexec.NoticeLost, "connection to web1 lost; job j keeps running on the host; reconnecting")...)
	ex.on("manage.py check", &fakeJob{lines: lines, hold: hold})
	reconnected := make(chan struct{}) // the cancel waits for the link, as sshexec's does
	ex.cancelFn = func(string) error { <-reconnected; return nil }
	m := started(t, ex, 100, 30)
	m = press(t, m, "enter", "x")
	if s := screen(m); m.dlg.kind != dlgCancel || !strings.Contains(s, "The connection is down: the cancel") {
		t.Fatalf("cancel dialog during an outage does not say when the cancel arrives:\n%s", s)
	}
	m = press(t, m, "y")
	if !strings.Contains(m.status, "once the connection is back") {
		t.Fatalf("status %q", m.status)
	}
	close(reconnected)
	close(hold)
	m = settle(t, m)
}

func TestQuitAsksAndInterruptsRunningStep(t *testing.T) {
	ex := newFakeExec("web1")
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, "working"), hold: make(chan struct{})})
	m := started(t, ex, 100, 30)
	m = press(t, m, "enter", "q")
	if m.dlg.kind != dlgQuit || !strings.Contains(screen(m), "keeps running on the host") {
		t.Fatalf("quit not confirmed:\n%s", screen(m))
	}
	m = press(t, m, "y")
	m = settle(t, m) // golive stops following the job, then quits
	if !m.quitting || m.Outcome().Detached != "check" {
		t.Fatalf("outcome %+v", m.Outcome())
	}
	if st := m.rel.Session.Step("check"); st.Status != runbook.StatusInterrupted {
		t.Fatalf("status %s", st.Status)
	}
}

func TestCtrlCQuitsAtOnce(t *testing.T) {
	m := started(t, newFakeExec("web1"), 100, 30)
	nm, cmd := m.Update(keyMsg("ctrl+c"))
	m = nm.(Model)
	if cmd == nil || !m.quitting {
		t.Fatal("ctrl+c did not quit")
	}
}

// A second enter while the first step.started is still on its way to the
// journal must not journal the same attempt again (the Session would
// refuse it and the TUI would stop on the error panel).
func TestDoubleEnterStartsOnce(t *testing.T) {
	m := started(t, newFakeExec("web1"), 100, 30)
	nm, first := m.Update(keyMsg("enter"))
	m = nm.(Model)
	nm, second := m.Update(keyMsg("enter"))
	m = nm.(Model)
	m = drive(t, m, first)
	m = drive(t, m, second)
	m = settle(t, m)
	if m.state != stateMain {
		t.Fatalf("state %v, error %v", m.state, m.errPanel)
	}
	starts := 0
	for _, e := range journal(t, m) {
		if e.Type == runbook.EvStepStarted {
			starts++
		}
	}
	if starts != 1 {
		t.Fatalf("%d step.started events journaled, want 1", starts)
	}
}

// A second q on the summary, before the first run.finished is on disk,
// must not finish the run twice.
func TestDoubleQuitFinishesOnce(t *testing.T) {
	m := finishedSummary(t)
	// q asks whether to quit without the transcript (nothing was
	// exported); y quits.
	m = press(t, m, "q")
	if m.dlg.kind != dlgQuitUnexported {
		t.Fatalf("q on the summary of an unexported run: dialog %v, want the question", m.dlg.kind)
	}
	nm, first := m.Update(keyMsg("y"))
	m = nm.(Model)
	m = press(t, m, "q")
	nm, second := m.Update(keyMsg("y"))
	m = nm.(Model)
	m = drive(t, m, first)
	m = drive(t, m, second)
	finished := 0
	for _, e := range journal(t, m) {
		if e.Type == runbook.EvRunFinished {
			finished++
		}
	}
	if finished != 1 {
		t.Fatalf("%d run.finished events journaled, want 1", finished)
	}
}

// Answering y closes the dialog and gives the main screen its keys back
// at once (they were left in y/n mode until the next state change).
func TestConfirmYesRestoresKeys(t *testing.T) {
	m := started(t, newFakeExec("web1"), 100, 30)
	m.dlg = newConfirm(dlgCancel, "")
	m.syncKeys()
	if m.keys.Down.Enabled() {
		t.Fatal("setup: down enabled under a y/n dialog")
	}
	m = press(t, m, "y")
	if m.dlg.kind != dlgNone || !m.keys.Down.Enabled() || m.keys.Yes.Enabled() {
		t.Fatalf("after y: dialog %v, down %v, yes %v", m.dlg.kind, m.keys.Down.Enabled(), m.keys.Yes.Enabled())
	}
}
