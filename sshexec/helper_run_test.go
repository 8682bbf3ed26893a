package sshexec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golive/internal/sshdtest"
)

// Runs through the helper, as golive makes them: the helper or the link
// dying mid-job, many jobs in a row or at once, a drop during Attach, the
// spare follower.

// testHelperKilledMidJob kills the helper (SIGKILL) while a job streams:
// the job goes on, every line arrives exactly once, the exit code is
// right, and the next job starts a new helper.
func testHelperKilledMidJob(t *testing.T, r *runner) {
	var once sync.Once
	c := newCollector(t, func(l Line) {
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
	ch := make(chan []Line, 16)
	defer close(ch)
	go func() {
		for range ch { // each Run's NoticeLaunched
		}
	}()
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
// arrives exactly once, and the exit code. The job holds after line 150
// until the link is dropped: on a loaded machine the second runner may
// otherwise attach only after the job ended, and the drop then comes
// after Attach had read all there was (no reattach to tell of).
func TestSSHDropDuringAttach(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	root := t.TempDir()
	e := sshRunner(t, s, root)
	id := jobID(t)
	mark := filepath.Join(t.TempDir(), "go-on")
	script := `i=1; while [ $i -le 400 ]; do echo n$i; echo e$i >&2; [ $i = 150 ] && ` + holdUntil(mark) + `; sleep 0.005; i=$((i+1)); done; exit 4`
	ctx, cancel := context.WithCancel(context.Background())
	c := newCollector(t, func(l Line) {
		if l.Text == "n40" {
			cancel()
		}
	})
	if _, err := e.Run(ctx, Spec{JobID: id, Script: script}, c.ch); !errors.Is(err, context.Canceled) {
		t.Fatalf("run: %v, want context.Canceled", err)
	}
	first := c.stop()
	from := lastOffsets(first)
	e2 := sshRunner(t, s, root)
	var once sync.Once
	killed := make(chan int, 1)
	c2 := newCollector(t, func(l Line) {
		if l.Stream == Stdout && l.Text == "n150" {
			once.Do(func() { killed <- s.KillSessions(); release(t, mark) })
		}
	})
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Minute)
	defer cancel2()
	res, err := e2.Attach(ctx2, id, from, c2.ch)
	rest := c2.stop()
	if err != nil {
		t.Fatal(err)
	}
	wantKilled(t, killed, "the link never dropped during Attach")
	if res.ExitCode != 4 || res.Unknown {
		t.Errorf("result = %+v, want exit 4", res)
	}
	all := append(first, rest...)
	wantSeq(t, texts(all, Stdout), "n", 400)
	wantSeq(t, texts(all, Stderr), "e", 400)
	wantNotices(t, rest, NoticeLost, NoticeReattached)
}

// TestSSHSpareFollower: a job with output that runs past followDelay is
// followed through the spare session started ahead (no new session, no
// login shell on its path), and a new spare is started for the next one.
func TestSSHSpareFollower(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	r := sshRunner(t, s, t.TempDir())
	if res, _, err := runJob(t, r, Spec{Script: "exit 0"}); err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	for round := 0; round < 2; round++ {
		sp := waitSpare(t, r)
		res, lines, err := runJob(t, r, Spec{Script: "sleep 0.3; i=1; while [ $i -le 500 ]; do echo $i; i=$((i+1)); done; echo done >&2; exit 7"})
		if err != nil || res.ExitCode != 7 {
			t.Fatalf("%+v %v", res, err)
		}
		wantSeq(t, texts(lines, Stdout), "", 500)
		if got := texts(lines, Stderr); len(got) != 1 || got[0] != "done" {
			t.Errorf("stderr %q", got)
		}
		if next := waitSpare(t, r); next == sp {
			t.Fatalf("round %d: the follower did not take the spare session", round)
		}
	}
}
