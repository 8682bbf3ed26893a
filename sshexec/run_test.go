package sshexec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The suite below runs against any Executor: the local one (local_test.go)
// and the SSH one against a real sshd (ssh_run_test.go).

var jobSeq struct {
	sync.Mutex
	n int
}

// jobID makes a job id unique across test runs sharing a state directory.
func jobID(t *testing.T) string {
	jobSeq.Lock()
	defer jobSeq.Unlock()
	jobSeq.n++
	name := strings.NewReplacer("/", "-", " ", "_").Replace(t.Name())
	return fmt.Sprintf("%s-%d-%d", name, time.Now().UnixNano(), jobSeq.n)
}

// collector gathers lines from a Run or Attach, flattening its batches
// and checking each keeps the contract: non-empty, one stream.
type collector struct {
	t    testing.TB
	ch   chan []Line
	done chan struct{}
	mu   sync.Mutex
	all  []Line
	bad  []string   // batches that broke the contract
	seen func(Line) // optional, called in the collector goroutine
}

func newCollector(t testing.TB, seen func(Line)) *collector {
	c := &collector{t: t, ch: make(chan []Line, 64), done: make(chan struct{}), seen: seen}
	go func() {
		defer close(c.done)
		for batch := range c.ch {
			if why := badBatch(batch); why != "" {
				c.mu.Lock()
				c.bad = append(c.bad, why)
				c.mu.Unlock()
			}
			for _, l := range batch {
				if c.seen != nil {
					c.seen(l)
				}
				c.mu.Lock()
				c.all = append(c.all, l)
				c.mu.Unlock()
			}
		}
	}()
	return c
}

// badBatch says how batch breaks the contract of Executor.Run, or "".
func badBatch(batch []Line) string {
	if len(batch) == 0 {
		return "an empty batch"
	}
	for _, l := range batch[1:] {
		if l.Stream != batch[0].Stream {
			return fmt.Sprintf("a batch mixing %s and %s", batch[0].Stream, l.Stream)
		}
	}
	for _, l := range batch {
		if (l.Stream == Notice) != (l.Kind != NoticeNone) {
			return fmt.Sprintf("a %s line of kind %s: %q", l.Stream, l.Kind, l.Text)
		}
	}
	return ""
}

// stop closes the channel (the Run has returned) and returns all lines.
func (c *collector) stop() []Line {
	close(c.ch)
	<-c.done
	if len(c.bad) > 0 {
		c.t.Errorf("sshexec sent %d bad batches, first %s", len(c.bad), c.bad[0])
	}
	return c.all
}

// notices returns the texts of lines' notices of kind k.
func notices(lines []Line, k NoticeKind) []string {
	var out []string
	for _, l := range lines {
		if l.Stream == Notice && l.Kind == k {
			out = append(out, l.Text)
		}
	}
	return out
}

