package sshexec

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golive/internal/sshdtest"
)

// sshBench starts an sshd and returns a runner over golive's SSH client,
// and an OpenSSH ssh command line multiplexed over a ControlMaster.
func sshBench(b *testing.B) (*runner, func(cmd string) *exec.Cmd) {
	b.Setenv("HOME", b.TempDir())
	b.Setenv("SSH_AUTH_SOCK", "")
	// Commands run with a HOME of their own, as in bench/: the login
	// shell then reads no ~/.bashrc of the machine's (pyenv init there
	// costs ~80 ms a session), which would swamp what is measured.
	home := b.TempDir()
	s := sshdtest.Start(b, sshdtest.Config("SetEnv HOME="+home+" XDG_STATE_HOME="+home))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := Dial(ctx, baseOptions(s))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	r := newRunner(c)
	r.root = shq(b.TempDir())
	cfg := s.WriteSSHConfig("bench",
		"ControlMaster auto", "ControlPath "+filepath.Join(s.Dir, "cm-%C"), "ControlPersist 120")
	ssh := func(cmd string) *exec.Cmd { return exec.Command("ssh", "-F", cfg, "bench", cmd) }
	if out, err := ssh("true").CombinedOutput(); err != nil { // start the master
		b.Fatalf("ssh: %v: %s", err, out)
	}
	b.Cleanup(func() { _ = exec.Command("ssh", "-F", cfg, "-O", "exit", "bench").Run() })
	return r, ssh
}

// BenchmarkRunTrueSSH is the per-step overhead over SSH, against OpenSSH
// with a ControlMaster running `true`.
func BenchmarkRunTrueSSH(b *testing.B) {
	if _, err := exec.LookPath("ssh"); err != nil {
		b.Skip("no ssh client")
	}
	r, ssh := sshBench(b)
	b.Run("ssh", func(b *testing.B) { benchTrue(b, r) })
	b.Run("ssh-exec-true", func(b *testing.B) {
		for b.Loop() {
			if _, err := r.t.exec(context.Background(), "true", nil, nil, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("openssh-controlmaster-baseline", func(b *testing.B) {
		for b.Loop() {
			if err := ssh("true").Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkThroughputSSH streams 50 MB of base64 text over SSH.
func BenchmarkThroughputSSH(b *testing.B) {
	if _, err := exec.LookPath("ssh"); err != nil {
		b.Skip("no ssh client")
	}
	r, ssh := sshBench(b)
	b.Run("ssh", func(b *testing.B) { benchThroughput(b, r, 50<<20) })
	b.Run("openssh-controlmaster-baseline", func(b *testing.B) {
		b.SetBytes(50 << 20)
		for b.Loop() {
			c := ssh(fmt.Sprintf("head -c %d /dev/zero | base64", 50<<20/4*3))
			c.Stdout = io.Discard
			if err := c.Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
