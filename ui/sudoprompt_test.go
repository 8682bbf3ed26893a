package ui

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"golive/internal/sshdtest"
	"golive/runbook"
	"golive/sshexec"
)

// sudoTUI starts a real sshd, logs in to it as a new deploy user whose
// sudo wants a password, and opens the TUI on testdata/sshd-sudo.yaml
// without a sudo password (no --sudo-password), up to the main screen.
func sudoTUI(t *testing.T) (m Model, opts Options, password string) {
	t.Helper()
	opts, password = sudoOptions(t)
	m = resize(New(opts), 100, 30)
	m = drive(t, m, m.Init())
	if m.state != stateMain {
		t.Fatalf("state %v, err %v", m.state, m.errPanel)
	}
	rel := m.rel
	t.Cleanup(func() { rel.Remote.Close() })
	return m, opts, password
}

// sudoOptions starts a real sshd and returns Options that log in to it,
// as a new deploy user whose sudo wants a password, to walk
// testdata/sshd-sudo.yaml without a sudo password, and that password.
func sudoOptions(t *testing.T) (opts Options, password string) {
	t.Helper()
	name, password, home := sshdtest.SudoUser(t, true)
	// The user's jobs live in its home (sshdtest would put them in the
	// server's directory, which only root may write).
	srv := sshdtest.Start(t, sshdtest.Config("SetEnv XDG_STATE_HOME="+filepath.Join(home, "state")))
	// sshd reads authorized_keys as the user: let the user reach it.
	for _, p := range []string{filepath.Dir(srv.Dir), srv.Dir} {
		if err := os.Chmod(p, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(srv.Dir, "authorized_keys"), 0o644); err != nil {
		t.Fatal(err)
	}
	known := srv.WriteKnownHosts(false)
	opts = sshdOpts(t, srv, "sshd-sudo")
	opts.OutDir = t.TempDir()
	opts.Sign = func(io.Reader, string) ([]byte, string, string, error) {
		return nil, "", "", errors.New("no signing key in this test")
	}
	opts.Connect = func(ctx context.Context, host string, p Prompter) (sshexec.Executor, error) {
		c, err := sshexec.Dial(ctx, sshexec.Options{Host: srv.Host, Port: srv.Port, User: name, ConfigFile: "none",
			IdentityFiles: []string{srv.ClientKeyPath}, KnownHostsFiles: []string{known}, AgentSocket: "none", Prompter: p})
		if err != nil {
			return nil, err
		}
		return c.Executor(), nil
	}
	return opts, password
}

// typeSecret types pw into the open dialog a key at a time; the screen
// must never show it, not even in part.
func typeSecret(t *testing.T, m Model, pw string) Model {
	t.Helper()
	for i, r := range pw {
		m = typeText(t, m, string(r))
		if s := screen(m); i >= 3 && strings.Contains(s, pw[:i+1]) {
			t.Fatalf("the screen shows the password as typed (%d letters):\n%s", i+1, s)
		}
	}
	return m
}

// runTo runs the selected step (enter) and waits for its end.
func runTo(t *testing.T, m Model, keys ...string) Model {
	t.Helper()
	m = press(t, m, keys...)
	return settle(t, m)
}

// attempts returns step's attempts and fails the test unless it has n.
func attempts(t *testing.T, m Model, step string, n int) []runbook.Attempt {
	t.Helper()
	as := m.rel.Session.Step(step).Attempts
	if len(as) != n {
		t.Fatalf("%s: %d attempts, want %d: %+v", step, len(as), n, as)
	}
	return as
}

// exitErr is an attempt's journaled error, "" when it ran.
func exitErr(a runbook.Attempt) string {
	if a.Exit == nil {
		return "(no exit)"
	}
	return a.Exit.Error
}

// noSecretOnDisk exports the transcript and fails the test if the
// journal or any file of the export holds a byte sequence of a password.
func noSecretOnDisk(t *testing.T, m Model, secrets ...string) Model {
	t.Helper()
	m = press(t, m, "S", "e")
	m = settle(t, m)
	files := append([]string{m.rel.Journal.Path()}, m.outcome.Files...)
	if len(m.outcome.Files) < 2 {
		t.Fatalf("export wrote %q, want the Markdown and the JSON transcript (screen:\n%s)", m.outcome.Files, screen(m))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 {
			t.Fatalf("%s is empty", f)
		}
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("%s holds the sudo password %q", f, s)
			}
		}
	}
	return m
}

