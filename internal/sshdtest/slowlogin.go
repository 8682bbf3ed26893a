package sshdtest

import (
	"os"
	"path/filepath"
	"testing"
)

// StartSlowLogin starts a Server whose every session waits, before it
// runs its command, while the file it returns exists: a login shell whose
// startup files hang (pyenv rehash on a stale lock, a slow conda init),
// as ~/.bashrc would, whatever the user's shell is. Remove the file to
// let the sessions go on.
func StartSlowLogin(t testing.TB, opts ...Option) (*Server, string) {
	t.Helper()
	hold := filepath.Join(t.TempDir(), "hold")
	if err := os.WriteFile(hold, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	opts = append(opts, Config(`ForceCommand while [ -e '`+hold+`' ]; do sleep 0.05; done; eval "$SSH_ORIGINAL_COMMAND"`))
	return Start(t, opts...), hold
}
