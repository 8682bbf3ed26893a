package runbook

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"syscall"
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

// base64Output returns n lines as `head -c N /dev/urandom | base64` prints
// them (76 columns), in the form RunJob hands them to the journal: one
// stdout run, the run's time on every line, its offset on the last.
func base64Output(n int, seed uint64) []OutputLine {
	rng := rand.New(rand.NewPCG(seed, 1))
	raw := make([]byte, 57)
	t0 := time.Date(2026, 11, 21, 5, 0, 0, 123456789, time.UTC)
	lines := make([]OutputLine, n)
	for i := range lines {
		for k := range raw {
			raw[k] = byte(rng.Uint32())
		}
		lines[i] = OutputLine{Time: t0, Stream: StreamStdout, Text: base64.StdEncoding.EncodeToString(raw)}
	}
	lines[n-1].Offset = int64(n * 77)
	return lines
}

// BenchmarkJournalAppendBase64 measures the recorder stage of a 200 MB
// step: AppendLazy of one output event of 76-column base64 lines per batch
// (2,000 lines as RunJob batches today, 32k as a full executor batch). The
// "devnull" cases write to /dev/null: encoding and hashing without the
// page cache. MB/s counts output text.
func BenchmarkJournalAppendBase64(b *testing.B) {
	for _, bc := range []struct {
		lines   int
		devnull bool
	}{{2000, false}, {32768, false}, {2000, true}, {32768, true}} {
		name := fmt.Sprintf("lines=%d", bc.lines)
		if bc.devnull {
			name += "/devnull"
		}
		b.Run(name, func(b *testing.B) {
			j, err := CreateJournal(b.TempDir(), "bench")
			if err != nil {
				b.Fatal(err)
			}
			defer j.Close()
			if bc.devnull {
				null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
				if err != nil {
					b.Fatal(err)
				}
				real := j.f
				j.f, j.noSync = null, true
				defer func() { null.Close(); j.f = real }()
			}
			lines := base64Output(bc.lines, 7)
			size := 0
			for _, l := range lines {
				size += len(l.Text) + 1
			}
			ev := Event{Type: EvOutput, Time: lines[0].Time, Step: "collectstatic", Attempt: 1, Lines: lines}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			for i := 0; i < b.N; i++ {
				if _, err := j.AppendLazy(ev); err != nil {
					b.Fatal(err)
				}
			}
			if err := j.Sync(); err != nil { // the last background fsync's work counts too
				b.Fatal(err)
			}
			cpu.report(b, int64(size)*int64(b.N))
		})
	}
}

// cpuMeter measures the process's CPU time (user and kernel) over a
// benchmark: on a shared machine wall time swings with the load, CPU time
// much less, and the kernel's share is what write(2) into the page cache
// costs.
type cpuMeter struct{ user, sys time.Duration }

// processCPU reads the process's CPU time so far (zero if it cannot).
func processCPU() cpuMeter {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return cpuMeter{}
	}
	return cpuMeter{time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())}
}

// report adds cpu-ms/MB (user and kernel) and sys-ms/MB (kernel) per MB
// of output text.
func (c cpuMeter) report(b *testing.B, bytes int64) {
	end := processCPU()
	mb := float64(bytes) / 1e6
	if mb == 0 {
		return
	}
	sys := end.sys - c.sys
	b.ReportMetric((end.user-c.user+sys).Seconds()*1e3/mb, "cpu-ms/MB")
	b.ReportMetric(sys.Seconds()*1e3/mb, "sys-ms/MB")
}
