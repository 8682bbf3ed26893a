package ui

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"golive/internal/sshdtest"
	"golive/runbook"
	"golive/sshexec"
)

// dialTo connects to srv trusting only the known_hosts file kh.
func dialTo(srv *sshdtest.Server, kh string) func(ctx context.Context, host string, p Prompter) (sshexec.Executor, error) {
	return func(ctx context.Context, host string, p Prompter) (sshexec.Executor, error) {
		c, err := sshexec.Dial(ctx, sshexec.Options{Host: srv.Host, Port: srv.Port, User: srv.User, ConfigFile: "none",
			IdentityFiles: []string{srv.ClientKeyPath}, KnownHostsFiles: []string{kh}, AgentSocket: "none", Prompter: p})
		if err != nil {
			return nil, err
		}
		return ClientExecutor(c), nil
	}
}

// connectedKeys lists the host-key fingerprints a journal's "connected"
// events recorded.
func connectedKeys(t *testing.T, path string) []string {
	t.Helper()
	evs, err := readJournalEvents(path)
	if err != nil {
		t.Fatal(err)
	}
	var fps []string
	for _, e := range evs {
		if e.Type == runbook.EvConnection && e.Conn.State == "connected" && e.Conn.HostKey != nil {
			fps = append(fps, e.Conn.HostKey.Fingerprint)
		}
	}
	return fps
}

// A run records the host key its connection verified; a resume against
// the same host goes on (and records it again), and a resume against a
// host with another key is refused, by the TUI and by plain mode, even
// though known_hosts trusts the new key: only golive's record catches it.
func TestResumeRefusesChangedHostKey(t *testing.T) {
	srv, opts, m := mainOnSSHD(t)
	path := m.rel.Journal.Path()
	m.rel.Remote.Close()
	m.rel.Journal.Close()
	fp := hostFingerprint(srv)
	if got := connectedKeys(t, path); len(got) != 1 || got[0] != fp {
		t.Fatalf("journal records host keys %v, want [%s]", got, fp)
	}

	// The same host: resumed, and the key recorded again.
	rel, evs, err := OpenRun(opts, path)
	if err != nil {
		t.Fatal(err)
	}
	m = resize(NewResume(opts, rel, evs), 100, 30)
	m = drive(t, m, m.Init())
	if m.state != stateMain {
		t.Fatalf("resume on the same host: state %v, err %v", m.state, m.errPanel)
	}
	rel.Remote.Close()
	rel.Journal.Close()
	if got := connectedKeys(t, path); len(got) != 2 || got[1] != fp {
		t.Fatalf("after a resume the journal records %v", got)
	}

	// Another host (another key) that known_hosts trusts.
	other := sshdtest.Start(t)
	if hostFingerprint(other) == fp {
		t.Fatal("the second server has the same host key")
	}
	opts.Connect = dialTo(other, other.WriteKnownHosts(false))
	before, _ := os.ReadFile(path)
	rel, evs, err = OpenRun(opts, path)
	if err != nil {
		t.Fatal(err)
	}
	m = resize(NewResume(opts, rel, evs), 100, 30)
	m = drive(t, m, m.Init())
	s := screen(m)
	if m.state != stateError || !strings.Contains(s, "changed") || !strings.Contains(s, fp) || !strings.Contains(s, hostFingerprint(other)) {
		t.Fatalf("resume on another host key not refused (state %v):\n%s", m.state, s)
	}
	if m.Outcome().ExitCode() != ExitFailed {
		t.Fatalf("exit code %d", m.Outcome().ExitCode())
	}
	rel.Journal.Close()
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("a refused resume wrote to the journal")
	}

	// Plain mode refuses too.
	rel, evs, err = OpenRun(opts, path)
	if err != nil {
		t.Fatal(err)
	}
	defer rel.Journal.Close()
	var out bytes.Buffer
	code := ResumePlain(context.Background(), opts, rel, evs, PlainOptions{In: strings.NewReader(""), Out: &out})
	if code != ExitFailed || !strings.Contains(out.String(), "host key of") {
		t.Fatalf("plain resume: code %d:\n%s", code, out.String())
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("a refused plain resume wrote to the journal")
	}
}

// A refused resume's panel says a key quits: there is nothing to go back to.
func TestResumeErrorPanelSaysQuit(t *testing.T) {
	m := started(t, newFakeExec("web1"), 80, 24)
	m.resuming = m.rel
	m = m.fail(errors.New("the host key changed"))
	s := screen(m)
	if !strings.Contains(s, "Press any key to quit") || strings.Contains(s, "go back") || strings.Contains(s, "esc back") {
		t.Fatalf("resume error panel offers to go back:\n%s", s)
	}
}

// slowClose is an executor whose Close waits until release is closed, as
// closing a link to a host that stopped answering can.
type slowClose struct {
	sshexec.Executor
	release, closed chan struct{}
}

func (s *slowClose) Close() error {
	<-s.release
	close(s.closed)
	return nil
}

// TestStaleConnectionClosedOffUpdate: a connection that arrives after
// its attempt was abandoned is closed by a Cmd, never by Update itself
// (Update must not block on the network).
func TestStaleConnectionClosedOffUpdate(t *testing.T) {
	m := resize(New(testOpts(t, newFakeExec("web1"))), 100, 30)
	ex := &slowClose{Executor: newFakeExec("web1"), release: make(chan struct{}), closed: make(chan struct{})}
	cmds := make(chan tea.Cmd, 1)
	go func() {
		_, cmd := m.Update(connectMsg{attemptID: m.connect.id + 1, exec: ex})
		cmds <- cmd
	}()
	var cmd tea.Cmd
	select {
	case cmd = <-cmds:
	case <-time.After(10 * time.Second):
		t.Fatal("Update blocked closing a stale connection")
	}
	if cmd == nil {
		t.Fatal("the stale connection is never closed")
	}
	go cmd()
	close(ex.release)
	select {
	case <-ex.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the Cmd did not close the stale connection")
	}
}
