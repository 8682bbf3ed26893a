package sshexec

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The helper's command is parsed by the login shell too: its jobs
// directory, a POSIX expansion, must reach /bin/sh intact and be expanded
// there, whatever the login shell. Each installed shell starts the helper
// with no input (it makes its directory and ends at end of input).
func TestHelperCommandInLoginShells(t *testing.T) {
	for _, name := range []string{"sh", "bash", "zsh", "fish", "csh", "tcsh"} {
		sh, err := exec.LookPath(name)
		if err != nil {
			t.Logf("%s is not installed: not tried", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			root := `"${GOLIVE_UNSET_FOR_TEST:-` + dir + `}/jobs"`
			out, err := exec.Command(sh, "-c", posixShell(helperCmd(root, "N1"))).CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v: %s", name, err, out)
			}
			if st, err := os.Stat(filepath.Join(dir, "jobs")); err != nil || !st.IsDir() {
				t.Fatalf("%s: the helper did not make %s/jobs (%v); it said %q", name, dir, err, out)
			}
		})
	}
}
