package ui

import (
	"os"
	"testing"

	"golive/runbook"
)

// BenchmarkPlainPrint prints a batch of 2,000 base64-like lines to
// /dev/null as plain mode does (NO_COLOR set): MB/s of output text.
func BenchmarkPlainPrint(b *testing.B) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer null.Close()
	p := &plain{po: PlainOptions{Out: null}, noColor: true}
	lines := make([]runbook.OutputLine, 2000)
	size := 0
	for i := range lines {
		lines[i] = runbook.OutputLine{Stream: runbook.StreamStdout, Text: "QmVuY2htYXJrIGxpbmUgb2YgYmFzZTY0IHRleHQsIHNldmVudHktc2l4IGNvbHVtbnMgd2lkZS4u"}
		size += len(lines[i].Text) + 1
	}
	evs := []runbook.Event{{Type: runbook.EvOutput, Lines: lines}}
	b.SetBytes(int64(size))
	for b.Loop() {
		p.print(evs)
	}
}
