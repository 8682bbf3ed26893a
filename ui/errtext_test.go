package ui

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"golive/sshexec"
)

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
