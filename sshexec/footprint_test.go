package sshexec

import (
	"context"
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
