package runbook

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"
)

// TestAppendStoresCanonicalRecords appends random batches (output with
// every kind of awkward text, invalid UTF-8 and literal "\ufffd" among it,
// mixed with other events) and checks every stored record byte for byte
// against encoding/json's canonical encoding of the event read back, the
// hash chain, and that what Append returned hashes as what was stored.
func TestAppendStoresCanonicalRecords(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	pieces := []string{"QmVuY2htYXJrQmVuY2htYXJr", "a", " ", "<", ">", "&", `"`, `\`, "\n", "\t", "\x00", "\x7f",
		"é", "\u2028", "\xff", "\xe2\x82", "😀", "\ufffd", `\ufffd`, "\x1b[31m"}
	text := func() string {
		var b strings.Builder
		for n := rng.IntN(8); n > 0; n-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	j, err := CreateJournal(t.TempDir(), "canon")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 21, 5, 0, 0, 0, time.UTC)
	var returned []Event
	for batch := 0; batch < 60; batch++ {
		var evs []Event
		for n := rng.IntN(4) + 1; n > 0; n-- {
			if rng.IntN(5) == 0 {
				evs = append(evs, Event{Type: EvNote, Time: t0, Step: "s", Note: "note " + text()})
				continue
			}
			ev := Event{Type: EvOutput, Time: t0.Add(time.Duration(batch) * time.Second), Step: "s", Attempt: 1}
			for k := rng.IntN(300) + 1; k > 0; k-- {
				st := StreamStdout
				if rng.IntN(8) == 0 {
					st = StreamStderr
				}
				ev.Lines = append(ev.Lines, OutputLine{Time: t0.In(time.FixedZone("z", 3600)), Stream: st, Text: text(), Offset: rng.Int64N(1 << 30)})
			}
			evs = append(evs, ev)
		}
		out, err := j.AppendLazy(evs...)
		if err != nil {
			t.Fatal(err)
		}
		returned = append(returned, out...)
	}
	path := j.Path()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	var read []Event
	for line := 1; sc.Scan(); line++ {
		var ev Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		canon := ev
		canon.Hash = ""
		c, err := json.Marshal(canon)
		if err != nil {
			t.Fatal(err)
		}
		want := string(c[:len(c)-1]) + `,"hash":"` + ev.Hash + `"}`
		if sc.Text() != want {
			t.Fatalf("line %d is not the canonical record:\n got %s\nwant %s", line, sc.Bytes(), want)
		}
		read = append(read, ev)
	}
	if err := VerifyChain(read); err != nil {
		t.Fatal(err)
	}
	if len(read) != len(returned) {
		t.Fatalf("%d records, Append returned %d events", len(read), len(returned))
	}
	for i := range returned {
		h, err := EventHash(returned[i])
		if err != nil || h != read[i].Hash || returned[i].Hash != h {
			t.Fatalf("event %d: Append returned an event hashing %s (%v), stored %s", i+1, h, err, read[i].Hash)
		}
	}
}

// TestSafePrefixStopsAtEveryUnsafeByte puts each byte value at each
// position of plain ASCII strings of every length up to 45: safePrefix
// must never pass a byte encoding/json would escape or that is not ASCII,
// and must cover a plain string of eight bytes or more entirely (a
// shorter one entirely or not at all: the Go scan leaves it to the caller).
func TestSafePrefixStopsAtEveryUnsafeByte(t *testing.T) {
	plain := "QmVuY2htYXJr+/=0123456789abcdefghijklmnopqrstuvwxyzABCDEF"
	for n := 0; n <= 45; n++ {
		want := n
		if got := safePrefix(plain[:n]); got != want && (n >= 8 || got != 0) {
			t.Fatalf("safePrefix(%q) = %d, want %d", plain[:n], got, want)
		}
		for b := 0; b < 256; b++ {
			c := byte(b)
			if c < 0x80 && jsonSafe[c] {
				continue
			}
			for pos := 0; pos < n; pos++ {
				s := []byte(plain[:n])
				s[pos] = c
				if got := safePrefix(string(s)); got > pos {
					t.Fatalf("byte %#x at %d of %d: safePrefix = %d, past it", c, pos, n, got)
				}
			}
		}
	}
}

// TestQuoteReportsReplacement: quoteJSON says it replaced something
// exactly when the input has invalid UTF-8, so the journal need not scan
// for \ufffd.
func TestQuoteReportsReplacement(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{{"plain", false}, {`literal \ufffd`, false}, {"real \ufffd", false}, {"é😀\u2028", false},
		{"bad \xff", true}, {"cut \xe2\x82", true}, {strings.Repeat("x", 70) + "\x80", true}} {
		got, replaced := quoteJSON(nil, tc.s, &jsonSafe)
		want, _ := json.Marshal(tc.s)
		if replaced != tc.want || !bytes.Equal(got, want) {
			t.Errorf("quoteJSON(%q) = %s, %v; want %s, %v", tc.s, got, replaced, want, tc.want)
		}
	}
}

// TestInRunFormIsItsDefinition checks inRunForm against what it claims:
// lines equal linesOf(runsOf(lines)), on random mixes of streams, times
// and offsets.
func TestInRunFormIsItsDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	t0 := time.Date(2026, 11, 21, 5, 0, 0, 0, time.UTC)
	streams := []Stream{StreamStdout, StreamStderr, StreamInfo}
	yes := 0
	for round := 0; round < 20000; round++ {
		lines := make([]OutputLine, rng.IntN(6)+1)
		for i := range lines {
			lines[i] = OutputLine{Time: t0, Stream: streams[rng.IntN(2)], Text: "x"}
			if rng.IntN(8) == 0 {
				lines[i].Stream = streams[2]
			}
			if rng.IntN(6) == 0 {
				lines[i].Time = t0.Add(time.Second)
			}
			switch rng.IntN(6) {
			case 0:
				lines[i].Offset = 5
			case 1:
				lines[i].Offset = -1
			}
		}
		back := linesOf(runsOf(lines))
		want := len(back) == len(lines)
		for i := 0; want && i < len(lines); i++ {
			want = back[i] == lines[i]
		}
		if got := inRunForm(lines); got != want {
			t.Fatalf("inRunForm(%+v) = %v, want %v", lines, got, want)
		}
		if want {
			yes++
		}
	}
	if yes < 2000 || yes > 18000 {
		t.Fatalf("%d of 20000 cases in run form: the test does not cover both answers", yes)
	}
}
