package ui

import (
	"errors"
	"strings"
	"testing"

	"golive/runbook"
	"golive/sshexec"
)

// An error panel that shows while a step runs does not stop the run: its
// end (and output) are still applied behind the panel, so that once the
// operator has read the panel the step is not left looking as if it ran
// for ever, and its sign-off can go on.
func TestRunEndsBehindTheErrorPanel(t *testing.T) {
	ex := newFakeExec("web1")
	hold := make(chan struct{})
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, "System check identified no issues (0 silenced)."), hold: hold})
	m := started(t, ex, 100, 30)
	m = press(t, m, "enter")
	if m.run == nil {
		t.Fatal("the step is not running")
	}
	m = m.fail(errors.New("signing key unreadable: permission denied"))
	close(hold)
	m = settle(t, m)
	if m.state != stateError || !strings.Contains(screen(m), "permission denied") {
		t.Fatalf("the panel is gone while nobody pressed a key (state %v):\n%s", m.state, screen(m))
	}
	if m.run != nil {
		t.Fatal("the step's end was dropped behind the error panel: it still looks running")
	}
	if a := m.rel.Session.Step("check").Last(); a == nil || a.Exit == nil || !a.ExpectationsMet {
		t.Fatalf("the attempt's end was not applied: %+v", a)
	}
	m = press(t, m, "esc")
	if m.state != stateMain {
		t.Fatalf("state %v after leaving the panel", m.state)
	}
	s := screen(m)
	for _, want := range []string{"no issues", "expectations met"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q:\n%s", want, s)
		}
	}
	m = press(t, m, "p", "enter")
	if v := m.rel.Session.Step("check").Verdict; v != runbook.VerdictPassed {
		t.Fatalf("verdict %q after the panel", v)
	}
}
