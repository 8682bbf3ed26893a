package sshexec

import (
	"errors"
	"os/exec"
	"testing"
)

// TestExitStatusLocal: exitStatus reads a local process's end as the
// shell reports it (the SSH forms are covered by the Signal and exit-code
// cases of TestSSHRun), and says when an error is no exit at all.
func TestExitStatusLocal(t *testing.T) {
	for _, c := range []struct {
		script string
		want   int
	}{
		{"exit 0", 0},
		{"exit 3", 3},
		{"kill -TERM $$", 128 + 15},
		{"kill -KILL $$", 128 + 9},
	} {
		err := exec.Command("/bin/sh", "-c", c.script).Run()
		code, sig, ok := exitStatus(err)
		if !ok || sig != "" || code != c.want {
			t.Errorf("%q: exitStatus = %d, %q, %v; want %d, \"\", true", c.script, code, sig, ok, c.want)
		}
	}
	if code, sig, ok := exitStatus(errors.New("link broke")); ok || sig != "" || code != -1 {
		t.Errorf("a plain error read as an exit: %d, %q, %v", code, sig, ok)
	}
}
