package ui

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golive/runbook"
)

// TestPlainRecyclesOutputAfterUse: plain mode hands each output event's
// lines back once it has applied and printed them. Every array is
// poisoned the moment it comes back: the printed output, the Session and
// the exported transcript still hold every line in order, so nothing
// reads an array after it was handed back; and each comes back once.
func TestPlainRecyclesOutputAfterUse(t *testing.T) {
	defer func(f func([]runbook.OutputLine)) { recycleOutputLines = f }(recycleOutputLines)
	back := map[*runbook.OutputLine]int{}
	recycleOutputLines = func(ls []runbook.OutputLine) {
		if cap(ls) > 0 {
			back[&ls[:1][0]]++
		}
		ls = ls[:cap(ls)]
		for i := range ls {
			ls[i] = runbook.OutputLine{Stream: runbook.StreamStderr, Text: "POISON: read after it was handed back"}
		}
	}
	const n = 20000
	e := newPlainEnv(t, nil)
	rb := filepath.Join(e.dir, "many.yaml")
	book := "id: many\ntitle: Many lines\nversion: \"1\"\nsections:\n  - id: main\n    title: Main\n    steps:\n" +
		"      - id: count\n        title: Count\n        command: seq 1 " + strconv.Itoa(n) + "\n"
	if err := os.WriteFile(rb, []byte(book), 0o600); err != nil {
		t.Fatal(err)
	}
	e.opts.Runbook = rb
	code, out := e.run(t, "", true)
	if code != ExitPassed {
		t.Fatalf("exit %d, want %d", code, ExitPassed)
	}
	if len(back) == 0 {
		t.Fatal("plain mode handed no output back")
	}
	for _, k := range back {
		if k != 1 {
			t.Fatalf("an array was handed back %d times", k)
		}
	}
	want := 1
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "POISON") {
			t.Fatalf("printed a line after its array was handed back: %q", l)
		}
		if v, ok := strings.CutPrefix(l, "  | "); ok {
			if v != strconv.Itoa(want) {
				t.Fatalf("printed line %d is %q", want, v)
			}
			want++
		}
	}
	if want != n+1 {
		t.Fatalf("printed %d lines, want %d", want-1, n)
	}
	tr := e.transcript(t)
	if a := stepOf(t, tr, "count").Attempts; len(a) != 1 || a[0].OutputLines != n {
		t.Fatalf("transcript attempts %+v, want one of %d lines", a, n)
	}
	want = 1
	for _, ev := range tr.Events {
		for _, l := range ev.Lines {
			if l.Text != strconv.Itoa(want) {
				t.Fatalf("journaled line %d is %q", want, l.Text)
			}
			want++
		}
	}
	if want != n+1 {
		t.Fatalf("journaled %d lines, want %d", want-1, n)
	}
}
