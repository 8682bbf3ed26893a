package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

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
	ex.on("manage.py check", &fakeJob{lines: lines, unlaunched: true})
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

// poisonRecycled makes recycleOutputLines overwrite every array handed
// back with a poison line (a reader that still holds one shows it), and
// counts the arrays by their first element; t's end restores it.
func poisonRecycled(t *testing.T) map[*runbook.OutputLine]int {
	f := recycleOutputLines
	t.Cleanup(func() { recycleOutputLines = f })
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
	return back
}

// backOnce fails t unless who handed arrays back, each exactly once.
func backOnce(t *testing.T, back map[*runbook.OutputLine]int, who string) {
	t.Helper()
	if len(back) == 0 {
		t.Fatalf("%s handed no output back", who)
	}
	for _, n := range back {
		if n != 1 {
			t.Fatalf("an array was handed back %d times", n)
		}
	}
}

// TestUpdateRecyclesOutputAfterUse runs a step through the whole TUI path
// (RunJob, journal, coalescer, Update) with every OutputLine array
// poisoned the moment Update hands it back: the Session's excerpts and
// digest, the ring and the journal still have the right lines, so nothing
// keeps an array past Update; and each array comes back once.
func TestUpdateRecyclesOutputAfterUse(t *testing.T) {
	back := poisonRecycled(t)
	var lines []sshexec.Line
	var want []string
	add := func(s sshexec.Stream, n int, f string) {
		for i := range n {
			txt := fmt.Sprintf(f, i)
			lines = append(lines, sshexec.Line{Stream: s, Text: txt})
			want = append(want, txt)
		}
	}
	add(sshexec.Stdout, 5*batchLines+17, "out %d")
	add(sshexec.Stderr, 30, "err %d")
	add(sshexec.Notice, 1, "connection to web1 lost; job x keeps running on the host; reconnecting%.0d")
	lines[len(lines)-1].Kind = sshexec.NoticeLost
	add(sshexec.Notice, 1, "reattached to job x on web1: continuing from stdout byte 10, stderr byte 0%.0d")
	lines[len(lines)-1].Kind = sshexec.NoticeReattached
	add(sshexec.Stdout, 3*batchLines, "more %d")
	ex := newFakeExec("web1")
	ex.on("manage.py check", &fakeJob{lines: lines})
	m := started(t, ex, 100, 30)
	m = press(t, m, "enter")
	if m.run != nil {
		t.Fatal("run still active after the job ended")
	}
	backOnce(t, back, "Update")
	a := m.rel.Session.Step("check").Last()
	if a.OutputLines != int64(len(want)) {
		t.Fatalf("session counted %d lines, want %d", a.OutputLines, len(want))
	}
	texts := func(ls []runbook.OutputLine) []string {
		var out []string
		for _, l := range ls {
			out = append(out, l.Text)
		}
		return out
	}
	if d := differ(texts(a.Head), want[:runbook.ExcerptHead]); d != "" {
		t.Errorf("excerpt head: %s", d)
	}
	if d := differ(texts(a.Tail), want[len(want)-runbook.ExcerptTail:]); d != "" {
		t.Errorf("excerpt tail: %s", d)
	}
	evs := journal(t, m)
	var journaled []string
	for _, e := range evs {
		journaled = append(journaled, texts(e.Lines)...)
	}
	if d := differ(journaled, want); d != "" {
		t.Errorf("journal: %s", d)
	}
	replayed, err := runbook.Replay(m.rel.Plan, evs)
	if err != nil {
		t.Fatal(err)
	}
	if d := replayed.Step("check").Last().OutputSHA256; d != a.OutputSHA256 {
		t.Errorf("live output digest %s, the journal's %s", a.OutputSHA256, d)
	}
	r := m.ring("check")
	for i, w := range want[len(want)-r.len():] {
		if got := r.at(i).text; got != w {
			t.Fatalf("ring line %d is %q, want %q", i, got, w)
		}
	}
}

