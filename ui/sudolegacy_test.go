package ui

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

// sudoRefusals are sudo's refusals of a step as runs journal them: in
// sshexec's words now, and in those of the golive before them, which
// carried the TUI's advice and a literal RUNID.
var sudoRefusals = []struct {
	name, err string
	rejected  bool
}{
	{"needs, now", "sshexec: job j-1 on web1 could not be started (the host said: sudo: a password is required); sudo needs a password on web1", false},
	{"rejected, now", "sshexec: job j-1 on web1 could not be started (the host said: sudo: 1 incorrect password attempt); the sudo password was not accepted on web1", true},
	{"needs, old", "sshexec: job j-1 on web1 could not be started (the host said: sudo: a password is required); sudo needs a password on this host: " +
		"in the TUI press P to give it; otherwise provide it with --sudo-password (golive resume RUNID --sudo-password continues a run)", false},
	{"rejected, old", "sshexec: job j-1 on web1 could not be started (the host said: sudo: 1 incorrect password attempt); the sudo password was not accepted: " +
		"in the TUI press P to give it again; otherwise quit and give it again with golive resume RUNID --sudo-password (retrying sends the same one)", true},
}

// sudoRefusedOpts is Options for the sshd-sudo runbook on web1 (data),
// whose sudo step the host refuses with the error text refusal.
func sudoRefusedOpts(t *testing.T, data []byte, refusal string) Options {
	t.Helper()
	ex := newFakeExec("web1")
	ex.on("via sudo", &fakeJob{err: errors.New(refusal)})
	opts := testOpts(t, ex)
	opts.Runbooks = fstest.MapFS{"sshd-sudo.yaml": {Data: data}}
	opts.Runbook, opts.Host = "sshd-sudo", "web1"
	return opts
}

// TestSudoRefusalReplays: a run whose journal holds sudo's refusal of a
// step, in the words sshexec uses now or in the old ones, offers P on that
// step after a resume, and the status line says which refusal it was; the
// attempt line says what happened without the old text's advice (no
// "in the TUI press P", no literal RUNID), which the TUI gives its own way.
func TestSudoRefusalReplays(t *testing.T) {
	data, err := os.ReadFile("testdata/sshd-sudo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range sudoRefusals {
		t.Run(c.name, func(t *testing.T) {
			opts := sudoRefusedOpts(t, data, c.err)
			m := startedWith(t, opts, 100, 30)
			m = sel(m, "whoroot")
			m = press(t, m, "enter")
			if a := attempts(t, m, "whoroot", 1)[0]; a.Exit == nil || a.Exit.Error != c.err {
				t.Fatalf("journaled exit %+v, want the error %q", a.Exit, c.err)
			}
			path := m.rel.Journal.Path()
			m.rel.Journal.Close()

			r := resumeTUI(t, opts, path)
			if r.state != stateMain {
				t.Fatalf("resumed: state %v, err %v", r.state, r.errPanel)
			}
			r = sel(r, "whoroot")
			refused, rejected := sudoRefusal(r.rel.Session.Step("whoroot").Last())
			if !refused || rejected != c.rejected {
				t.Errorf("sudoRefusal: refused %v rejected %v, want true %v", refused, rejected, c.rejected)
			}
			s := screen(r)
			if !strings.Contains(s, "P sudo password") {
				t.Errorf("the resumed run does not offer P on the step sudo refused:\n%s", s)
			}
			if strings.Contains(s, "RUNID") || strings.Contains(s, "otherwise") || strings.Count(s, "could not run") != 1 {
				t.Errorf("the step's detail gives the old advice, or says twice that it could not run:\n%s", s)
			}
			want := "press P to give it"
			if c.rejected {
				want = "press P to give it again"
			}
			if status, ok := sudoStatus("whoroot", r.rel.Session.Step("whoroot")); !ok || !strings.HasSuffix(status, want) {
				t.Errorf("status %q (%v), want it to end %q", status, ok, want)
			}
			line := exitWords(r.rel.Session.Step("whoroot").Last().Exit)
			for _, bad := range []string{"in the TUI", "RUNID", "--sudo-password"} {
				if strings.Contains(line, bad) {
					t.Errorf("the attempt line gives the old advice (%q): %q", bad, line)
				}
			}
			if !strings.Contains(line, "sudo needs a password on ") && !strings.Contains(line, "the sudo password was not accepted") {
				t.Errorf("the attempt line %q does not say why sudo refused", line)
			}
		})
	}
}
