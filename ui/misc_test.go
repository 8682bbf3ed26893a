package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"golive/runbook"

	"golive/sshexec"
)

func TestColorProfileHonoursNoColor(t *testing.T) {
	if p, ok := ColorProfile([]string{"TERM=xterm-256color", "NO_COLOR=1"}); !ok || p != colorprofile.Ascii {
		t.Fatalf("NO_COLOR=1: %v %v", p, ok)
	}
	if _, ok := ColorProfile([]string{"TERM=xterm-256color", "NO_COLOR="}); ok {
		t.Fatal("an empty NO_COLOR must not turn colours off")
	}
	if _, ok := ColorProfile([]string{"TERM=xterm-256color"}); ok {
		t.Fatal("no NO_COLOR: let the terminal decide")
	}
}

func TestConnectErrorPanelAndBack(t *testing.T) {
	opts := testOpts(t, newFakeExec("web1"))
	opts.Runbook = "release"
	opts.Connect = func(ctx context.Context, host string, p Prompter) (sshexec.Executor, error) {
		return nil, &sshexec.HostKeyError{Kind: sshexec.HostKeyChanged, Host: host}
	}
	m := resize(New(opts), 80, 24)
	m = drive(t, m, m.Init())
	if m.state != stateForm {
		t.Fatalf("state %v", m.state)
	}
	m = typeText(t, m, "web9")
	m = press(t, m, "enter")
	if m.state != stateError {
		t.Fatalf("state %v, want error", m.state)
	}
	s := screen(m)
	if !strings.Contains(s, "HAS CHANGED for web9") || strings.Contains(s, "connect web9") || !strings.Contains(s, "Press any key to go back") { // the host named once
		t.Fatalf("error panel:\n%s", s)
	}
	m = press(t, m, "x")
	if m.state != stateForm || m.form.fields[0].input.Value() != "web9" {
		t.Fatalf("back went to %v with host %q", m.state, m.form.fields[0].input.Value())
	}
}

// TestFormShowsPlanErrors: a bad --var opens the form, and enter keeps it
// there with the error on screen. The error tells the operator to correct
// that field, not to "set it with --var app_dir=VALUE", a flag of a
// command already running; the file and line of the variable stay.
func TestFormShowsPlanErrors(t *testing.T) {
	opts := testOpts(t, newFakeExec("web1"))
	opts.Runbook, opts.Host = "release", "web1"
	opts.Vars = map[string]string{"app_dir": "relative/path"}
	m := resize(New(opts), 100, 30)
	m = drive(t, m, m.Init())
	if m.state != stateForm {
		t.Fatalf("a bad --var must open the form, state %v", m.state)
	}
	m = press(t, m, "enter")
	if m.state != stateForm || !strings.Contains(m.form.err, "app_dir") {
		t.Fatalf("state %v, form error %q", m.state, m.form.err)
	}
	if e := m.form.err; strings.Contains(e, "--var") || !strings.Contains(e, "fix it in the app_dir field above") || !strings.Contains(e, "release.yaml:") {
		t.Errorf("form error %q: want it to name the file and line and say to fix it in the app_dir field above, no --var", e)
	}
	if !strings.Contains(screen(m), "app_dir") {
		t.Fatal("error not on screen")
	}
}

func TestChooserOpensRunbookFile(t *testing.T) {
	opts := testOpts(t, newFakeExec("web1"))
	data, _ := os.ReadFile("testdata/sshd.yaml")
	path := filepath.Join(t.TempDir(), "mine.yaml")
	os.WriteFile(path, data, 0o600)
	m := resize(New(opts), 80, 24)
	m = press(t, m, "down", "enter")
	if !m.chooser.typing {
		t.Fatal("the file choice did not ask for a path")
	}
	m = typeText(t, m, path)
	m = press(t, m, "enter")
	if m.state != stateForm || m.rb == nil || m.rb.ID != "sshd-test" {
		t.Fatalf("state %v rb %v err %v", m.state, m.rb, m.errPanel)
	}
}

func TestChooserBrokenFileShowsWhere(t *testing.T) {
	opts := testOpts(t, newFakeExec("web1"))
	path := filepath.Join(t.TempDir(), "broken.yaml")
	os.WriteFile(path, []byte("id: x\ntitle: t\nsections:\n  - id: s\n    title: S\n    steps:\n      - id: a\n        title: A\n        comand: echo\n"), 0o600)
	m := resize(New(opts), 100, 30)
	m = press(t, m, "down", "enter")
	m = typeText(t, m, path)
	m = press(t, m, "enter")
	if m.state != stateError || !strings.Contains(screen(m), "broken.yaml:9") {
		t.Fatalf("state %v:\n%s", m.state, screen(m))
	}
}

