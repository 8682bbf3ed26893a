package runbook

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"
)

// How an Event is stored as JSON (journal, transcript). Output is most of
// a journal, and the first format spent about 75 bytes of JSON on every
// line of it ({"t":time,"s":stream,"x":text,"o":offset}): a 200 MB step
// wrote 390 MB, and encoding, hashing and writing that bound a fast step.
// Now an output event stores its lines as runs of consecutive lines of one
// stream: the stream, the time of the run's first line, the largest byte
// offset in the run, and the texts:
//
//	"out":[{"s":"stdout","t":"2026-11-21T05:00:00.1Z","o":4096,"x":["line 1","line 2"]}]
//
// A line whose start was delivered on its own before its end arrived
// (OutputLine.Cont: "  Applying app.0002_x..." then, seconds later, " OK")
// always starts a run of its own, marked "c":true after the offset:
//
//	{"s":"stdout","t":"2026-11-21T05:00:09Z","o":4100,"c":true,"x":[" OK","next line"]}
//
// "c" says the run's first line is such a rest; the other lines of a run
// never are. Runs without it (every run an older golive wrote) omit "c".
//
// Decoded, every line of a run has the run's time, and only its last line
// carries the offset (what a resume needs: where to continue). Append
// returns its events in that decoded form, so what a Session applies is
// exactly what a replay reads back. Events in the first format ("lines")
// are still read, and encoded again as they were, so their hashes verify.

// outputRun is a run of consecutive lines of one stream, as stored.
type outputRun struct {
	Stream Stream    `json:"s"`
	Time   time.Time `json:"t"`
	Offset int64     `json:"o,omitempty"`
	// Cont marks the run's first line as the rest of the line before
	// (OutputLine.Cont); runEnd makes such a line start a run.
	Cont bool     `json:"c,omitempty"`
	Text []string `json:"x"`
}

// eventWire is Event as stored: the same fields in the same order, with
// Lines as "lines" (first format) or "out" (runs). TestEventWireFields
// holds the two in step.
type eventWire struct {
	Seq     int64     `json:"seq"`
	Time    time.Time `json:"time"`
	Type    EventType `json:"type"`
	Step    string    `json:"step,omitempty"`
	Attempt int       `json:"attempt,omitempty"`

	Run     *RunInfo     `json:"run,omitempty"`
	Var     *VarValue    `json:"var,omitempty"`
	HostKey *HostKeyInfo `json:"host_key,omitempty"`
	Conn    *ConnInfo    `json:"conn,omitempty"`
	Start   *StartInfo   `json:"start,omitempty"`
	Lines   []OutputLine `json:"lines,omitempty"`
	Out     []outputRun  `json:"out,omitempty"`
	Exit    *ExitInfo    `json:"exit,omitempty"`
	SignOff *SignOff     `json:"sign_off,omitempty"`
	Note    string       `json:"note,omitempty"`

	Prev string `json:"prev,omitempty"`
	Hash string `json:"hash,omitempty"`
}

