package runbook

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestVerifyMisfitNamesTheEvent: a transcript whose events were edited
// and hashed again (the chain holds) but do not replay fails the
// consistency check with words a reviewer can act on: which event (its
// seq and the line of the file it is on), its step and where that step
// stood, that golive never writes such a transcript, and to ask for the
// journal or 'golive export RUN'. It said "event does not fit the
// session: event N (TYPE): ...".
func TestVerifyMisfitNamesTheEvent(t *testing.T) {
	good := journaledTranscript(t, false)
	var step string
	var seq int64
	var typ EventType
	data := edit(t, good, func(tr *Transcript) {
		// The first start goes: the event after it (its step's output
		// or exit) comes while the step is still pending.
		for i, e := range tr.Events {
			if e.Type == EvStepStarted {
				step = e.Step
				tr.Events = append(tr.Events[:i], tr.Events[i+1:]...)
				rechain(tr.Events)
				if next := tr.Events[i]; next.Step == step {
					seq, typ = next.Seq, next.Type
				}
				return
			}
		}
	})
	if step == "" || seq == 0 {
		t.Fatal("the run has no started step followed by its own event")
	}
	rep := VerifyTranscript(data)
	got := checkNames(rep)
	if !got["hash chain"] || got["consistency"] {
		t.Fatalf("want the chain to hold and consistency to fail: %+v", rep.Checks)
	}
	var detail string
	for _, c := range rep.Checks {
		if c.Name == "consistency" {
			detail = c.Detail
		}
	}
	lines := strings.Split(string(data), "\n")
	line := 0
	for i, l := range lines {
		if strings.Contains(l, fmt.Sprintf(`"seq": %d,`, seq)) {
			line = i + 1
			break
		}
	}
	if line == 0 {
		t.Fatalf("no line with seq %d in the transcript", seq)
	}
	for _, want := range []string{
		fmt.Sprintf("event seq %d (line %d), %s of step %q, which was pending", seq, line, typ, step),
		"golive never writes such a transcript",
		"the run's journal",
		"'golive export run-1'",
	} {
		if !strings.Contains(detail, want) {
			t.Errorf("consistency detail lacks %q:\n%s", want, detail)
		}
	}
	if strings.Contains(detail, "runbook: ") || strings.Contains(detail, "does not fit the session") {
		t.Errorf("consistency detail in the library's words:\n%s", detail)
	}

	// The Session's error says the same event, typed.
	tr, err := ReadTranscript(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = tr.Replay()
	var ee *EventError
	if !errors.As(err, &ee) || ee.Seq != seq || ee.Step != step || ee.Status != StatusPending || ee.Type != typ ||
		!errors.Is(err, ErrBadEvent) || !errors.Is(err, ErrWrongState) {
		t.Errorf("replay error %v: want an *EventError for seq %d, step %s, pending, matching ErrBadEvent and ErrWrongState", err, seq, step)
	}
}
