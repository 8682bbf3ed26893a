package runbooks_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golive/runbook"
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

// stepRunner runs a planned step's Script somewhere (a shell on this
// machine, or an sshexec.Executor) with env as the process environment.
type stepRunner interface {
	name() string
	run(t *testing.T, ps *runbook.PlannedStep, env []string) stepResult
}

// shRunner runs scripts with /bin/sh on this machine, the way an operator
// would type them: stdout and stderr lines both reach the checker.
type shRunner struct{}

func (shRunner) name() string { return "sh" }

func (shRunner) run(t *testing.T, ps *runbook.PlannedStep, env []string) stepResult {
	t.Helper()
	timeout := ps.Step.Timeout
	if timeout == 0 || timeout > 2*time.Minute {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", ps.Script)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	info := runbook.ExitInfo{Duration: time.Since(start)}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		info.TimedOut, info.Code = true, -1
	case errors.As(err, &exitErr):
		info.Code = exitErr.ExitCode()
	case err != nil:
		info.Unknown, info.Code, info.Error = true, -1, err.Error()
	}
	var lines []string
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, strings.TrimRight(sc.Text(), "\r"))
	}
	return check(t, ps, lines, info)
}

// check feeds the lines to the step's real Checker.
func check(t *testing.T, ps *runbook.PlannedStep, lines []string, info runbook.ExitInfo) stepResult {
	t.Helper()
	c, err := runbook.NewChecker(ps.Step.Expect)
	if err != nil {
		t.Fatalf("step %s: %v", ps.Step.ID, err)
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
func runSteps(t *testing.T, r stepRunner, plan *runbook.Plan, env []string, steps []expectation) {
	t.Helper()
	for _, want := range steps {
		ps := plan.Step(want.id)
		if ps == nil {
			t.Fatalf("%s: runbook has no step %q", r.name(), want.id)
		}
		if !ps.Applicable {
			t.Errorf("%s: step %q is not applicable: %s", r.name(), want.id, ps.Reason)
			continue
		}
		res := r.run(t, ps, env)
		verdict := "failed"
		if res.met {
			verdict = "passed"
		}
		t.Logf("%s %-24s %s exit=%d in %s", r.name(), want.id, verdict, res.exit.Code, res.exit.Duration.Round(time.Millisecond))
		if res.met != want.pass {
			t.Errorf("%s: step %q %s, want pass=%v\nfailures: %q\noutput:\n%s", r.name(), want.id, verdict, want.pass, res.failures, res.output())
			continue
		}
		if want.contains != "" && !strings.Contains(res.output()+"\n"+strings.Join(res.failures, "\n"), want.contains) {
			t.Errorf("%s: step %q: output lacks %q\nfailures: %q\noutput:\n%s", r.name(), want.id, want.contains, res.failures, res.output())
		}
	}
}
