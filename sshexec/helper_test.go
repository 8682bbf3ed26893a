package sshexec

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golive/internal/sshdtest"
)

// Tests of the helper: launches through it survive its death and the
// link's, leave nothing behind, and keep concurrent jobs apart.

// proc is one process as /proc shows it.
type proc struct {
	pid, ppid, sid int
	state          string
	cmdline        string
}

// procs lists the processes on this machine.
func procs(t *testing.T) []proc {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var out []proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(st)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 4 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		sid, _ := strconv.Atoi(f[3])
		cl, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		out = append(out, proc{pid: pid, ppid: ppid, sid: sid, state: f[0], cmdline: strings.ReplaceAll(string(cl), "\x00", " ")})
	}
	return out
}

// helperPID finds the process of r's current helper by its nonce.
func helperPID(t *testing.T, r *runner) int {
	t.Helper()
	r.hmu.Lock()
	h := r.h
	r.hmu.Unlock()
	if h == nil {
		t.Fatal("no helper running")
	}
	for _, p := range procs(t) {
		if strings.Contains(p.cmdline, "golive-helper") && strings.Contains(p.cmdline, h.nonce) {
			return p.pid
		}
	}
	t.Fatalf("no process for helper %s", h.nonce)
	return 0
}

// currentHelper is r's helper now, nil if none.
func currentHelper(r *runner) *helper {
	r.hmu.Lock()
	defer r.hmu.Unlock()
	return r.h
}

// cutTransport is the local transport whose helper's link drops around
// the first launch: the helper never gets the request ("before": start
// fails as on a dead link), or it gets it and runs the job but nothing it
// says comes back ("cut").
type cutTransport struct {
	localTransport
	mode       string
	mu         sync.Mutex
	starts     int
	reconnects int
}

func (c *cutTransport) start(ctx context.Context, cmd string) (*stream, error) {
	c.mu.Lock()
	c.starts++
	first := c.starts == 1
	c.mu.Unlock()
	if first && c.mode == "before" {
		return nil, fmt.Errorf("fake link: %w", errConnLost)
	}
	s, err := c.localTransport.start(ctx, cmd)
	if err != nil || !first {
		return s, err
	}
	// "cut": answers flow until the launch request is written; then the
	// helper's output is swallowed and, a moment later, the link "drops".
	cut := make(chan struct{})
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	relay := func(dst *io.PipeWriter, src io.Reader) {
		buf := make([]byte, 4096)
		for {
			n, err := src.Read(buf)
			select {
			case <-cut:
			default:
				if n > 0 {
					_, _ = dst.Write(buf[:n])
				}
			}
			if err != nil {
				return
			}
		}
	}
	go relay(outW, s.out)
	go relay(errW, s.errs)
	var once sync.Once
	return &stream{
		in: writeCloser{writerFunc: func(p []byte) (int, error) {
			n, err := s.in.Write(p)
			if strings.HasPrefix(string(p), "L ") {
				once.Do(func() {
					close(cut)
					time.AfterFunc(300*time.Millisecond, func() {
						outW.Close()
						errW.Close()
					})
				})
			}
			return n, err
		}, close: s.in.Close},
		out: outR, errs: errR,
		lost: func() bool { return true },
		stop: s.stop,
	}, nil
}

func (c *cutTransport) reconnect(_ context.Context, notify func(string)) error {
	c.mu.Lock()
	c.reconnects++
	c.mu.Unlock()
	notify("fake reconnect")
	return nil
}

// writerFunc is an io.WriteCloser from functions.
type writerFunc func([]byte) (int, error)

func (w writerFunc) Write(p []byte) (int, error) { return w(p) }

type writeCloser struct {
	writerFunc
	close func() error
}

func (w writeCloser) Close() error { return w.close() }

// TestHelperDropDuringLaunch: whether the link to the helper dropped
// before the launch request reached it or after the helper ran it, the job
// runs exactly once and all its output arrives.
func TestHelperDropDuringLaunch(t *testing.T) {
	for _, mode := range []string{"before", "cut"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			ct := &cutTransport{mode: mode}
			r := newRunner(ct)
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
			if ct.reconnects != 1 {
				t.Errorf("%d reconnects, want 1", ct.reconnects)
			}
		})
	}
}

// killTransport is the local transport whose first helper kills itself
// right after starting a job, before it can say so: golive must find the
// job on the host (or, if it looks before the job's directory exists,
// launch it again under the same token, which then finds it) rather than
// run it twice or call it lost.
type killTransport struct {
	localTransport
	mu     sync.Mutex
	starts int
}

