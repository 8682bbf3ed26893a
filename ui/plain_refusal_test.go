package ui

import (
	"strings"
	"testing"
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
	_, res := e.resume(t, "c\n")
	if !strings.Contains(res, `-- blocked by a failed high-risk step: step "migrate"`) {
		t.Errorf("the blocked step's refusal does not name the blocking step in plain words")
	}
	if strings.Contains(res, "runbook: ") {
		t.Errorf("the refusal carries the library's prefix")
	}
}
