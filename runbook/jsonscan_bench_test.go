package runbook

import (
	"fmt"
	"strings"
	"testing"
)

// The JSON escape scan runs once per output line (quoteJSON): a 200 MB
// step of 76-column base64 is about 2.7 million lines. These benchmarks
// report ns per line, so that a change to safePrefix can be read against
// what a line costs the recorder as a whole (BenchmarkJournalAppendBase64).

// benchLineTexts returns n 76-column base64 lines, the bulk of a chatty
// step's output.
func benchLineTexts(n int) []string {
	lines := base64Output(n, 11)
	texts := make([]string, n)
	for i := range lines {
		texts[i] = lines[i].Text
	}
	return texts
}

// logLine is a typical server log line: longer than base64, with quotes
// quoteJSON escapes.
const logLine = `[21/Nov/2026 05:00:00,123] INFO django.server: "GET /static/admin/css/base.css HTTP/1.1" 200 21207 "https://example.com/admin/" "Mozilla/5.0 (X11; Linux x86_64)"`

// reportPerLine adds ns/line and cpu-ns/line (the process's CPU time
// since cpu, steadier than wall time on a shared machine) for a benchmark
// that handled lines lines per iteration.
func reportPerLine(b *testing.B, cpu cpuMeter, lines int) {
	if b.N == 0 {
		return
	}
	end := processCPU()
	n := float64(b.N) * float64(lines)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/line")
	b.ReportMetric(float64((end.user-cpu.user+end.sys-cpu.sys).Nanoseconds())/n, "cpu-ns/line")
}

// scanSink keeps the compiler from dropping the scans.
var scanSink int

// BenchmarkSafePrefix scans 1,024 base64 lines per iteration, then plain
// ASCII strings of the lengths around safePrefix's thresholds (one string
// per iteration there).
func BenchmarkSafePrefix(b *testing.B) {
	b.Run("base64", func(b *testing.B) {
		texts := benchLineTexts(1024)
		b.SetBytes(int64(76 * len(texts)))
		n := 0
		cpu := processCPU()
		for b.Loop() {
			for _, s := range texts {
				n += safePrefix(s)
			}
		}
		scanSink = n
		reportPerLine(b, cpu, len(texts))
	})
	plain := strings.Repeat("QmVuY2htYXJrIGxpbmUgb2Ygb3V0cHV0", 10)
	for _, n := range []int{4, 8, 15, 16, 24, 31, 32, 48, 63, 120, 300} {
		b.Run(fmt.Sprintf("len=%d", n), func(b *testing.B) {
			s := plain[:n]
			k := 0
			cpu := processCPU()
			for b.Loop() {
				k += safePrefix(s)
			}
			scanSink = k
			reportPerLine(b, cpu, 1)
		})
	}
}

// shortTexts returns 1,024 plain strings of 0 to 31 bytes, as short lines
// and the journal's field values (stream, type, step) are.
func shortTexts() []string {
	plain := strings.Repeat("QmVuY2htYXJrIGxpbmUgb2Ygb3V0cHV0", 2)
	texts := make([]string, 1024)
	for i := range texts {
		texts[i] = plain[i%32 : i%32+i%32]
	}
	return texts
}

// BenchmarkQuote quotes 1,024 lines per iteration with quoteJSON, as the
// journal does: base64 lines, log lines (with quotes to escape), then
// short strings.
func BenchmarkQuote(b *testing.B) {
	for _, bc := range []struct {
		name  string
		texts []string
	}{{"base64", benchLineTexts(1024)}, {"log", strings.Split(strings.Repeat(logLine+"\n", 1023)+logLine, "\n")},
		{"short", shortTexts()}} {
		b.Run(bc.name, func(b *testing.B) {
			size := 0
			for _, s := range bc.texts {
				size += len(s)
			}
			b.SetBytes(int64(size))
			buf := make([]byte, 0, 64<<10)
			cpu := processCPU()
			for b.Loop() {
				buf = buf[:0]
				for _, s := range bc.texts {
					buf, _ = quoteJSON(buf, s, &jsonSafe)
				}
			}
			reportPerLine(b, cpu, len(bc.texts))
		})
	}
}