func (k *killTransport) start(ctx context.Context, cmd string) (*stream, error) {
	k.mu.Lock()
	k.starts++
	first := k.starts == 1
	k.mu.Unlock()
	if first {
		// The job starts, its ack goes nowhere, the helper dies.
		launch := `( wrap "$R/$id" "$t" "$id" "$tok" ) 4>&1 3>&2 </dev/null >/dev/null 2>&1 &`
		if !strings.Contains(cmd, launch) {
			return nil, errors.New("test out of date: the helper no longer launches with " + launch)
		}
		cmd = strings.Replace(cmd, launch, `( wrap "$R/$id" "$t" "$id" "$tok" ) 4>/dev/null 3>&2 </dev/null >/dev/null 2>&1 & kill -KILL $$`, 1)
	}
	return k.localTransport.start(ctx, cmd)
}

func TestHelperKilledBeforeAck(t *testing.T) {
	dir := t.TempDir()
	kt := &killTransport{}
	r := newRunner(kt)
	r.root = shq(dir)
	defer r.Close()
	count := filepath.Join(dir, "runs")
	script := fmt.Sprintf("echo run >>%s; i=1; while [ $i -le 20 ]; do echo $i; sleep 0.02; i=$((i+1)); done; exit 3", shq(count))
	res, lines, err := runJob(t, r, Spec{Script: script})
	if err != nil || res.ExitCode != 3 || res.Unknown {
		t.Fatalf("%+v %v", res, err)
	}
	wantSeq(t, texts(lines, Stdout), "", 20)
	if b, _ := os.ReadFile(count); string(b) != "run\n" {
		t.Errorf("the job ran %d times", strings.Count(string(b), "run"))
	}
	// The next job goes through a new helper.
	if res, _, err := runJob(t, r, Spec{Script: "exit 9"}); err != nil || res.ExitCode != 9 {
		t.Fatalf("after the helper died: %+v %v", res, err)
	}
	if kt.starts != 2 {
		t.Errorf("%d helpers started, want 2", kt.starts)
	}
}

