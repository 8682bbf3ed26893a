package runbook

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes the complete, machine-readable transcript of the run
// (format golive-transcript/1, docs/transcript.md): the run, its verdict,
// every step with its sign-offs and attempts, and events, every journal
// event in order with its seq, prev and hash, exactly as given.
//
// events must be the journal of this session: WriteJSON replays them and
// returns an error, writing nothing, when they do not rebuild the same
// steps, so that an export can never disagree with its own record.
func (s *Session) WriteJSON(w io.Writer, events []Event) error {
	t := transcriptOf(s)
	t.Events = events
	if t.Events == nil {
		t.Events = []Event{}
	}
	re, err := Replay(s.plan, events)
	if err != nil {
		return fmt.Errorf("runbook: write transcript: the events do not replay: %w", err)
	}
	again := transcriptOf(re)
	for i := range t.Steps {
		if normalize(t.Steps[i]) != normalize(again.Steps[i]) {
			return fmt.Errorf("runbook: write transcript: step %q: the events given are not this session's", t.Steps[i].ID)
		}
	}
	if again.Verdict != t.Verdict || !again.Started.Equal(t.Started) || !sameTime(again.Ended, t.Ended) {
		return fmt.Errorf("runbook: write transcript: the events given are not this session's")
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(t); err != nil {
		return fmt.Errorf("runbook: write transcript: %w", err)
	}
	return nil
}
