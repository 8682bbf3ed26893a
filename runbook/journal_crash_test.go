package runbook

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary double as a journal writer that the crash
// test kills.
func TestMain(m *testing.M) {
	if path := os.Getenv("GOLIVE_JOURNAL_CHILD"); path != "" {
		journalChild(path)
		return
	}
	os.Exit(m.Run())
}

// journalChild appends batches of output events to the journal at path
// (creating it in its directory's parent state dir when missing) and prints
// each acknowledged seq, until it is killed.
func journalChild(path string) {
	j, _, err := OpenJournal(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	w := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		n := 1 + rand.IntN(400)
		lines := make([]OutputLine, n)
		for k := range lines {
			lines[k] = OutputLine{Stream: StreamStdout, Text: strings.Repeat("x", rand.IntN(200)) + strconv.Itoa(k)}
		}
		appendFn := j.Append
		if i%2 == 0 {
			appendFn = j.AppendLazy // written, fsynced later: must survive SIGKILL too
		}
		evs, err := appendFn(Event{Type: EvOutput, Step: "migrate", Attempt: 1, Lines: lines}, Event{Type: EvNote, Note: "batch"})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
		fmt.Fprintln(w, evs[1].Seq)
		w.Flush()
	}
}

// A golive killed with SIGKILL at random points loses no acknowledged event:
// the journal reopens with a valid chain holding at least every event an
// Append returned, and appends continue it.
func TestJournalSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes")
	}
	j, err := CreateJournal(t.TempDir(), "crash")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Append(Event{Type: EvRunStarted, Run: &RunInfo{ID: "crash"}}); err != nil {
		t.Fatal(err)
	}
	path := j.Path()
	j.Close()
	for round := 0; round < 6; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "GOLIVE_JOURNAL_CHILD="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked := int64(0)
		done, first := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if n, err := strconv.ParseInt(sc.Text(), 10, 64); err == nil {
					if acked == 0 {
						close(first)
					}
					acked = n
				}
			}
		}()
		select { // kill at a random point once it is writing
		case <-first:
		case <-done:
		case <-time.After(30 * time.Second):
		}
		time.Sleep(time.Duration(rand.IntN(150)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
		cmd.Wait()
		if strings.TrimSpace(stderr.String()) != "" {
			t.Fatalf("round %d: child failed: %s", round, stderr.String())
		}
		j, evs, err := OpenJournal(path)
		if err != nil {
			t.Fatalf("round %d: reopening after SIGKILL: %v", round, err)
		}
		if err := VerifyChain(evs); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if int64(len(evs)) < acked {
			t.Fatalf("round %d: %d events on disk, but %d were acknowledged", round, len(evs), acked)
		}
		j.Close()
		t.Logf("round %d: killed after %d acknowledged events; %d on disk", round, acked, len(evs))
	}
}
