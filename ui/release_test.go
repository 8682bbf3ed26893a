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

// TestConnectionEventsFollowNoticeKinds: which notices journal a
// connection event, and its state, follow the notice's kind, not its
// words: a cancel's outcome that quotes a lost connection is no loss, and
// a loss reworded by sshexec still is one.
func TestConnectionEventsFollowNoticeKinds(t *testing.T) {
	rel, j := checkJob(t, newFakeExec("web1"))
	for _, c := range []struct {
		kind        sshexec.NoticeKind
		text, state string
		unconfirmed bool
	}{
		{sshexec.NoticeLost, "connection to web1 lost; job x keeps running on the host; reconnecting", "lost", false},
		{sshexec.NoticeLost, "the link to web1 went away; golive is on it", "lost", false},
		{sshexec.NoticeLost, "connection to web1 lost while cancelling job x; reconnecting", "lost", false},
		{sshexec.NoticeLostUnconfirmed, "connection to web1 lost before the host confirmed that job x started: it may or may not have started; " +
			"golive checks when it reconnects; reconnecting", "lost", true},
		{sshexec.NoticeLostUnconfirmed, "link down before web1 said whether job x runs", "lost", true},
		{sshexec.NoticeReconnecting, "connection lost: EOF; reconnecting (attempt 3)", "reconnecting", false},
		{sshexec.NoticeReconnected, "reconnected", "restored", false},
		{sshexec.NoticeReattached, "reattached to job x on web1: continuing from stdout byte 10, stderr byte 0", "restored", false},
		{sshexec.NoticeChecking, "reconnected to web1: looking for job x there, to follow it if it started or start it if it never did", "restored", false},
		{sshexec.NoticeStarting, "job x never started on web1: starting it now", "", false},
		{sshexec.NoticeNoExitStatus, "job x ended without recording its exit status: it was stopped together with golive's wrapper", "", false},
		{sshexec.NoticeCancel, "could not cancel job x on web1: connection to host lost; it may still be running", "", false},
		{sshexec.NoticeCancel, "canceled job x on web1: sent TERM to process group 42; nothing of it remains", "", false},
		{sshexec.NoticeNone, "connection to web1 lost; job x keeps running on the host; reconnecting", "", false},
	} {
		red := newStreamRedactors(rel.Redactor)
		var conns []runbook.ConnInfo
		for _, ev := range rel.outputEvents(j, [][]sshexec.Line{notice(c.kind, c.text)}, 1, &red) {
			if ev.Conn != nil {
				conns = append(conns, *ev.Conn)
			}
		}
		switch {
		case c.state == "" && len(conns) > 0:
			t.Errorf("%s notice %q journals connection events %+v, want none", c.kind, c.text, conns)
		case c.state != "" && (len(conns) != 1 || conns[0].State != c.state || conns[0].Unconfirmed != c.unconfirmed || conns[0].Detail != c.text):
			t.Errorf("%s notice %q journals connection events %+v, want one %q (unconfirmed %v)", c.kind, c.text, conns, c.state, c.unconfirmed)
		}
	}
}

func TestJobID(t *testing.T) {
	if got := JobID("20260102T030405Z-abc", "db/migrate step", 2); got != "20260102T030405Z-abc-db_migrate_step-2" {
		t.Fatalf("JobID = %q", got)
	}
}