// MarshalJSON encodes the event as it is stored: Lines as runs ("out"),
// or one object per line ("lines") for an event read in the first format.
// HTML characters are left as they are; json.Marshal escapes them (the
// canonical encoding), an Encoder with SetEscapeHTML(false) does not.
func (e Event) MarshalJSON() ([]byte, error) {
	w := eventWire{Seq: e.Seq, Time: e.Time, Type: e.Type, Step: e.Step, Attempt: e.Attempt,
		Run: e.Run, Var: e.Var, HostKey: e.HostKey, Conn: e.Conn, Start: e.Start,
		Exit: e.Exit, SignOff: e.SignOff, Note: e.Note, Prev: e.Prev, Hash: e.Hash}
	if e.legacyLines {
		w.Lines = e.Lines
	} else {
		w.Out = runsOf(e.Lines)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&w); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON decodes an event in either format.
func (e *Event) UnmarshalJSON(data []byte) error {
	if decodeOutput(data, e) {
		return nil
	}
	return e.decodeWire(data)
}

// decodeWire decodes an event with encoding/json.
func (e *Event) decodeWire(data []byte) error {
	var w eventWire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*e = Event{Seq: w.Seq, Time: w.Time, Type: w.Type, Step: w.Step, Attempt: w.Attempt,
		Run: w.Run, Var: w.Var, HostKey: w.HostKey, Conn: w.Conn, Start: w.Start,
		Exit: w.Exit, SignOff: w.SignOff, Note: w.Note, Prev: w.Prev, Hash: w.Hash}
	switch {
	case len(w.Lines) > 0 && len(w.Out) > 0:
		return errors.New(`event has both "lines" and "out": one event stores its output one way`)
	case len(w.Lines) > 0:
		e.Lines, e.legacyLines = w.Lines, true
	case len(w.Out) > 0:
		e.Lines = linesOf(w.Out)
	}
	return nil
}

// runsOf groups lines into runs of one stream.
func runsOf(lines []OutputLine) []outputRun {
	if len(lines) == 0 {
		return nil
	}
	var runs []outputRun
	for i := 0; i < len(lines); {
		k, off := runEnd(lines, i)
		r := outputRun{Stream: lines[i].Stream, Time: lines[i].Time, Offset: off, Cont: lines[i].Cont, Text: make([]string, k-i)}
		for n := i; n < k; n++ {
			r.Text[n-i] = lines[n].Text
		}
		runs = append(runs, r)
		i = k
	}
	return runs
}

// runEnd returns where the run of lines that starts at i ends (the index
// of the first line of another stream or of the next Cont line, or
// len(lines)) and the run's largest offset: what a stored run keeps of its
// lines' offsets.
func runEnd(lines []OutputLine, i int) (end int, off int64) {
	off = lines[i].Offset
	for end = i + 1; end < len(lines) && lines[end].Stream == lines[i].Stream && !lines[end].Cont; end++ {
		off = max(off, lines[end].Offset)
	}
	return end, max(off, 0)
}

// linesOf expands runs into lines: each with its run's stream and time,
// the run's offset on its last line.
func linesOf(runs []outputRun) []OutputLine {
	n := 0
	for _, r := range runs {
		n += len(r.Text)
	}
	lines := make([]OutputLine, 0, n)
	for _, r := range runs {
		if len(r.Text) == 0 {
			continue
		}
		first := len(lines)
		for _, x := range r.Text {
			lines = append(lines, OutputLine{Time: r.Time, Stream: r.Stream, Text: x})
		}
		lines[first].Cont = r.Cont
		lines[len(lines)-1].Offset = r.Offset
	}
	return lines
}

// storedLines returns lines as a round trip through the runs format gives
// them back (times and offsets per run), or lines itself when they are
// already in that form.
func storedLines(lines []OutputLine) []OutputLine {
	if inRunForm(lines) {
		return lines
	}
	out := make([]OutputLine, len(lines))
	for i := 0; i < len(lines); {
		k, off := runEnd(lines, i)
		for n := i; n < k; n++ {
			out[n] = OutputLine{Time: lines[i].Time, Stream: lines[i].Stream, Text: lines[n].Text}
		}
		out[i].Cont = lines[i].Cont
		out[k-1].Offset = off
		i = k
	}
	return out
}

// inRunForm reports whether lines already read as linesOf(runsOf(lines)):
// every line of a run has the run's first time, and only a run's last
// line has an offset (none negative); a Cont line starts a run. One pass,
// one stream compare a line.
func inRunForm(lines []OutputLine) bool {
	for i := 0; i < len(lines); {
		first := &lines[i]
		if first.Offset < 0 {
			return false
		}
		k := i + 1
		for ; k < len(lines) && lines[k].Stream == first.Stream && !lines[k].Cont; k++ {
			if lines[k-1].Offset != 0 || lines[k].Offset < 0 || lines[k].Time != first.Time {
				return false
			}
		}
		i = k
	}
	return true
}