// TestSudoPasswordAskedInTUI: a sudo step on a host whose sudo wants a
// password, with none given, fails with sudo's refusal; the help bar
// offers P; P opens a masked input, whose enter sets the password and
// runs the step again through the real sudo, as root. The later sudo step
// uses the same password without asking. The first attempt stays in the
// journal as it failed, and neither the screen, the journal nor the
// exported transcript holds the password.
func TestSudoPasswordAskedInTUI(t *testing.T) {
	m, _, pw := sudoTUI(t)
	if s := screen(m); strings.Contains(s, "sudo password") {
		t.Fatalf("P is offered before sudo refused anything:\n%s", s)
	}
	m = runTo(t, m, "enter")
	a := attempts(t, m, "whoroot", 1)[0]
	if !strings.Contains(exitErr(a), sshexec.ErrSudoNeedsPassword.Error()) {
		t.Fatalf("first attempt without a password: error %q, want sudo's refusal", exitErr(a))
	}
	s := screen(m)
	if !strings.Contains(s, "P sudo password") || !strings.Contains(s, "press P to give it") {
		t.Fatalf("after sudo's refusal the help bar lacks P or the status does not say to press it:\n%s", s)
	}
	// esc leaves everything as it was.
	m = press(t, m, "P")
	m = typeSecret(t, m, "not-this-one")
	m = press(t, m, "esc")
	if m.dlg.kind != dlgNone || m.rel.SudoPassword != nil || len(m.rel.Session.Step("whoroot").Attempts) != 1 {
		t.Fatalf("esc: dialog %v, password set %v, %d attempts", m.dlg.kind, m.rel.SudoPassword != nil, len(m.rel.Session.Step("whoroot").Attempts))
	}
	m = press(t, m, "P")
	if s := screen(m); !strings.Contains(s, "sudo password of") {
		t.Fatalf("P opened no password dialog:\n%s", s)
	}
	m = typeSecret(t, m, pw)
	m = runTo(t, m, "enter")
	as := attempts(t, m, "whoroot", 2)
	if !strings.Contains(exitErr(as[0]), sshexec.ErrSudoNeedsPassword.Error()) {
		t.Errorf("the failed attempt changed: %q", exitErr(as[0]))
	}
	if e := as[1].Exit; e == nil || e.Code != 0 || e.Error != "" || !as[1].ExpectationsMet {
		t.Fatalf("attempt with the password: exit %+v (screen:\n%s)", e, screen(m))
	}
	if s := screen(m); !strings.Contains(s, "uid=0 via sudo") || strings.Contains(s, "P sudo password") {
		t.Fatalf("after the password: no root output, or P still offered:\n%s", s)
	}
	// The journal says the password was given before the attempt that
	// used it; the redactor and the Session mask it from now on, even in
	// a note the operator types it into by mistake.
	var noteSeq, startSeq int64
	for _, e := range journal(t, m) {
		switch {
		case e.Type == runbook.EvNote && e.Step == "whoroot" && e.Note == sudoGivenNote:
			noteSeq = e.Seq
		case e.Type == runbook.EvStepStarted && e.Step == "whoroot" && e.Attempt == 2:
			startSeq = e.Seq
		}
	}
	if noteSeq == 0 || noteSeq > startSeq {
		t.Errorf("the note that the password was given is not journaled before attempt 2 (note %d, start %d)", noteSeq, startSeq)
	}
	if got := m.rel.Redactor.Line("pw: " + pw); strings.Contains(got, pw) {
		t.Errorf("the release's redactor does not mask the password: %q", got)
	}
	m = press(t, m, "a")
	m = typeText(t, m, "oops "+pw) // a note echoes what is typed
	m = press(t, m, "enter")
	if s := screen(m); strings.Contains(s, pw) {
		t.Errorf("the note shows the password once recorded:\n%s", s)
	}
	m = press(t, m, "p", "enter") // passed; moves to "again"
	m = runTo(t, m, "enter")
	if a := attempts(t, m, "again", 1)[0]; a.Exit == nil || a.Exit.Code != 0 || !a.ExpectationsMet {
		t.Fatalf("the later sudo step did not use the password: %+v", a.Exit)
	}
	m = press(t, m, "p", "enter")
	m = noSecretOnDisk(t, m, pw)
	if !m.Outcome().SudoPassword {
		t.Error("the outcome does not say the run has a sudo password (its resume command needs --sudo-password)")
	}
}