func TestExportAsksForDirectory(t *testing.T) {
	ex := newFakeExec("web1")
	m := started(t, ex, 100, 30)
	m = press(t, m, "S")
	if m.state != stateSummary || !m.keys.Export.Enabled() {
		t.Fatal("summary not shown")
	}
	dir := filepath.Join(t.TempDir(), "out")
	m = press(t, m, "e")
	if m.dlg.kind != dlgExport {
		t.Fatal("export did not ask where")
	}
	m.dlg.input.SetValue(dir)
	m = press(t, m, "enter")
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) < 2 {
		t.Fatalf("export wrote %v (%v); status %q", ents, err, m.status)
	}
	if m.rel.Session.Finished() {
		t.Fatal("an export of an unfinished run must not finish it")
	}
}

func TestRunPickerPicks(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := NewRunPicker([]runbook.RunSummary{
		{ID: "r2", RunbookID: "docker", Host: "web2", Operator: "bob", LastStep: "migrate", LastTime: now.Add(-5 * time.Minute)},
		{ID: "r1", Problem: "journal broken at line 3"},
		{ID: "r0", RunbookID: "non-docker", Host: "web1", Operator: "alice", LastTime: now.Add(-time.Hour)},
	}, func() time.Time { return now })
	v := ansi.Strip(p.View().Content)
	for _, want := range []string{"r2  docker on web2 by bob", "last step migrate · 5m0s ago", "cannot be resumed", "journal broken"} {
		if !strings.Contains(v, want) {
			t.Errorf("picker lacks %q:\n%s", want, v)
		}
	}
	step := func(k string) tea.Cmd {
		m, cmd := p.Update(keyMsg(k))
		p = m.(RunPicker)
		return cmd
	}
	step("down")
	if cmd := step("enter"); cmd != nil || p.Chosen() != "" {
		t.Fatal("an unreadable run was picked")
	}
	step("down")
	if cmd := step("enter"); cmd == nil || p.Chosen() != "r0" {
		t.Fatalf("picked %q", p.Chosen())
	}
}

// atPassphrasePrompt opens the TUI up to the connect screen's prompt for
// a key's passphrase; *got is what the key gets once it is answered.
func atPassphrasePrompt(t *testing.T) (m Model, got *[]byte) {
	t.Helper()
	ex := newFakeExec("web1")
	opts := testOpts(t, ex)
	opts.Runbook, opts.Host = "release", "web1"
	got = new([]byte)
	opts.Connect = func(ctx context.Context, host string, p Prompter) (sshexec.Executor, error) {
		pw, err := p.Passphrase(ctx, PassphraseQuestion{KeyFile: "/home/alice/.ssh/id_ed25519", Attempt: 1,
			Message: "Enter passphrase for key '/home/alice/.ssh/id_ed25519': "})
		if err != nil {
			return nil, err
		}
		*got = pw
		return ex, nil
	}
	m = resize(New(opts), 100, 30)
	m = drive(t, m, m.Init())
	if m.connect.passphrase == nil {
		t.Fatalf("no passphrase prompt (state %v)", m.state)
	}
	return m, got
}

func TestPassphrasePromptIsMasked(t *testing.T) {
	m, got := atPassphrasePrompt(t)
	m = typeText(t, m, "correct horse")
	if s := screen(m); strings.Contains(s, "correct horse") || !strings.Contains(s, "Enter passphrase for key") {
		t.Fatalf("passphrase shown or prompt missing:\n%s", s)
	}
	m = press(t, m, "enter")
	m = settle(t, m)
	if string(*got) != "correct horse" || m.state != stateMain {
		t.Fatalf("got %q, state %v", *got, m.state)
	}
}

// An unknown end that sshexec explains is shown with its reason, not under
// the guess "connection lost?"; without a reason (the host kept no exit
// record) it names what that means: the job killed on the host, over a
// connection that may never have dropped.
func TestExitWordsUnknownSaysWhy(t *testing.T) {
	why := "sshexec: job j on web1: the job ended without recording its exit status"
	got := exitWords(&runbook.ExitInfo{Code: -1, Unknown: true, Error: why})
	if !strings.Contains(got, strings.TrimPrefix(why, "sshexec: ")) || strings.Contains(got, "sshexec: ") || strings.Contains(got, "connection lost?") {
		t.Errorf("exitWords = %q", got)
	}
	if got := exitWords(&runbook.ExitInfo{Code: -1, Unknown: true}); !strings.Contains(got, "exit status unknown") || !strings.Contains(got, "killed on the host") {
		t.Errorf("exitWords without a reason = %q", got)
	}
}
