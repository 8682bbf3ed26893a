package runbooks_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golive/runbook"
	"golive/sshexec"
)

// execRunner runs planned steps through a real sshexec.Executor (the local
// one or one connected to a test sshd), as golive run does: each step is a
// detached job whose stdout and stderr lines stream back and are fed to the
// real runbook.Checker; sshexec's own notices are not.
type execRunner struct {
	label string
	exec  sshexec.Executor
	// env is added to every job's environment (sshexec.Spec.Env).
	env map[string]string
	// secrets must never appear in any output line.
	secrets []string
}

var jobSeq atomic.Int64

func (r execRunner) name() string { return r.label }

func (r execRunner) run(t *testing.T, ps *runbook.PlannedStep) stepResult {
	t.Helper()
	timeout := ps.Step.Timeout
	if timeout == 0 || timeout > 2*time.Minute {
		timeout = 2 * time.Minute
	}
	spec := sshexec.Spec{
		JobID:   fmt.Sprintf("test-%s-%d", ps.Step.ID, jobSeq.Add(1)),
		Script:  ps.Script,
		Sudo:    ps.Step.Sudo,
		Env:     r.env,
		Timeout: timeout,
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout+30*time.Second)
	defer cancel()
	out := make(chan sshexec.Line, 64)
	var lines []string
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for l := range out {
			if l.Stream != sshexec.Notice {
				lines = append(lines, strings.TrimRight(l.Text, "\r"))
			}
		}
	}()
	res, err := r.exec.Run(ctx, spec, out)
	close(out)
	wg.Wait()
	info := runbook.ExitInfo{Code: res.ExitCode, Signal: res.Signal, Unknown: res.Unknown,
		TimedOut: res.TimedOut, Canceled: res.Canceled, Duration: res.Ended.Sub(res.Started)}
	if err != nil {
		t.Fatalf("%s: step %s: executor: %v", r.label, ps.Step.ID, err)
	}
	for _, l := range lines {
		for _, secret := range r.secrets {
			if secret != "" && strings.Contains(l, secret) {
				t.Errorf("%s: step %s printed a secret value of the environment file", r.label, ps.Step.ID)
			}
		}
	}
	return check(t, ps, lines, info)
}

// envMap turns KEY=value pairs into a map.
func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}
