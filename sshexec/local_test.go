package sshexec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func newTestLocal(t *testing.T) (Executor, func() Executor) {
	dir := t.TempDir()
	fresh := func() Executor { return NewLocal(LocalOptions{StateDir: dir}) }
	return fresh(), fresh
}

func TestLocal(t *testing.T) {
	e, fresh := newTestLocal(t)
	defer e.Close()
	if e.Host() != "local" {
		t.Errorf("Host() = %q", e.Host())
	}
	runExecutorSuite(t, e, fresh)
}

// TestLocalDefaultStateDir: without StateDir, jobs live under
// $XDG_STATE_HOME/golive/jobs, private to the user.
func TestLocalDefaultStateDir(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	e := NewLocal(LocalOptions{})
	id := jobID(t)
	if res, _, err := runJob(t, e, Spec{JobID: id, Script: "echo hi"}); err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	dir := filepath.Join(state, "golive", "jobs", id)
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("job directory mode %v, want 0700", fi.Mode().Perm())
	}
	for name, want := range map[string]string{"out": "hi\n", "exit": "0 -\n"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", name, b, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "script")); !os.IsNotExist(err) {
		t.Errorf("the script file is still there after the job (%v)", err)
	}
}

// TestLocalUnknownExit: a job whose processes are gone without an exit
// record (the host rebooted, the wrapper was killed) ends as Unknown,
// never as success.
func TestLocalUnknownExit(t *testing.T) {
	dir := t.TempDir()
	e := NewLocal(LocalOptions{StateDir: dir})
	// A finished process stands in for the job and its wrapper.
	p := exec.Command("true")
	if err := p.Run(); err != nil {
		t.Fatal(err)
	}
	pid := strconv.Itoa(p.ProcessState.Pid())
	job := filepath.Join(dir, "lost")
	if err := os.MkdirAll(job, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"out": "partial\n", "err": "", "pgid": pid + "\n", "wpid": pid + "\n", "token": "x\n"} {
		if err := os.WriteFile(filepath.Join(job, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c := newCollector(t, nil)
	res, err := e.Attach(context.Background(), "lost", Offsets{}, c.ch)
	lines := c.stop()
	if err != nil {
		t.Fatal(err)
	}
	if !res.Unknown || res.ExitCode != -1 {
		t.Errorf("result = %+v, want unknown", res)
	}
	if got := texts(lines, Stdout); len(got) != 1 || got[0] != "partial" {
		t.Errorf("output %q", got)
	}
}

// TestLocalRunOutlivesContext: a Run whose context ends returns at once
// and leaves the job running; its output and exit code stay on disk.
func TestLocalRunOutlivesContext(t *testing.T) {
	dir := t.TempDir()
	e := NewLocal(LocalOptions{StateDir: dir})
	id := jobID(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := e.Run(ctx, Spec{JobID: id, Script: "sleep 1; echo finished; exit 5"}, make(chan []Line, 16))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 900*time.Millisecond {
		t.Fatalf("run: %v after %v, want the deadline, promptly", err, time.Since(start))
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(dir, id, "exit"))
		if string(b) == "5 -\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job did not finish on its own: exit file %q", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, id, "out")); string(b) != "finished\n" {
		t.Errorf("out = %q", b)
	}
}

// flakyTransport is the local transport with a connection that drops
// around the first launch: before the launcher runs ("before"), or after
// it ran but before anything it said arrived ("cut").
type flakyTransport struct {
	localTransport
	mu         sync.Mutex
	mode       string
	dropped    bool
	reconnects int
}

func (f *flakyTransport) exec(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	f.mu.Lock()
	drop := !f.dropped && strings.HasPrefix(cmd, "umask 077")
	f.dropped = f.dropped || drop
	f.mu.Unlock()
	if !drop {
		return f.localTransport.exec(ctx, cmd, stdin, stdout, stderr)
	}
	if f.mode == "cut" {
		cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		_, _ = f.localTransport.exec(cctx, cmd, stdin, io.Discard, io.Discard)
	}
	return -1, fmt.Errorf("fake link: %w", errConnLost)
}

// start: this transport launches through a session per job (launchCmd),
// as sudo jobs do; helper_test.go drops the helper's link instead.
func (f *flakyTransport) start(context.Context, string) (*stream, error) { return nil, errNoStream }

func (f *flakyTransport) reconnect(_ context.Context, notify notifyFunc) error {
	f.mu.Lock()
	f.reconnects++
	f.mu.Unlock()
	notify(NoticeReconnected, "fake reconnect")
	return nil
}

// testDropDuringLaunch runs, for each mode ("before": the link drops
// before the launch reaches the far side; "cut": after it ran there), a
// job through the transport mk returns: the job runs exactly once, all
// its output arrives, and the link is reconnected once (reconnects tells).
func testDropDuringLaunch(t *testing.T, mk func(mode string) (tr transport, reconnects func() int)) {
	for _, mode := range []string{"before", "cut"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			tr, reconnects := mk(mode)
			r := newRunner(tr)
			r.root = shq(dir)
			defer r.Close()
			count := filepath.Join(dir, "runs")
			script := fmt.Sprintf("echo run >>%s; i=1; while [ $i -le 20 ]; do echo $i; sleep 0.05; i=$((i+1)); done; exit 6", shq(count))
			res, lines, err := runJob(t, r, Spec{Script: script})
			if err != nil || res.ExitCode != 6 {
				t.Fatalf("%+v %v", res, err)
			}
			wantSeq(t, texts(lines, Stdout), "", 20)
			if b, _ := os.ReadFile(count); string(b) != "run\n" {
				t.Errorf("the job ran %d times", strings.Count(string(b), "run"))
			}
			if n := reconnects(); n != 1 {
				t.Errorf("%d reconnects, want 1", n)
			}
		})
	}
}