// wantNotices fails the test unless lines hold notices of the kinds want,
// in that order (others may come between), and logs them all.
func wantNotices(t *testing.T, lines []Line, want ...NoticeKind) {
	t.Helper()
	var all []string
	i := 0
	for _, l := range lines {
		if l.Stream != Notice {
			continue
		}
		all = append(all, l.Kind.String()+": "+l.Text)
		if i < len(want) && l.Kind == want[i] {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("notices lack a %s (after %v):\n%s", want[i], want[:i], strings.Join(all, "\n"))
	}
}

func texts(lines []Line, s Stream) []string {
	var out []string
	for _, l := range lines {
		if l.Stream == s {
			out = append(out, l.Text)
		}
	}
	return out
}

// runJob runs script to its end with a deadline.
func runJob(t *testing.T, e Executor, spec Spec) (Result, []Line, error) {
	t.Helper()
	if spec.JobID == "" {
		spec.JobID = jobID(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := newCollector(t, nil)
	res, err := e.Run(ctx, spec, c.ch)
	return res, c.stop(), err
}

func wantSeq(t *testing.T, got []string, prefix string, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("got %d %s lines, want %d (first %q)", len(got), prefix, n, firstText(got))
	}
	for i, s := range got {
		if w := prefix + strconv.Itoa(i+1); s != w {
			t.Fatalf("line %d = %q, want %q", i, s, w)
		}
	}
}

// runExecutorSuite runs the whole suite against e; fresh returns another
// Executor on the same host and state (a restarted golive), for Attach.
// Both TestLocal and TestSSHRun call it, so each case runs on both.
func runExecutorSuite(t *testing.T, e Executor, fresh func() Executor) {
	t.Run("OrderAndExit", func(t *testing.T) { testOrderAndExit(t, e) })
	t.Run("Signal", func(t *testing.T) { testSignal(t, e) })
	t.Run("ShellErrors", func(t *testing.T) { testShellErrors(t, e) })
	t.Run("PartialLine", func(t *testing.T) { testPartialLine(t, e) })
	t.Run("Env", func(t *testing.T) { testEnv(t, e) })
	t.Run("ProgressAndBytes", func(t *testing.T) { testProgressAndBytes(t, e) })
	t.Run("JobIDOnce", func(t *testing.T) { testJobIDOnce(t, e) })
	t.Run("Timeout", func(t *testing.T) { testTimeout(t, e) })
	t.Run("Cancel", func(t *testing.T) { testCancel(t, e) })
	t.Run("Attach", func(t *testing.T) { testAttach(t, e, fresh) })
	t.Run("BigOutput", func(t *testing.T) { testBigOutput(t, e) })
}

func firstText(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func testOrderAndExit(t *testing.T, e Executor) {
	res, lines, err := runJob(t, e, Spec{Script: `i=1; while [ $i -le 2000 ]; do echo out$i; echo err$i >&2; i=$((i+1)); done; exit 3`})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 3 || res.Signal != "" || res.Unknown || res.Canceled || res.TimedOut {
		t.Errorf("result = %+v, want exit 3", res)
	}
	wantSeq(t, texts(lines, Stdout), "out", 2000)
	wantSeq(t, texts(lines, Stderr), "err", 2000)
	var last int64
	for _, l := range lines {
		if l.Stream == Stdout {
			if l.Offset <= last {
				t.Fatalf("offsets not increasing: %d after %d", l.Offset, last)
			}
			last = l.Offset
		}
	}
	if res.Ended.Before(res.Started) {
		t.Errorf("ended %v before started %v", res.Ended, res.Started)
	}
}

// testShellErrors: the shell's own error messages name "sh" and the line,
// not the job directory.
func testShellErrors(t *testing.T, e Executor) {
	res, lines, err := runJob(t, e, Spec{Script: "echo one\ncd /nonexistent-golive-dir\necho \"$# args\""})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	if got := texts(lines, Stderr); len(got) != 1 || !strings.HasPrefix(got[0], "sh: 2: cd: ") {
		t.Errorf("stderr %q, want sh: 2: cd: ...", got)
	}
	if got := texts(lines, Stdout); len(got) != 2 || got[1] != "0 args" {
		t.Errorf("stdout %q", got)
	}
}

func testSignal(t *testing.T, e Executor) {
	res, lines, err := runJob(t, e, Spec{Script: `echo before; kill -KILL $$; echo after`})
	if err != nil {
		t.Fatal(err)
	}
	if res.Signal != "KILL" || res.ExitCode != 137 || res.Unknown {
		t.Errorf("result = %+v, want killed by KILL", res)
	}
	wantNoStderr(t, lines)
}

// wantNoStderr fails when a job that writes nothing to stderr has lines
// there: the wrapper's shell reporting the job's signal ("Killed",
// "Terminated", as dash does on wait) would read as the job's own words.
func wantNoStderr(t *testing.T, lines []Line) {
	t.Helper()
	if got := texts(lines, Stderr); len(got) > 0 {
		t.Errorf("stderr %q, want none: the job printed nothing there", got)
	}
}

func testEnv(t *testing.T, e Executor) {
	res, lines, err := runJob(t, e, Spec{
		Script: `echo "$GREETING|$PYTHONUNBUFFERED|$(cat)"`,
		Env:    map[string]string{"GREETING": "it's $HOME `x`"},
	})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	if got := texts(lines, Stdout); len(got) != 1 || got[0] != "it's $HOME `x`|1|" {
		t.Errorf("got %q", got)
	}
}

func testProgressAndBytes(t *testing.T, e Executor) {
	script := `printf 'a\rb\rc\r\nd\n'; printf 'bad\377\376x\n'; head -c 200000 /dev/zero | tr '\0' z; echo; printf 'no newline'`
	res, lines, err := runJob(t, e, Spec{Script: script})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	got := texts(lines, Stdout)
	want := []string{"a", "b", "c", "d", "bad\uFFFDx",
		strings.Repeat("z", MaxLineBytes), strings.Repeat("z", MaxLineBytes), strings.Repeat("z", MaxLineBytes),
		strings.Repeat("z", 200000-3*MaxLineBytes), "no newline"}
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d = %.20q (%d bytes), want %.20q", i, got[i], len(got[i]), want[i])
		}
	}
	if last := lines[len(lines)-1]; last.Offset != int64(len("a\rb\rc\r\nd\nbad\377\376x\n")+200001+len("no newline")) {
		t.Errorf("last offset %d", last.Offset)
	}
}

func testJobIDOnce(t *testing.T, e Executor) {
	id := jobID(t)
	if _, _, err := runJob(t, e, Spec{JobID: id, Script: "echo ran"}); err != nil {
		t.Fatal(err)
	}
	_, lines, err := runJob(t, e, Spec{JobID: id, Script: "echo ran again"})
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second run: err = %v, want already exists", err)
	}
	if len(texts(lines, Stdout)) != 0 {
		t.Errorf("second run delivered %q", texts(lines, Stdout))
	}
	if _, _, err := runJob(t, e, Spec{JobID: "../x", Script: "true"}); err == nil {
		t.Errorf("bad job id accepted")
	}
	if _, _, err := runJob(t, e, Spec{Script: "true", Env: map[string]string{"A B": "x"}}); err == nil {
		t.Errorf("bad env name accepted")
	}
}

