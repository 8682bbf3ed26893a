package runbook

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// FuzzTranscript: no transcript, however broken, panics the reader or the
// consistency check (golive verify runs them on files from anywhere).
func FuzzTranscript(f *testing.F) {
	for _, name := range []string{"testdata/TestTranscriptJSON.golden"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"format":"golive-transcript/1","events":[{"type":"run.started"}]}`))
	f.Add([]byte(`{"format":"golive-transcript/1","steps":[{"id":"a","expect":{"match":["("]}}],"events":[{"type":"run.started","run":{}},{"type":"step.started","step":"a","attempt":1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ReadTranscript(bytes.NewReader(data))
		if err != nil {
			return
		}
		_ = tr.CheckConsistency()
	})
}

// FuzzReplay: no event sequence panics Replay, and whatever it accepts
// writes a transcript that reads back consistent.
func FuzzReplay(f *testing.F) {
	s := NewSession(testPlan(), fixedClock())
	evs := journaledEvents(f, s)
	b, _ := json.Marshal(evs)
	f.Add(b)
	b, _ = json.Marshal(run(f, NewSession(testPlan(), fixedClock()), migrateWithRests()...)) // Cont lines
	f.Add(b)
	f.Add([]byte(`[{"type":"run.started","run":{"runbook_id":"test-release"}},{"type":"step.signed_off","step":"migrate","sign_off":{"verdict":"passed"}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var evs []Event
		if json.Unmarshal(data, &evs) != nil {
			return
		}
		s, err := Replay(testPlan(), evs)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := s.WriteJSON(&buf, evs); err != nil {
			t.Fatalf("replayed events do not export: %v", err)
		}
		tr, err := ReadTranscript(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) > 0 {
			if err := tr.CheckConsistency(); err != nil {
				t.Fatalf("exported transcript inconsistent: %v", err)
			}
		}
		if err := s.WriteMarkdown(&bytes.Buffer{}, TranscriptOptions{}); err != nil {
			t.Fatal(err)
		}
	})
}

func journaledEvents(f *testing.F, s *Session) []Event {
	var out []Event
	for _, o := range realisticRun() {
		e, err := s.Do(oldRule(o(s))) // journaled below with stand-in hashes
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, e)
	}
	return journaled(out)
}
