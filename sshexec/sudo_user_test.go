package sshexec

import (
	"context"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"

	"golive/internal/sshdtest"
)

// TestSSHSudoAsDeployUser logs in as a user who is not root and runs a job
// through the real sudo with the user's password, as a release does with a
// deploy user: the job's exit status, written by the root wrapper, must
// reach golive (it was unreadable to the user, so every sudo step ended
// "exit status unknown"), and its output must be whole.
func TestSSHSudoAsDeployUser(t *testing.T) {
	isolate(t)
	name, password, _ := sshdtest.SudoUser(t, false)
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