// testHelperKilledMidJob kills the helper (SIGKILL) while a job streams:
// the job goes on, every line arrives exactly once, the exit code is
// right, and the next job starts a new helper.
func testHelperKilledMidJob(t *testing.T, r *runner) {
	var once sync.Once
	c := newCollector(func(l Line) {
		if l.Stream == Stdout && l.Text == "30" {
			once.Do(func() {
				if err := syscall.Kill(helperPID(t, r), syscall.SIGKILL); err != nil {
					t.Errorf("kill helper: %v", err)
				}
			})
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := r.Run(ctx, Spec{JobID: jobID(t), Script: `i=1; while [ $i -le 100 ]; do echo $i; echo e$i >&2; sleep 0.01; i=$((i+1)); done; exit 5`}, c.ch)
	lines := c.stop()
	if err != nil || res.ExitCode != 5 || res.Unknown {
		t.Fatalf("%+v %v", res, err)
	}
	wantSeq(t, texts(lines, Stdout), "", 100)
	wantSeq(t, texts(lines, Stderr), "e", 100)
	old := currentHelper(r)
	if res, _, err := runJob(t, r, Spec{Script: "exit 4"}); err != nil || res.ExitCode != 4 {
		t.Fatalf("after the helper died: %+v %v", res, err)
	}
	if h := currentHelper(r); h == nil || h == old {
		t.Errorf("the next job did not start a new helper")
	}
}

func TestLocalHelperKilledMidJob(t *testing.T) {
	r := newRunner(localTransport{})
	r.root = shq(t.TempDir())
	defer r.Close()
	testHelperKilledMidJob(t, r)
}

func TestSSHHelperKilledMidJob(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	testHelperKilledMidJob(t, sshRunner(t, s, t.TempDir()))
}

// TestSSHHelperAfterReconnect: after the link drops, the next job is
// launched through a new helper on the new connection.
func TestSSHHelperAfterReconnect(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	r := sshRunner(t, s, t.TempDir())
	if res, _, err := runJob(t, r, Spec{Script: "exit 2"}); err != nil || res.ExitCode != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	first := currentHelper(r)
	if first == nil {
		t.Fatal("no helper after the first job")
	}
	if n := s.KillSessions(); n == 0 {
		t.Fatal("no session killed")
	}
	res, lines, err := runJob(t, r, Spec{Script: "echo after; exit 3"})
	if err != nil || res.ExitCode != 3 {
		t.Fatalf("after the drop: %+v %v", res, err)
	}
	if got := texts(lines, Stdout); len(got) != 1 || got[0] != "after" {
		t.Errorf("output %q", got)
	}
	h := currentHelper(r)
	if h == nil || h == first {
		t.Fatalf("the job after the drop did not go through a new helper")
	}
	if h.gen == first.gen {
		t.Errorf("the new helper belongs to the old connection (generation %d)", h.gen)
	}
}

// testNoLeftovers runs 100 `true` jobs one after the other, each then
// forgotten: no process is left of them (not even a zombie: nothing in
// the helper's session or under it but the helper, no process with the
// jobs' environment) and no file in the jobs directory.
func testNoLeftovers(t *testing.T, r *runner, root string) {
	ctx := ctxT(t)
	mark := "GOLIVE_TEST_MARK=" + newToken() // in the jobs' environment
	ch := make(chan Line, 16)
	for i := 0; i < 100; i++ {
		id := fmt.Sprintf("%s-%d", jobID(t), i)
		res, err := r.Run(ctx, Spec{JobID: id, Script: "true", Timeout: time.Hour, Env: map[string]string{"GOLIVE_TEST_MARK": mark[len("GOLIVE_TEST_MARK="):]}}, ch)
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("job %d: %+v %v", i, res, err)
		}
		if err := r.Forget(ctx, id); err != nil {
			t.Fatalf("forget %d: %v", i, err)
		}
	}
	hp := helperPID(t, r)
	var left []string
	deadline := time.Now().Add(5 * time.Second)
	for {
		left = left[:0]
		for _, p := range procs(t) {
			env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.pid))
			ours := p.ppid == hp || p.sid == hp || strings.Contains(string(env), mark)
			if ours && p.pid != hp {
				left = append(left, fmt.Sprintf("%d %s %q", p.pid, p.state, p.cmdline))
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(left) > 0 {
		t.Errorf("processes left under the helper: %q", left)
	}
	if ents, err := os.ReadDir(root); err != nil || len(ents) != 0 {
		t.Errorf("jobs directory after Forget: %v %v, want empty", ents, err)
	}
}

func TestLocalNoLeftovers(t *testing.T) {
	root := t.TempDir()
	r := newRunner(localTransport{})
	r.root = shq(root)
	r.keep = -1
	defer r.Close()
	testNoLeftovers(t, r, root)
}

func TestSSHNoLeftovers(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	root := t.TempDir()
	r := sshRunner(t, s, root)
	r.keep = -1
	testNoLeftovers(t, r, root)
}

// testConcurrentExits runs 10 jobs at once through one helper, silent
// and not, with distinct exit codes: each gets its own.
func testConcurrentExits(t *testing.T, e Executor) {
	var wg sync.WaitGroup
	for k := 1; k <= 10; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			script := fmt.Sprintf("exit %d", k)
			if k%3 == 0 {
				script = fmt.Sprintf("echo job%d; exit %d", k, k)
			}
			res, lines, err := runJob(t, e, Spec{Script: script})
			if err != nil || res.ExitCode != k || res.Unknown {
				t.Errorf("job %d: %+v %v", k, res, err)
			}
			if got := strings.Join(texts(lines, Stdout), ","); k%3 == 0 && got != fmt.Sprintf("job%d", k) {
				t.Errorf("job %d printed %q", k, got)
			}
		}()
	}
	wg.Wait()
}

func TestLocalConcurrentExits(t *testing.T) {
	e, _ := newTestLocal(t)
	defer e.Close()
	testConcurrentExits(t, e)
}

func TestSSHConcurrentExits(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	testConcurrentExits(t, sshRunner(t, s, t.TempDir()))
}

// TestSSHDropDuringAttach: golive stops following midway (it crashed), a
// new one attaches, and the link drops while it follows: every line
// arrives exactly once, and the exit code.
func TestSSHDropDuringAttach(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	root := t.TempDir()
	e := sshRunner(t, s, root)
	id := jobID(t)
	script := `i=1; while [ $i -le 400 ]; do echo n$i; echo e$i >&2; sleep 0.005; i=$((i+1)); done; exit 4`
	ctx, cancel := context.WithCancel(context.Background())
	c := newCollector(func(l Line) {
		if l.Text == "n40" {
			cancel()
		}
	})
	if _, err := e.Run(ctx, Spec{JobID: id, Script: script}, c.ch); !errors.Is(err, context.Canceled) {
		t.Fatalf("run: %v, want context.Canceled", err)
	}
	first := c.stop()
	var from Offsets
	for _, l := range first {
		switch l.Stream {
		case Stdout:
			from.Stdout = l.Offset
		case Stderr:
			from.Stderr = l.Offset
		}
	}
	e2 := sshRunner(t, s, root)
	var once sync.Once
	killed := make(chan int, 1)
	c2 := newCollector(func(l Line) {
		if l.Stream == Stdout && l.Text == "n150" {
			once.Do(func() { killed <- s.KillSessions() })
		}
	})
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Minute)
	defer cancel2()
	res, err := e2.Attach(ctx2, id, from, c2.ch)
	rest := c2.stop()
	if err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-killed:
		if n == 0 {
			t.Fatal("no sshd session was killed")
		}
	default:
		t.Fatal("the link never dropped during Attach")
	}
	if res.ExitCode != 4 || res.Unknown {
		t.Errorf("result = %+v, want exit 4", res)
	}
	all := append(first, rest...)
	wantSeq(t, texts(all, Stdout), "n", 400)
	wantSeq(t, texts(all, Stderr), "e", 400)
	if !strings.Contains(strings.Join(texts(rest, Notice), "\n"), "reattached") {
		t.Errorf("notices %q do not tell of the reattach", texts(rest, Notice))
	}
}

