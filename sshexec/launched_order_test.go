package sshexec

import (
	"context"
	"sync"
	"testing"
)

// newTestFollower is a follower of job id whose batches go to a channel
// with room for all a test sends.
func newTestFollower(t *testing.T, id string) (*follower, chan []Line) {
	t.Helper()
	ch := make(chan []Line, 64)
	f := &follower{id: id, out: ch, ctx: context.Background(), done: make(chan struct{})}
	f.stdout = newSplitter(Stdout, 0, f.send)
	f.stderr = newSplitter(Stderr, 0, f.send)
	t.Cleanup(func() { f.stdout.stop(); f.stderr.stop() })
	return f, ch
}

// drain returns the lines sent so far, in order.
func drain(ch chan []Line) []Line {
	var got []Line
	for {
		select {
		case b := <-ch:
			got = append(got, b...)
		default:
			return got
		}
	}
}

// A job's first stderr line may be copied before stdout's mark (x/crypto
// copies the two streams in goroutines of their own): the host's
// confirmation that the job started still goes first, since only a job
// that runs writes there.
func TestStderrBeforeMarkComesAfterLaunched(t *testing.T) {
	f, ch := newTestFollower(t, "job-1")
	var c ctlWriter
	out, dem := sessionWriters(f, "n0nce", &c)
	if _, err := dem.Write([]byte(startMark("n0nce") + "boom\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := out.Write([]byte("n0nce\nhello\n")); err != nil {
		t.Fatal(err)
	}
	got := drain(ch)
	if len(got) != 3 {
		t.Fatalf("got %d lines, want 3: %+v", len(got), got)
	}
	if got[0].Kind != NoticeLaunched {
		t.Fatalf("first line %+v, want the NoticeLaunched", got[0])
	}
	if got[1].Stream != Stderr || got[1].Text != "boom" || got[2].Stream != Stdout || got[2].Text != "hello" {
		t.Fatalf("then %+v", got[1:])
	}
	if f.launchedAt().IsZero() || !dem.gotData || !out.ok {
		t.Fatalf("launchedAt %v, gotData %v, mark %v", f.launchedAt(), dem.gotData, out.ok)
	}
}

// Start-up noise before the start mark is no sign of the job.
func TestStderrNoiseConfirmsNothing(t *testing.T) {
	f, ch := newTestFollower(t, "job-2")
	var c ctlWriter
	_, dem := sessionWriters(f, "n0nce", &c)
	if _, err := dem.Write([]byte("bash: warning: setlocale\n")); err != nil {
		t.Fatal(err)
	}
	if got := drain(ch); len(got) != 0 || dem.gotData || !f.launchedAt().IsZero() {
		t.Fatalf("noise: lines %+v, gotData %v, launched %v", got, dem.gotData, f.launchedAt())
	}
}

// When the mark and the job's stderr arrive at once on the two
// goroutines, one NoticeLaunched is sent, before every line of the job.
func TestLaunchedOnceBeforeOutputConcurrently(t *testing.T) {
	for i := 0; i < 200; i++ {
		f, ch := newTestFollower(t, "job-3")
		var c ctlWriter
		out, dem := sessionWriters(f, "n0nce", &c)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); _, _ = out.Write([]byte("n0nce\nout\n")) }()
		go func() { defer wg.Done(); _, _ = dem.Write([]byte(startMark("n0nce") + "err\n")) }()
		wg.Wait()
		got := drain(ch)
		if len(got) != 3 || got[0].Kind != NoticeLaunched || got[1].Kind == NoticeLaunched || got[2].Kind == NoticeLaunched {
			t.Fatalf("round %d: %+v", i, got)
		}
	}
}
