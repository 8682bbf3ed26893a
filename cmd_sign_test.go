package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// TestTranscriptOperatorFromHead checks that the signer's name is read
// from the head of a streamed transcript, kept by a bounded prefixBuffer,
// while the whole stream still passes through.
func TestTranscriptOperatorFromHead(t *testing.T) {
	js := `{
  "format": "golive-transcript/1",
  "run": {
    "id": "r1",
    "operator": "Alice Ops",
    "vars": {"a": "b"}
  },
  "events": [` + strings.Repeat(`{"x": "`+strings.Repeat("y", 1000)+`"},`, 3000) + `{}]
}`
	head := &prefixBuffer{max: 4096}
	n, err := io.Copy(io.Discard, io.TeeReader(strings.NewReader(js), head))
	if err != nil || n != int64(len(js)) {
		t.Fatalf("copied %d of %d: %v", n, len(js), err)
	}
	if len(head.b) != 4096 || !bytes.HasPrefix([]byte(js), head.b) {
		t.Fatalf("head holds %d bytes", len(head.b))
	}
	if op := transcriptOperator(head.b); op != "Alice Ops" {
		t.Fatalf("operator %q", op)
	}
	for _, bad := range []string{"", "[]", `{"format": 1}`, `{"run": "x"}`, `{"format": "x", "ru`} {
		if op := transcriptOperator([]byte(bad)); op != "" {
			t.Fatalf("%q: operator %q", bad, op)
		}
	}
}
