package runbook

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func launchedOp(id string) op {
	return func(s *Session) (Event, error) { return s.Launched(id) }
}

// TestStepLaunchedRecordsWhenTheHostStartedTheJob: step.launched sets
// the running attempt's Launched, once; it replays and verifies, the JSON
// transcript states it, and the Markdown says how long golive waited for
// the host when that was a second or more (the test clock ticks 1 s).
func TestStepLaunchedRecordsWhenTheHostStartedTheJob(t *testing.T) {
	id := "env-present"
	s, evs := journaledRun(t, begin(), start(id), launchedOp(id), out(id, "DJANGO_SETTINGS_MODULE is set"), exit(id, 0), sign(id, VerdictPassed, ""))
	a := s.Step(id).Last()
	if a.Launched.IsZero() || !a.Launched.Equal(evs[2].Time) || evs[2].Type != EvStepLaunched {
		t.Fatalf("attempt launched %v, event %s at %v", a.Launched, evs[2].Type, evs[2].Time)
	}
	if _, err := s.Launched(id); !errors.Is(err, ErrWrongState) {
		t.Errorf("a step awaiting sign-off confirmed started: %v", err)
	}
	s2 := NewSession(testPlan(), fixedClock())
	run(t, s2, begin(), start(id), launchedOp(id))
	if _, err := s2.Launched(id); err == nil || !strings.Contains(err.Error(), "confirmed once") {
		t.Errorf("a second confirmation of one attempt: %v", err)
	}
	var buf bytes.Buffer
	if err := s.WriteJSON(&buf, evs); err != nil {
		t.Fatal(err)
	}
	rep := VerifyTranscript(buf.Bytes())
	if !rep.OK() {
		t.Fatalf("verify: %+v", rep.Checks)
	}
	ta := rep.Transcript.Steps[0].Attempts[0]
	if ta.Launched == nil || !ta.Launched.Equal(a.Launched) {
		t.Errorf("transcript attempt launched %v, want %v", ta.Launched, a.Launched)
	}
	buf.Reset()
	if err := s.WriteMarkdown(&buf, TranscriptOptions{}); err != nil {
		t.Fatal(err)
	}
	if want := "The host confirmed the job started " + stamp(a.Launched) + ", 1s after golive asked"; !strings.Contains(buf.String(), want) {
		t.Errorf("Markdown lacks %q:\n%s", want, buf.String())
	}
}
