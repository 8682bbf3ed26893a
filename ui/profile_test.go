package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// TestTUIShowsProfileSaveError starts a release whose profile cannot be
// written: the release goes on, and the
// operator is told the profile was not saved and why, as plain mode does.
func TestTUIShowsProfileSaveError(t *testing.T) {
	ex := newFakeExec("web1")
	opts := testOpts(t, ex)
	opts.Runbook, opts.Host = "release", "web1"
	// The profile reads as absent, but its temporary file cannot be
	// written: a directory is in the way (permissions would not stop root).
	opts.ProfilePath = filepath.Join(t.TempDir(), "release.yaml")
	blocker := opts.ProfilePath + ".tmp"
	if err := os.MkdirAll(filepath.Join(blocker, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	m := New(opts)
	nm, _ := m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	m = drive(t, nm.(Model), m.Init())
	if m.state != stateMain {
		t.Fatalf("state %v, want main (a profile error must not stop the release): %v", m.state, m.errPanel)
	}
	if m.statusOK || !strings.Contains(m.status, "profile not saved") || !strings.Contains(m.status, blocker) {
		t.Fatalf("status %q (ok %v): want the profile error, naming the file", m.status, m.statusOK)
	}
	if s := screen(m); !strings.Contains(s, "profile not saved") {
		t.Fatalf("the profile error is not on screen:\n%s", s)
	}
}

// TestTUISavesProfile is the other side: a writable profile is saved
// and nothing is reported.
func TestTUISavesProfile(t *testing.T) {
	ex := newFakeExec("web1")
	opts := testOpts(t, ex)
	opts.Runbook, opts.Host = "release", "web1"
	opts.ProfilePath = filepath.Join(t.TempDir(), "sub", "release.yaml")
	m := New(opts)
	nm, _ := m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	m = drive(t, nm.(Model), m.Init())
	if strings.Contains(m.status, "profile") {
		t.Fatalf("status %q", m.status)
	}
	p, err := LoadProfile(opts.ProfilePath)
	if err != nil || p.Host != "web1" || p.Operator != "alice" {
		t.Fatalf("saved profile %+v, %v", p, err)
	}
}

// TestPlainShowsProfileSaveError: plain mode says the same as the TUI.
func TestPlainShowsProfileSaveError(t *testing.T) {
	e := newPlainEnv(t, nil)
	if err := os.MkdirAll(filepath.Join(e.opts.ProfilePath+".tmp", "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	code, out := e.run(t, "", true)
	if code != ExitIncomplete {
		t.Fatalf("exit %d, want %d (the manual step stops --yes)", code, ExitIncomplete)
	}
	if !strings.Contains(out, "-- profile not saved (the next release will ask again): ") || !strings.Contains(out, e.opts.ProfilePath) {
		t.Fatalf("no profile error in the output")
	}
}

// TestProfileErrorsNameFileAndLine: a profile golive cannot read (broken
// YAML, a misspelled key, a value of the wrong kind) is refused naming
// the file and line in words without the YAML parser's prefix or Go's
// type names ("field hots not found in type ui.Profile"), saying to fix
// or delete it. A misspelled key was dropped without a word. An empty
// profile is an empty one.
func TestProfileErrorsNameFileAndLine(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ text, want string }{
		{"host: [\n", ":1: YAML syntax: did not find expected node content; fix or delete the file"},
		{"hots: web1\n", `:1: unknown key "hots"; a profile has host, operator and vars; fix or delete the file`},
		{"host: web1\nvars: [a]\n", ":2: a value of the wrong kind (a list); host and operator are text, vars a mapping of name: value; fix or delete the file"},
	} {
		path := filepath.Join(dir, "p.yaml")
		if err := os.WriteFile(path, []byte(c.text), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadProfile(path)
		if err == nil || !strings.HasPrefix(err.Error(), "profile "+path+c.want) {
			t.Errorf("profile %q: error %v\nwant it to begin: profile %s%s", c.text, err, path, c.want)
		}
		if err != nil && (strings.Contains(err.Error(), "yaml: ") || strings.Contains(err.Error(), "ui.Profile") || strings.Contains(err.Error(), "map[")) {
			t.Errorf("profile %q: the parser's words reach the operator: %v", c.text, err)
		}
	}
	path := filepath.Join(dir, "empty.yaml")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if p, err := LoadProfile(path); err != nil || p.Host != "" {
		t.Errorf("empty profile: %+v, %v", p, err)
	}
}