func testTimeout(t *testing.T, e Executor) {
	start := time.Now()
	res, lines, err := runJob(t, e, Spec{Script: "echo started; sleep 30; echo never", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || res.Signal != "TERM" || res.Canceled {
		t.Errorf("result = %+v, want timed out by TERM", res)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("took %v", d)
	}
	if got := texts(lines, Stdout); len(got) != 1 {
		t.Errorf("got %q", got)
	}
}

// groupAlive lists live processes of process group pg on this machine
// (the test sshd runs here too).
func groupAlive(t *testing.T, pg string) []string {
	t.Helper()
	out, err := exec.Command("ps", "-eo", "pid=,pgid=,stat=,args=").Output()
	if err != nil {
		t.Fatalf("ps: %v", err)
	}
	var live []string
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) >= 3 && f[1] == pg && !strings.HasPrefix(f[2], "Z") {
			live = append(live, l)
		}
	}
	return live
}

// testCancel cancels a job whose group has several processes, one of
// them ignoring TERM, while Run follows it.
func testCancel(t *testing.T, e Executor) {
	id := jobID(t)
	pg := make(chan string, 1)
	c := newCollector(t, func(l Line) {
		if l.Stream == Stdout && strings.HasPrefix(l.Text, "pg ") {
			pg <- strings.TrimPrefix(l.Text, "pg ")
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := runAsync(ctx, e, Spec{JobID: id, Script: `sleep 300 & sh -c 'trap "" TERM; sleep 300' & echo "pg $$"; wait`}, c.ch)
	var group string
	select {
	case group = <-pg:
	case <-time.After(30 * time.Second):
		t.Fatal("job did not start")
	}
	time.Sleep(200 * time.Millisecond) // let the TERM-ignoring shell set its trap
	if len(groupAlive(t, group)) < 3 {
		t.Fatalf("process group %s: %q, want the job's processes", group, groupAlive(t, group))
	}
	if err := e.Cancel(ctx, id); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	if live := groupAlive(t, group); len(live) > 0 {
		t.Errorf("after cancel, process group %s still has %q", group, live)
	}
	r := <-done
	lines := c.stop()
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !r.res.Canceled || r.res.Signal == "" {
		t.Errorf("result = %+v, want canceled by a signal", r.res)
	}
	if n := notices(lines, NoticeCancel); !strings.Contains(strings.Join(n, "\n"), "KILL") {
		t.Errorf("cancel notices %q do not say the group was killed", n)
	}
	wantNoStderr(t, lines)
	// Cancelling again: nothing left to stop.
	if err := e.Cancel(ctx, id); err != nil {
		t.Errorf("second cancel: %v", err)
	}
	if err := e.Cancel(ctx, jobID(t)); !errors.Is(err, ErrNoJob) {
		t.Errorf("cancel of unknown job: %v, want ErrNoJob", err)
	}
}

// lastOffsets is where a follower that delivered lines resumes: the
// offset of the last stdout and of the last stderr line.
func lastOffsets(lines []Line) Offsets {
	var from Offsets
	for _, l := range lines {
		switch l.Stream {
		case Stdout:
			from.Stdout = l.Offset
		case Stderr:
			from.Stderr = l.Offset
		}
	}
	return from
}

// holdUntil is a shell command that waits (at most a minute) for the
// file mark to exist: a job that must still run when the test acts on
// its output waits for the test's word instead of a sleep that a loaded
// machine outlasts (its output then arrives after the job ended).
func holdUntil(mark string) string {
	return fmt.Sprintf("{ k=0; while [ ! -e %s ] && [ $k -lt 1200 ]; do sleep 0.05; k=$((k+1)); done; }", shq(mark))
}

// release creates the file a holdUntil waits for.
func release(t *testing.T, mark string) {
	if err := os.WriteFile(mark, nil, 0o600); err != nil {
		t.Error(err)
	}
}

// testAttach stops following midway (as a crashing golive would), then a
// fresh Executor attaches from the last delivered offsets: every line
// arrives exactly once, then the exit code. The job holds at line 50 until
// the first Run returned, so that the Run is always cut off mid-job.
func testAttach(t *testing.T, e Executor, fresh func() Executor) {
	id := jobID(t)
	mark := filepath.Join(t.TempDir(), "go-on")
	script := `i=1; while [ $i -le 300 ]; do echo n$i; echo e$i >&2; [ $i = 50 ] && ` + holdUntil(mark) + `; i=$((i+1)); done; sleep 0.5; exit 4`
	ctx, cancel := context.WithCancel(context.Background())
	c := newCollector(t, func(l Line) {
		if l.Text == "n40" {
			cancel()
		}
	})
	_, err := e.Run(ctx, Spec{JobID: id, Script: script}, c.ch)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("run: %v, want context.Canceled", err)
	}
	first := c.stop()
	release(t, mark)
	from := lastOffsets(first)
	e2 := fresh()
	defer e2.Close()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel2()
	c2 := newCollector(t, nil)
	res, err := e2.Attach(ctx2, id, from, c2.ch)
	rest := c2.stop()
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 4 || res.Unknown {
		t.Errorf("result = %+v, want exit 4", res)
	}
	all := append(first, rest...)
	wantSeq(t, texts(all, Stdout), "n", 300)
	wantSeq(t, texts(all, Stderr), "e", 300)
	if _, err := e2.Attach(ctx2, jobID(t), Offsets{}, make(chan []Line, 1)); !errors.Is(err, ErrNoJob) {
		t.Errorf("attach to unknown job: %v, want ErrNoJob", err)
	}
}

// testBigOutput streams 50 MB of base64 text and checks every line while
// measuring heap growth: nothing may buffer the output whole.
func testBigOutput(t *testing.T, e Executor) {
	const raw = 37_500_000 // base64 makes 50,000,000 characters of it
	chars := raw / 3 * 4
	wantLines := (chars + 75) / 76
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	ch := make(chan []Line, 256)
	type counts struct {
		lines, bad int
		last       int64
		stderr     []string
	}
	got := make(chan counts, 1)
	go func() {
		var c counts
		for batch := range ch {
			for _, l := range batch {
				switch l.Stream {
				case Stdout:
					c.lines++
					c.last = l.Offset
					if (len(l.Text) != 76 && c.lines != wantLines) || strings.Trim(l.Text, "A") != "" {
						c.bad++
					}
					if c.lines%20000 == 0 {
						runtime.ReadMemStats(&ms)
						peak = max(peak, ms.HeapAlloc)
					}
				case Stderr:
					c.stderr = append(c.stderr, l.Text)
				}
			}
		}
		got <- c
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	res, err := e.Run(ctx, Spec{JobID: jobID(t), Script: fmt.Sprintf("head -c %d /dev/zero | base64", raw)}, ch)
	close(ch)
	c := <-got
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v %v (stderr %q)", res, err, c.stderr)
	}
	d := time.Since(start)
	if c.lines != wantLines || c.bad != 0 || c.last != int64(chars+wantLines) {
		t.Errorf("got %d lines (%d malformed) ending at %d, want %d ending at %d", c.lines, c.bad, c.last, wantLines, chars+wantLines)
	}
	growth := int64(peak) - int64(base)
	t.Logf("%d bytes in %v (%.0f MB/s), heap growth %d MB", c.last, d, float64(c.last)/d.Seconds()/1e6, growth>>20)
	if growth > 64<<20 {
		t.Errorf("heap grew by %d MB while streaming", growth>>20)
	}
}

// testPartialLine: a line still being written shows after a quiet second,
// long before the job ends; the rest of it follows. The job sleeps 6 s so
// that a follower slow to start on a loaded machine (seen: 1.4 s under
// -race) still leaves the partial well ahead of the end.
func testPartialLine(t *testing.T, e Executor) {
	var first time.Time
	c := newCollector(t, func(l Line) {
		if l.Text == "Applying app.0001..." && first.IsZero() {
			first = time.Now()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := e.Run(ctx, Spec{JobID: jobID(t), Script: "printf 'Applying app.0001...'; sleep 6; echo ' OK'"}, c.ch)
	end := time.Now()
	lines := c.stop()
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	if got := strings.Join(texts(lines, Stdout), "|"); got != "Applying app.0001...| OK" {
		t.Errorf("got %q", got)
	}
	if first.IsZero() || end.Sub(first) < time.Second {
		t.Errorf("the partial line arrived %v before the end, want it while the job ran", end.Sub(first))
	}
}
