package sshdtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Agent is a running OpenSSH ssh-agent.
type Agent struct {
	// Socket is the agent's socket, for SSH_AUTH_SOCK.
	Socket string
	t      testing.TB
}

// StartAgent starts `ssh-agent -D -a SOCK` in a short temp dir, adds the
// given private key files with ssh-add, and stops the agent when the test
// ends. It skips like Require when ssh-agent is missing.
func StartAgent(t testing.TB, keyFiles ...string) *Agent {
	t.Helper()
	bin, err := exec.LookPath("ssh-agent")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but ssh-agent is missing (install openssh-client): %v", err)
		}
		t.Skipf("skipping: ssh-agent not found: %v", err)
	}
	// Unix socket paths are limited to ~108 bytes; t.TempDir can be longer.
	dir, err := os.MkdirTemp("", "golive-agent")
	if err != nil {
		t.Fatalf("sshdtest: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	a := &Agent{Socket: filepath.Join(dir, "agent.sock"), t: t}
	cmd := exec.Command(bin, "-D", "-a", a.Socket)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("sshdtest: start ssh-agent: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("unix", a.Socket)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshdtest: ssh-agent did not listen on %s: %v", a.Socket, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, k := range keyFiles {
		a.Add(k)
	}
	return a
}

// Add loads a private key file (unencrypted) into the agent with ssh-add.
func (a *Agent) Add(keyFile string) {
	a.t.Helper()
	cmd := exec.Command("ssh-add", keyFile)
	cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK="+a.Socket)
	if out, err := cmd.CombinedOutput(); err != nil {
		a.t.Fatalf("sshdtest: ssh-add %s: %v: %s", keyFile, err, out)
	}
}

// String returns the socket path.
func (a *Agent) String() string { return fmt.Sprintf("ssh-agent at %s", a.Socket) }
