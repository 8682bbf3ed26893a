package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

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
			opts := sudoRefusedOpts(t, data, c.err)
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

// TestBrokenRunbookExitsUsage: a runbook that does not load (a YAML
// error, named by file and line) ends the TUI quit from its error panel
// with ExitUsage, as plain mode ends on it: bad input, golive tried
// nothing. The TUI exited 1, which says a failure.
func TestBrokenRunbookExitsUsage(t *testing.T) {
	opts := testOpts(t, newFakeExec("web1"))
	rb := t.TempDir() + "/broken.yaml"
	if err := os.WriteFile(rb, []byte("id: b\ntitle: B\nsections:\n  - id: s\n    title: S\n    steps: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	opts.Runbook, opts.Host = rb, "web1"
	m := resize(New(opts), 100, 30)
	m = drive(t, m, m.Init())
	if s := screen(m); m.state != stateError || !strings.Contains(s, "broken.yaml:") {
		t.Fatalf("TUI: state %v, want the error panel naming the file and line:\n%s", m.state, s)
	}
	if code := m.Outcome().ExitCode(); code != ExitUsage {
		t.Errorf("TUI quit from the panel: exit %d, want %d", code, ExitUsage)
	}
	var out bytes.Buffer
	if code := RunPlain(context.Background(), opts, PlainOptions{Out: &out}); code != ExitUsage {
		t.Errorf("plain: exit %d, want %d:\n%s", code, ExitUsage, out.String())
	}
}

// TestConnectErrorNetWords: Go's network errors inside a failed
// connection's error ("dial tcp: lookup web1.invalid on 10.0.0.53:53: no
// such host", "dial tcp 127.0.0.1:1: connect: connection refused") and
// x/crypto/ssh's login refusal ("ssh: handshake failed: ssh: unable to
// authenticate, attempted methods [none publickey], ...") read in an
// operator's words, the rest of sshexec's words kept, and errors.As still
// finds the error underneath.
func TestConnectErrorNetWords(t *testing.T) {
	dns := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "web1.invalid", Server: "10.0.0.53:53", IsNotFound: true}}
	refused := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, c := range []struct {
		host string
		err  error
		want string
	}{
		{"web1.invalid", fmt.Errorf("connect to web1.invalid (web1.invalid:22): %w; check the host name", dns),
			"connect to web1.invalid (web1.invalid:22): the name web1.invalid does not resolve (no such host); check the host name"},
		{"db", fmt.Errorf("connect to 127.0.0.1 (127.0.0.1:1): %w; check the host name", refused),
			"connect db: connect to 127.0.0.1 (127.0.0.1:1): connection refused; check the host name"},
		{"web1", fmt.Errorf("log in to web1 (10.0.0.5:22) as deploy: %w; offered key file k", fmt.Errorf("ssh: handshake failed: %w",
			fmt.Errorf("ssh: unable to authenticate, attempted methods [none publickey], no supported methods remain: %w", refused))),
			"log in to web1 (10.0.0.5:22) as deploy: the server accepted none of the keys offered (methods tried: publickey): connection refused; offered key file k"},
	} {
		err := connectError(c.host, c.err)
		if got := ErrorText(err); got != c.want {
			t.Errorf("connectError(%s):\n%s\nwant\n%s", c.host, got, c.want)
		}
		var op *net.OpError
		if !errors.As(err, &op) {
			t.Errorf("connectError(%s) lost the network error", c.host)
		}
	}
}

// TestPlainVarProblemsSayWhatToDoOnce: plain mode's refusal of the
// variables says what to do once per problem: a missing or bad value
// names its --var (runbook's words), where " (give values with --var
// name=value)" was added after it too; a name the runbook does not
// declare gets what to do, in plain mode and on the TUI's form (which has
// no field for it: only a new start drops the --var).
func TestPlainVarProblemsSayWhatToDoOnce(t *testing.T) {
	e := newPlainEnv(t, map[string]string{"greetnig": "hi", "port": "x"})
	e.useRunbook(t, strings.Replace(plainRunbook, "  - name: greeting\n    default: hello\n",
		"  - name: greeting\n    required: true\n  - name: port\n    pattern: '^[0-9]+$'\n", 1))
	code, out := e.run(t, "", true)
	if code != ExitUsage {
		t.Fatalf("exit %d, want %d", code, ExitUsage)
	}
	for _, want := range []string{
		`-- ` + e.opts.Runbook + ` declares no variable greetnig; it declares: greeting, port, uses_celery, fail_check, api_token; drop that --var, or fix its name`,
		`variable "greeting" is required and has no value; set it with --var greeting=VALUE` + "\n",
		`variable "port": the value "x" does not match the pattern "^[0-9]+$"; set it with --var port=VALUE` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "give values with") {
		t.Errorf("what to do is said twice:\n%s", out)
	}

	m := resize(New(e.opts), 160, 40)
	m = drive(t, m, m.Init())
	if m.state != stateForm {
		t.Fatalf("TUI: state %v, want the form", m.state)
	}
	m = press(t, m, "enter")
	if want := "declares no variable greetnig; it declares: greeting, port, uses_celery, fail_check, api_token; it was given with --var: " +
		"quit (ctrl+c) and run golive again without it, or with its name fixed"; !strings.Contains(m.form.err, want) {
		t.Errorf("TUI form: %q\nwant it to say %q", m.form.err, want)
	}
}

// TestCancelStatusWithoutPrefix: the status line after a cancel the host
// did not confirm, or that failed, and the note journaled of it, carry
// sshexec's reason without its "sshexec: " prefixes ("check the server (sshexec: job j on web1: ...:
// sshexec: remote process may still be running)").
func TestCancelStatusWithoutPrefix(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("sshexec: job j on web1: no answer to TERM: %w", sshexec.ErrMaybeRunning),
		errors.New("sshexec: job j on web1: the helper on the host ended"),
	} {
		ex := newFakeExec("web1")
		ex.cancelFn = func(string) error { return err }
		hold := make(chan struct{})
		ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, "working"), hold: hold})
		m := started(t, ex, 100, 30)
		m = press(t, m, "enter", "x", "y")
		if !strings.Contains(m.status, "job j on web1: ") || strings.Contains(m.status, "sshexec: ") {
			t.Errorf("cancel error %q: status %q, want sshexec's reason without its prefix", err, m.status)
		}
		close(hold)
		m = settle(t, m)
		// The note journaled of a failed cancel, which the transcript's
		// reviewer reads, carries the reason in the same words.
		journal, rerr := os.ReadFile(m.rel.Journal.Path())
		if rerr != nil {
			t.Fatal(rerr)
		}
		if strings.Contains(string(journal), "sshexec: ") || !strings.Contains(string(journal), `"cancel`) {
			t.Errorf("cancel error %q: the journaled note has the library's prefix, or there is none:\n%s", err, journal)
		}
	}
}
