package runbook

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// decodeOutput must read exactly what encoding/json reads, or decline:
// on records as the journal writes them, and on the same records with
// random bytes changed, where both must fail or give the same event.
func TestDecodeOutputMatchesJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	pieces := []string{"a", "Z", " ", "<", "&", `"`, `\`, "\n", "\t", "\x00", "é", "\u2028", "\xff", "😀", "\x1b[31m", "0", "}", "]", ","}
	randText := func() string {
		var b strings.Builder
		for n := rng.IntN(8); n > 0; n-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	t0 := time.Date(2026, 11, 21, 5, 0, 0, 0, time.UTC)
	streams := []Stream{StreamStdout, StreamStderr, StreamInfo}
	fast, mutated := 0, 0
	for i := range 4000 {
		ev := Event{Seq: rng.Int64N(1 << 40), Time: t0.Add(time.Duration(rng.Int64N(1e15))), Type: EvOutput,
			Step: randText(), Attempt: rng.IntN(3), Prev: randText()}
		for n := 1 + rng.IntN(6); n > 0; n-- {
			ev.Lines = append(ev.Lines, OutputLine{Time: t0.Add(time.Duration(rng.Int64N(1e12))),
				Stream: streams[rng.IntN(len(streams))], Text: randText(), Offset: rng.Int64N(3) * rng.Int64N(1<<50),
				Cont: rng.IntN(4) == 0})
		}
		rec, ok := appendOutputEvent(nil, &ev)
		if !ok {
			t.Fatalf("event %d not encoded", i)
		}
		rec = append(rec[:len(rec)-1], `,"hash":"`+strings.Repeat("ab", 32)+`"}`+"\n"...)
		mut := rng.IntN(2) == 0
		if mut {
			k := rng.IntN(len(rec))
			rec[k] = `{}[]",:\0123456789-.eE txcrufl`[rng.IntN(30)]
			mutated++
		}
		var got, want Event
		okFast := decodeOutput(rec, &got)
		errJSON := want.decodeWire(rec)
		if okFast {
			fast++
			if errJSON != nil {
				t.Fatalf("record %d: fast path read what json refuses (%v):\n%s", i, errJSON, rec)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("record %d read differently:\nfast %+v\njson %+v\n%s", i, got, want, rec)
			}
		}
		if !mut && !okFast {
			t.Fatalf("record %d, as the journal writes it, declined:\n%s", i, rec)
		}
	}
	if fast < 2000 || mutated < 1500 {
		t.Fatalf("%d of 4000 records took the fast path, %d mutated", fast, mutated)
	}
}

// FuzzDecodeOutput: on any input, the fast reader never panics, and when
// it accepts a record encoding/json reads the same event from it.
func FuzzDecodeOutput(f *testing.F) {
	t0 := time.Date(2026, 11, 21, 5, 0, 0, 0, time.UTC)
	for _, lines := range [][]OutputLine{
		{{Time: t0, Stream: StreamStdout, Text: "hello", Offset: 6}},
		{{Time: t0, Stream: StreamStdout, Text: `a "quoted" \ line`}, {Time: t0, Stream: StreamStderr, Text: "é\u2028<&>", Offset: 99}},
		{{Time: t0, Stream: StreamInfo, Text: ""}},
		{{Time: t0, Stream: StreamStdout, Text: "  Applying app.0002_x...", Offset: 25},
			{Time: t0, Stream: StreamStdout, Text: " OK", Offset: 29, Cont: true}, {Time: t0, Stream: StreamStdout, Text: "next"}},
	} {
		ev := Event{Seq: 7, Time: t0, Type: EvOutput, Step: "migrate", Attempt: 2, Lines: lines, Prev: "ab"}
		rec, _ := appendOutputEvent(nil, &ev)
		f.Add(rec)
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		var got, want Event
		if !decodeOutput(rec, &got) {
			return
		}
		if err := want.decodeWire(rec); err != nil {
			t.Fatalf("fast path read what json refuses (%v): %q", err, rec)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("read differently:\nfast %+v\njson %+v\n%q", got, want, rec)
		}
	})
}
