package ui

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"golive/internal/sshdtest"
	"golive/sshexec"
)

// TestNewRunThatCannotConnectExits1: a new run whose host cannot be
// reached, or whose host key changed, ends with exit 1 (golive could not
// go on) in the TUI, quit from the error panel, and in plain mode, as a
// refused resume does in both (TestResumeRefusesChangedHostKey). Plain
// mode exited 2, which says bad flags. In the TUI any other key goes back
// to the form, where no run began: quitting there exits 0. Real sshexec
// dials: a loopback port nothing listens on, a real sshd whose key
// known_hosts does not hold.
func TestNewRunThatCannotConnectExits1(t *testing.T) {
	data, err := os.ReadFile("testdata/sshd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv := sshdtest.Start(t)
	// known_hosts holds another key for the server: its key changed.
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	kh := filepath.Join(t.TempDir(), "known_hosts")
	addr := knownhosts.Normalize(net.JoinHostPort(srv.Host, strconv.Itoa(srv.Port)))
	if err := os.WriteFile(kh, []byte(knownhosts.Line([]string{addr}, other)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A port that was free a moment ago: nothing listens there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()

	for _, c := range []struct {
		name, host, said string
		dial             sshexec.Options
	}{
		{name: "unreachable", host: "web1", said: "connection refused",
			dial: sshexec.Options{Host: "127.0.0.1", Port: closed, User: srv.User}},
		{name: "changed host key", host: srv.Addr, said: "IDENTIFICATION HAS CHANGED",
			dial: sshexec.Options{Host: srv.Host, Port: srv.Port, User: srv.User}},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := testOpts(t, nil)
			opts.Runbooks = fstest.MapFS{"sshd.yaml": {Data: data}}
			opts.Runbook, opts.Host, opts.Local = "sshd", c.host, nil
			opts.Connect = func(ctx context.Context, host string, p Prompter) (sshexec.Executor, error) {
				o := c.dial
				o.ConfigFile, o.AgentSocket, o.Prompter = "none", "none", p
				o.IdentityFiles, o.KnownHostsFiles = []string{srv.ClientKeyPath}, []string{kh}
				cl, err := sshexec.Dial(ctx, o)
				if err != nil {
					return nil, err
				}
				return ClientExecutor(cl), nil
			}

			m := resize(New(opts), 100, 30)
			m = drive(t, m, m.Init())
			if s := screen(m); m.state != stateError || !strings.Contains(s, c.said) {
				t.Fatalf("TUI: state %v, want the error panel saying %q:\n%s", m.state, c.said, s)
			}
			if code := m.Outcome().ExitCode(); code != ExitFailed {
				t.Errorf("TUI quit from the error panel: exit %d, want %d", code, ExitFailed)
			}
			if back := press(t, m, "esc"); back.state == stateError || back.Outcome().ExitCode() != ExitPassed {
				t.Errorf("TUI after a key: state %v, exit %d; want the form and 0 (no run began)", back.state, back.Outcome().ExitCode())
			}

			var out bytes.Buffer
			code := RunPlain(context.Background(), opts, PlainOptions{In: strings.NewReader(""), Out: &out, Yes: true})
			if code != ExitFailed || !strings.Contains(out.String(), "connect "+c.host+": ") || !strings.Contains(out.String(), c.said) {
				t.Errorf("plain: exit %d, want %d naming %s and saying %q:\n%s", code, ExitFailed, c.host, c.said, out.String())
			}
			if runs, _ := os.ReadDir(filepath.Join(opts.StateDir, "runs")); len(runs) != 0 {
				t.Errorf("a run that never connected was journaled: %d runs", len(runs))
			}
		})
	}
}
