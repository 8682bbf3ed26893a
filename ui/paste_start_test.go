package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// paste feeds a terminal's bracketed paste to m and runs what it returns.
func paste(t *testing.T, m Model, text string) Model {
	t.Helper()
	nm, cmd := m.Update(tea.PasteMsg{Content: text})
	return drive(t, nm.(Model), cmd)
}

// A path or a host copied from elsewhere is pasted into the form's focused
// field, without the line end the copy took along; the next field takes
// its own paste.
func TestPasteIntoFormField(t *testing.T) {
	opts := testOpts(t, newFakeExec("web1"))
	opts.Runbook = "release"
	m := resize(New(opts), 80, 24)
	m = drive(t, m, m.Init())
	if m.state != stateForm {
		t.Fatalf("state %v", m.state)
	}
	m = paste(t, m, "deploy@web9.example.com\n")
	if got := m.form.fields[0].input.Value(); got != "deploy@web9.example.com" {
		t.Fatalf("host field holds %q after the paste", got)
	}
	m = press(t, m, "tab")
	cur := m.form.cur
	before := m.form.fields[cur].input.Value()
	m = paste(t, m, "-pasted\r\n")
	if got := m.form.fields[cur].input.Value(); got != before+"-pasted" {
		t.Fatalf("field %d holds %q after the paste, want %q", cur, got, before+"-pasted")
	}
	if got := m.form.fields[0].input.Value(); got != "deploy@web9.example.com" {
		t.Fatalf("the paste into field %d changed the host field to %q", cur, got)
	}
}

// A key's passphrase pasted from a password manager at the connect
// prompt reaches the key as typed, never the screen.
func TestPastePassphraseAtConnect(t *testing.T) {
	m, got := atPassphrasePrompt(t)
	m = paste(t, m, "correct horse battery\n")
	if s := screen(m); strings.Contains(s, "correct horse") {
		t.Fatalf("pasted passphrase on screen:\n%s", s)
	}
	m = press(t, m, "enter")
	m = settle(t, m)
	if string(*got) != "correct horse battery" || m.state != stateMain {
		t.Fatalf("got %q, state %v", *got, m.state)
	}
}

// Pasted text on the chooser is dropped, never read as keys (a paste
// holding "q" or a newline must not quit or choose).
func TestPasteOnChooserIsDropped(t *testing.T) {
	opts := testOpts(t, newFakeExec("web1"))
	m := resize(New(opts), 80, 24)
	m = drive(t, m, m.Init())
	if m.state != stateChoose {
		t.Fatalf("state %v", m.state)
	}
	m = paste(t, m, "q\n\r")
	if m.state != stateChoose || m.quitting {
		t.Fatalf("a paste on the chooser acted: state %v, quitting %v", m.state, m.quitting)
	}
}

// A search term copied from elsewhere (an error message) is pasted into
// the output search while it is typed, without its line end.
func TestPasteIntoOutputSearch(t *testing.T) {
	m := started(t, newFakeExec("web1"), 100, 30)
	m = press(t, m, "enter") // run the first step: output to search
	m = settle(t, m)
	m = press(t, m, "/")
	if !m.pane.typing {
		t.Fatal("/ did not open the search")
	}
	m = paste(t, m, "relation does not exist\n")
	m = press(t, m, "enter")
	if m.pane.query != "relation does not exist" {
		t.Fatalf("search query %q after the paste", m.pane.query)
	}
}
