package ui

import (
	"strconv"
	"strings"
	"testing"
)

// TestPlainRecyclesOutputAfterUse: plain mode hands each output event's
// lines back once it has applied and printed them. Every array is
// poisoned the moment it comes back: the printed output, the Session and
// the exported transcript still hold every line in order, so nothing
// reads an array after it was handed back; and each comes back once.
func TestPlainRecyclesOutputAfterUse(t *testing.T) {
	back := poisonRecycled(t)
	const n = 20000
	e := newPlainEnv(t, nil)
	book := "id: many\ntitle: Many lines\nversion: \"1\"\nsections:\n  - id: main\n    title: Main\n    steps:\n" +
		"      - id: count\n        title: Count\n        command: seq 1 " + strconv.Itoa(n) + "\n"
	e.useRunbook(t, book)
	code, out := e.run(t, "", true)
	if code != ExitPassed {
		t.Fatalf("exit %d, want %d", code, ExitPassed)
	}
	backOnce(t, back, "plain mode")
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