// checkJob journals the start of the check step on a fresh release
// against ex, as Update does before it runs a step, and returns the
// release and the Job that journaled start names.
func checkJob(t *testing.T, ex *fakeExec) (*Release, Job) {
	t.Helper()
	m := started(t, ex, 100, 30)
	rel := m.rel
	ev, err := rel.StartEvent("check", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := rel.Commit(ev, nil); err != nil {
		t.Fatal(err)
	}
	stored := journal(t, m)
	j, err := rel.JobFor(stored[len(stored)-1])
	if err != nil {
		t.Fatal(err)
	}
	return rel, j
}

// TestRunJobBatchesInOrder streams 1,000 lines through RunJob against a
// real journal: every line arrives once, in order, in batches of at most
// batchLines, redacted, journaled before they are emitted, then the exit.
func TestRunJobBatchesInOrder(t *testing.T) {
	ex := newFakeExec("web1")
	var texts []string
	for i := 0; i < 1000; i++ {
		texts = append(texts, fmt.Sprintf("line %d", i))
	}
	texts[500] = "DB_PASSWORD=hunter2hunter2"
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, texts...), res: sshexec.Result{ExitCode: 0}})
	rel, j := checkJob(t, ex)
	var got []string
	batches := 0
	exit, detached, err := rel.RunJob(context.Background(), j, func(evs []runbook.Event) {
		batches++
		for _, e := range evs {
			if e.Seq == 0 || e.Hash == "" {
				t.Error("emitted an event that was not journaled")
			}
			if len(e.Lines) > batchLines {
				t.Errorf("batch of %d lines", len(e.Lines))
			}
			for _, l := range e.Lines {
				got = append(got, l.Text)
			}
		}
		if err := rel.Apply(evs...); err != nil {
			t.Fatal(err)
		}
	})
	if err != nil || detached || exit == nil || exit.Exit.Code != 0 {
		t.Fatalf("exit %+v detached %v err %v", exit, detached, err)
	}
	if len(got) != 1000 || got[0] != "line 0" || got[999] != "line 999" {
		t.Fatalf("%d lines, first %q last %q", len(got), got[0], got[len(got)-1])
	}
	for i, g := range got {
		if i != 500 && g != texts[i] {
			t.Fatalf("line %d is %q, want %q", i, g, texts[i])
		}
	}
	if strings.Contains(got[500], "hunter2") {
		t.Fatalf("secret-shaped output not redacted: %q", got[500])
	}
	t.Logf("1000 lines in %d batches", batches)
	if len(ex.forgot) != 1 || ex.forgot[0] != j.Spec.JobID {
		t.Errorf("forgot %q after the exit was journaled, want [%s]", ex.forgot, j.Spec.JobID)
	}
	if err := rel.Apply(*exit); err != nil {
		t.Fatal(err)
	}
	if a := rel.Session.Step("check").Last(); a.OutputLines != 1000 {
		t.Fatalf("session counted %d lines", a.OutputLines)
	}
}

func TestLocalStepNeedsLocalExecutor(t *testing.T) {
	m := started(t, newFakeExec("web1"), 100, 30)
	m.rel.Local = nil
	ev := runbook.Event{Type: runbook.EvStepStarted, Step: "smoke", Attempt: 1, Start: &runbook.StartInfo{JobID: "x"}}
	if _, err := m.rel.JobFor(ev); err == nil {
		t.Fatal("a local step was given the remote executor")
	}
}

// TestGathererLimits: batches already waiting merge into groups within
// batchLines and batchBytes; a batch over the limits is cut and its rest
// opens the next group; every line comes out once, in order, and no line
// is copied (a group holds sub-slices of sshexec's batches).
func TestGathererLimits(t *testing.T) {
	var sent [][]sshexec.Line
	n := 0
	mk := func(lines, size int) []sshexec.Line {
		b := make([]sshexec.Line, lines)
		for i := range b {
			n++
			b[i] = sshexec.Line{Stream: sshexec.Stdout, Text: fmt.Sprintf("%0*d", size, n), Offset: int64(n)}
		}
		sent = append(sent, b)
		return b
	}
	ch := make(chan []sshexec.Line, 16)
	ch <- mk(batchLines*2+300, 8)                             // cut by batchLines
	ch <- mk(3, 8)                                            // merged
	ch <- mk(10, 8)                                           // merged
	ch <- mk(40, batchBytes/16)                               // cut by batchBytes
	ch <- mk(1, 1)                                            // after the rest
	ch <- []sshexec.Line{}                                    // an empty batch is skipped
	ch <- mk(1, batchBytes*2)                                 // one line over batchBytes is a group
	ch <- []sshexec.Line{{Stream: sshexec.Notice, Text: "x"}} // another kind, merged too
	close(ch)
	var g gatherer
	var got []*sshexec.Line
	var groups []int
	for g.next(ch) {
		lines, size := 0, 0
		for _, b := range g.group {
			for i := range b {
				got = append(got, &b[i])
				lines++
				if lines > 1 && size >= batchBytes {
					t.Errorf("group %d took a line after %d bytes", len(groups), size)
				}
				size += len(b[i].Text)
			}
		}
		if lines != g.n || lines > batchLines || lines == 0 {
			t.Fatalf("group %d has %d lines, n says %d", len(groups), lines, g.n)
		}
		groups = append(groups, lines)
	}
	var want []*sshexec.Line
	for _, b := range sent {
		for i := range b {
			want = append(want, &b[i])
		}
	}
	want = append(want, nil) // the notice, checked below
	if len(got) != len(want) {
		t.Fatalf("%d lines out, %d in", len(got), len(want))
	}
	for i := range want[:len(want)-1] {
		if got[i] != want[i] {
			t.Fatalf("line %d is not sshexec's own line %d (copied or reordered)", i, i)
		}
	}
	if got[len(got)-1].Stream != sshexec.Notice {
		t.Errorf("last line %+v, want the notice", *got[len(got)-1])
	}
	// 4300 lines: 2000, 2000, then 300+3+10 and the big lines up to 256 KiB.
	if len(groups) < 5 || groups[0] != batchLines || groups[1] != batchLines || groups[2] < 313 {
		t.Errorf("groups %v", groups)
	}
	if g.next(ch) {
		t.Error("next after the end returned a group")
	}
}

