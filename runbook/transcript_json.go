package runbook

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
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
	var buf bytes.Buffer
	all := func(yield func(Event, error) bool) {
		for _, e := range events {
			if !yield(e, nil) {
				return
			}
		}
	}
	if err := s.writeJSONFrom(&buf, all); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// writeJSONFrom is WriteJSON over events as a sequence (or the error that
// stopped reading them). It writes as it reads: when it returns an error
// the output is incomplete, which is why WriteJSON gives it a buffer.
// (An export without a Session uses WriteTranscriptJSON.)
func (s *Session) writeJSONFrom(w io.Writer, events iter.Seq2[Event, error]) error {
	t := transcriptOf(s)
	head, err := transcriptHead(t)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(head)
	re, n, err := encodeEvents(bw, s.plan, events)
	if err != nil {
		return err
	}
	writeTail(bw, n)
	again := transcriptOf(re)
	for i := range t.Steps {
		if normalize(t.Steps[i]) != normalize(again.Steps[i]) {
			return fmt.Errorf("runbook: write transcript: step %q: the events given are not this session's", t.Steps[i].ID)
		}
	}
	if again.Verdict != t.Verdict || !again.Started.Equal(t.Started) || !sameTime(again.Ended, t.Ended) {
		return fmt.Errorf("runbook: write transcript: the events given are not this session's")
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("runbook: write transcript: %w", err)
	}
	return nil
}

// WriteTranscriptJSON writes the transcript of a journal in one pass over
// it, for an export that has no Session of its own: the events are
// replayed into a new Session for plan and encoded, as they come, into
// memory, or once they pass scratchMemory into scratch (a temporary
// file); then the transcript's head, which needs the final state, goes
// to w, followed by the events. The output is the same, byte for byte, as
// WriteJSON's from the replayed Session, which is returned. Only one
// event, and at most scratchMemory of encoded events, is held in memory
// at a time.
func WriteTranscriptJSON(w io.Writer, plan *Plan, events iter.Seq2[Event, error], scratch io.ReadWriteSeeker) (*Session, error) {
	sp := &spill{scratch: scratch}
	sw := bufio.NewWriterSize(sp, 64<<10)
	s, n, err := encodeEvents(sw, plan, events)
	if err != nil {
		return nil, err
	}
	if err := sw.Flush(); err != nil {
		return nil, fmt.Errorf("runbook: write transcript: %w", err)
	}
	if sp.spilled {
		if _, err := scratch.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("runbook: write transcript: %w", err)
		}
	}
	head, err := transcriptHead(transcriptOf(s))
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(head)
	switch {
	case sp.spilled:
		if _, err := io.Copy(bw, scratch); err != nil {
			return nil, fmt.Errorf("runbook: write transcript: %w", err)
		}
	default:
		bw.Write(sp.mem)
	}
	writeTail(bw, n)
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("runbook: write transcript: %w", err)
	}
	return s, nil
}

// scratchMemory is how much of the encoded events WriteTranscriptJSON
// keeps in memory before it moves them to its scratch file: a release of
// 50 steps of a thousand lines is about 1 MB, and never touches the disk
// twice; 200 MB of output does, with memory flat. (A variable for the
// tests.)
var scratchMemory = 4 << 20

// spill keeps what is written in memory up to scratchMemory, then moves
// it to scratch and writes on there (its writer buffers already).
type spill struct {
	mem     []byte
	scratch io.Writer
	spilled bool
}

func (s *spill) Write(p []byte) (int, error) {
	if !s.spilled {
		if len(s.mem)+len(p) <= scratchMemory {
			s.mem = append(s.mem, p...)
			return len(p), nil
		}
		s.spilled = true
		if _, err := s.scratch.Write(s.mem); err != nil {
			return 0, err
		}
		s.mem = nil
	}
	return s.scratch.Write(p)
}

// noEvents is how the encoding of a transcript with no events ends; Events
// is the struct's last field.
const noEvents = "[]\n}\n"

// transcriptHead is t's JSON up to the opening of its events array.
func transcriptHead(t *Transcript) ([]byte, error) {
	t.Events = []Event{}
	var head bytes.Buffer
	enc := json.NewEncoder(&head)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(t); err != nil {
		return nil, fmt.Errorf("runbook: write transcript: %w", err)
	}
	if !bytes.HasSuffix(head.Bytes(), []byte(noEvents)) {
		return nil, errors.New("runbook: write transcript: unexpected encoding of the transcript's end")
	}
	return head.Bytes()[:head.Len()-len(noEvents)], nil
}

// encodeEvents replays events into a new Session for plan and writes each
// as an element of the transcript's events array (without the closing
// bracket); it returns the Session and how many events there were.
func encodeEvents(bw *bufio.Writer, plan *Plan, events iter.Seq2[Event, error]) (*Session, int, error) {
	var one bytes.Buffer
	var fast []byte
	ee := json.NewEncoder(&one)
	ee.SetIndent(eventIndent, "  ") // an element of "events", two levels deep
	ee.SetEscapeHTML(false)
	re := NewSession(plan, nil)
	n := 0
	for ev, err := range events {
		if err != nil {
			return nil, 0, fmt.Errorf("runbook: write transcript: %w", err)
		}
		if err := re.Apply(ev); err != nil {
			return nil, 0, fmt.Errorf("runbook: write transcript: the events do not replay: %w", err)
		}
		var enc []byte
		var ok bool
		if fast, ok = appendIndentedOutput(fast[:0], &ev); ok {
			enc = fast
		} else {
			one.Reset()
			if err := ee.Encode(ev); err != nil {
				return nil, 0, fmt.Errorf("runbook: write transcript: event %d: %w", ev.Seq, err)
			}
			enc = bytes.TrimSuffix(one.Bytes(), []byte("\n"))
		}
		if n == 0 {
			bw.WriteString("[\n    ")
		} else {
			bw.WriteString(",\n    ")
		}
		bw.Write(enc)
		if cap(fast) > 4<<20 {
			fast = nil // don't pin one huge event's memory
		}
		n++
	}
	return re, n, nil
}

// writeTail closes the events array (of n events) and the transcript.
func writeTail(bw *bufio.Writer, n int) {
	if n == 0 {
		bw.WriteString(noEvents)
	} else {
		bw.WriteString("\n  ]\n}\n")
	}
}
