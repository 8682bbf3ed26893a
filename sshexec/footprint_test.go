package sshexec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golive/internal/sshdtest"
)

// The job's footprint on the host: no secret stays on disk, a finished
// job's directory can be forgotten, old ones are pruned.

const plantedSecret = "golive-planted-s3cret-7f3a"

// filesHolding lists the regular files under root whose content holds s.
func filesHolding(t *testing.T, root, s string) []string {
	t.Helper()
	var found []string
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil // a file removed while we walk
			}
			return err
		}
		if fi.Mode().IsRegular() {
			if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), s) {
				found = append(found, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Errorf("walk %s: %v", root, err)
	}
	return found
}

// testNoSecretOnDisk plants a secret in the script and the environment,
// and looks through the jobs directory and every process's argv while
// the job runs, and the directory after it ended: none may hold it. The job uses the secret, so it must have
// reached the job.
func testNoSecretOnDisk(t *testing.T, e Executor, root string) {
	script := "S='" + plantedSecret + "'\n" +
		`[ "$S" = "$E" ] && echo same; echo running; read -r x </dev/null; sleep 1; echo ${#S}`
	var mu sync.Mutex
	var during, argv []string
	looked := false
	c := newCollector(t, func(l Line) {
		if l.Stream == Stdout && l.Text == "running" {
			mu.Lock()
			during, looked = filesHolding(t, root, plantedSecret), true
			for _, p := range procs(t) {
				if strings.Contains(p.cmdline, plantedSecret) {
					argv = append(argv, fmt.Sprintf("%d %q", p.pid, p.cmdline))
				}
			}
			mu.Unlock()
		}
	})
	spec := Spec{JobID: jobID(t), Script: script, Env: map[string]string{"E": plantedSecret}}
	res, err := e.Run(ctxT(t), spec, c.ch)
	lines := c.stop()
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	if got := texts(lines, Stdout); strings.Join(got, ",") != "same,running,"+strconv.Itoa(len(plantedSecret)) {
		t.Fatalf("stdout %q: the job did not get the secret", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if !looked {
		t.Fatal("never looked while the job ran")
	}
	if len(during) > 0 {
		t.Errorf("while the job ran, the secret was on disk in %q", during)
	}
	if len(argv) > 0 {
		t.Errorf("while the job ran, the secret was in the argv of %q", argv)
	}
	if after := filesHolding(t, root, plantedSecret); len(after) > 0 {
		t.Errorf("after the job, the secret is on disk in %q", after)
	}
}

func TestLocalNoSecretOnDisk(t *testing.T) {
	root := t.TempDir()
	testNoSecretOnDisk(t, NewLocal(LocalOptions{StateDir: root}), root)
}

func TestSSHNoSecretOnDisk(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	root := t.TempDir()
	testNoSecretOnDisk(t, sshRunner(t, s, root), root)
}

// ctxT is a context that ends with the test or after a minute.
func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// testForget: Forget refuses while the job runs (from the executor that
// follows it and from another one), and after the job ended it removes
// the job's directory; forgetting it again is not an error.
func testForget(t *testing.T, e Executor, other Executor, root string) {
	id := jobID(t)
	dir := filepath.Join(root, id)
	started := make(chan struct{})
	c := newCollector(t, func(l Line) {
		if l.Stream == Stdout && l.Text == "up" {
			close(started)
		}
	})
	done := runAsync(ctxT(t), e, Spec{JobID: id, Script: "echo up; sleep 30"}, c.ch)
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the job never started")
	}
	for name, ex := range map[string]Executor{"following": e, "other": other} {
		if err := ex.Forget(ctxT(t), id); !errors.Is(err, ErrJobRunning) {
			t.Errorf("Forget (%s executor) on a running job = %v, want ErrJobRunning", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err != nil {
		t.Fatalf("the running job's output went away: %v", err)
	}
	if err := other.Cancel(ctxT(t), id); err != nil {
		t.Fatal(err)
	}
	r := <-done
	c.stop()
	if r.err != nil || !r.res.Canceled {
		t.Fatalf("%+v %v", r.res, r.err)
	}
	if err := e.Forget(ctxT(t), id); err != nil {
		t.Fatalf("Forget after the end: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("job directory still there after Forget (%v)", err)
	}
	if err := e.Forget(ctxT(t), id); err != nil {
		t.Errorf("Forget of a forgotten job: %v", err)
	}
	// A plain completed Run, then Forget.
	id2 := jobID(t)
	if res, _, err := runJob(t, e, Spec{JobID: id2, Script: "echo hi; exit 4"}); err != nil || res.ExitCode != 4 {
		t.Fatalf("%+v %v", res, err)
	}
	if err := e.Forget(ctxT(t), id2); err != nil {
		t.Fatal(err)
	}
	if ents, err := os.ReadDir(root); err != nil || len(ents) != 0 {
		t.Errorf("jobs directory after Forget: %v %v, want empty", ents, err)
	}
}

func TestLocalForget(t *testing.T) {
	root := t.TempDir()
	testForget(t, NewLocal(LocalOptions{StateDir: root}), NewLocal(LocalOptions{StateDir: root}), root)
}

func TestSSHForget(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	root := t.TempDir()
	testForget(t, sshRunner(t, s, root), sshRunner(t, s, root), root)
}

// backdated makes a job directory under root with the given files, every
// file and the directory dated age ago (touch -d).
func backdated(t *testing.T, root, id string, age time.Duration, files map[string]string) string {
	t.Helper()
	d := filepath.Join(root, id)
	if err := os.MkdirAll(d, 0o700); err != nil {
		t.Fatal(err)
	}
	paths := []string{}
	for name, body := range files {
		p := filepath.Join(d, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	when := fmt.Sprintf("@%d", time.Now().Add(-age).Unix())
	if out, err := exec.Command("touch", append([]string{"-d", when}, append(paths, d)...)...).CombinedOutput(); err != nil {
		t.Fatalf("touch -d: %v %s", err, out)
	}
	return d
}

// liveGroup starts a process in a group of its own and returns its pid
// (the group's id), killing it when the test ends.
func liveGroup(t *testing.T) string {
	t.Helper()
	c := exec.Command("sleep", "120")
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
	return strconv.Itoa(c.Process.Pid)
}

// testPrune plants backdated job directories and checks which ones the
// first Run's background prune removes: only those whose job cannot be
// running and in which nothing changed for 7 days.
func testPrune(t *testing.T, e Executor, root string) {
	const day = 24 * time.Hour
	dead := "2147480000" // no such process group
	live := liveGroup(t)
	cases := []struct {
		id    string
		age   time.Duration
		files map[string]string
		gone  bool
	}{
		{"old-done", 10 * day, map[string]string{"out": "x\n", "err": "", "pgid": dead + "\n", "exit": "0 -\n"}, true},
		{"old-dead-noexit", 9 * day, map[string]string{"out": "x\n", "pgid": dead + "\n", "wpid": dead + "\n"}, true},
		{"recent-done", 6 * day, map[string]string{"out": "x\n", "pgid": dead + "\n", "exit": "0 -\n"}, false},
		{"old-running", 10 * day, map[string]string{"out": "x\n", "pgid": live + "\n"}, false},
		{"old-wrapper-alive", 10 * day, map[string]string{"out": "x\n", "wpid": live + "\n"}, false},
		{"old-exit-group-alive", 10 * day, map[string]string{"pgid": live + "\n", "exit": "0 -\n"}, false},
	}
	for _, c := range cases {
		backdated(t, root, c.id, c.age, c.files)
	}
	// A file written lately keeps an old job.
	d := backdated(t, root, "old-but-touched", 10*day, map[string]string{"pgid": dead + "\n", "exit": "0 -\n"})
	if err := os.WriteFile(filepath.Join(d, "out"), []byte("late\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if res, _, err := runJob(t, e, Spec{Script: "echo hi"}); err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, e1 := os.Stat(filepath.Join(root, "old-done"))
		_, e2 := os.Stat(filepath.Join(root, "old-dead-noexit"))
		if (os.IsNotExist(e1) && os.IsNotExist(e2)) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.Close() // waits for the prune
	for _, c := range append(cases, struct {
		id    string
		age   time.Duration
		files map[string]string
		gone  bool
	}{id: "old-but-touched"}) {
		_, err := os.Stat(filepath.Join(root, c.id))
		if gone := os.IsNotExist(err); gone != c.gone {
			t.Errorf("%s: removed %v, want %v (%v)", c.id, gone, c.gone, err)
		}
	}
}

func TestLocalPrune(t *testing.T) {
	root := t.TempDir()
	testPrune(t, NewLocal(LocalOptions{StateDir: root}), root)
}

func TestSSHPrune(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	root := t.TempDir()
	testPrune(t, sshRunner(t, s, root), root)
}

// TestPruneRetention: the retention is configurable and a negative one
// disables pruning.
func TestPruneRetention(t *testing.T) {
	root := t.TempDir()
	backdated(t, root, "two-days", 2*24*time.Hour, map[string]string{"pgid": "2147480000\n", "exit": "0 -\n"})
	off := NewLocal(LocalOptions{StateDir: root, JobRetention: -1}).(*runner)
	if res, _, err := runJob(t, off, Spec{Script: "true"}); err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	off.Close()
	if _, err := os.Stat(filepath.Join(root, "two-days")); err != nil {
		t.Fatalf("pruning disabled, yet: %v", err)
	}
	day := NewLocal(LocalOptions{StateDir: root, JobRetention: 24 * time.Hour}).(*runner)
	ids, err := day.prune(ctxT(t))
	if err != nil || strings.Join(ids, ",") != "two-days" {
		t.Fatalf("pruned %q, %v; want [two-days]", ids, err)
	}
}
