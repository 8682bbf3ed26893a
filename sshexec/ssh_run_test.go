package sshexec

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"golive/internal/sshdtest"
)

// sshRunner dials s and returns a runner keeping its jobs in root.
func sshRunner(t *testing.T, s *sshdtest.Server, root string) *runner {
	t.Helper()
	r := newRunner(dialT(t, baseOptions(s)))
	r.root = shq(root)
	return r
}

// silentLinkRunner starts an sshd and returns it with a runner whose
// keepalives give up on a link gone silent within about a second (every
// 300 ms, three unanswered), keeping its jobs in a temporary root: for the
// tests that freeze the link.
func silentLinkRunner(t *testing.T) (*sshdtest.Server, *runner) {
	t.Helper()
	isolate(t)
	s := sshdtest.Start(t)
	opts := baseOptions(s)
	opts.KeepAliveInterval, opts.KeepAliveCountMax = 300*time.Millisecond, 3
	r := newRunner(dialT(t, opts))
	r.root = shq(t.TempDir())
	return s, r
}

// TestSSHRun runs the executor suite over a real OpenSSH sshd.
func TestSSHRun(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	root := t.TempDir()
	e := sshRunner(t, s, root)
	fresh := func() Executor { return sshRunner(t, s, root) }
	if !strings.Contains(e.Host(), "@127.0.0.1:") {
		t.Errorf("Host() = %q", e.Host())
	}
	runExecutorSuite(t, e, fresh)
}

// TestSSHSudo runs a job as root through the real sudo over SSH (the test
// logs in as root, so sudo is forced; as root it does not prompt).
func TestSSHSudo(t *testing.T) {
	if _, err := exec.LookPath("sudo"); err != nil || os.Geteuid() != 0 {
		if os.Getenv("CI") != "" && err != nil {
			t.Fatal("CI is set but sudo is not installed")
		}
		t.Skip("needs sudo and root")
	}
	isolate(t)
	s := sshdtest.Start(t)
	root := t.TempDir()
	r := sshRunner(t, s, root)
	r.rootCheck = "false"
	id := jobID(t)
	res, lines, err := runJob(t, r, Spec{JobID: id, Script: "S='" + plantedSecret + "'; id -u", Sudo: true, SudoPassword: []byte(testPassword)})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	if got := texts(lines, Stdout); len(got) != 1 || got[0] != "0" {
		t.Errorf("got %q, want uid 0", got)
	}
	if l := leaks(t, root); len(l) > 0 {
		t.Errorf("the sudo password leaked into %q", l)
	}
	if f := filesHolding(t, root, plantedSecret); len(f) > 0 {
		t.Errorf("the sudo job's script stayed on disk: %q", f)
	}
	if err := r.Forget(context.Background(), id); err != nil {
		t.Fatalf("Forget of a sudo job: %v", err)
	}
	if _, err := os.Stat(root + "/" + id); !os.IsNotExist(err) {
		t.Errorf("sudo job's directory still there after Forget (%v)", err)
	}
}

