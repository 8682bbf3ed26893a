package runbook

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestWriteJSONFromSameBytes checks that the streaming export writes the
// very bytes the whole transcript encodes to (so digests, signatures and
// golive verify are unchanged), and that it refuses a stream that breaks
// off or does not replay to this session.
func TestWriteJSONFromSameBytes(t *testing.T) {
	s, evs := realisticSession(t)
	tr := transcriptOf(s)
	tr.Events = evs
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(tr); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := s.WriteJSONFrom(&got, seqOf(evs, nil)); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Fatalf("streamed transcript differs from the encoded one:\n%s\n----\n%s", got.String(), want.String())
	}
	back, err := ReadTranscript(&got)
	if err != nil || len(back.Events) != len(evs) {
		t.Fatalf("read back: %v, %d events", err, len(back.Events))
	}

	boom := errors.New("disk gone")
	if err := s.WriteJSONFrom(&bytes.Buffer{}, seqOf(evs[:2], boom)); !errors.Is(err, boom) {
		t.Fatalf("reading error not returned: %v", err)
	}
	if err := s.WriteJSONFrom(&bytes.Buffer{}, seqOf(evs[:len(evs)-1], nil)); err == nil || !strings.Contains(err.Error(), "not this session's") {
		t.Fatalf("short journal accepted: %v", err)
	}
	var none bytes.Buffer
	if err := NewSession(s.plan, nil).WriteJSON(&none, nil); err != nil || !strings.HasSuffix(none.String(), "\"events\": []\n}\n") {
		t.Fatalf("empty run: %v\n%s", err, none.String())
	}
}

// seqOf yields evs, then err if not nil.
func seqOf(evs []Event, err error) func(func(Event, error) bool) {
	return func(yield func(Event, error) bool) {
		for _, e := range evs {
			if !yield(e, nil) {
				return
			}
		}
		if err != nil {
			yield(Event{}, err)
		}
	}
}
