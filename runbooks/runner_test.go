package runbooks_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golive/internal/sshdtest"
	"golive/runbook"
	"golive/sshexec"
)

// stepResult is one run of a planned step's script and what the real
// runbook.Checker made of it.
type stepResult struct {
	lines    []string
	exit     runbook.ExitInfo
	met      bool
	failures []string
}

func (r stepResult) output() string { return strings.Join(r.lines, "\n") }

// stepRunner runs a planned step's Script somewhere and checks it.
type stepRunner interface {
	name() string
	run(t *testing.T, ps *runbook.PlannedStep) stepResult
}

// check feeds the lines to the step's real Checker.
func check(t *testing.T, ps *runbook.PlannedStep, lines []string, info runbook.ExitInfo) stepResult {
	t.Helper()
	c, err := runbook.NewChecker(ps.Step.Expect)
	if err != nil {
		t.Errorf("step %s: %v", ps.Step.ID, err)
	}
	for _, l := range lines {
		c.Line(l)
	}
	met, failures := c.Result(info)
	return stepResult{lines: lines, exit: info, met: met, failures: failures}
}

// expectation is what a step's run must give on the fake server.
type expectation struct {
	id   string
	pass bool
	// contains must appear in the output (or, for a failure, in the
	// output or the checker's failure list).
	contains string
}

// runSteps runs each step of plan in order and checks the outcome.
func runSteps(t *testing.T, r stepRunner, plan *runbook.Plan, steps []expectation) {
	t.Helper()
	for _, want := range steps {
		ps := plan.Step(want.id)
		if ps == nil {
			t.Fatalf("%s: runbook has no step %q", r.name(), want.id)
		}
		runStep(t, r, ps, want)
	}
}

// runConcurrently runs independent read-only steps of plan at most n at
// a time (the executors are safe for concurrent use), to keep the test
// quick on a busy machine; pick chooses the runner of each step.
func runConcurrently(t *testing.T, n int, plan *runbook.Plan, steps []expectation, pick func(*runbook.PlannedStep) stepRunner) {
	t.Helper()
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, want := range steps {
		ps := plan.Step(want.id)
		if ps == nil {
			t.Fatalf("runbook has no step %q", want.id)
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(ps *runbook.PlannedStep, want expectation) {
			defer func() { <-sem; wg.Done() }()
			runStep(t, pick(ps), ps, want)
		}(ps, want)
	}
	wg.Wait()
}

// runStep runs one planned step and checks the outcome against want.
func runStep(t *testing.T, r stepRunner, ps *runbook.PlannedStep, want expectation) {
	t.Helper()
	if !ps.Applicable {
		t.Errorf("%s: step %q is not applicable: %s", r.name(), want.id, ps.Reason)
		return
	}
	res := r.run(t, ps)
	verdict := "failed"
	if res.met {
		verdict = "passed"
	}
	t.Logf("%s %-24s %s exit=%d in %s", r.name(), want.id, verdict, res.exit.Code, res.exit.Duration.Round(time.Millisecond))
	if res.met != want.pass {
		t.Errorf("%s: step %q %s, want pass=%v\nfailures: %q\noutput:\n%s", r.name(), want.id, verdict, want.pass, res.failures, res.output())
		return
	}
	if want.contains != "" && !strings.Contains(res.output()+"\n"+strings.Join(res.failures, "\n"), want.contains) {
		t.Errorf("%s: step %q: output lacks %q\nfailures: %q\noutput:\n%s", r.name(), want.id, want.contains, res.failures, res.output())
	}
}

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
	out := make(chan []sshexec.Line, 64)
	var lines []string
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for batch := range out {
			for _, l := range batch {
				if l.Stream != sshexec.Notice {
					lines = append(lines, strings.TrimRight(l.Text, "\r"))
				}
			}
		}
	}()
	res, err := r.exec.Run(ctx, spec, out)
	close(out)
	wg.Wait()
	info := runbook.ExitInfo{Code: res.ExitCode, Signal: res.Signal, Unknown: res.Unknown,
		TimedOut: res.TimedOut, Canceled: res.Canceled, Duration: res.Ended.Sub(res.Started)}
	if err != nil {
		// Errorf, not Fatalf: steps may run on several goroutines.
		t.Errorf("%s: step %s: executor: %v", r.label, ps.Step.ID, err)
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
