package sshexec

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golive/internal/sshdtest"
)

// sudoUser creates a throwaway login user in the sudo group, with a
// password, for a test that must log in as someone other than root (as a
// deploy user does in production) and become root through the real sudo.
// It returns the user's name and password; the user goes when the test ends.
func sudoUser(t *testing.T) (name, password string) {
	t.Helper()
	for _, p := range []string{"sudo", "useradd", "userdel", "chpasswd"} {
		if _, err := exec.LookPath(p); err != nil || os.Geteuid() != 0 {
			if os.Getenv("CI") != "" && err != nil {
				t.Fatalf("CI is set but %s is missing", p)
			}
			t.Skipf("needs root and %s", p)
		}
	}
	if _, err := user.LookupGroup("sudo"); err != nil {
		t.Skipf("no sudo group on this machine: %v", err)
	}
	name = fmt.Sprintf("glsudo%d", os.Getpid()%100000)
	password = "Deploy-pw-" + strconv.Itoa(os.Getpid())
	if out, err := exec.Command("useradd", "-M", "-d", "/nonexistent", "-s", "/bin/sh", "-G", "sudo", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() {
		// sudo's and sshd's processes for the user may linger a moment.
		for i := 0; i < 50; i++ {
			if exec.Command("userdel", "-f", name).Run() == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("could not remove test user %s: remove it with userdel -f %s", name, name)
	})
	cmd := exec.Command("chpasswd")
	cmd.Stdin = strings.NewReader(name + ":" + password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chpasswd %s: %v: %s", name, err, out)
	}
	return name, password
}

// TestSSHSudoAsDeployUser logs in as a user who is not root and runs a job
// through the real sudo with the user's password, as a release does with a
// deploy user: the job's exit status, written by the root wrapper, must
// reach golive (it was unreadable to the user, so every sudo step ended
// "exit status unknown"), and its output must be whole.
func TestSSHSudoAsDeployUser(t *testing.T) {
	isolate(t)
	name, password := sudoUser(t)
	s := sshdtest.Start(t)
	// sshd reads authorized_keys as the user: let the user reach it.
	for _, p := range []string{filepath.Dir(s.Dir), s.Dir} {
		if err := os.Chmod(p, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(s.Dir, "authorized_keys"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The user's jobs live in a directory of theirs, outside the test's
	// root-only temp dirs.
	root, err := os.MkdirTemp("", "golive-sudo-user-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(root, uid, gid); err != nil {
		t.Fatal(err)
	}
	opts := baseOptions(s)
	opts.User = name
	r := newRunner(dialT(t, opts))
	r.root = shq(filepath.Join(root, "jobs"))
	id := jobID(t)
	res, lines, err := runJob(t, r, Spec{JobID: id, Script: "id -u; echo done; exit 3", Sudo: true, SudoPassword: []byte(password)})
	if err != nil {
		t.Fatalf("sudo job as %s: %v (%+v)", name, err, res)
	}
	if res.Unknown || res.ExitCode != 3 {
		t.Errorf("result %+v, want exit 3 known", res)
	}
	if got := texts(lines, Stdout); len(got) != 2 || got[0] != "0" || got[1] != "done" {
		t.Errorf("stdout %q, want uid 0 then done", got)
	}
	if err := r.Forget(context.Background(), id); err != nil {
		t.Errorf("Forget of the sudo job: %v", err)
	}
}
