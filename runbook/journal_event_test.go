package runbook

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// eventWire must list Event's stored fields, in Event's order, with the
// same tags ("out" stored next to "lines"), or encoding an Event would
// drop or reorder a field.
func TestEventWireFields(t *testing.T) {
	ev, w := reflect.TypeFor[Event](), reflect.TypeFor[eventWire]()
	var want, got []string
	for i := range ev.NumField() {
		f := ev.Field(i)
		if !f.IsExported() {
			continue
		}
		want = append(want, fmt.Sprintf("%s %s %s", f.Name, f.Type, f.Tag.Get("json")))
		if f.Name == "Lines" {
			want = append(want, "Out []runbook.outputRun out,omitempty")
		}
	}
	for i := range w.NumField() {
		f := w.Field(i)
		got = append(got, fmt.Sprintf("%s %s %s", f.Name, f.Type, f.Tag.Get("json")))
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("eventWire fields\n got %q\nwant %q", got, want)
	}
}

// Output is stored as runs of one stream: about one byte of journal per
// byte of output for base64-like lines (the first format took ~1.9), and
// the events Append returns are exactly those a reopen reads.
func TestJournalOutputRuns(t *testing.T) {
	j, err := CreateJournal(t.TempDir(), "runs")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 21, 5, 0, 0, 0, time.UTC)
	text := strings.Repeat("QmVuY2htYXJr", 6) + "QmVu" // 76 columns
	var lines []OutputLine
	size := int64(0)
	for i := range 3000 {
		s := StreamStdout
		if i%700 == 699 {
			s = StreamStderr
		}
		size += int64(len(text)) + 1
		lines = append(lines, OutputLine{Time: t0.Add(time.Duration(i) * time.Microsecond), Stream: s, Text: text, Offset: size})
	}
	lines = append(lines, OutputLine{Time: t0, Stream: StreamInfo, Text: "reconnected <ok> & \xff"})
	got, err := j.Append(Event{Type: EvOutput, Step: "s", Attempt: 1, Lines: lines})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	if ratio := float64(fi.Size()) / float64(size); ratio > 1.1 {
		t.Errorf("journal holds %.2f bytes per byte of output, want <= 1.1", ratio)
	}
	out := got[0].Lines
	if len(out) != len(lines) || out[0].Time != t0 || out[1].Time != t0 || out[0].Offset != 0 ||
		out[698].Offset != lines[698].Offset || out[699].Offset != lines[699].Offset || out[700].Time != lines[700].Time {
		t.Errorf("returned lines not in stored form: %+v %+v %+v", out[0], out[698], out[700])
	}
	if out[len(out)-1].Text != "reconnected <ok> & \ufffd" {
		t.Errorf("last line %q", out[len(out)-1].Text)
	}
	_, back, err := OpenJournal(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normTimes(back), normTimes(got)) {
		t.Fatal("reopened output differs from what Append returned")
	}
	if err := VerifyChain(back); err != nil {
		t.Fatal(err)
	}
}

// A journal and a transcript written in the first format (one object per
// output line, testdata/v1, made by golive before the runs format) still
// read, verify and continue: their events are encoded as they were.
func TestFirstFormatStillReads(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "v1", "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	path, j, evs := copyJournal(t, src)
	if len(evs) != 14 {
		t.Fatalf("%d events, want 14", len(evs))
	}
	legacy := 0
	for _, e := range evs {
		if e.Type == EvOutput {
			if !e.legacyLines || len(e.Lines) != 2 || e.Lines[0].Offset != 12 {
				t.Fatalf("output event %d read as %+v", e.Seq, e)
			}
			legacy++
		}
	}
	if legacy != 3 {
		t.Fatalf("%d first-format output events, want 3", legacy)
	}
	if err := VerifyChain(evs); err != nil {
		t.Fatal(err)
	}
	more, err := j.Append(Event{Type: EvOutput, Step: "step-3", Attempt: 1, Lines: []OutputLine{{Stream: StreamStdout, Text: "new"}}})
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	_, all, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 15 || all[14].Hash != more[0].Hash || all[14].legacyLines {
		t.Fatalf("continued journal: %d events", len(all))
	}
	if err := VerifyChain(all); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(all[2])
	if err != nil || !strings.Contains(string(raw), `"lines":[{"t":`) {
		t.Fatalf("first-format event encoded as %s (%v)", raw, err)
	}

	tr, err := os.ReadFile(filepath.Join("testdata", "v1", "transcript.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r := VerifyTranscript(tr); !r.OK() {
		t.Fatalf("first-format transcript does not verify: %+v", r)
	}
}
