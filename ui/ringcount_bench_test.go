package ui

import (
	"testing"

	"golive/runbook"
)

// BenchmarkRingAddBatches is what Update's ring costs for one message of
// a fast step: 32k base64 lines in 16 events, of which the ring writes the
// newest 5,000 and only counts the rest.
func BenchmarkRingAddBatches(b *testing.B) {
	batches := make([][]runbook.OutputLine, 16)
	for i := range batches {
		batches[i] = make([]runbook.OutputLine, 2048)
		for j := range batches[i] {
			batches[i][j] = runbook.OutputLine{Stream: runbook.StreamStdout, Text: "QmVuY2htYXJrIGxpbmUgb2YgYmFzZTY0IHRleHQsIHNldmVudHktc2l4IGNvbHVtbnMgd2lkZS4u"}
		}
	}
	r := newRing()
	b.ReportAllocs()
	for b.Loop() {
		r.addBatches(batches)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(16*2048), "ns/line")
}
