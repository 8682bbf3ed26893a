package runbook

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
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

// TestLaunchWait: the wait for the host is known from a confirmation the
// launch brought, and not from none, nor from one only a reattach
// brought (that says when golive found the job, not when it started).
func TestLaunchWait(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		a    Attempt
		wait time.Duration
		ok   bool
	}{
		{"unconfirmed", Attempt{Started: t0}, 0, false},
		{"confirmed", Attempt{Started: t0, Launched: t0.Add(11 * time.Second)}, 11 * time.Second, true},
		{"confirmed, then reattached", Attempt{Started: t0, Launched: t0.Add(time.Second), Resumed: []time.Time{t0.Add(time.Minute)}}, time.Second, true},
		{"confirmed only by the reattach", Attempt{Started: t0, Launched: t0.Add(10 * time.Minute), Resumed: []time.Time{t0.Add(9 * time.Minute)}}, 0, false},
	} {
		if wait, ok := c.a.LaunchWait(); wait != c.wait || ok != c.ok {
			t.Errorf("%s: LaunchWait() = %v, %v; want %v, %v", c.name, wait, ok, c.wait, c.ok)
		}
	}
}
