package runbook

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// The transcript's hand-written output encoder must write exactly what
// encoding/json writes for the same event, indentation included, or the
// streamed transcript would differ from the encoded one.
func TestIndentedOutputMatchesEncoder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"a", " ", "<", ">", "&", `"`, `\`, "\n", "\t", "\x00", "\x7f", "é", "\u2028", "\xff", "😀", "\x1b[31m"}
	// The odd zone (seconds in its offset) is one encoding/json writes
	// and appendJSONTime leaves to it: rare, so most events go fast.
	zones := []*time.Location{time.UTC, time.FixedZone("p", 3600), time.UTC, time.UTC, time.UTC, time.UTC,
		time.FixedZone("m", -5*3600), time.UTC, time.UTC, time.UTC, time.UTC, time.UTC, time.FixedZone("s", 37)}
	randText := func() string {
		var b strings.Builder
		for n := rng.IntN(8); n > 0; n-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	randTime := func() time.Time {
		return time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)*int64(rng.IntN(2))).In(zones[rng.IntN(len(zones))])
	}
	streams := []Stream{StreamStdout, StreamStderr, StreamInfo, "x<y"}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetIndent(eventIndent, "  ")
	enc.SetEscapeHTML(false)
	fast := 0
	for i := range 3000 {
		ev := Event{Seq: rng.Int64N(1 << 40), Time: randTime(), Type: EvOutput, Attempt: rng.IntN(3),
			Prev: randText(), Hash: randText()}
		if rng.IntN(4) > 0 {
			ev.Step = randText()
		}
		for n := rng.IntN(6); n > 0; n-- {
			ev.Lines = append(ev.Lines, OutputLine{Time: randTime(), Stream: streams[rng.IntN(len(streams))],
				Text: randText(), Offset: rng.Int64N(3) * rng.Int64N(1<<50), Cont: rng.IntN(4) == 0})
		}
		switch rng.IntN(20) {
		case 0:
			ev.Note = "not plain"
		case 1:
			ev.legacyLines = true
		}
		want.Reset()
		if err := enc.Encode(ev); err != nil {
			t.Fatal(err)
		}
		got, ok := appendIndentedOutput(nil, &ev)
		if !ok {
			continue
		}
		fast++
		if w := bytes.TrimSuffix(want.Bytes(), []byte("\n")); !bytes.Equal(got, w) {
			t.Fatalf("event %d:\n got %s\nwant %s", i, got, w)
		}
	}
	if fast < 1500 {
		t.Fatalf("only %d of 3000 events took the fast path", fast)
	}
}
