package runbook

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// The hand-written output encoder must agree with encoding/json byte for
// byte, or hashes would not verify after a round trip.
func TestOutputEncoderMatchesJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"a", "Z", " ", "<", ">", "&", `"`, `\`, "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f",
		"é", "日本", "\u2028", "\u2029", "\xff", "\xe2\x82", "😀", "\ufffd", "/", "'", "=", "\x1b[31m",
		// plain runs long enough for the 16- and 32-byte rounds of the scan
		"QmVuY2htYXJrIGxp", strings.Repeat("QmVuY2htYXJrIGxp", 5)[:76]}
	zones := []*time.Location{time.UTC, time.FixedZone("p", 3600), time.FixedZone("m", -(5*3600 + 1800)), time.FixedZone("s", 37), time.Local}
	randText := func() string {
		var b strings.Builder
		for n := rng.IntN(12); n > 0; n-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	randTime := func() time.Time {
		if rng.IntN(10) == 0 {
			return time.Time{}
		}
		return time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)*int64(rng.IntN(2))).In(zones[rng.IntN(len(zones))])
	}
	fast := 0
	for i := 0; i < 5000; i++ {
		ev := Event{Seq: rng.Int64N(1 << 40), Time: randTime(), Type: EvOutput, Step: randText(), Attempt: rng.IntN(3), Prev: randText()}
		for n := rng.IntN(5); n > 0; n-- {
			ev.Lines = append(ev.Lines, OutputLine{Time: randTime(), Stream: Stream(randText()), Text: randText(), Offset: rng.Int64N(3) * rng.Int64N(1<<50),
				Cont: rng.IntN(4) == 0})
		}
		if rng.IntN(20) == 0 {
			ev.Note = "not plain"
		}
		ev.legacyLines = rng.IntN(3) == 0 // read from a first-format journal
		want, err := json.Marshal(ev)
		got, ok := appendOutputEvent(nil, &ev)
		if !ok {
			continue
		}
		fast++
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("event %d:\n got %s\nwant %s (%v)", i, got, want, err)
		}
	}
	if fast < 2000 {
		t.Fatalf("only %d of 5000 events took the fast path", fast)
	}
	// Years json refuses are left to json (which reports the error).
	ev := Event{Type: EvOutput, Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, ok := appendOutputEvent(nil, &ev); ok {
		t.Fatal("year 10000 encoded")
	}
}

// BenchmarkAppendJSONString quotes a 76-column base64 line, the bulk of a
// chatty step's output.
func BenchmarkAppendJSONString(b *testing.B) {
	s := strings.Repeat("QmVuY2htYXJr", 6) + "QmVu"
	buf := make([]byte, 0, 128)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		buf = appendJSONString(buf[:0], s)
	}
}
