package sshexec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
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

// countedRunner is a local runner in a fresh root whose transport counts
// its sessions; it prunes nothing, so every session counted is a job's.
// It is closed when t ends.
func countedRunner(t *testing.T) (*runner, *countTransport) {
	ct := &countTransport{}
	r := newRunner(ct)
	r.root = shq(t.TempDir())
	r.keep = -1 // no prune session to count
	t.Cleanup(func() { r.Close() })
	return r, ct
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
	if fast.Started.IsZero() || fast.Ended.Before(fast.Started) || fast.Ended.Before(again.Ended.Add(-time.Second)) {
		t.Errorf("quick job's times: started %v ended %v; attach says ended %v", fast.Started, fast.Ended, again.Ended)
	}
}

func TestLocalHelperDump(t *testing.T) {
	r, ct := countedRunner(t)
	testDumpMatchesFollower(t, r, 20, func() int { return int(ct.execs.Load()) })
}

// TestLocalHelperDumpBound: output over maxDump is followed, not sent
// back, and arrives whole.
func TestLocalHelperDumpBound(t *testing.T) {
	slowFollow(t) // first: its cleanup runs after the runner's Close
	r, ct := countedRunner(t)
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
		sp := waitSpare(t, r)
		if last != nil && sp != last {
			taken++
		}
		last = sp
		return taken
	}
	testDumpMatchesFollower(t, r, 30, followers)
}

// TestLocalHelperScriptHereDoc: the script reaches the job's shell as
// written, through the wrapper's here-document, whatever it holds: the
// here-document's end word on a line of its own, backslashes, quotes,
// expansions meant for the job, and more than a pipe's buffer.
func TestLocalHelperScriptHereDoc(t *testing.T) {
	slowFollow(t)
	r := newRunner(localTransport{})
	r.root = shq(t.TempDir())
	defer r.Close()
	script := "cat <<'X'\nGOLIVE_SCRIPT_END\nX\n" +
		"printf '%s\\n' 'a\\b' \"q\\\"q\" '$HOME' \"$GOLIVE_T\" `echo tick`\n" +
		"# " + strings.Repeat("padding ", 1200) + "\n" + // past 4 KiB: the shell forks a writer
		"echo last"
	res, lines, err := runJob(t, r, Spec{Script: script, Env: map[string]string{"GOLIVE_T": "v $x"}})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	want := []string{"GOLIVE_SCRIPT_END", `a\b`, `q"q`, "$HOME", "v $x", "tick", "last"}
	if got := texts(lines, Stdout); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("stdout %q, want %q (stderr %q)", got, want, texts(lines, Stderr))
	}
}

// TestHelperDataOutOfStep: a data answer whose output does not end as
// the helper ends it ends the helper (its answers can no longer be read);
// one that does is delivered whole, out and err apart.
func TestHelperDataOutOfStep(t *testing.T) {
	const mark = "0123456789abcdef01234567"
	for _, tc := range []struct{ name, stream string }{
		{"no newline after", "N data j2 " + mark + "\nab" + mark + mark + "N forgot j3 removed\n"},
		{"one mark", "N data j2 " + mark + "\nab" + mark + "\nN forgot j3 removed\n"},
		{"too long", "N data j2 " + mark + "\n" + strings.Repeat("x", maxDump+2) + mark + mark + "\nN forgot j3 removed\n"},
		{"short mark", "N data j2 abc\nxabcabc\nN forgot j3 removed\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := "N data j1 " + mark + "\nabc\n" + mark + "de" + mark + "\n" + tc.stream
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
				if string(a.out) != "abc\n" || string(a.err) != "de" || a.f[0] != "data" {
					t.Errorf("j1: %q out %q err %q, want abc\\n and de", a.f, a.out, a.err)
				}
			default:
				t.Error("j1's data was not delivered")
			}
			for _, k := range []string{"D j2", "F j3"} {
				select {
				case a := <-chs[k]:
					t.Errorf("%s: %q (%d+%d bytes) delivered after the stream went out of step", k, a.f, len(a.out), len(a.err))
				default:
				}
			}
		})
	}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// BenchmarkSSHQuickStep is one step of the 50-step release at the