// TestSSHFrozenLink freezes the sshd processes serving the connection (a
// link that goes silent, as when Wi-Fi drops): keepalives notice, Run
// reconnects on a new connection and finishes with all the output.
func TestSSHFrozenLink(t *testing.T) {
	s, r := silentLinkRunner(t)
	// The job holds at line 50 until the link is frozen: on a loaded
	// machine its output may otherwise all arrive after it ended.
	mark := filepath.Join(t.TempDir(), "go-on")
	var once sync.Once
	c := newCollector(t, func(l Line) {
		if l.Text == "30" {
			once.Do(func() { t.Cleanup(s.StopSessions()); release(t, mark) })
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	script := `i=1; while [ $i -le 100 ]; do echo $i; [ $i = 50 ] && ` + holdUntil(mark) + `; sleep 0.03; i=$((i+1)); done; exit 2`
	res, err := r.Run(ctx, Spec{JobID: jobID(t), Script: script}, c.ch)
	lines := c.stop()
	if err != nil || res.ExitCode != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	wantSeq(t, texts(lines, Stdout), "", 100)
	wantNotices(t, lines, NoticeLost, NoticeReattached)
}

// wantKilled fails the test unless the sessions were killed (killed
// holds how many) before now; never names what did not happen.
func wantKilled(t *testing.T, killed <-chan int, never string) {
	t.Helper()
	select {
	case n := <-killed:
		if n == 0 {
			t.Fatal("no sshd session was killed")
		}
	default:
		t.Fatal(never)
	}
}

// TestSSHDropMidCommand kills the sshd processes serving the connection
// while a job prints 200,000 numbers: the job keeps running, Run
// reconnects and reattaches, and every number arrives exactly once, with
// the true exit code.
func TestSSHDropMidCommand(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	e := sshRunner(t, s, t.TempDir())
	script := `k=0; while [ $k -lt 10 ]; do seq $((k*20000+1)) $(((k+1)*20000)); echo "chunk $k" >&2; sleep 0.3; k=$((k+1)); done; exit 7`
	var once sync.Once
	killed := make(chan int, 1)
	c := newCollector(t, func(l Line) {
		if l.Stream == Stdout && l.Text == "50000" {
			once.Do(func() { go func() { killed <- s.KillSessions() }() })
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := e.Run(ctx, Spec{JobID: jobID(t), Script: script}, c.ch)
	lines := c.stop()
	if err != nil {
		t.Fatal(err)
	}
	wantKilled(t, killed, "the connection was never dropped")
	if res.ExitCode != 7 || res.Unknown {
		t.Errorf("result = %+v, want exit 7", res)
	}
	wantSeq(t, texts(lines, Stdout), "", 200000)
	wantSeq(t, stripChunk(texts(lines, Stderr)), "", 10)
	wantNotices(t, lines, NoticeLost, NoticeReattached)
	t.Logf("notices: %q", texts(lines, Notice))
}

// stripChunk turns "chunk k" into k+1 for wantSeq.
func stripChunk(in []string) []string {
	var out []string
	for _, s := range in {
		k, err := strconv.Atoi(strings.TrimPrefix(s, "chunk "))
		if err != nil {
			out = append(out, s)
			continue
		}
		out = append(out, strconv.Itoa(k+1))
	}
	return out
}

// A drop the runner cannot reconnect after (the host key changed) ends the
// job's attempt as unknown, for good: the error says where its output and
// exit status stay on the host, not to attach later (nothing can).
func TestSSHReconnectRefusedSaysWhereJobIs(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	opts := baseOptions(s)
	root := t.TempDir()
	r := newRunner(dialT(t, opts))
	r.root = shq(root)
	_, other := s.NewClientKey("impostor", "")
	changed := []byte(s.KnownHostsName() + " " + string(ssh.MarshalAuthorizedKey(other.PublicKey())))
	var once sync.Once
	killed := make(chan int, 1)
	c := newCollector(t, func(l Line) {
		if l.Stream == Stdout && l.Text == "started" {
			once.Do(func() {
				go func() {
					os.WriteFile(opts.KnownHostsFiles[0], changed, 0o600)
					killed <- s.KillSessions()
				}()
			})
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id := jobID(t)
	res, err := r.Run(ctx, Spec{JobID: id, Script: "echo started; sleep 3"}, c.ch)
	c.stop()
	wantKilled(t, killed, "the connection was never dropped")
	var he *HostKeyError
	if err == nil || !res.Unknown || !errors.As(err, &he) {
		t.Fatalf("Run = %+v, %v; want an unknown end and the host key refusal", res, err)
	}
	if msg := err.Error(); !strings.Contains(msg, shq(root)+"/"+id) || !strings.Contains(msg, "exit") ||
		strings.Contains(msg, "attach to it later") {
		t.Fatalf("the error does not say where the job's record is on the host: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, id, "out")); err != nil {
		t.Fatalf("the job directory the error names: %v", err)
	}
}

// TestSSHDropBeforeLaunchAcknowledged freezes the connection before Run
// launches a job, then drops it: the host never acknowledged the launch
// (it never even got it), so the notice must not say that the job keeps
// running on the host, which golive does not know. It says the job may or
// may not have started and that golive checks; after the reconnect golive
// finds no job, says so, starts it, and it runs exactly once.
func TestSSHDropBeforeLaunchAcknowledged(t *testing.T) {
	s, r := silentLinkRunner(t)
	// The link goes silent before the launch: no session opens, the
	// helper (or the launch) gets no answer until the keepalives give up.
	resume := s.StopSessions()
	t.Cleanup(resume)
	go func() { time.Sleep(500 * time.Millisecond); s.KillSessions() }()
	ran := filepath.Join(t.TempDir(), "ran")
	c := newCollector(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id := jobID(t)
	res, err := r.Run(ctx, Spec{JobID: id, Script: "echo once >> " + shq(ran) + "; echo hello"}, c.ch)
	lines := c.stop()
	if err != nil || res.ExitCode != 0 || res.Unknown {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	all := strings.Join(texts(lines, Notice), "\n")
	t.Logf("notices:\n%s", all)
	if strings.Contains(all, "keeps running") {
		t.Errorf("a job the host never acknowledged is said to keep running on it:\n%s", all)
	}
	for _, want := range []struct {
		kind NoticeKind
		text string
	}{
		{NoticeLostUnconfirmed, "lost before the host confirmed that job " + id + " started: it may or may not have started; golive checks when it reconnects"},
		{NoticeStarting, "job " + id + " never started on " + r.Host() + ": starting it now"},
	} {
		if n := strings.Join(notices(lines, want.kind), "\n"); !strings.Contains(n, want.text) {
			t.Errorf("%s notices lack %q:\n%s", want.kind, want.text, n)
		}
	}
	wantNotices(t, lines, NoticeLostUnconfirmed, NoticeChecking, NoticeStarting)
	if n := notices(lines, NoticeLost); len(n) > 0 {
		t.Errorf("a job the host never acknowledged has a %s notice: %q", NoticeLost, n)
	}
	if got := texts(lines, Stdout); len(got) != 1 || got[0] != "hello" {
		t.Errorf("stdout %q, want hello once", got)
	}
	if b, err := os.ReadFile(ran); err != nil || string(b) != "once\n" {
		t.Errorf("the job ran %q (%v), want once", b, err)
	}
}

// TestLostNoticeSaysWhatIsKnown: a launch the host acknowledged keeps
// running on it; an unacknowledged one may or may not have started.
func TestLostNoticeSaysWhatIsKnown(t *testing.T) {
	if kind, got := lostNotice("web1", "j", modeFollow); kind != NoticeLost || got != "connection to web1 lost; job j keeps running on the host; reconnecting" {
		t.Errorf("acknowledged: %s %q", kind, got)
	}
	kind, got := lostNotice("web1", "j", modeUnsure)
	if kind != NoticeLostUnconfirmed || strings.Contains(got, "keeps running") || !strings.Contains(got, "may or may not have started") {
		t.Errorf("unacknowledged: %s %q", kind, got)
	}
}
