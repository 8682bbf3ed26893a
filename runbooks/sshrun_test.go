package runbooks_test

import (
	"context"
	"os"
	"testing"
	"time"

	"golive/internal/sshdtest"
	"golive/sshexec"
)

// sshRunner connects an sshexec.Executor to a real OpenSSH sshd on
// 127.0.0.1 (internal/sshdtest), logging in as the user running the test
// and trusting exactly the server's host key. Jobs keep their state under
// a temp dir (sshd's SetEnv XDG_STATE_HOME), not in the real home.
//
// When sshd is missing and CI is unset, it falls back to fallback and says
// so; under CI a missing sshd fails the test.
func sshRunner(t *testing.T, fallback execRunner) execRunner {
	t.Helper()
	if _, err := sshdtest.FindSSHD(); err != nil && os.Getenv("CI") == "" {
		t.Logf("no sshd (%v): remote steps run through the local executor instead", err)
		return fallback
	}
	state := t.TempDir()
	srv := sshdtest.Start(t, sshdtest.Config("SetEnv XDG_STATE_HOME="+state))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := sshexec.Dial(ctx, sshexec.Options{
		Host:            srv.Host,
		Port:            srv.Port,
		User:            srv.User,
		ConfigFile:      "none",
		IdentityFiles:   []string{srv.ClientKeyPath},
		KnownHostsFiles: []string{srv.WriteKnownHosts(false)},
	})
	if err != nil {
		t.Fatalf("dial the test sshd %s: %v\nsshd log:\n%s", srv.Addr, err, srv.Log())
	}
	t.Cleanup(func() { _ = c.Close() })
	return execRunner{label: "ssh", exec: c.Executor(), env: map[string]string{"LANG": "C.UTF-8"}}
}
