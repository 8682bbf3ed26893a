package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"golive/internal/sshdtest"
	"golive/runbook"
	"golive/sshexec"
)

// TestRealSSHDUnknownHostKeyThenRun connects through sshexec to a real
// OpenSSH sshd whose key is unknown: the UI shows OpenSSH's question with
// the SHA256 fingerprint, the operator types yes, the key is recorded,
// and a step runs on the server with its output streamed and journaled.
func TestRealSSHDUnknownHostKeyThenRun(t *testing.T) {
	srv := sshdtest.Start(t)
	data, err := os.ReadFile("testdata/sshd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	known := filepath.Join(t.TempDir(), "known_hosts")
	opts := testOpts(t, nil)
	opts.Runbooks = fstest.MapFS{"sshd.yaml": {Data: data}}
	opts.Runbook, opts.Host = "sshd", srv.Addr
	opts.Local = nil
	// Jobs live on the host between runs: a run id is never reused.
	opts.RunID = newRunID(time.Now())
	opts.Connect = func(ctx context.Context, host string, p Prompter) (sshexec.Executor, error) {
		c, err := sshexec.Dial(ctx, sshexec.Options{Host: srv.Host, Port: srv.Port, User: srv.User, ConfigFile: "none",
			IdentityFiles: []string{srv.ClientKeyPath}, KnownHostsFiles: []string{known}, AgentSocket: "none", Prompter: p})
		if err != nil {
			return nil, err
		}
		return c.Executor(), nil
	}
	m := resize(New(opts), 100, 30)
	m = drive(t, m, m.Init())
	if m.connect.hostKey == nil {
		t.Fatalf("no host-key question (state %v, err %v)", m.state, m.errPanel)
	}
	fp := hostFingerprint(srv)
	if s := screen(m); !strings.Contains(s, "authenticity of host") || !strings.Contains(s, fp) {
		t.Fatalf("question lacks OpenSSH's wording or %s:\n%s", fp, s)
	}
	m = typeText(t, m, "yes")
	m = press(t, m, "enter")
	m = settle(t, m)
	if m.state != stateMain {
		t.Fatalf("state %v, err %v", m.state, m.errPanel)
	}
	kh, _ := os.ReadFile(known)
	if !strings.Contains(string(kh), "ssh-ed25519") {
		t.Fatalf("accepted key not recorded: %q", kh)
	}
	m = press(t, m, "enter")
	m = settle(t, m)
	st := m.rel.Session.Step("hello")
	if a := st.Last(); a == nil || a.Exit == nil || a.Exit.Code != 0 || !a.ExpectationsMet {
		t.Fatalf("hello: exit %+v; attempt %+v", a.Exit, a)
	}
	s := screen(m)
	if !strings.Contains(s, "hello from "+srv.User) || !strings.Contains(s, "!│oops") {
		t.Fatalf("output not shown:\n%s", s)
	}
	m = press(t, m, "p", "enter")
	var sawHostKey bool
	for _, e := range journal(t, m) {
		if e.Type == runbook.EvHostKeyAccepted && e.HostKey.Fingerprint == fp {
			sawHostKey = true
		}
	}
	if !sawHostKey {
		t.Fatal("host key acceptance not journaled")
	}
	if m.state != stateSummary {
		t.Fatalf("state %v after the last sign-off", m.state)
	}
}

func hostFingerprint(srv *sshdtest.Server) string {
	return sshexec.Fingerprint(srv.HostPublicKey)
}

// TestRealSSHDDroppedConnectionResumes kills the SSH connection while a
// step runs: the job keeps running on the server, the UI shows the loss
// and journals it, and the step's output and exit arrive after the
// reconnect.
func TestRealSSHDDroppedConnectionResumes(t *testing.T) {
	srv := sshdtest.Start(t)
	known := srv.WriteKnownHosts(false)
	opts := sshdOpts(t, srv, "sshd-slow")
	opts.Connect = func(ctx context.Context, host string, p Prompter) (sshexec.Executor, error) {
		c, err := sshexec.Dial(ctx, sshexec.Options{Host: srv.Host, Port: srv.Port, User: srv.User, ConfigFile: "none",
			IdentityFiles: []string{srv.ClientKeyPath}, KnownHostsFiles: []string{known}, AgentSocket: "none", Prompter: p,
			KeepAliveInterval: 200 * time.Millisecond, KeepAliveCountMax: 2})
		if err != nil {
			return nil, err
		}
		return c.Executor(), nil
	}
	m := resize(New(opts), 100, 30)
	m = drive(t, m, m.Init())
	if m.state != stateMain {
		t.Fatalf("state %v, err %v", m.state, m.errPanel)
	}
	go func() {
		time.Sleep(1200 * time.Millisecond)
		srv.KillSessions()
	}()
	m = press(t, m, "enter") // runs until the job ends, through the drop
	m = settle(t, m)
	a := m.rel.Session.Step("slow").Last()
	if a == nil || a.Exit == nil || a.Exit.Code != 0 || !a.ExpectationsMet {
		t.Fatalf("slow: exit %+v, attempt %+v", a.Exit, a)
	}
	var states []string
	for _, e := range journal(t, m) {
		if e.Type == runbook.EvConnection {
			states = append(states, e.Conn.State)
		}
	}
	joined := strings.Join(states, ",")
	if !strings.HasPrefix(joined, "lost") || !strings.HasSuffix(joined, "restored") {
		t.Fatalf("connection events %v", states)
	}
	s := screen(m)
	if !strings.Contains(s, "started") || !strings.Contains(s, "finished") || !strings.Contains(s, "» ") {
		t.Fatalf("screen:\n%s", s)
	}
	if m.banner != "" {
		t.Fatalf("banner left: %q", m.banner)
	}
}

// mainOnSSHD starts a real sshd whose host key is known, and a TUI on
// testdata/sshd.yaml connected to it as the binary connects (cmd_run.go:
// through ClientExecutor, which sshexec.Prestart must see through), up to
// the main screen.
func mainOnSSHD(t *testing.T) (*sshdtest.Server, Options, Model) {
	t.Helper()
	srv := sshdtest.Start(t)
	opts := sshdOpts(t, srv, "sshd")
	opts.Connect = dialTo(srv, srv.WriteKnownHosts(false))
	m := resize(New(opts), 100, 30)
	m = drive(t, m, m.Init())
	if m.state != stateMain {
		t.Fatalf("state %v, err %v", m.state, m.errPanel)
	}
	return srv, opts, m
}

// TestRealSSHDHelperStartsBeforeFirstStep: once the host key checks out
// and the main screen opens, golive starts its helper on the host while
// the operator reads the first step (sshexec.Prestart), so that step does
// not wait for a login shell. No key is pressed here: the helper must
// appear among the commands the server's sessions run all the same.
func TestRealSSHDHelperStartsBeforeFirstStep(t *testing.T) {
	srv, _, m := mainOnSSHD(t)
	t.Cleanup(func() { m.rel.Remote.Close() })
	if !helperRuns(srv, true, 10*time.Second) {
		t.Fatalf("no helper on the host 10 s after the main screen opened; the sessions run %q", srv.SessionCommands())
	}
}

// A resumed run starts the helper too, once the host key checks out and
// before any step runs (resumeRelease): here a run whose last golive
// quit between steps, so nothing is reattached and no key is pressed.
func TestRealSSHDResumeStartsHelper(t *testing.T) {
	srv, opts, m := mainOnSSHD(t)
	path := m.rel.Journal.Path()
	m.rel.Remote.Close()
	m.rel.Journal.Close()
	if !helperRuns(srv, false, 10*time.Second) {
		t.Fatalf("the first golive's helper still runs 10 s after it closed its connection: %q", srv.SessionCommands())
	}
	r := resumeTUI(t, opts, path)
	if r.state != stateMain {
		t.Fatalf("resumed: state %v, err %v", r.state, r.errPanel)
	}
	t.Cleanup(func() { r.rel.Remote.Close() })
	if !helperRuns(srv, true, 10*time.Second) {
		t.Fatalf("no helper on the host 10 s after the resumed run's main screen opened; the sessions run %q", srv.SessionCommands())
	}
}

// helperRuns waits up to wait for srv's sessions to run golive's helper
// (want true) or to run none (want false), and says whether they came to.
func helperRuns(srv *sshdtest.Server, want bool, wait time.Duration) bool {
	deadline := time.Now().Add(wait)
	for {
		found := false
		for _, c := range srv.SessionCommands() {
			found = found || strings.Contains(c, "golive-helper")
		}
		if found == want {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sshdOpts are the options of a TUI test that walks testdata/ID.yaml on
// srv: the runbook, the host, no local executor, a fresh run id (jobs live
// on the host between runs: a run id is never reused). The caller sets
// Connect.
func sshdOpts(t *testing.T, srv *sshdtest.Server, id string) Options {
	t.Helper()
	data, err := os.ReadFile("testdata/" + id + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	opts := testOpts(t, nil)
	opts.Runbooks = fstest.MapFS{id + ".yaml": {Data: data}}
	opts.Runbook, opts.Host = id, srv.Addr
	opts.Local = nil
	opts.RunID = newRunID(time.Now())
	return opts
}
