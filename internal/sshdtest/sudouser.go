package sshdtest

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var sudoUsers atomic.Int32

// SudoUser creates a throwaway login user in the sudo group with a
// password, for a test that logs in as someone other than root (as a
// deploy user does in production) and becomes root through the host's real
// sudo, which asks for that password. With withHome the user gets a home
// directory of its own (where golive keeps its jobs on the host), else
// /nonexistent. The user and its home go when the test ends. The test is
// skipped without root, sudo or the user tools, unless CI is set.
func SudoUser(t testing.TB, withHome bool) (name, password, home string) {
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
	n := sudoUsers.Add(1)
	name = fmt.Sprintf("glt%d%d", os.Getpid()%100000, n)
	password = fmt.Sprintf("Sudo-pw-%d-%d", os.Getpid(), n)
	home = "/nonexistent"
	if withHome {
		var err error
		if home, err = os.MkdirTemp("", "golive-deploy-"); err != nil {
			t.Fatal(err)
		}
	}
	removeHome := func() {
		if withHome {
			os.RemoveAll(home)
		}
	}
	if out, err := exec.Command("useradd", "-M", "-d", home, "-s", "/bin/sh", "-G", "sudo", name).CombinedOutput(); err != nil {
		removeHome()
		t.Fatalf("useradd %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() {
		defer removeHome()
		for i := 0; i < 50; i++ { // sudo's and sshd's processes for the user may linger a moment
			if exec.Command("userdel", "-f", name).Run() == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("could not remove test user %s: remove it with userdel -f %s", name, name)
	})
	if withHome {
		u, err := user.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(home, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("chpasswd")
	cmd.Stdin = strings.NewReader(name + ":" + password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chpasswd %s: %v: %s", name, err, out)
	}
	return name, password, home
}
