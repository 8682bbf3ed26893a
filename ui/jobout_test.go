package ui

import (
	"context"
	"fmt"
	"testing"

	"golive/runbook"
	"golive/sshexec"
)

// poison stands for a batch refilled by sshexec after it was handed back:
// it overwrites every Line, so that whoever still reads the batch sees it.
func poison(b []sshexec.Line) {
	for i := range b {
		b[i] = sshexec.Line{Stream: sshexec.Stderr, Text: "POISON: read after it was handed back", Offset: -1}
	}
}

// A batch goes back to sshexec only once all its lines were handed out and
// the caller asked for the next group: never while a group holds a slice
// of it, nor while the limits left part of it for the next group.
func TestGathererRecyclesWhenDone(t *testing.T) {
	mk := func(n int, s sshexec.Stream, tag string) []sshexec.Line {
		b := make([]sshexec.Line, n)
		for i := range b {
			b[i] = sshexec.Line{Stream: s, Text: fmt.Sprintf("%s%d", tag, i), Offset: int64(i + 1)}
		}
		return b
	}
	big, small := mk(batchLines+500, sshexec.Stdout, "a"), mk(3, sshexec.Stderr, "b")
	ch := make(chan []sshexec.Line, 4)
	ch <- big
	ch <- small
	close(ch)
	var back [][]sshexec.Line
	g := gatherer{recycle: func(b []sshexec.Line) {
		back = append(back, b)
		poison(b)
	}}
	var texts []string
	var backAt []int // how many were handed back when each group came
	for g.next(ch) {
		backAt = append(backAt, len(back))
		for _, b := range g.group {
			for _, l := range b {
				texts = append(texts, l.Text)
			}
		}
	}
	if fmt.Sprint(backAt) != "[0 0]" {
		t.Fatalf("batches handed back before each group: %v, want none while a group or a rest holds them", backAt)
	}
	if len(back) != 2 || &back[0][0] != &big[0] || len(back[0]) != len(big) || &back[1][0] != &small[0] {
		t.Fatalf("handed back %d batches, want the two as they were sent, in order", len(back))
	}
	if len(texts) != batchLines+503 || texts[0] != "a0" || texts[batchLines] != fmt.Sprint("a", batchLines) || texts[len(texts)-1] != "b2" {
		t.Fatalf("%d lines; first %q, %dth %q, last %q", len(texts), texts[0], batchLines, texts[batchLines], texts[len(texts)-1])
	}
}

// TestRunJobRecyclesAfterUse: RunJob hands every batch back to sshexec,
// once, and only after it copied the lines out: with each batch poisoned
// the moment it is handed back, the journal and what RunJob emits still
// have every line, in order, and no poison.
func TestRunJobRecyclesAfterUse(t *testing.T) {
	defer func(f func([]sshexec.Line)) { recycleLines = f }(recycleLines)
	back := map[*sshexec.Line]int{}
	recycleLines = func(b []sshexec.Line) {
		if len(b) > 0 {
			back[&b[0]]++
		}
		poison(b)
	}
	ex := newFakeExec("web1")
	var lines []sshexec.Line
	var want []string
	add := func(s sshexec.Stream, n int, tag string) {
		for i := range n {
			lines = append(lines, sshexec.Line{Stream: s, Text: fmt.Sprintf("%s %d", tag, i)})
			want = append(want, fmt.Sprintf("%s %d", tag, i))
		}
	}
	add(sshexec.Stdout, batchLines+700, "out") // cut across two groups
	add(sshexec.Stderr, 40, "err")
	add(sshexec.Stdout, 3*batchLines+1, "more")
	add(sshexec.Notice, 1, "note from golive")
	add(sshexec.Stdout, 10, "last")
	ex.on("manage.py check", &fakeJob{lines: lines})
	rel, j := checkJob(t, ex)
	var got []string
	exit, _, err := rel.RunJob(context.Background(), j, func(evs []runbook.Event) {
		for _, e := range evs {
			for _, l := range e.Lines {
				got = append(got, l.Text)
			}
		}
	})
	if err != nil || exit == nil {
		t.Fatalf("exit %v err %v", exit, err)
	}
	if len(back) != 5 {
		t.Errorf("%d distinct batches handed back, want the 5 sent", len(back))
	}
	for _, n := range back {
		if n != 1 {
			t.Errorf("a batch was handed back %d times", n)
		}
	}
	evs, err := readJournalEvents(rel.Journal.Path())
	if err != nil {
		t.Fatal(err)
	}
	var journaled []string
	for _, e := range evs {
		for _, l := range e.Lines {
			journaled = append(journaled, l.Text)
		}
	}
	for name, g := range map[string][]string{"emitted": got, "journaled": journaled} {
		if len(g) != len(want) {
			t.Fatalf("%s %d lines, want %d", name, len(g), len(want))
		}
		for i := range want {
			if g[i] != want[i] {
				t.Fatalf("%s line %d is %q, want %q", name, i, g[i], want[i])
			}
		}
	}
}
