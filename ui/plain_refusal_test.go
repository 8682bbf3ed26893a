package ui

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"golive/runbook"
)

// TestPlainBlockedStepSaysWhyWithoutPrefix: a high-risk step signed off
// failed without a reason blocks the next one; resumed and continued past
// it, plain mode refuses to run the next step in the Session's words,
// without the library's "runbook: " prefix.
func TestPlainBlockedStepSaysWhyWithoutPrefix(t *testing.T) {
	e := newPlainEnv(t, nil)
	code, out := e.run(t, "p\n\nmigrate\nf\n\n", false) // say passed; migrate runs and is signed off failed, no note
	if code != ExitFailed || !strings.Contains(out, "stopped at a failure: step migrate") {
		t.Fatalf("exit %d, want %d after a failed high-risk step", code, ExitFailed)
	}
	runs, err := runbook.ListRuns(e.opts.StateDir)
	if err != nil || len(runs) != 1 {
		t.Fatalf("unfinished runs: %v, %v; want the one run", runs, err)
	}
	opts := e.opts
	opts.Vars = map[string]string{"api_token": "planted-plain-token-7731"}
	rel, events, err := OpenRun(opts, runs[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	defer rel.Journal.Close()
	var buf bytes.Buffer
	code = ResumePlain(context.Background(), opts, rel, events, PlainOptions{In: strings.NewReader("c\n"), Out: &buf})
	res := buf.String()
	t.Logf("resume: exit %d, output:\n%s", code, res)
	if !strings.Contains(res, `-- blocked by a failed high-risk step: step "migrate"`) {
		t.Errorf("the blocked step's refusal does not name the blocking step in plain words")
	}
	if strings.Contains(res, "runbook: ") {
		t.Errorf("the refusal carries the library's prefix")
	}
}