// TestSSHSpareFollower: a job with output is followed through the spare
// session started ahead (no new session, no login shell on its path), and
// a new spare is started for the next one.
func TestSSHSpareFollower(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	r := sshRunner(t, s, t.TempDir())
	if res, _, err := runJob(t, r, Spec{Script: "exit 0"}); err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	ready := func() *spare {
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			r.hmu.Lock()
			sp := r.spare
			r.hmu.Unlock()
			if sp != nil {
				return sp
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatal("no spare session started")
		return nil
	}
	for round := 0; round < 2; round++ {
		sp := ready()
		res, lines, err := runJob(t, r, Spec{Script: "i=1; while [ $i -le 500 ]; do echo $i; i=$((i+1)); done; echo done >&2; exit 7"})
		if err != nil || res.ExitCode != 7 {
			t.Fatalf("%+v %v", res, err)
		}
		wantSeq(t, texts(lines, Stdout), "", 500)
		if got := texts(lines, Stderr); len(got) != 1 || got[0] != "done" {
			t.Errorf("stderr %q", got)
		}
		if next := ready(); next == sp {
			t.Fatalf("round %d: the follower did not take the spare session", round)
		}
	}
}

// TestLocalBigScript: scripts on both sides of maxHelperScript (the
// helper's limit; larger ones launch through a session) run whole, with
// their environment, and leave no script on disk.
func TestLocalBigScript(t *testing.T) {
	root := t.TempDir()
	e := NewLocal(LocalOptions{StateDir: root})
	defer e.Close()
	for _, size := range []int{maxHelperScript / 2, maxHelperScript * 2} {
		line := ": " + strings.Repeat("x", 60) + "\n"
		script := strings.Repeat(line, size/len(line)) + `echo "$V"; exit 3`
		res, lines, err := runJob(t, e, Spec{Script: script, Env: map[string]string{"V": plantedSecret}})
		if err != nil || res.ExitCode != 3 {
			t.Fatalf("%d bytes: %+v %v", len(script), res, err)
		}
		if got := texts(lines, Stdout); len(got) != 1 || got[0] != plantedSecret {
			t.Errorf("%d bytes: output %q", len(script), got)
		}
		if f := filesHolding(t, root, strings.Repeat("x", 60)); len(f) > 0 {
			t.Errorf("script left on disk: %q", f)
		}
	}
}

// TestHelperReadLine: answers are read line by line; an overlong line
// (a login script's chatter) is skipped, not the end of the reading.
func TestHelperReadLine(t *testing.T) {
	in := "a\n" + strings.Repeat("x", 10000) + "\nb\npartial"
	br := bufio.NewReaderSize(strings.NewReader(in), 4096)
	var got []string
	for {
		l, err := readLine(br)
		if err != nil {
			break
		}
		got = append(got, l)
	}
	if strings.Join(got, ",") != "a,b" {
		t.Errorf("lines %q, want a, b", got)
	}
}
