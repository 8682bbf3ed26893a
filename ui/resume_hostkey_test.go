package ui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh/knownhosts"

	"golive/internal/sshdtest"
)

// resumeOnOtherHost journals a run on one sshd, then points its resume at
// another sshd (another host key) through the known_hosts file kh, which
// holds what write puts there. It returns the reopened run's options and
// journal path, and the two servers.
func resumeOnOtherHost(t *testing.T, write func(srv, other *sshdtest.Server) string) (Options, string, string, *sshdtest.Server, *sshdtest.Server) {
	t.Helper()
	srv, opts, m := mainOnSSHD(t)
	path := m.rel.Journal.Path()
	m.rel.Remote.Close()
	m.rel.Journal.Close()
	other := sshdtest.Start(t)
	if hostFingerprint(other) == hostFingerprint(srv) {
		t.Fatal("the second server has the same host key")
	}
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, []byte(write(srv, other)), 0o600); err != nil {
		t.Fatal(err)
	}
	opts.Connect = dialTo(other, kh)
	return opts, path, kh, srv, other
}

// A resumed run whose host now sends a key known_hosts does not hold, and
// not the key the run recorded, is refused unasked: asked, the operator's
// yes would have put that key in known_hosts, only for the resume to be
// refused once connected. In the TUI and in plain mode, given a yes.
func TestResumeRefusesUnknownOtherKeyUnasked(t *testing.T) {
	opts, path, kh, srv, other := resumeOnOtherHost(t, func(*sshdtest.Server, *sshdtest.Server) string { return "" })
	before, _ := os.ReadFile(path)

	rel, evs, err := OpenRun(opts, path)
	if err != nil {
		t.Fatal(err)
	}
	m := resize(NewResume(opts, rel, evs), 100, 30)
	m = drive(t, m, m.Init())
	s := screen(m)
	if m.state != stateError || m.connect.hostKey != nil || !strings.Contains(s, "changed since the run began") ||
		!strings.Contains(s, hostFingerprint(srv)) || !strings.Contains(s, hostFingerprint(other)) {
		t.Fatalf("resume asked about (or took) a key the run did not record (state %v):\n%s", m.state, s)
	}
	tuiCode := m.Outcome().ExitCode()
	if tuiCode != ExitFailed {
		t.Fatalf("exit code %d", tuiCode)
	}
	rel.Journal.Close()

	rel, evs, err = OpenRun(opts, path)
	if err != nil {
		t.Fatal(err)
	}
	defer rel.Journal.Close()
	var out bytes.Buffer
	code := ResumePlain(context.Background(), opts, rel, evs, PlainOptions{In: strings.NewReader("yes\n"), Out: &out})
	// The same refusal exits as the TUI's does (it exited 2, "bad usage").
	if code != tuiCode || strings.Contains(out.String(), "Are you sure") || !strings.Contains(out.String(), "changed since the run began") {
		t.Fatalf("plain resume: code %d, want %d as in the TUI:\n%s", code, tuiCode, out.String())
	}
	if b, _ := os.ReadFile(kh); len(b) != 0 {
		t.Fatalf("a refused resume recorded a host key:\n%s", b)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("a refused resume wrote to the journal")
	}
}

// known_hosts holds the run's key for the host, which now sends another:
// the refusal, which advises removing the old entry and connecting again,
// also says that this run goes on only on its recorded key.
func TestResumeChangedKeySaysRunKeepsItsKey(t *testing.T) {
	opts, path, _, srv, _ := resumeOnOtherHost(t, func(srv, other *sshdtest.Server) string {
		return knownhosts.Line([]string{other.KnownHostsName()}, srv.HostPublicKey) + "\n"
	})
	rel, evs, err := OpenRun(opts, path)
	if err != nil {
		t.Fatal(err)
	}
	m := resize(NewResume(opts, rel, evs), 300, 40)
	m = drive(t, m, m.Init())
	rel.Journal.Close()
	s := strings.Join(strings.Fields(strings.ReplaceAll(screen(m), "│", " ")), " ")
	if m.state != stateError || !strings.Contains(s, "IDENTIFICATION HAS CHANGED") ||
		!strings.Contains(s, "continues only on that key") || !strings.Contains(s, hostFingerprint(srv)) {
		t.Fatalf("changed-key refusal of a resume does not say the run keeps its key (state %v):\n%s", m.state, screen(m))
	}
}
