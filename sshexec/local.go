package sshexec

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"syscall"
	"time"
)

// LocalOptions configure NewLocal.
type LocalOptions struct {
	// StateDir holds the job directories. Empty means the same place as
	// on a remote host: $XDG_STATE_HOME/golive/jobs, or
	// ~/.local/state/golive/jobs.
	StateDir string
	// JobRetention: on its first Run the executor removes job directories
	// in which nothing changed for this long (jobs whose golive died
	// before forgetting them), never one whose job may still run. Zero
	// means DefaultJobRetention (7 days); negative disables pruning.
	JobRetention time.Duration
}

// NewLocal returns an Executor that runs jobs on this machine ("--host
// local") with the same guarantees as over SSH: each job runs detached
// under setsid with its output and exit status in files, so it outlives
// golive, and Attach and Cancel work from a later golive process.
func NewLocal(opts LocalOptions) Executor {
	r := newRunner(localTransport{})
	r.keep = retention(opts.JobRetention)
	if opts.StateDir != "" {
		r.root = shq(opts.StateDir)
	}
	return r
}

// localTransport runs golive's short commands with /bin/sh. The link to
// this machine never drops, so it never returns errConnLost.
type localTransport struct{}

// exec runs cmd in its own process group, so that a done ctx stops the
// launcher or follower and everything it started (the job itself lives in
// its own session and is not touched).
func (localTransport) exec(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd)
	c.Stdin, c.Stdout, c.Stderr = stdin, stdout, stderr
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	c.WaitDelay = 2 * time.Second
	err := c.Run()
	if ctx.Err() != nil {
		return -1, ctx.Err()
	}
	if code, _, ok := exitStatus(err); ok {
		return code, nil
	}
	return -1, fmt.Errorf("sshexec: local /bin/sh: %w", err)
}

func (localTransport) reconnect(context.Context, notifyFunc) error { return nil }

func (localTransport) name() string { return "local" }

func (localTransport) close() error { return nil }