// TestOutputEventsAcrossBatches: a group of several batches makes the
// same events as one batch of the same lines: runs of a stream share the
// first line's time and carry the run's offset on their last line, and a
// notice about the link splits the output with a connection event.
func TestOutputEventsAcrossBatches(t *testing.T) {
	rel, j := checkJob(t, newFakeExec("web1"))
	at := func(s int) time.Time { return time.Date(2026, 1, 2, 3, 4, s, 0, time.UTC) }
	group := [][]sshexec.Line{
		{{Stream: sshexec.Stdout, Text: "a", Offset: 2, Time: at(1)}, {Stream: sshexec.Stdout, Text: "b", Offset: 4, Time: at(2)}},
		{{Stream: sshexec.Stdout, Text: "c", Offset: 6, Time: at(3)}},
		{{Stream: sshexec.Stderr, Text: "e", Offset: 2, Time: at(4)}},
		{{Stream: sshexec.Notice, Kind: sshexec.NoticeLost, Text: "connection to web1 lost; job x keeps running on the host; reconnecting", Time: at(5)}},
		{{Stream: sshexec.Stdout, Text: "d", Offset: 8, Time: at(6)}},
	}
	red := newStreamRedactors(rel.Redactor)
	evs := rel.outputEvents(j, group, 6, &red)
	if len(evs) != 3 || evs[0].Type != runbook.EvOutput || evs[1].Type != runbook.EvConnection || evs[2].Type != runbook.EvOutput {
		t.Fatalf("events %+v", evs)
	}
	if evs[1].Conn.State != "lost" || evs[1].Conn.Host != rel.Host {
		t.Errorf("connection event %+v", *evs[1].Conn)
	}
	type w struct {
		text string
		off  int64
		at   time.Time
	}
	check := func(ls []runbook.OutputLine, want ...w) {
		t.Helper()
		if len(ls) != len(want) {
			t.Fatalf("%d lines, want %d", len(ls), len(want))
		}
		for i := range want {
			if ls[i].Text != want[i].text || ls[i].Offset != want[i].off || !ls[i].Time.Equal(want[i].at) {
				t.Errorf("line %d = %q@%d %v, want %q@%d %v", i, ls[i].Text, ls[i].Offset, ls[i].Time, want[i].text, want[i].off, want[i].at)
			}
		}
	}
	check(evs[0].Lines, w{"a", 0, at(1)}, w{"b", 0, at(1)}, w{"c", 6, at(1)}, w{"e", 2, at(4)},
		w{"connection to web1 lost; job x keeps running on the host; reconnecting", 0, at(5)})
	check(evs[2].Lines, w{"d", 8, at(6)})
	// Each output event has an array of its own (the UI hands each back
	// on its own): one growing into its spare room never writes another's.
	spare := evs[0].Lines[len(evs[0].Lines):cap(evs[0].Lines)]
	for i := range spare {
		spare[i].Text = "grown"
	}
	if evs[2].Lines[0].Text != "d" {
		t.Errorf("an event's lines grew into the next event's: %q", evs[2].Lines[0].Text)
	}
}

