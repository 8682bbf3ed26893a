package sshexec

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tests of the helper: launches through it survive its death and the
// link's, leave nothing behind, and keep concurrent jobs apart.

// proc is one process as /proc shows it.
type proc struct {
	pid, ppid, sid int
	state          string
	cmdline        string
}

// procs lists the processes on this machine.
func procs(t *testing.T) []proc {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var out []proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(st)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 4 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		sid, _ := strconv.Atoi(f[3])
		cl, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		out = append(out, proc{pid: pid, ppid: ppid, sid: sid, state: f[0], cmdline: strings.ReplaceAll(string(cl), "\x00", " ")})
	}
	return out
}

// helperPID finds the process of r's current helper by its nonce.
func helperPID(t *testing.T, r *runner) int {
	t.Helper()
	r.hmu.Lock()
	h := r.h
	r.hmu.Unlock()
	if h == nil {
		t.Fatal("no helper running")
	}
	// The helper's subshells (a job's wrapper, a watchdog) are forks of
	// it with its command line: the helper is the one whose parent is
	// none of them. (/proc lists pids as names: 11174 before 3889.)
	ours := map[int]int{}
	for _, p := range procs(t) {
		if strings.Contains(p.cmdline, "golive-helper") && strings.Contains(p.cmdline, h.nonce) {
			ours[p.pid] = p.ppid
		}
	}
	for pid, ppid := range ours {
		if _, sub := ours[ppid]; !sub {
			return pid
		}
	}
	t.Fatalf("no process for helper %s", h.nonce)
	return 0
}

// currentHelper is r's helper now, nil if none.
func currentHelper(r *runner) *helper {
	r.hmu.Lock()
	defer r.hmu.Unlock()
	return r.h
}