// TestDropDuringLaunch: whether or not the launcher ran before the link
// dropped, the job runs exactly once and all its output arrives.
func TestDropDuringLaunch(t *testing.T) {
	testDropDuringLaunch(t, func(mode string) (transport, func() int) {
		ft := &flakyTransport{mode: mode}
		return ft, func() int { return ft.reconnects }
	})
}

func TestLocalMissingTool(t *testing.T) {
	bin := t.TempDir()
	for _, tool := range []string{"mkdir", "head", "tail", "stat", "rm", "cat", "sleep", "id"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("no %s: %v", tool, err)
		}
		if err := os.Symlink(p, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin)
	e := NewLocal(LocalOptions{StateDir: t.TempDir()})
	start := time.Now()
	_, _, err := runJob(t, e, Spec{Script: "echo hi"})
	if err == nil || !strings.Contains(err.Error(), "needs setsid") || time.Since(start) > 5*time.Second {
		t.Errorf("err = %v after %v, want a prompt error naming setsid", err, time.Since(start))
	}
}

// dropOnceTransport is the local transport whose link drops once, before
// the first command containing match runs.
type dropOnceTransport struct {
	localTransport
	match      string
	mu         sync.Mutex
	dropped    bool
	reconnects int
}

func (d *dropOnceTransport) exec(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	d.mu.Lock()
	drop := !d.dropped && strings.Contains(cmd, d.match)
	d.dropped = d.dropped || drop
	d.mu.Unlock()
	if drop {
		return -1, fmt.Errorf("fake link: %w", errConnLost)
	}
	return d.localTransport.exec(ctx, cmd, stdin, stdout, stderr)
}

// start: no helper, so that Cancel and Forget go through sessions, where
// the drop is injected.
func (d *dropOnceTransport) start(context.Context, string) (*stream, error) { return nil, errNoStream }

func (d *dropOnceTransport) reconnect(_ context.Context, notify notifyFunc) error {
	d.mu.Lock()
	d.reconnects++
	d.mu.Unlock()
	notify(NoticeReconnected, "fake reconnect")
	return nil
}

