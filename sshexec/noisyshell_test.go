package sshexec

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golive/internal/sshdtest"
)

// TestSSHNoisyLoginShell runs the executor suite against a host whose login
// shell prints on stdout and stderr before every command (a .bashrc running
// pyenv or a banner: here BASH_ENV, which bash reads for a non-interactive
// shell, set by sshd for every session). None of that may reach a job's
// output or shift its offsets: launches, followers (fresh or spare
// sessions), reattaches and the helper all skip it.
func TestSSHNoisyLoginShell(t *testing.T) {
	passwd, _ := os.ReadFile("/etc/passwd")
	if !bashLogin(string(passwd), os.Geteuid()) {
		t.Skip("the test user's login shell is not bash (BASH_ENV would not be read)")
	}
	isolate(t)
	noisy := filepath.Join(t.TempDir(), "noisy.sh")
	if err := os.WriteFile(noisy, []byte("echo 'noise on stdout: pyenv init'\necho 'noise on stderr: cannot rehash' >&2\nprintf 'no newline'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := sshdtest.Start(t, sshdtest.Config("SetEnv BASH_ENV="+noisy))
	root := t.TempDir()
	e := sshRunner(t, s, root)
	// The host really is noisy: a bare command's output starts with it.
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.t.exec(ctx, "echo job", nil, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "noise on stdout") || !strings.HasPrefix(errb.String(), "noise on stderr") {
		t.Fatalf("the login shell is not noisy: stdout %q, stderr %q", out.String(), errb.String())
	}
	// Cancel's and Forget's scripts report what the host said when they
	// fail ("could not cancel ... (the host said: ...)"): the login
	// shell's chatter is no part of it.
	co, ce, err := e.ctlExec(ctx, "echo 'words on stdout'; echo 'rm: cannot remove x' >&2", nil, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := joinMsg(co.message(), ce.message()), "words on stdout; rm: cannot remove x"; got != want {
		t.Fatalf("a control script's host message is %q, want %q", got, want)
	}
	fresh := func() Executor { return sshRunner(t, s, root) }
	runExecutorSuite(t, e, fresh)
}

// bashLogin reports whether the passwd entry of uid names bash as its shell.
func bashLogin(passwd string, uid int) bool {
	for _, line := range strings.Split(passwd, "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 7 && f[2] == strconv.Itoa(uid) {
			return strings.HasSuffix(f[6], "/bash")
		}
	}
	return false
}
