package ui

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"golive/sshexec"
)

// TestSudoRefusalNamesHostOnce: sudo's refusal of a step, as sshexec
// journals it ("sshexec: job J on web1 could not be started (...); sudo
// needs a password on web1"), reads in the TUI's step detail and in plain
// mode's attempt line without the library's prefix and naming the host
// once, where sudo refused ("job J could not be started (...); sudo needs a
// password on web1"); it named web1 twice.
func TestSudoRefusalNamesHostOnce(t *testing.T) {
	data, err := os.ReadFile("testdata/sshd-sudo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range sudoRefusals[:2] { // sshexec's words now
		t.Run(c.name, func(t *testing.T) {
			ex := newFakeExec("web1")
			ex.on("via sudo", &fakeJob{err: errors.New(c.err)})
			opts := testOpts(t, ex)
			opts.Runbooks = fstest.MapFS{"sshd-sudo.yaml": {Data: data}}
			opts.Runbook, opts.Host = "sshd-sudo", "web1"
			why := "sudo needs a password"
			if c.rejected {
				why = "the sudo password was not accepted"
			}
			wantLine := func(where, line string) {
				t.Helper()
				if strings.Count(line, "web1") != 1 || !strings.Contains(line, why+" on web1") || strings.Contains(line, "sshexec: ") {
					t.Errorf("%s: the attempt line %q should say %q, naming web1 once, without 'sshexec: '", where, line, why+" on web1")
				}
			}

			m := startedWith(t, opts, 300, 40) // the attempt line whole
			m = sel(m, "whoroot")
			m = press(t, m, "enter")
			wantLine("TUI", exitWords(m.rel.Session.Step("whoroot").Last().Exit))
			s := screen(m)
			if strings.Contains(s, "on web1 could not be started") || strings.Contains(s, "sshexec: ") || !strings.Contains(s, why+" on web1") {
				t.Errorf("TUI: the step's detail should say %q, naming web1 once, without 'sshexec: ':\n%s", why+" on web1", s)
			}
			m.rel.Journal.Close()

			opts.StateDir = t.TempDir()
			var out bytes.Buffer
			code := RunPlain(context.Background(), opts, PlainOptions{In: strings.NewReader("q\n"), Out: &out})
			var line string
			for _, l := range strings.Split(out.String(), "\n") {
				if strings.Contains(l, "could not run") {
					line = l
				}
			}
			if code != ExitIncomplete || line == "" {
				t.Fatalf("plain: exit %d, no attempt line:\n%s", code, out.String())
			}
			wantLine("plain", line)
		})
	}
}

// TestStartupErrorsInOperatorWords: an error that stops a new run before
// its first step (here the connection's, as sshexec words it) reaches the
// operator without "runbook: " or "sshexec: ", in plain mode's remark and
// on the TUI's error panel, and names the host once: plain mode and the
// TUI put "connect HOST: " in front of an error that named the host
// already.
func TestStartupErrorsInOperatorWords(t *testing.T) {
	for _, c := range []struct {
		name, err, want string
	}{
		{"names the host", "sshexec: connect to web1 (web1:22): connection refused; check the host",
			"connect to web1 (web1:22): connection refused"},
		{"names another", "sshexec: connect to 10.0.0.5 (10.0.0.5:22): runbook: no route",
			"connect web1: connect to 10.0.0.5 (10.0.0.5:22): no route"},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := testOpts(t, nil)
			opts.Runbook, opts.Host = "release", "web1"
			opts.Connect = func(context.Context, string, Prompter) (sshexec.Executor, error) {
				return nil, errors.New(c.err)
			}
			var out bytes.Buffer
			code := RunPlain(context.Background(), opts, PlainOptions{In: strings.NewReader(""), Out: &out, Yes: true})
			if code != ExitFailed || !strings.Contains(out.String(), "-- "+c.want) ||
				strings.Contains(out.String(), "sshexec: ") || strings.Contains(out.String(), "runbook: ") {
				t.Errorf("plain: exit %d, want %d and %q without a library prefix:\n%s", code, ExitFailed, c.want, out.String())
			}

			m := resize(New(opts), 120, 30)
			m = drive(t, m, m.Init())
			s := strings.Join(strings.Fields(strings.ReplaceAll(screen(m), "│", " ")), " ")
			if m.state != stateError || !strings.Contains(s, c.want) || strings.Contains(s, "sshexec: ") || strings.Contains(s, "runbook: ") {
				t.Errorf("TUI: state %v, want the error panel saying %q without a library prefix:\n%s", m.state, c.want, screen(m))
			}
			if got := ErrorText(m.Outcome().Err); !strings.HasPrefix(got, c.want) {
				t.Errorf("TUI: the error printed on quitting reads %q, want it to begin %q", got, c.want)
			}
		})
	}
}
