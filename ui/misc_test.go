package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/colorprofile"

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
	if !strings.Contains(s, "connect web9") || !strings.Contains(s, "Press any key to go back") {
		t.Fatalf("error panel:\n%s", s)
	}
	m = press(t, m, "x")
	if m.state != stateForm || m.form.fields[0].input.Value() != "web9" {
		t.Fatalf("back went to %v with host %q", m.state, m.form.fields[0].input.Value())
	}
}

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
