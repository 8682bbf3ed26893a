package runbook

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// refExcerpt is the excerpt rule line by line: the first ExcerptHead lines,
// then the last ExcerptTail of the rest, the lines between counted.
type refExcerpt struct {
	head, tail []string
	omitted    int64
}

func (r *refExcerpt) line(s string) {
	switch {
	case len(r.head) < ExcerptHead:
		r.head = append(r.head, s)
	case len(r.tail) < ExcerptTail:
		r.tail = append(r.tail, s)
	default:
		r.tail = append(r.tail[1:], s)
		r.omitted++
	}
}

// TestAttemptAddMatchesLineByLine feeds batches of every size around the
// excerpt bounds (a batch smaller than the ring, exactly it, larger,
// larger than head and ring together) and checks count, digest and
// excerpt against the line-by-line rule and a digest of all lines.
func TestAttemptAddMatchesLineByLine(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	sizes := []int{1, 2, 7, ExcerptHead - 1, ExcerptHead, ExcerptHead + 1, ExcerptTail - 1, ExcerptTail,
		ExcerptTail + 1, ExcerptHead + ExcerptTail, ExcerptHead + ExcerptTail + 1, 2000, 32768}
	for round := 0; round < 40; round++ {
		c, _ := NewChecker(Expect{})
		a := newAttempt(1, StartInfo{}, time.Time{}, c)
		var ref refExcerpt
		h := sha256.New()
		n := 0
		for b := rng.IntN(6) + 1; b > 0; b-- {
			size := sizes[rng.IntN(len(sizes))]
			lines := make([]OutputLine, size)
			for i := range lines {
				n++
				st := StreamStdout
				if rng.IntN(10) == 0 {
					st = StreamStderr
				}
				lines[i] = OutputLine{Stream: st, Text: fmt.Sprintf("line %d", n)}
				ref.line(lines[i].Text)
				fmt.Fprintf(h, "%s %s\n", st, lines[i].Text)
			}
			a.add(lines, "")
		}
		got := a.snapshot()
		if got.OutputLines != int64(n) || got.Omitted != ref.omitted || len(got.Head) != len(ref.head) || len(got.Tail) != len(ref.tail) {
			t.Fatalf("round %d: %d lines: got lines %d omitted %d head %d tail %d, want omitted %d head %d tail %d",
				round, n, got.OutputLines, got.Omitted, len(got.Head), len(got.Tail), ref.omitted, len(ref.head), len(ref.tail))
		}
		for i, l := range got.Head {
			if l.Text != ref.head[i] {
				t.Fatalf("round %d: head[%d] = %q, want %q", round, i, l.Text, ref.head[i])
			}
		}
		for i, l := range got.Tail {
			if l.Text != ref.tail[i] {
				t.Fatalf("round %d: tail[%d] = %q, want %q", round, i, l.Text, ref.tail[i])
			}
		}
		if want := hex.EncodeToString(h.Sum(nil)); got.OutputSHA256 != want {
			t.Fatalf("round %d: digest %s, want %s", round, got.OutputSHA256, want)
		}
	}
}

// TestAttemptExcerptOwnsItsText: lines whose texts are substrings of one
// big block (as the executor hands them over) are kept with texts of
// their own once the attempt exits or is interrupted, so that the excerpt
// does not keep the block alive.
func TestAttemptExcerptOwnsItsText(t *testing.T) {
	for _, end := range []string{"exit", "interrupt"} {
		block := strings.Repeat("0123456789abcdef", 4096)
		lines := make([]OutputLine, 1000)
		for i := range lines {
			lines[i] = OutputLine{Stream: StreamStdout, Text: block[i*16 : i*16+16]}
		}
		s := NewSession(testPlan(), fixedClock())
		for _, o := range []op{begin(), start("check-deploy")} {
			if _, err := s.Do(o(s)); err != nil {
				t.Fatal(err)
			}
		}
		for i, part := range [][]OutputLine{lines[:3], lines[3:500], lines[500:900], lines[900:950], lines[950:]} {
			stand := strings.Repeat(fmt.Sprintf("%02x", i), sha256.Size) // a journal hash, for DigestRecords
			if err := s.Apply(Event{Type: EvOutput, Step: "check-deploy", Attempt: 1, Lines: part, Hash: stand}); err != nil {
				t.Fatal(err)
			}
		}
		var err error
		if end == "exit" {
			_, err = s.Do(exit("check-deploy", 0)(s))
		} else {
			_, err = s.Do(interrupt("check-deploy")(s))
		}
		if err != nil {
			t.Fatal(err)
		}
		lo := uintptr(unsafe.Pointer(unsafe.StringData(block)))
		hi := lo + uintptr(len(block))
		got := s.Step("check-deploy").Attempts[0]
		for _, l := range append(got.Head, got.Tail...) {
			if p := uintptr(unsafe.Pointer(unsafe.StringData(l.Text))); p >= lo && p < hi {
				t.Fatalf("%s: kept line %q points into the output block", end, l.Text)
			}
		}
		if len(got.Head) != ExcerptHead || len(got.Tail) != ExcerptTail || got.Tail[ExcerptTail-1].Text != lines[999].Text ||
			got.Omitted != int64(1000-ExcerptHead-ExcerptTail) {
			t.Fatalf("%s: excerpt: head %d tail %d omitted %d", end, len(got.Head), len(got.Tail), got.Omitted)
		}
	}
}

// BenchmarkSessionOutputBase64 measures Session.Apply of journaled output
// events of 76-column base64 lines, as the UI applies a 200 MB step's
// output: 2,000 lines per event (RunJob's batch) and 32k (a full executor
// batch), under each digest rule (records: the attempt digests the
// event's journal hash; lines: an older run's attempt digests every
// line). MB/s counts output text.
func BenchmarkSessionOutputBase64(b *testing.B) {
	for _, rule := range []string{"records", "lines"} {
		for _, n := range []int{2000, 32768} {
			b.Run(fmt.Sprintf("rule=%s/lines=%d", rule, n), func(b *testing.B) {
				s := NewSession(testPlan(), fixedClock())
				runRule(b, s, rule == "lines", begin(), start("check-deploy"))
				lines := base64Output(n, 9)
				size := 0
				for _, l := range lines {
					size += len(l.Text) + 1
				}
				ev := Event{Seq: 3, Type: EvOutput, Time: lines[0].Time, Step: "check-deploy", Attempt: 1, Lines: lines}
				var err error
				if ev.Hash, err = EventHash(ev); err != nil { // journaled: its hash, hashed once
					b.Fatal(err)
				}
				b.SetBytes(int64(size))
				b.ReportAllocs()
				cpu := processCPU()
				for b.Loop() {
					if err := s.Apply(ev); err != nil {
						b.Fatal(err)
					}
				}
				cpu.report(b, int64(size)*int64(b.N))
			})
		}
	}
}