// TestSudoPasswordWrongThenRight: a wrong password typed at P fails the
// next attempt with sudo's refusal, and P asks again, saying so; the right
// one then runs the step. Three attempts in the journal, neither password
// on disk.
func TestSudoPasswordWrongThenRight(t *testing.T) {
	m, _, pw := sudoTUI(t)
	m = runTo(t, m, "enter")
	attempts(t, m, "whoroot", 1)
	wrong := "Wrong-" + pw
	m = press(t, m, "P")
	m = typeSecret(t, m, wrong)
	m = runTo(t, m, "enter")
	a := attempts(t, m, "whoroot", 2)[1]
	if !strings.Contains(exitErr(a), sshexec.ErrSudoPasswordRejected.Error()) {
		t.Fatalf("wrong password: error %q, want sudo's refusal of it", exitErr(a))
	}
	s := screen(m)
	if !strings.Contains(s, "P sudo password") || !strings.Contains(s, "did not accept") {
		t.Fatalf("after a wrong password the help bar lacks P or the status does not say it was refused:\n%s", s)
	}
	m = press(t, m, "P")
	if s := screen(m); !strings.Contains(s, "did not accept the password") {
		t.Fatalf("the dialog does not say the last password was refused:\n%s", s)
	}
	m = typeSecret(t, m, pw)
	m = runTo(t, m, "enter")
	as := attempts(t, m, "whoroot", 3)
	if e := as[2].Exit; e == nil || e.Code != 0 || !as[2].ExpectationsMet {
		t.Fatalf("right password: exit %+v (screen:\n%s)", e, screen(m))
	}
	m = press(t, m, "p", "enter")
	m = press(t, m, "s")
	m = typeText(t, m, "only the first step matters here")
	m = press(t, m, "enter")
	noSecretOnDisk(t, m, pw, wrong)
}

// TestSudoPasswordFlagMaskedInNotes: the password given with
// --sudo-password is masked in what the operator types too (a note, a
// sign-off note), not only in commands and output: typed into the wrong
// field by mistake, it still never reaches the journal or the screen.
func TestSudoPasswordFlagMaskedInNotes(t *testing.T) {
	const pw = "Flag-sudo-Pw-7731"
	opts := testOpts(t, newFakeExec("web1"))
	opts.Runbook, opts.Host = "release", "web1"
	opts.SudoPassword = []byte(pw)
	m := startedWith(t, opts, 100, 30)
	step := m.steps[m.selected]
	m = press(t, m, "a")
	m = typeText(t, m, "sudo asked me: "+pw)
	m = press(t, m, "enter")
	m = press(t, m, "f")
	m = typeText(t, m, "wrong field "+pw)
	m = press(t, m, "enter")
	if st := m.rel.Session.Step(step); st.Verdict == "" {
		t.Fatalf("%s: no sign-off recorded (screen:\n%s)", step, screen(m))
	}
	if s := screen(m); strings.Contains(s, pw) {
		t.Errorf("the screen shows the password once recorded:\n%s", s)
	}
	b, err := os.ReadFile(m.rel.Journal.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "sudo asked me: ") || !strings.Contains(string(b), "wrong field ") {
		t.Fatalf("the notes are not in the journal:\n%s", b)
	}
	if strings.Contains(string(b), pw) {
		t.Errorf("the journal holds the sudo password given with the flag")
	}
}

// TestSudoPasswordAskedAfterResume: a run that stopped after sudo refused
// a step, resumed without --sudo-password, offers P on that step (the
// journaled error says why it failed), and the password given there runs
// it through the real sudo.
func TestSudoPasswordAskedAfterResume(t *testing.T) {
	m, opts, pw := sudoTUI(t)
	m = runTo(t, m, "enter")
	attempts(t, m, "whoroot", 1)
	path := m.rel.Journal.Path()
	m.rel.Remote.Close()
	m.rel.Journal.Close()
	r := resumeTUI(t, opts, path)
	if r.state != stateMain {
		t.Fatalf("resumed: state %v, err %v", r.state, r.errPanel)
	}
	t.Cleanup(func() { r.rel.Remote.Close() })
	r = sel(r, "whoroot")
	if s := screen(r); !strings.Contains(s, "P sudo password") {
		t.Fatalf("the resumed run does not offer P on the step sudo refused:\n%s", s)
	}
	// Pasted, as from a password manager, with the line end a copy takes.
	r = press(t, r, "P")
	nm, cmd := r.Update(tea.PasteMsg{Content: pw + "\n"})
	r = drive(t, nm.(Model), cmd)
	if s := screen(r); strings.Contains(s, pw) || r.dlg.input.Value() != pw {
		t.Fatalf("the pasted password shows, or the input holds %d letters, not the %d pasted without the line end:\n%s",
			len(r.dlg.input.Value()), len(pw), s)
	}
	r = runTo(t, r, "enter")
	if a := attempts(t, r, "whoroot", 2)[1]; a.Exit == nil || a.Exit.Code != 0 || !a.ExpectationsMet {
		t.Fatalf("attempt after the resume: exit %+v (screen:\n%s)", a.Exit, screen(r))
	}
	r = press(t, r, "s")
	r = typeText(t, r, "the rest is not this test's")
	r = press(t, r, "enter")
	noSecretOnDisk(t, r, pw)
}
