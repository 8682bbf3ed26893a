package sshexec

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golive/internal/sshdtest"
)

// The helper sends back the output of a job that ended within followDelay
// (helperDump): the same Lines, offsets and result as a follower reading
// the files, without a follower session.

// countTransport is the local transport counting the sessions it opens
// for launchers and followers (exec); the helper's start is not one.
type countTransport struct {
	localTransport
	execs atomic.Int32
}

func (c *countTransport) exec(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	c.execs.Add(1)
	return c.localTransport.exec(ctx, cmd, stdin, stdout, stderr)
}

// dumpScript prints about kb KiB on stdout with CRLF and lone-CR breaks,
// stderr lines between, and a last stdout line without a newline; it
// exits 3.
func dumpScript(kb int) string {
	return fmt.Sprintf(`i=0; while [ $i -lt %d ]; do printf 'line %%05d of the job\r\n' $i; printf 'progress\r%%d%%%%\r' $i; echo "e$i" >&2; i=$((i+1)); done; printf 'last'; exit 3`, kb*1024/40)
}

// slowFollow makes every job end "within followDelay" while the test
// runs, so that whether the helper sends the output back does not depend
// on the machine's load.
func slowFollow(t *testing.T) {
	old := followDelay
	followDelay = time.Minute
	t.Cleanup(func() { followDelay = old })
}

// sameLines fails unless got and want hold the same lines, streams and
// offsets in each stream's order.
func sameLines(t *testing.T, got, want []Line) {
	t.Helper()
	for _, s := range []Stream{Stdout, Stderr} {
		var g, w []string
		for _, l := range got {
			if l.Stream == s {
				g = append(g, fmt.Sprintf("%d:%q", l.Offset, l.Text))
			}
		}
		for _, l := range want {
			if l.Stream == s {
				w = append(w, fmt.Sprintf("%d:%q", l.Offset, l.Text))
			}
		}
		if strings.Join(g, "\n") != strings.Join(w, "\n") {
			t.Fatalf("stream %v: %d lines, want %d (as a follower reads them); first got %q, want %q", s, len(g), len(w), firstText(g), firstText(w))
		}
	}
}

