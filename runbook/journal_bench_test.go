package runbook

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkJournalAppend measures journaling throughput of step output as
// the UI batches it: one Append (one write, one fsync) per batch of lines,
// or one AppendLazy (fsync in the background, as RunJob does). MB/s counts
// output text, the payload that has to keep up with the host.
func BenchmarkJournalAppend(b *testing.B) {
	for _, bc := range []struct {
		lines  int
		noSync bool
		lazy   bool
	}{{100, false, false}, {500, false, false}, {2000, false, false}, {500, true, false}, {2000, false, true}} {
		name := fmt.Sprintf("lines=%d", bc.lines)
		if bc.noSync {
			name += "/nosync" // encoding and hashing only
		}
		if bc.lazy {
			name += "/lazy" // AppendLazy, as RunJob journals output
		}
		batch := bc.lines
		b.Run(name, func(b *testing.B) {
			j, err := CreateJournal(b.TempDir(), "bench")
			if err != nil {
				b.Fatal(err)
			}
			j.noSync = bc.noSync
			defer j.Close()
			t0 := time.Date(2026, 11, 21, 5, 0, 0, 0, time.UTC)
			lines := make([]OutputLine, batch)
			size := 0
			for i := range lines {
				text := fmt.Sprintf("  Applying shop.%04d_auto_20261121_0500... OK (%d rows) /srv/app/static/css/site.%08x.css", i, i*7, i*31337)
				lines[i] = OutputLine{Time: t0.Add(time.Duration(i) * time.Millisecond), Stream: StreamStdout, Text: text, Offset: int64(i * 100)}
				size += len(text)
			}
			ev := Event{Type: EvOutput, Step: "migrate", Attempt: 1, Lines: lines}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				appendFn := j.Append
				if bc.lazy {
					appendFn = j.AppendLazy
				}
				if _, err := appendFn(ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