// waitSpare waits up to 30 s for r to hold a spare session and returns
// it; it fails the test if none starts.
func waitSpare(t *testing.T, r *runner) *spare {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r.hmu.Lock()
		sp := r.spare
		r.hmu.Unlock()
		if sp != nil {
			return sp
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no spare session started")
	return nil
}

// cutTransport is the local transport whose helper's link drops around
// the first launch: the helper never gets the request ("before": start
// fails as on a dead link), or it gets it and runs the job but nothing it
// says comes back ("cut").
type cutTransport struct {
	localTransport
	mode       string
	mu         sync.Mutex
	starts     int
	reconnects int
}

func (c *cutTransport) start(ctx context.Context, cmd string) (*stream, error) {
	c.mu.Lock()
	c.starts++
	first := c.starts == 1
	c.mu.Unlock()
	if first && c.mode == "before" {
		return nil, fmt.Errorf("fake link: %w", errConnLost)
	}
	s, err := c.localTransport.start(ctx, cmd)
	if err != nil || !first {
		return s, err
	}
	// "cut": answers flow until the launch request is written; then the
	// helper's output is swallowed and, a moment later, the link "drops".
	cut := make(chan struct{})
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	relay := func(dst *io.PipeWriter, src io.Reader) {
		buf := make([]byte, 4096)
		for {
			n, err := src.Read(buf)
			select {
			case <-cut:
			default:
				if n > 0 {
					_, _ = dst.Write(buf[:n])
				}
			}
			if err != nil {
				return
			}
		}
	}
	go relay(outW, s.out)
	go relay(errW, s.errs)
	var once sync.Once
	return &stream{
		in: writeCloser{writerFunc: func(p []byte) (int, error) {
			n, err := s.in.Write(p)
			if strings.HasPrefix(string(p), "L ") {
				once.Do(func() {
					close(cut)
					time.AfterFunc(300*time.Millisecond, func() {
						outW.Close()
						errW.Close()
					})
				})
			}
			return n, err
		}, close: s.in.Close},
		out: outR, errs: errR,
		lost: func() bool { return true },
		stop: s.stop,
	}, nil
}

func (c *cutTransport) reconnect(_ context.Context, notify notifyFunc) error {
	c.mu.Lock()
	c.reconnects++
	c.mu.Unlock()
	notify(NoticeReconnected, "fake reconnect")
	return nil
}

// writerFunc is an io.WriteCloser from functions.
type writerFunc func([]byte) (int, error)

func (w writerFunc) Write(p []byte) (int, error) { return w(p) }

type writeCloser struct {
	writerFunc
	close func() error
}

func (w writeCloser) Close() error { return w.close() }

// TestHelperDropDuringLaunch: whether the link to the helper dropped
// before the launch request reached it or after the helper ran it, the job
// runs exactly once and all its output arrives.
func TestHelperDropDuringLaunch(t *testing.T) {
	testDropDuringLaunch(t, func(mode string) (transport, func() int) {
		ct := &cutTransport{mode: mode}
		return ct, func() int { return ct.reconnects }
	})
}

// killTransport is the local transport whose first helper kills itself
// right after starting a job, before it can say so: golive must find the
// job on the host rather than run it again or call it lost.
type killTransport struct {
	localTransport
	mu     sync.Mutex
	starts int
}

func (k *killTransport) start(ctx context.Context, cmd string) (*stream, error) {
	k.mu.Lock()
	k.starts++
	first := k.starts == 1
	k.mu.Unlock()
	if first {
		// The job starts, its ack goes nowhere, the helper dies.
		const ack = `echo "$N ack $id $!"`
		if !strings.Contains(cmd, ack) {
			return nil, errors.New("test out of date: the helper no longer acks with " + ack)
		}
		cmd = strings.Replace(cmd, ack, `kill -KILL $$`, 1)
	}
	return k.localTransport.start(ctx, cmd)
}

func TestHelperKilledBeforeAck(t *testing.T) {
	dir := t.TempDir()
	kt := &killTransport{}
	r := newRunner(kt)
	r.root = shq(dir)
	defer r.Close()
	count := filepath.Join(dir, "runs")
	script := fmt.Sprintf("echo run >>%s; i=1; while [ $i -le 20 ]; do echo $i; sleep 0.02; i=$((i+1)); done; exit 3", shq(count))
	res, lines, err := runJob(t, r, Spec{Script: script})
	if err != nil || res.ExitCode != 3 || res.Unknown {
		t.Fatalf("%+v %v", res, err)
	}
	wantSeq(t, texts(lines, Stdout), "", 20)
	if b, _ := os.ReadFile(count); string(b) != "run\n" {
		t.Errorf("the job ran %d times", strings.Count(string(b), "run"))
	}
	if kt.starts != 1 {
		t.Errorf("%d helpers started before the job's end, want 1 (the job was found, not relaunched)", kt.starts)
	}
	// The next job goes through a new helper.
	if res, _, err := runJob(t, r, Spec{Script: "exit 9"}); err != nil || res.ExitCode != 9 {
		t.Fatalf("after the helper died: %+v %v", res, err)
	}
	if kt.starts != 2 {
		t.Errorf("%d helpers started, want 2", kt.starts)
	}
}

// TestLocalBigScript: scripts on both sides of maxHelperScript (the
// helper's limit; larger ones launch through a session) run whole, with
// their environment, and leave no script on disk.
func TestLocalBigScript(t *testing.T) {
	root := t.TempDir()
	e := NewLocal(LocalOptions{StateDir: root})
	defer e.Close()
	for _, size := range []int{maxHelperScript / 2, maxHelperScript * 2} {
		line := ": " + strings.Repeat("x", 60) + "\n"
		script := strings.Repeat(line, size/len(line)) + `echo "$V"; exit 3`
		res, lines, err := runJob(t, e, Spec{Script: script, Env: map[string]string{"V": plantedSecret}})
		if err != nil || res.ExitCode != 3 {
			t.Fatalf("%d bytes: %+v %v", len(script), res, err)
		}
		if got := texts(lines, Stdout); len(got) != 1 || got[0] != plantedSecret {
			t.Errorf("%d bytes: output %q", len(script), got)
		}
		if f := filesHolding(t, root, strings.Repeat("x", 60)); len(f) > 0 {
			t.Errorf("script left on disk: %q", f)
		}
	}
}

// TestHelperReadLine: answers are read line by line; an overlong line
// (a login script's chatter) is skipped, not the end of the reading.
func TestHelperReadLine(t *testing.T) {
	in := "a\n" + strings.Repeat("x", 10000) + "\nb\npartial"
	br := bufio.NewReaderSize(strings.NewReader(in), 4096)
	var got []string
	for {
		l, err := readLine(br)
		if err != nil {
			break
		}
		got = append(got, l)
	}
	if strings.Join(got, ",") != "a,b" {
		t.Errorf("lines %q, want a, b", got)
	}
}

// TestCloseOutlivesNoHelper: Close waits for a helper that is still
// starting, so that nothing of it (its mkdir of the jobs directory)
// happens after Close returned. A helper Prestart began was left running
// on its own: a caller that removed its state directory after Close (a
// test's TempDir cleanup) saw it come back.
func TestCloseOutlivesNoHelper(t *testing.T) {
	for i := 0; i < 20; i++ {
		dir := filepath.Join(t.TempDir(), "state")
		ex := NewLocal(LocalOptions{StateDir: filepath.Join(dir, "jobs")})
		Prestart(ex)
		time.Sleep(time.Duration(i%5) * time.Millisecond) // at different points of its start
		ex.Close()
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		if _, err := os.Stat(dir); err == nil {
			t.Fatalf("round %d: the helper made %s after Close returned", i, dir)
		}
	}
}
