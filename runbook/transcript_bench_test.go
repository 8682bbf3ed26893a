package runbook

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
)

// BenchmarkExportTranscript exports the JSON transcript of a journal whose
// one step printed 50 MB of base64-like lines, as golive export does: the
// journal read back record by record, replayed, and encoded (through a
// scratch file). MB/s counts output text.
func BenchmarkExportTranscript(b *testing.B) {
	const mb = 50
	s := NewSession(testPlan(), fixedClock())
	line := strings.Repeat("QmVuY2htYXJr", 6) + "QmVu"
	batch := make([]string, 2000)
	for i := range batch {
		batch[i] = line
	}
	ops := []op{begin(), start("env-present")}
	for n := 0; n < mb<<20/(len(line)+1)/len(batch); n++ {
		ops = append(ops, out("env-present", batch...))
	}
	ops = append(ops, exit("env-present", 0), sign("env-present", VerdictPassed, "benchmark output"))
	evs := run(b, s, ops...)
	j, err := CreateJournal(b.TempDir(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	j.noSync = true
	for _, e := range evs {
		e.Seq = 0
		if _, err := j.Append(e); err != nil {
			b.Fatal(err)
		}
	}
	j.Close()
	raw, err := os.ReadFile(j.Path())
	if err != nil {
		b.Fatal(err)
	}
	scratch, err := os.CreateTemp(b.TempDir(), "events")
	if err != nil {
		b.Fatal(err)
	}
	defer scratch.Close()
	b.SetBytes(int64(len(ops)-4) * int64(len(batch)) * int64(len(line)+1))
	for b.Loop() {
		if _, err := scratch.Seek(0, io.SeekStart); err != nil {
			b.Fatal(err)
		}
		if _, err := WriteTranscriptJSON(io.Discard, testPlan(), recordsOf(raw), scratch); err != nil {
			b.Fatal(err)
		}
	}
}

// recordsOf decodes a journal's records one at a time, as golive export
// reads a journal.
func recordsOf(raw []byte) func(func(Event, error) bool) {
	return func(yield func(Event, error) bool) {
		br := bufio.NewReader(bytes.NewReader(raw))
		for {
			rec, err := br.ReadBytes('\n')
			if err != nil {
				return
			}
			var e Event
			if err := json.Unmarshal(rec, &e); err != nil {
				yield(Event{}, err)
				return
			}
			if !yield(e, nil) {
				return
			}
		}
	}
}
