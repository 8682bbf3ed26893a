package sshexec

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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
// and looks through the jobs directory while the job runs and after it
// ended: no file may hold it. The job uses the secret, so it must have
// reached the job.
func testNoSecretOnDisk(t *testing.T, e Executor, root string) {
	script := "S='" + plantedSecret + "'\n" +
		`[ "$S" = "$E" ] && echo same; echo running; read -r x </dev/null; sleep 1; echo ${#S}`
	var mu sync.Mutex
	var during []string
	looked := false
	c := newCollector(func(l Line) {
		if l.Stream == Stdout && l.Text == "running" {
			mu.Lock()
			during, looked = filesHolding(t, root, plantedSecret), true
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
	c := newCollector(func(l Line) {
		if l.Stream == Stdout && l.Text == "up" {
			close(started)
		}
	})
	type ran struct {
		res Result
		err error
	}
	done := make(chan ran, 1)
	go func() {
		res, err := e.Run(ctxT(t), Spec{JobID: id, Script: "echo up; sleep 30"}, c.ch)
		done <- ran{res, err}
	}()
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