// TestDropDuringCancelAndForget: a link that drops before Cancel's or
// Forget's command runs is re-established and the command run again, and
// the job's follower hears of the drop.
func TestDropDuringCancelAndForget(t *testing.T) {
	dir := t.TempDir()
	dt := &dropOnceTransport{match: "golive-cancel"}
	r := newRunner(dt)
	r.root = shq(dir)
	id := jobID(t)
	started := make(chan struct{}, 1)
	c := newCollector(t, func(l Line) {
		if l.Stream == Stdout && l.Text == "up" {
			started <- struct{}{}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := runAsync(ctx, r, Spec{JobID: id, Script: "echo up; sleep 300"}, c.ch)
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("job did not start")
	}
	if err := r.Cancel(ctx, id); err != nil {
		t.Fatalf("cancel across a dropped link: %v", err)
	}
	got := <-done
	lines := c.stop()
	if got.err != nil || !got.res.Canceled {
		t.Fatalf("run = %+v, %v; want canceled", got.res, got.err)
	}
	wantNotices(t, lines, NoticeLost, NoticeReconnected, NoticeCancel)
	if n := notices(lines, NoticeLost); len(n) != 1 || !strings.Contains(n[0], "lost while cancelling") {
		t.Errorf("lost notices %q, want the one of the cancel", n)
	}
	dt.mu.Lock()
	dt.dropped, dt.match = false, "golive:removed"
	dt.mu.Unlock()
	if err := r.Forget(ctx, id); err != nil {
		t.Fatalf("forget across a dropped link: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, id)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("job directory after Forget: %v, want it gone", err)
	}
	if dt.reconnects != 2 {
		t.Errorf("%d reconnects, want 2 (one for Cancel, one for Forget)", dt.reconnects)
	}
}

// A job that ended without recording its exit status (its wrapper was
// killed along with it: a reboot, the OOM killer, a kill on the host) is
// unknown, and a notice says why (the UI guessed "connection lost?" over
// a connection that never dropped).
func TestJobEndedWithoutExitStatusSaysWhy(t *testing.T) {
	e := NewLocal(LocalOptions{StateDir: t.TempDir()})
	wantNoExitStatus(t, e, Spec{})
}

// A job that kills its wrapper before the wrapper, after forking it,
// recorded the job's process group is still followed to its end: the job's
// own shell records the group before the script's first command. (CI once
// lost this race: the follower waited 20 s for the group and reported a
// job that never started.) The race is lost every time here: a setsid
// first in PATH, which the wrapper runs to start the job, stops the
// wrapper (its parent) and removes what it may have recorded. Both launch
// paths: through the helper, and a session (a script over maxHelperScript).
func TestJobKillingItsWrapperAtOnceIsFollowed(t *testing.T) {
	real, err := exec.LookPath("setsid")
	if err != nil {
		t.Skip("no setsid")
	}
	bin := t.TempDir()
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	for _, pad := range []int{0, maxHelperScript} {
		t.Run(fmt.Sprintf("pad%d", pad), func(t *testing.T) {
			state := t.TempDir()
			id := jobID(t)
			fake := fmt.Sprintf("#!/bin/sh\nif [ \"$2\" = -c ]; then kill -STOP $PPID; rm -f %s; fi\nexec %s \"$@\"\n",
				shq(filepath.Join(state, id, "pgid")), shq(real))
			if err := os.WriteFile(filepath.Join(bin, "setsid"), []byte(fake), 0o755); err != nil {
				t.Fatal(err)
			}
			e := NewLocal(LocalOptions{StateDir: state})
			defer e.Close()
			wantNoExitStatus(t, e, Spec{JobID: id, Script: "# " + strings.Repeat("x", pad) + "\n"})
		})
	}
}

// wantNoExitStatus runs a job (spec, with a script appended) that prints a
// line and kills its wrapper and itself, and checks that its end is
// unknown, the line delivered, and a notice says why.
func wantNoExitStatus(t *testing.T, e Executor, spec Spec) {
	t.Helper()
	start := time.Now()
	spec.Script += "echo before; kill -KILL $PPID; kill -KILL 0"
	res, lines, err := runJob(t, e, spec)
	if !res.Unknown || err != nil {
		t.Fatalf("Run = %+v, %v after %s; want unknown, no error", res, err, time.Since(start).Round(time.Millisecond))
	}
	if got := texts(lines, Stdout); len(got) != 1 || got[0] != "before" {
		t.Errorf("stdout %q, want the line before the kill", got)
	}
	if n := texts(lines, Notice); len(n) == 0 || !strings.Contains(n[len(n)-1], "without recording its exit status") {
		t.Errorf("notices %q do not say the job left no exit status", n)
	}
	wantNotices(t, lines, NoticeNoExitStatus)
}
