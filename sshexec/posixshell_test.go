package sshexec

import (
	"os/exec"
	"strings"
	"testing"

	"golive/internal/sshdtest"
)

// posixShellScript splits an unquoted expansion and quotes a quote, as
// golive's control scripts do: under zsh alone it prints 1, under fish or
// csh it does not parse.
const posixShellScript = `l="a b c"; set -- $l; echo $#; x='it'"'"'s'; echo "$x"`

// A command golive sends behaves the same whatever the user's login shell
// (sshd runs it with "$SHELL -c"): each shell this machine has is tried
// as the login shell would be.
func TestPOSIXShellInLoginShells(t *testing.T) {
	tried := 0
	for _, name := range []string{"sh", "bash", "zsh", "fish", "csh", "tcsh"} {
		sh, err := exec.LookPath(name)
		if err != nil {
			t.Logf("%s is not installed: not tried", name)
			continue
		}
		tried++
		out, err := exec.Command(sh, "-c", posixShell(posixShellScript)).CombinedOutput()
		if got, want := string(out), "3\nit's\n"; err != nil || got != want {
			t.Errorf("%s -c: %q (%v), want %q", name, got, err, want)
		}
	}
	if tried < 2 {
		t.Fatalf("only %d shells found", tried)
	}
	if helper := helperCmd("R", "n"); posixShell(helper) != helper {
		t.Errorf("the helper's command, already under /bin/sh, was wrapped again")
	}
}

// Over SSH the command runs under /bin/sh, not under the login shell
// (bash here) that sshd starts it with.
func TestSSHCommandsRunUnderBinSh(t *testing.T) {
	s := sshdtest.Start(t)
	c := dialT(t, baseOptions(s))
	if _, out, _ := run(t, c, `echo "$0"`); strings.TrimSpace(out) != "/bin/sh" {
		t.Fatalf("the command ran under %q, want /bin/sh", strings.TrimSpace(out))
	}
}