// executor: a job printing seq 1 1000 (3.9 KB, ending at once) run to its
// end, then forgotten, as RunJob does. Wall time on a shared machine
// swings with its load, so it also reports CPU: golive's own per step
// (getrusage), and the host's (sshd, the helper, the jobs: the listening
// sshd's reaped descendants, read once the connection is closed).
func BenchmarkSSHQuickStep(b *testing.B) {
	b.Setenv("HOME", b.TempDir())
	b.Setenv("SSH_AUTH_SOCK", "")
	home := b.TempDir()
	s := sshdtest.Start(b, sshdtest.Config("SetEnv HOME="+home+" XDG_STATE_HOME="+home))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := Dial(ctx, baseOptions(s))
	if err != nil {
		b.Fatal(err)
	}
	r := newRunner(c)
	r.root = shq(b.TempDir())
	r.keep = -1 // no prune session in the figures
	host0 := childCPU(b, s.ListenerPID())
	var self0, self1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self0)
	t0 := time.Now()
	for i := 0; b.Loop(); i++ {
		id := fmt.Sprintf("quick-%d-%d", time.Now().UnixNano(), i)
		lines := make(chan []Line, 64)
		n := 0
		done := make(chan struct{})
		go func() {
			for batch := range lines {
				n += len(batch)
			}
			close(done)
		}()
		res, err := r.Run(ctx, Spec{JobID: id, Script: "seq 1 1000", Timeout: 10 * time.Minute}, lines)
		close(lines)
		<-done
		if err != nil || res.ExitCode != 0 || n != 1000 {
			b.Fatalf("%+v %v, %d lines", res, err, n)
		}
		if err := r.Forget(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
	wall := time.Since(t0)
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self1)
	r.Close()
	for deadline := time.Now().Add(10 * time.Second); len(s.SessionPIDs()) > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	host := childCPU(b, s.ListenerPID()) - host0
	self := time.Duration(self1.Utime.Nano() + self1.Stime.Nano() - self0.Utime.Nano() - self0.Stime.Nano())
	per := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / float64(b.N) }
	b.ReportMetric(per(wall), "ms/step")
	b.ReportMetric(per(self), "golive-cpu-ms/step")
	b.ReportMetric(per(host), "host-cpu-ms/step")
	b.ReportMetric(0, "ns/op")
}

// childCPU is the user and system CPU time of pid's reaped descendants
// (cutime and cstime in /proc/pid/stat).
func childCPU(b *testing.B, pid int) time.Duration {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(st[bytes.LastIndexByte(st, ')')+2:]))
	var ticks int64
	for _, v := range f[13:15] {
		n, _ := strconv.ParseInt(v, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// wrapped is an executor wrapping another, as ui's host-key executor
// does.
type wrapped struct{ Executor }

func (w wrapped) Unwrap() Executor { return w.Executor }

// TestPrestart: Prestart, through a wrapper, starts the helper before any
// Run; the first Run uses it.
func TestPrestart(t *testing.T) {
	r := newRunner(localTransport{})
	r.root = shq(t.TempDir())
	r.keep = -1
	defer r.Close()
	Prestart(wrapped{wrapped{r}})
	var h *helper
	for deadline := time.Now().Add(20 * time.Second); h == nil && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		h = currentHelper(r)
	}
	if h == nil {
		t.Fatal("no helper started")
	}
	if res, _, err := runJob(t, r, Spec{Script: "exit 6"}); err != nil || res.ExitCode != 6 {
		t.Fatalf("%+v %v", res, err)
	}
	if currentHelper(r) != h {
		t.Errorf("the first Run started a helper of its own")
	}
	Prestart(localExecutorStub{}) // not a runner: nothing happens
}

// localExecutorStub is an Executor Prestart does not know.
type localExecutorStub struct{ Executor }

// TestPrestartAfterClose: a Prestart whose goroutine comes to start the
// helper only after Close (a release that ended at once, on an error)
// starts none: nothing would ever stop it. Nor does a call for the
// helper after Close.
func TestPrestartAfterClose(t *testing.T) {
	r := newRunner(localTransport{})
	r.root = shq(t.TempDir())
	r.keep = -1
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	Prestart(r)
	for deadline := time.Now().Add(500 * time.Millisecond); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if h := currentHelper(r); h != nil {
			h.s.stop()
			t.Fatal("Prestart after Close started a helper")
		}
	}
	h, err := r.helper(context.Background())
	if h != nil {
		h.s.stop()
	}
	if h != nil || !errors.Is(err, errNoStream) {
		t.Fatalf("helper after Close = %v, %v; want none (errNoStream: Run launches through a session)", h, err)
	}
}
