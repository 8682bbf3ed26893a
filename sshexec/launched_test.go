package sshexec

import (
	"context"
	"os"
	"testing"
	"time"

	"golive/internal/sshdtest"
)

// TestSSHLaunchConfirmedAfterSlowLoginShell: while the host's login
// shell hangs, the job has not started and sshexec says nothing of it;
// once the shell goes on, one NoticeLaunched comes before the job's
// output, and the Result's times are the job's own, without the wait.
func TestSSHLaunchConfirmedAfterSlowLoginShell(t *testing.T) {
	isolate(t)
	s, hold := sshdtest.StartSlowLogin(t)
	r := sshRunner(t, s, t.TempDir())
	defer r.Close()
	launched := make(chan Line, 4)
	c := newCollector(t, func(l Line) {
		if l.Kind == NoticeLaunched {
			launched <- l
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := runAsync(ctx, r, Spec{JobID: jobID(t), Script: "echo begin; sleep 1; echo end"}, c.ch)
	const wait = 2 * time.Second
	select {
	case l := <-launched:
		t.Fatalf("launch confirmed while the login shell still waits: %q", l.Text)
	case <-time.After(wait):
	}
	released := time.Now()
	if err := os.Remove(hold); err != nil {
		t.Fatal(err)
	}
	got := <-done
	lines := c.stop()
	if got.err != nil || got.res.ExitCode != 0 {
		t.Fatalf("%+v %v", got.res, got.err)
	}
	var kinds []string
	for _, l := range lines {
		if l.Stream == Notice {
			kinds = append(kinds, l.Kind.String())
		}
	}
	if n := len(notices(lines, NoticeLaunched)); n != 1 {
		t.Fatalf("%d launched notices, want 1 (notices %v)", n, kinds)
	}
	if lines[0].Kind != NoticeLaunched {
		t.Errorf("the first line is %s %q, want the launched notice before any output", lines[0].Stream, lines[0].Text)
	}
	t.Logf("launched %v after the release", lines[0].Time.Sub(released))
	if at := lines[0].Time; at.Before(released) {
		t.Errorf("launched at %v, before the login shell was released at %v", at, released)
	}
	// The host's file times tick in jiffies: sleep 1 may read 996 ms.
	if d := got.res.Ended.Sub(got.res.Started); d < 900*time.Millisecond || d >= wait {
		t.Errorf("the job took %v: want its own time (sleep 1), without the %v golive waited for the login shell", d, wait)
	}
}

// TestSSHQuickJobTimedFromItsStart: a job that ends at once, through the
// helper's fast path (local clock), is timed from the host's
// confirmation, not from Run's call while the login shell waited.
func TestSSHQuickJobTimedFromItsStart(t *testing.T) {
	isolate(t)
	s, hold := sshdtest.StartSlowLogin(t)
	r := sshRunner(t, s, t.TempDir())
	defer r.Close()
	time.AfterFunc(1500*time.Millisecond, func() { os.Remove(hold) })
	res, lines, err := runJob(t, r, Spec{Script: "exit 3"})
	if err != nil || res.ExitCode != 3 {
		t.Fatalf("%+v %v", res, err)
	}
	if n := len(notices(lines, NoticeLaunched)); n != 1 {
		t.Fatalf("%d launched notices, want 1", n)
	}
	if d := res.Ended.Sub(res.Started); d < 0 || d >= time.Second {
		t.Errorf("exit 3 took %v (started %v, ended %v): want its own moment, not the wait for the login shell", d, res.Started, res.Ended)
	}
}

// TestLocalLaunchConfirmed: the local executor confirms the start too,
// once, before the output; Attach confirms that it found the job.
func TestLocalLaunchConfirmed(t *testing.T) {
	r := newRunner(localTransport{})
	r.root = shq(t.TempDir())
	defer r.Close()
	id := jobID(t)
	res, lines, err := runJob(t, r, Spec{JobID: id, Script: "echo one; sleep 0.2; echo two"})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	if n := len(notices(lines, NoticeLaunched)); n != 1 || lines[0].Kind != NoticeLaunched {
		t.Fatalf("%d launched notices, first line %s %q; want one, first", n, lines[0].Stream, lines[0].Text)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := newCollector(t, nil)
	if _, err := r.Attach(ctx, id, Offsets{}, c.ch); err != nil {
		t.Fatal(err)
	}
	if n := len(notices(c.stop(), NoticeLaunched)); n != 1 {
		t.Errorf("Attach sent %d launched notices, want 1", n)
	}
}