// testDumpMatchesFollower runs a quick job on r, whose output the helper
// sends back, then attaches to it from the start, which follows its
// files: both must give the same lines, offsets and result. followers
// returns how many follower sessions r opened so far.
func testDumpMatchesFollower(t *testing.T, r *runner, kb int, followers func() int) {
	slowFollow(t)
	before := followers()
	spec := Spec{JobID: jobID(t), Script: dumpScript(kb)}
	fast, fl, err := runJob(t, r, spec)
	if err != nil || fast.ExitCode != 3 || fast.Unknown {
		t.Fatalf("quick job: %+v %v", fast, err)
	}
	if n := followers() - before; n != 0 {
		t.Errorf("the quick job's output (%d KiB) took %d follower sessions, want none", kb, n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := newCollector(t, nil)
	again, err := r.Attach(ctx, spec.JobID, Offsets{}, c.ch)
	al := c.stop()
	if err != nil || again.ExitCode != 3 || again.Unknown {
		t.Fatalf("attach: %+v %v", again, err)
	}
	if followers() == before {
		t.Errorf("Attach did not follow the job's files")
	}
	sameLines(t, fl, al)
	out := texts(fl, Stdout)
	if len(out) < kb*1024/40 || out[len(out)-1] != "last" {
		t.Fatalf("%d stdout lines for %d KiB, the last %q", len(out), kb, firstText(out[max(0, len(out)-1):]))
	}
	if fast.Started.IsZero() || fast.Ended.Before(fast.Started) || !fast.Ended.Equal(again.Ended) {
		t.Errorf("quick job's times: started %v ended %v; attach says ended %v", fast.Started, fast.Ended, again.Ended)
	}
}

func TestLocalHelperDump(t *testing.T) {
	ct := &countTransport{}
	r := newRunner(ct)
	r.root = shq(t.TempDir())
	r.keep = -1 // no prune session to count
	defer r.Close()
	testDumpMatchesFollower(t, r, 20, func() int { return int(ct.execs.Load()) })
}

// TestLocalHelperDumpBound: output over maxDump is followed, not sent
// back, and arrives whole.
func TestLocalHelperDumpBound(t *testing.T) {
	ct := &countTransport{}
	r := newRunner(ct)
	r.root = shq(t.TempDir())
	r.keep = -1 // no prune session to count
	defer r.Close()
	slowFollow(t)
	n := maxDump/10 + 1 // lines of 10 bytes: more than maxDump
	res, lines, err := runJob(t, r, Spec{Script: fmt.Sprintf(`i=1; while [ $i -le %d ]; do printf '%%09d\n' $i; i=$((i+1)); done`, n)})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	if got := texts(lines, Stdout); len(got) != n || got[n-1] != fmt.Sprintf("%09d", n) {
		t.Fatalf("%d lines, want %d", len(got), n)
	}
	if ct.execs.Load() == 0 {
		t.Errorf("%d bytes of output were not followed (maxDump is %d)", n*10, maxDump)
	}
}

// TestSSHHelperDump: over SSH, the quick job's output comes back through
// the helper (the spare session stays unused) and matches what a
// follower reads.
func TestSSHHelperDump(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	r := sshRunner(t, s, t.TempDir())
	if _, _, err := runJob(t, r, Spec{Script: "exit 0"}); err != nil {
		t.Fatal(err)
	}
	taken := 0
	var last *spare
	followers := func() int {
		// A follower takes the spare and a new one is started: count
		// the spares seen go.
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			r.hmu.Lock()
			sp := r.spare
			r.hmu.Unlock()
			if sp != nil {
				if last != nil && sp != last {
					taken++
				}
				last = sp
				return taken
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatal("no spare session started")
		return 0
	}
	testDumpMatchesFollower(t, r, 30, followers)
}

// TestHelperDataOutOfStep: a data answer whose length does not match
// what follows ends the helper (its answers can no longer be read); one
// that matches is delivered whole.
func TestHelperDataOutOfStep(t *testing.T) {
	for _, tc := range []struct{ name, stream string }{
		{"short", "N data j2 5 0 1 2\nabN dend j2\nN forgot j3 removed\n"},
		{"long", "N data j2 1 0 1 2\nabcN dend j2\nN forgot j3 removed\n"},
		{"too big", fmt.Sprintf("N data j2 %d 1 1 2\n", maxDump) + strings.Repeat("x", maxDump+1) + "N dend j2\nN forgot j3 removed\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := "N data j1 3 2 1 2\nabcdeN dend j1\n" + tc.stream
			h := &helper{s: &stream{in: nopCloser{io.Discard}, out: strings.NewReader(in), errs: strings.NewReader(""),
				lost: func() bool { return false }, stop: func() {}}, nonce: "N", waits: map[string]chan answer{}, dead: make(chan struct{})}
			chs := map[string]chan answer{}
			for _, k := range []string{"D j1", "D j2", "F j3"} {
				chs[k] = make(chan answer, 4)
				h.waits[k] = chs[k]
			}
			h.read(true)
			if !h.ended() {
				t.Fatal("the helper did not end")
			}
			select {
			case a := <-chs["D j1"]:
				if string(a.data) != "abcde" || a.f[0] != "data" {
					t.Errorf("j1: %q %q, want abcde", a.f, a.data)
				}
			default:
				t.Error("j1's data was not delivered")
			}
			for _, k := range []string{"D j2", "F j3"} {
				select {
				case a := <-chs[k]:
					t.Errorf("%s: %q %q delivered after the stream went out of step", k, a.f, a.data)
				default:
				}
			}
		})
	}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