// TestOutputEventsRedactsPerStream: outputEvents redacts each stream's run
// of lines as one batch, and gives what redacting line by line with one
// StreamRedactor per stream gives: a secret cut across two stdout lines
// with stderr lines between them is masked in both, and a notice's
// secret is masked in its line and in the connection event.
func TestOutputEventsRedactsPerStream(t *testing.T) {
	rel, j := checkJob(t, newFakeExec("web1"))
	rel.Redactor = runbook.NewRedactor([]string{"s3cr3t-value"})
	data := strings.Repeat("QUJD", 19)
	var group [][]sshexec.Line
	var all []sshexec.Line
	add := func(s sshexec.Stream, texts ...string) {
		var b []sshexec.Line
		for _, x := range texts {
			b = append(b, sshexec.Line{Stream: s, Text: x, Time: time.Now()})
		}
		group = append(group, b)
		all = append(all, b...)
	}
	add(sshexec.Stdout, data, data, data, data, "xxs3cr")
	add(sshexec.Stderr, data, data, "warning: nothing secret")
	add(sshexec.Stdout, "3t-value"+data, data, data)
	add(sshexec.Notice, "connection to web1 lost (s3cr3t-value); reconnecting")
	group[len(group)-1][0].Kind = sshexec.NoticeLost
	add(sshexec.Stdout, data, data+"s3cr3t-value", data)
	ref := newStreamRedactors(rel.Redactor)
	var want []string
	for _, l := range all {
		want = append(want, ref.of(l.Stream).Line(l.Text))
	}
	red := newStreamRedactors(rel.Redactor)
	var got []string
	var detail string
	for _, ev := range rel.outputEvents(j, group, len(all), &red) {
		for _, l := range ev.Lines {
			got = append(got, l.Text)
		}
		if ev.Conn != nil {
			detail = ev.Conn.Detail
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("outputEvents gave\n%s\nline by line gives\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, x := range append(got, detail) {
		if strings.Contains(x, "s3cr") || strings.Contains(x, "3t-value") {
			t.Errorf("a piece of the secret shows: %q", x)
		}
	}
	if !strings.Contains(detail, runbook.Mask) {
		t.Errorf("the connection event's detail is not masked: %q", detail)
	}
}

// BenchmarkOutputEvents is RunJob's middle stage alone (see
// benchOutputEvents), each group's events left to the GC.
func BenchmarkOutputEvents(b *testing.B) {
	benchOutputEvents(b, false)
}

// A link lost before the server acknowledged the launch: the banner does
// not say the step keeps running on the server, which nobody knows yet
// (sshexec's notice says it may or may not have started).
func TestUnconfirmedLaunchLossBanner(t *testing.T) {
	ex := newFakeExec("web1")
	hold := make(chan struct{})
	lines := notice(sshexec.NoticeLostUnconfirmed, "connection to web1 lost before the host confirmed that job j started: it may or may not have started; "+
		"golive checks when it reconnects; reconnecting")
	ex.on("manage.py check", &fakeJob{lines: lines, hold: hold})
	m := started(t, ex, 160, 30)
	m = press(t, m, "enter")
	if s := screen(m); !strings.Contains(s, "lost before the server confirmed the step started") || strings.Contains(s, "keeps running on the server") {
		t.Fatalf("banner:\n%s", s)
	}
	close(hold)
	settle(t, m)
}

// While golive reconnects, the banner still says what the lost link means
// for the step: sshexec's first retry replaces the lost banner within
// milliseconds, and "reconnecting… connection lost: EOF; reconnecting
// (attempt 3)" alone left the operator to guess whether the step runs on
// (or, lost before the server confirmed the start, whether it started).
func TestReconnectingBannerSaysWhatTheLossMeans(t *testing.T) {
	for _, c := range []struct {
		kind            sshexec.NoticeKind
		lost, want, not string
	}{
		{sshexec.NoticeLost, "connection to web1 lost; job j keeps running on the host; reconnecting",
			"reconnecting to web1 (the step keeps running on the server)…", "confirmed"},
		{sshexec.NoticeLostUnconfirmed, "connection to web1 lost before the host confirmed that job j started: it may or may not have started; golive checks when it reconnects; reconnecting",
			"reconnecting to web1 (the server had not confirmed the step started: golive checks when it reconnects)…", "keeps running"},
	} {
		ex := newFakeExec("web1")
		hold := make(chan struct{})
		lines := append(notice(c.kind, c.lost), notice(sshexec.NoticeReconnecting, "connection lost: EOF; reconnecting (attempt 1)")...)
		ex.on("manage.py check", &fakeJob{lines: lines, hold: hold})
		m := started(t, ex, 300, 30)
		m = press(t, m, "enter")
		banner := strings.SplitN(screen(m), "\n", 3)[1]
		if !strings.Contains(banner, c.want) || !strings.Contains(banner, "(attempt 1)") || strings.Contains(banner, c.not) {
			t.Errorf("banner %q, want %q and the attempt, not %q", banner, c.want, c.not)
		}
		close(hold)
		settle(t, m)
	}
}
