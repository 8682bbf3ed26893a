package ui

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"golive/runbook"
	"golive/sshexec"
)

// crashMidStep starts the check step on a held job and abandons the model
// as a crash would, with the journal closed.
func crashMidStep(t *testing.T, ex *fakeExec) (Options, string, string) {
	t.Helper()
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, "line one", "line two"), hold: make(chan struct{})})
	m := started(t, ex, 100, 30)
	m = sel(m, "backup")
	m = press(t, m, "p", "enter") // a sign-off that must survive...
	m = sel(m, "check")
	m = press(t, m, "enter") // ...and a step running when golive dies
	if m.run == nil {
		t.Fatal("no run")
	}
	jobID := m.run.jobID
	path := m.rel.Journal.Path()
	m.run.cancel()
	m.rel.Journal.Close()
	return m.opts, path, jobID
}

// resumeTUI reopens the run journaled at path and drives the resumed
// TUI until it settles, sized 100x30. The journal is closed at cleanup.
func resumeTUI(t *testing.T, opts Options, path string) Model {
	t.Helper()
	rel, events, err := OpenRun(opts, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rel.Journal.Close() })
	m := resize(NewResume(opts, rel, events), 100, 30)
	return drive(t, m, m.Init())
}

func TestResumeReattachesAndRestoresOutput(t *testing.T) {
	ex := newFakeExec("web1")
	opts, path, jobID := crashMidStep(t, ex)
	ex.on("attach:"+jobID, &fakeJob{lines: out(sshexec.Stdout, "line three"), res: sshexec.Result{ExitCode: 0}})

	rel, events, err := OpenRun(opts, path)
	if err != nil {
		t.Fatal(err)
	}
	if st := rel.Session.Step("check"); st.Status != runbook.StatusRunning {
		t.Fatalf("replayed check: status %s", st.Status)
	}
	if v := rel.Session.Step("backup").Verdict; v != runbook.VerdictPassed {
		t.Fatalf("replayed backup verdict %q", v)
	}
	m := resize(NewResume(opts, rel, events), 100, 30)
	m = drive(t, m, m.Init())
	if m.state != stateMain {
		t.Fatalf("state %v (%v)", m.state, m.errPanel)
	}
	if len(ex.attached) != 1 || ex.attached[0] != jobID {
		t.Fatalf("attached %v, want %s", ex.attached, jobID)
	}
	r := m.outputs["check"]
	if r == nil || r.lines != 3 || r.at(r.len()-1).text != "line three" || !strings.Contains(r.at(0).text, "attempt 1") {
		t.Fatalf("output after resume: %+v", r)
	}
	st := m.rel.Session.Step("check")
	if st.Status != runbook.StatusAwaiting || len(st.Attempts) != 1 || st.Last().Exit == nil || st.Last().Exit.Code != 0 {
		t.Fatalf("check after resume: %+v", st)
	}
	var types []string
	for _, e := range journal(t, m) {
		types = append(types, string(e.Type))
	}
	if !strings.Contains(strings.Join(types, ","), "step.interrupted,step.started,step.output,step.exited") {
		t.Fatalf("journal after resume: %v", types)
	}
	if !strings.Contains(screen(m), "line three") || !strings.Contains(screen(m), "line one") {
		t.Fatalf("screen:\n%s", screen(m))
	}
}

func TestResumeShowsJournaledOutputWithoutReattach(t *testing.T) {
	ex := newFakeExec("web1")
	opts, path, _ := crashMidStep(t, ex)
	// Select the step as resume does, but with no job to reattach to the
	// pane must still show what the journal kept.
	m := resumeTUI(t, opts, path)
	if s := screen(m); !strings.Contains(s, "line one") || !strings.Contains(s, "line two") {
		t.Fatalf("journaled output not shown:\n%s", s)
	}
}

func TestResumeJobGoneIsUnknown(t *testing.T) {
	ex := newFakeExec("web1")
	opts, path, _ := crashMidStep(t, ex)
	m := resumeTUI(t, opts, path)
	a := m.rel.Session.Step("check").Last()
	if a == nil || a.Exit == nil || !a.Exit.Unknown {
		t.Fatalf("a job the host forgot must end unknown: %+v", a)
	}
	if s := screen(m); !strings.Contains(s, "? unknown") {
		t.Fatalf("screen:\n%s", s)
	}
}

func TestResumeRefusesChangedRunbook(t *testing.T) {
	ex := newFakeExec("web1")
	opts, path, _ := crashMidStep(t, ex)
	fsys := opts.Runbooks.(fstest.MapFS)
	data := append([]byte{}, fsys["release.yaml"].Data...)
	data = append(data, []byte("\n# edited after the run began\n")...)
	opts.Runbooks = fstest.MapFS{"release.yaml": {Data: data}}
	_, _, err := OpenRun(opts, path)
	if err == nil || !strings.Contains(err.Error(), "changed since") {
		t.Fatalf("err = %v", err)
	}
}

func TestResumeNeedsSecretAgain(t *testing.T) {
	ex := newFakeExec("web1")
	ex.on("manage.py check", &fakeJob{})
	opts := testOpts(t, ex)
	opts.Runbook, opts.Host = "release", "web1"
	opts.Vars = map[string]string{"db_password": "hunter2-very-secret"}
	m := New(opts)
	m = drive(t, resize(m, 100, 30), m.Init())
	path := m.rel.Journal.Path()
	m.rel.Journal.Close()
	opts.Vars = nil
	if _, _, err := OpenRun(opts, path); err == nil || !strings.Contains(err.Error(), "--var db_password=") {
		t.Fatalf("err = %v", err)
	}
	opts.Vars = map[string]string{"db_password": "hunter2-very-secret"}
	rel, _, err := OpenRun(opts, path)
	if err != nil {
		t.Fatal(err)
	}
	rel.Journal.Close()
}

func TestResumeConnectErrorQuits(t *testing.T) {
	ex := newFakeExec("web1")
	opts, path, _ := crashMidStep(t, ex)
	rel, events, err := OpenRun(opts, path)
	if err != nil {
		t.Fatal(err)
	}
	opts.Connect = func(ctx context.Context, host string, p Prompter) (sshexec.Executor, error) {
		return nil, &sshexec.HostKeyError{Kind: sshexec.HostKeyChanged, Host: host, Fingerprint: "SHA256:new"}
	}
	m := resize(NewResume(opts, rel, events), 100, 30)
	m = drive(t, m, m.Init())
	if m.state != stateError {
		t.Fatalf("state %v", m.state)
	}
	_ = screen(m)
	nm, cmd := m.Update(keyMsg("x"))
	m = nm.(Model)
	if cmd == nil || !m.quitting {
		t.Fatal("any key after a failed resume should quit")
	}
	rel.Journal.Close()
}
