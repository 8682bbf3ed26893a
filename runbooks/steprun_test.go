package runbooks_test

import (
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
func runSteps(t *testing.T, r stepRunner, plan *runbook.Plan, steps []expectation) {
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
		res := r.run(t, ps)
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