// differ says where got and want first differ, "" when they do not.
func differ(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("line %d is %q, want %q", i, got[i], want[i])
		}
	}
	if len(got) != len(want) {
		return fmt.Sprintf("%d lines, want %d", len(got), len(want))
	}
	return ""
}

// An array handed back is cleared (it pins no Text) when it is kept: when
// it is one of the pools' sizes; any other is left as it is, to the GC.
// outputLines gives room for the lines asked for, in an array of a pool's
// size when the group is not tiny.
func TestOutputPoolBounds(t *testing.T) {
	filled := func(n int) []runbook.OutputLine {
		ls := make([]runbook.OutputLine, n)
		for i := range ls {
			ls[i].Text = "kept"
		}
		return ls
	}
	for _, c := range []struct {
		n    int
		kept bool
	}{{1, false}, {minPooledOutput - 1, false}, {minPooledOutput, true}, {100, false}, {128, true},
		{maxPooledOutput, true}, {maxPooledOutput + 1, false}, {2 * maxPooledOutput, false}} {
		ls := filled(c.n)
		putOutputLines(ls[:c.n/2]) // as an event's Lines may be: shorter than its room
		if cleared := ls[c.n-1].Text == ""; cleared != c.kept {
			t.Errorf("an array of %d lines: cleared %v, want kept %v", c.n, cleared, c.kept)
		}
	}
	if maxPooledOutput < batchLines {
		t.Errorf("the biggest pooled array (%d lines) is smaller than a group (%d)", maxPooledOutput, batchLines)
	}
	for _, c := range [][2]int{{1, 1}, {63, 63}, {64, 64}, {65, 128}, {100, 128}, {batchLines, 2048}, {3000, 3000}} {
		if ls := outputLines(c[0]); len(ls) != 0 || cap(ls) != c[1] {
			t.Errorf("outputLines(%d) has len %d cap %d, want cap %d", c[0], len(ls), cap(ls), c[1])
		}
	}
}

// BenchmarkOutputEventsRecycled is BenchmarkOutputEvents with the events'
// lines handed back once used, as Update does: allocs/op and B/op are
// what outputEvents still allocates when the pool serves it.
func BenchmarkOutputEventsRecycled(b *testing.B) {
	benchOutputEvents(b, true)
}

// benchOutputEvents is RunJob's middle stage alone: sshexec's batches (425
// base64 lines, one 32 KiB read each) gathered into groups and turned
// into redacted output events, as for a chatty command; with recycle, each
// group's events are handed back (recycleOutput) once counted. sshexec's
// batches are never handed back: every iteration sends them again.
func benchOutputEvents(b *testing.B, recycle bool) {
	rel := &Release{Host: "web1", Redactor: runbook.NewRedactor([]string{"hunter2hunter2"})}
	j := Job{Step: "check", Attempt: 1}
	text := strings.Repeat("QUJD", 19) // 76 characters
	const perRead, reads = 425, 64
	src := make([][]sshexec.Line, reads)
	var off int64
	for i := range src {
		src[i] = make([]sshexec.Line, perRead)
		for k := range src[i] {
			off += int64(len(text) + 1)
			src[i][k] = sshexec.Line{Stream: sshexec.Stdout, Text: text, Time: time.Now(), Offset: off}
		}
	}
	b.SetBytes(off)
	b.ReportAllocs()
	red := newStreamRedactors(rel.Redactor) // one job's: they live as long as RunJob
	for b.Loop() {
		ch := make(chan []sshexec.Line, reads)
		for _, s := range src {
			ch <- s
		}
		close(ch)
		var g gatherer
		lines := 0
		for g.next(ch) {
			evs := rel.outputEvents(j, g.group, g.n, &red)
			for _, ev := range evs {
				lines += len(ev.Lines)
			}
			if recycle {
				recycleOutput(evs)
			}
		}
		if lines != perRead*reads {
			b.Fatalf("%d lines out of %d", lines, perRead*reads)
		}
	}
}
