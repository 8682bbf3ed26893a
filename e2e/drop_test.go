package e2e

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"golive/runbook"
)

// TestDroppedConnection drops every SSH connection while a plain-mode step
// runs on the server: golive must say so, reconnect by itself, and the
// step must finish with every line of its output once, without being run
// again.
func TestDroppedConnection(t *testing.T) {
	requireTools(t)
	srv := newServer(t)
	h := newHome(t)
	srv.sshConfig(t, h, "web1", true)
	rb := writeFile(t, h.dir, "drop.yaml", fmt.Sprintf(crashRunbook, fmt.Sprintf(crashStep, "a", crashLines)))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := h.cmd(ctx, "run", "--plain", "--yes", "--runbook", rb, "--host", "web1", "--operator", "Ada Lovelace", "--out", h.out)
	var out syncBuffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	// Drop the link once the step's output is flowing.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "  | a 300\n") {
		if time.Now().After(deadline) {
			t.Fatalf("the step's output never reached line 300:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	n := srv.sshd.KillSessions()
	t.Logf("dropped %d sshd session processes", n)
	err := c.Wait()
	text := out.String()
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "-- ") && strings.Contains(l, "connect") {
			t.Logf("%s", l)
		}
	}
	if err != nil {
		t.Fatalf("golive: %v\n%s", err, lastLines(text, 40))
	}
	if n == 0 {
		t.Fatalf("no session was dropped: the test proves nothing")
	}
	for _, want := range []string{"lost", "reconnected"} {
		if !strings.Contains(text, want) {
			t.Errorf("the output never says the connection was %s", want)
		}
	}

	files := h.transcripts(t)
	if len(files) != 1 {
		t.Fatalf("want one transcript, found %v", files)
	}
	tr := readTranscript(t, files[0])
	st := stepOf(t, tr, "count-a")
	if len(st.Attempts) != 1 || st.Verdict != runbook.VerdictPassed {
		t.Fatalf("count-a: verdict %q, %d attempts; want passed after one attempt", st.Verdict, len(st.Attempts))
	}
	var stdout, stderr []string
	conns := 0
	for _, e := range tr.Events {
		switch {
		case e.Type == runbook.EvConnection:
			conns++
		case e.Type == runbook.EvOutput && e.Step == "count-a":
			for _, l := range e.Lines {
				switch l.Stream {
				case runbook.StreamStdout:
					stdout = append(stdout, l.Text)
				case runbook.StreamStderr:
					stderr = append(stderr, l.Text)
				}
			}
		}
	}
	checkNumbered(t, "count-a stdout", stdout, "a", 1, crashLines)
	checkNumbered(t, "count-a stderr", stderr, "ea", 100, crashLines)
	if conns == 0 {
		t.Errorf("the transcript records no connection event")
	}
	h.verify(t, files[0], "Ada Lovelace")
}

// syncBuffer is a bytes.Buffer safe for the process's writes and the
// test's reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
