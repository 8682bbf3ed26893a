package sshexec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// cutTwiceTransport is the local transport whose link drops twice: first
// right after the launcher ran but before anything it said arrived (the
// host never acknowledged the start), then while the follower that found
// the job after the reconnect streams its output. The jobs, their files
// and the shell scripts are real; only the link's drops are simulated.
type cutTwiceTransport struct {
	localTransport
	mu         sync.Mutex
	launchCut  bool
	followCut  bool
	reconnects int
}

func (c *cutTwiceTransport) exec(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	c.mu.Lock()
	cutLaunch := !c.launchCut && strings.HasPrefix(cmd, "umask 077")
	c.launchCut = c.launchCut || cutLaunch
	cutFollow := !cutLaunch && c.launchCut && !c.followCut && strings.HasPrefix(cmd, "R=") && strings.Contains(cmd, "golive:nojob")
	c.followCut = c.followCut || cutFollow
	c.mu.Unlock()
	switch {
	case cutLaunch:
		// The launcher runs on the host; its answer is lost.
		cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		_, _ = c.localTransport.exec(cctx, cmd, stdin, io.Discard, io.Discard)
	case cutFollow:
		// The follower (not the pruning of old jobs, whose command also
		// begins "R=") finds the job and streams for a while, then the
		// link goes again.
		cctx, cancel := context.WithTimeout(ctx, 600*time.Millisecond)
		defer cancel()
		_, _ = c.localTransport.exec(cctx, cmd, stdin, stdout, stderr)
	default:
		return c.localTransport.exec(ctx, cmd, stdin, stdout, stderr)
	}
	return -1, fmt.Errorf("fake link: %w", errConnLost)
}

// start: launches go through a session per job (launchCmd), where the
// first drop is injected.
func (c *cutTwiceTransport) start(context.Context, string) (*stream, error) { return nil, errNoStream }

func (c *cutTwiceTransport) reconnect(_ context.Context, notify notifyFunc) error {
	c.mu.Lock()
	c.reconnects++
	c.mu.Unlock()
	notify(NoticeReconnected, "fake reconnect")
	return nil
}

// TestDropAgainAfterJobFound: a launch whose acknowledgement was lost is
// "may or may not have started"; once the follower has found the job on
// the host after the reconnect, a second drop must say that the job keeps
// running there, not again that nobody knows whether it started (the UI's
// banner follows that notice: "before the server confirmed the step
// started" under a step that has been printing for minutes). The job runs
// once and all its output arrives.
func TestDropAgainAfterJobFound(t *testing.T) {
	dir := t.TempDir()
	tr := &cutTwiceTransport{}
	r := newRunner(tr)
	r.root = shq(dir)
	defer r.Close()
	count := filepath.Join(dir, "runs")
	script := fmt.Sprintf("echo run >>%s; i=1; while [ $i -le 30 ]; do echo $i; sleep 0.05; i=$((i+1)); done", shq(count))
	id := jobID(t)
	res, lines, err := runJob(t, r, Spec{JobID: id, Script: script})
	if err != nil || res.ExitCode != 0 || res.Unknown {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	wantSeq(t, texts(lines, Stdout), "", 30)
	if b, _ := os.ReadFile(count); string(b) != "run\n" {
		t.Errorf("the job ran %d times, want once", strings.Count(string(b), "run"))
	}
	if tr.reconnects != 2 {
		t.Fatalf("%d reconnects, want 2 (the test's drops did not happen as planned)", tr.reconnects)
	}
	var lost []string
	for _, l := range lines {
		if l.Kind == NoticeLost || l.Kind == NoticeLostUnconfirmed {
			lost = append(lost, l.Kind.String()+": "+l.Text)
		}
	}
	t.Logf("lost notices:\n%s", strings.Join(lost, "\n"))
	if len(lost) != 2 {
		t.Fatalf("%d notices of a lost link, want 2:\n%s", len(lost), strings.Join(lost, "\n"))
	}
	wantNotices(t, lines, NoticeLostUnconfirmed, NoticeReconnected, NoticeChecking, NoticeLost, NoticeReconnected, NoticeReattached)
	if !strings.Contains(lost[0], "may or may not have started") {
		t.Errorf("first drop (launch not acknowledged): %q, want it to say the job may or may not have started", lost[0])
	}
	if want := "job " + id + " keeps running on the host"; !strings.Contains(lost[1], want) || strings.Contains(lost[1], "may or may not") {
		t.Errorf("second drop (the job was found and followed): %q, want %q", lost[1], want)
	}
}

// cutAtOnceTransport is the local transport whose link is gone for every
// command: each exec fails at once, before the host said anything.
type cutAtOnceTransport struct{ localTransport }

func (cutAtOnceTransport) exec(context.Context, string, io.Reader, io.Writer, io.Writer) (int, error) {
	return -1, fmt.Errorf("fake link: %w", errConnLost)
}

// TestRaceFollowerKeepsTheHelpersAck: a job the helper acknowledged is
// started even when the follower raced against it loses the link before
// it printed its nonce (it never found the job itself): the attempt says
// started, so that follow says the job keeps running on the host and
// follows it, not that it may never have started.
func TestRaceFollowerKeepsTheHelpersAck(t *testing.T) {
	r := newRunner(cutAtOnceTransport{})
	r.root = shq(t.TempDir())
	defer r.Close()
	ctx := context.Background()
	f, err := r.register(ctx, jobID(t), newToken(), Offsets{}, make(chan []Line, 16))
	if err != nil {
		t.Fatal(err)
	}
	defer r.unregister(f)
	a, err := r.raceFollower(ctx, f, &helper{dead: make(chan struct{})}, nil)
	if !errors.Is(err, errConnLost) {
		t.Fatalf("raceFollower over a cut link: %v, want errConnLost", err)
	}
	if !a.started {
		t.Errorf("the attempt of a job the helper acknowledged is not started: %+v", a)
	}
}
