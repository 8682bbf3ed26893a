package runbook

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
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
	if err := s.writeJSONFrom(&got, seqOf(evs, nil)); err != nil {
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
	if err := s.writeJSONFrom(&bytes.Buffer{}, seqOf(evs[:2], boom)); !errors.Is(err, boom) {
		t.Fatalf("reading error not returned: %v", err)
	}
	if err := s.writeJSONFrom(&bytes.Buffer{}, seqOf(evs[:len(evs)-1], nil)); err == nil || !strings.Contains(err.Error(), "not this session's") {
		t.Fatalf("short journal accepted: %v", err)
	}
	var none bytes.Buffer
	if err := NewSession(s.plan, nil).WriteJSON(&none, nil); err != nil || !strings.HasSuffix(none.String(), "\"events\": []\n}\n") {
		t.Fatalf("empty run: %v\n%s", err, none.String())
	}
}

// TestWriteTranscriptJSONOnePass checks the one-pass export: the same
// bytes as WriteJSON, the replayed Session returned, the events kept in
// memory up to scratchMemory and in scratch past it, and a journal that
// does not replay refused.
func TestWriteTranscriptJSONOnePass(t *testing.T) {
	s, evs := realisticSession(t)
	var want bytes.Buffer
	if err := s.WriteJSON(&want, evs); err != nil {
		t.Fatal(err)
	}
	scratch, err := os.CreateTemp(t.TempDir(), "events")
	if err != nil {
		t.Fatal(err)
	}
	defer scratch.Close()
	for _, mem := range []int{scratchMemory, 1 << 10} {
		old := scratchMemory
		scratchMemory = mem
		var got bytes.Buffer
		re, err := WriteTranscriptJSON(&got, s.plan, seqOf(evs, nil), scratch)
		scratchMemory = old
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Fatalf("one-pass transcript (memory %d) differs:\n%s\n----\n%s", mem, got.String(), want.String())
		}
		if re.Verdict() != s.Verdict() || len(re.StepIDs()) != len(s.StepIDs()) {
			t.Fatalf("replayed session: verdict %v", re.Verdict())
		}
		st, _ := scratch.Stat()
		if spilled := st.Size() > 0; spilled != (want.Len() > mem) {
			t.Fatalf("memory %d, transcript %d bytes: scratch holds %d bytes", mem, want.Len(), st.Size())
		}
	}
	bad := []Event{evs[0], {Type: EvOutput, Step: "no-such-step", Attempt: 1, Lines: []OutputLine{{Text: "x"}}}}
	if _, err := WriteTranscriptJSON(&bytes.Buffer{}, s.plan, seqOf(bad, nil), scratch); err == nil {
		t.Fatal("a journal with a hole was exported")
	}
	var empty bytes.Buffer
	if _, err := WriteTranscriptJSON(&empty, s.plan, seqOf(nil, nil), scratch); err != nil || !strings.HasSuffix(empty.String(), "\"events\": []\n}\n") {
		t.Fatalf("no events: %v\n%s", err, empty.String())
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
