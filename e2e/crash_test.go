package e2e

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golive/runbook"
)

// crashRunbook's counting steps print numbered lines on stdout (and every
// 100th on stderr) for a second or so each, so that a SIGKILL lands in the
// middle of one.
const crashRunbook = `id: crashtest
title: Crash test
version: "1"
sections:
  - id: main
    title: Main
    steps:
%s      - id: last
        title: The last step
        command: echo all done
        expect:
          match: ['all done']
`

const crashStep = `      - id: count-%[1]s
        title: Count %[1]s
        command: |
          i=0
          while [ $i -lt %[2]d ]; do
            i=$((i+1))
            echo "%[1]s $i"
            if [ $((i %% 100)) -eq 0 ]; then echo "e%[1]s $i" >&2; fi
            if [ $((i %% 30)) -eq 0 ]; then sleep 0.01; fi
          done
        expect:
          exit: [0]
          match: ['^%[1]s %[2]d$']
`

const crashLines = 3000

var crashSteps = []string{"a", "b", "c"}

// TestCrashResume kills `golive run --plain --yes` with SIGKILL at random
// points, resumes it each time, and checks that the final transcript has
// every numbered line exactly once, every sign-off once, and a valid hash
// chain and signature.
func TestCrashResume(t *testing.T) {
	h := newHome(t)
	var steps strings.Builder
	for _, s := range crashSteps {
		fmt.Fprintf(&steps, crashStep, s, crashLines)
	}
	rb := writeFile(t, h.dir, "crash.yaml", fmt.Sprintf(crashRunbook, steps.String()))

	seed := time.Now().UnixNano()
	if s := os.Getenv("GOLIVE_CRASH_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	t.Logf("seed %d (rerun with GOLIVE_CRASH_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewSource(seed))

	common := []string{"--plain", "--yes", "--out", h.out, "--identity", h.key}
	args := append([]string{"run", "--runbook", rb, "--host", "local", "--operator", "crash tester"}, common...)
	rounds := 5
	if n, err := strconv.Atoi(os.Getenv("GOLIVE_CRASH_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	runID := ""
	var shown []string // steps a killed golive showed as signed off
	for round := 0; round < rounds; round++ {
		if round > 0 {
			if runID == "" {
				runID = unfinishedRun(t, h)
			}
			if !stillUnfinished(t, h, runID) {
				t.Logf("round %d: the run finished before it could be killed", round)
				break
			}
			args = append([]string{"resume", runID}, common...)
		}
		delay := time.Duration(150+rng.Intn(1100)) * time.Millisecond
		out, killed := killAfter(t, h, delay, args...)
		how := "killed after " + delay.String()
		if !killed {
			how = "not killed (it ended, or the last step had begun)"
		}
		t.Logf("round %d: golive %s %s; last lines:\n%s", round, args[0], how, lastLines(out, 4))
		noStepFailed(t, out)
		checkShownKept(t, shown, out)
		shown = append(shown, signedOffIn(out)...)
		t.Logf("round %d: steps shown signed off so far: %v", round, shown)
	}
	if runID == "" {
		runID = unfinishedRun(t, h)
	}
	for i := 0; stillUnfinished(t, h, runID); i++ {
		if i == 3 {
			t.Fatalf("run %s is still unfinished after 3 resumes", runID)
		}
		code, out := h.run(t, "", append([]string{"resume", runID}, common...)...)
		noStepFailed(t, out)
		if code != 0 {
			t.Fatalf("golive resume %s: exit %d\n%s", runID, code, out)
		}
		checkShownKept(t, shown, out)
	}

	files := h.transcripts(t)
	if len(files) != 1 {
		t.Fatalf("want one transcript in %s, found %v", h.out, files)
	}
	tr := readTranscript(t, files[0])
	checkCrashTranscript(t, tr)
	t.Logf("verify:\n%s", h.verify(t, files[0], "crash tester"))
}

// killAfter starts golive, SIGKILLs it after delay (if it is still
// running) and returns what it printed. Once the last step has begun it
// lets golive finish: a kill between journaling the run's end and
// writing the transcript leaves a finished run without a transcript (the
// operator then runs 'golive export RUNID'), and a kill while the files
// are written leaves them half written; neither is what this test is
// about.
func killAfter(t *testing.T, h *home, delay time.Duration, args ...string) (out string, killed bool) {
	t.Helper()
	outPath := filepath.Join(h.dir, fmt.Sprintf("out-%d.txt", time.Now().UnixNano()))
	f, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := h.cmd(context.Background(), args...)
	c.Stdout, c.Stderr = f, f
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = c.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(delay):
		if b, _ := os.ReadFile(outPath); strings.Contains(string(b), "] last: ") {
			<-done
			break
		}
		_ = c.Process.Kill() // SIGKILL
		<-done
		killed = true
	}
	b, _ := os.ReadFile(outPath)
	return string(b), killed
}

// noStepFailed fails the test at once when plain mode stopped at a failed
// step: every step here passes when run, so a failure means a kill made a
// step fail (say, a job reported ended without having run). Without this
// the test only failed later, on a second (partial) transcript.
func noStepFailed(t *testing.T, out string) {
	t.Helper()
	if strings.Contains(out, "stopped at a failure") {
		t.Fatalf("a step failed after a kill; last lines:\n%s", lastLines(out, 40))
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// signedOffIn returns the steps plain mode's output shows signed off.
func signedOffIn(out string) []string {
	var steps []string
	step := ""
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "== [") {
			if i := strings.Index(l, "] "); i > 0 {
				step, _, _ = strings.Cut(l[i+2:], ":")
			}
		}
		if strings.HasPrefix(l, "-- signed off passed (automatic)") {
			steps = append(steps, step)
		}
	}
	return steps
}

// checkShownKept checks that a resumed golive's output lists every step
// an earlier, killed one showed as signed off, as signed off already: a
// sign-off shown is a sign-off kept.
func checkShownKept(t *testing.T, shown []string, out string) {
	t.Helper()
	if !strings.Contains(out, "-- resuming run") {
		return // the first round: nothing to resume
	}
	for _, step := range shown {
		if !regexp.MustCompile(`(?m)^== \[\d+/\d+\] ` + regexp.QuoteMeta(step) + `: .*: signed off passed by `).MatchString(out) {
			t.Errorf("step %s was shown signed off before the kill, but the resume does not list it as signed off:\n%s", step, lastLines(out, 30))
		}
	}
}

// unfinishedRun returns the id of the one unfinished run.
func unfinishedRun(t *testing.T, h *home) string {
	t.Helper()
	runs, err := runbook.ListRuns(filepath.Join(h.state, "golive"))
	if err != nil || len(runs) != 1 {
		t.Fatalf("unfinished runs: %+v, %v; want exactly one", runs, err)
	}
	return runs[0].ID
}

func stillUnfinished(t *testing.T, h *home, id string) bool {
	t.Helper()
	runs, err := runbook.ListRuns(filepath.Join(h.state, "golive"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.ID == id {
			return true
		}
	}
	return false
}

// checkCrashTranscript checks that the run passed with one automatic
// sign-off per step, and that every completed attempt of a counting step
// has each numbered line exactly once, in order, on both streams.
func checkCrashTranscript(t *testing.T, tr *runbook.Transcript) {
	t.Helper()
	if tr.Verdict != runbook.RunPassed || tr.Ended == nil {
		t.Errorf("run verdict %q, ended %v; want a finished, passed run", tr.Verdict, tr.Ended)
	}
	signOffs := map[string]int{}
	type key struct {
		step    string
		attempt int
	}
	lines := map[key][]runbook.OutputLine{}
	for _, e := range tr.Events {
		switch e.Type {
		case runbook.EvSignedOff:
			signOffs[e.Step]++
		case runbook.EvOutput:
			k := key{e.Step, e.Attempt}
			lines[k] = append(lines[k], e.Lines...)
		}
	}
	for _, st := range tr.Steps {
		if signOffs[st.ID] != 1 || st.SignOff == nil || st.SignOff.Verdict != runbook.VerdictPassed || !st.SignOff.Auto {
			t.Errorf("step %s: %d sign-off events, current %+v; want exactly one automatic pass", st.ID, signOffs[st.ID], st.SignOff)
		}
	}
	for _, s := range crashSteps {
		st := stepOf(t, tr, "count-"+s)
		completed := 0
		for _, a := range st.Attempts {
			got := lines[key{st.ID, a.N}]
			if a.Exit == nil || a.Exit.Unknown {
				if len(got) > 0 {
					t.Errorf("step %s attempt %d has %d output lines but no exit status", st.ID, a.N, len(got))
				}
				continue
			}
			completed++
			var out, errs []string
			for _, l := range got {
				switch l.Stream {
				case runbook.StreamStdout:
					out = append(out, l.Text)
				case runbook.StreamStderr:
					errs = append(errs, l.Text)
				}
			}
			checkNumbered(t, fmt.Sprintf("step %s attempt %d stdout", st.ID, a.N), out, s, 1, crashLines)
			checkNumbered(t, fmt.Sprintf("step %s attempt %d stderr", st.ID, a.N), errs, "e"+s, 100, crashLines)
		}
		if completed != 1 {
			t.Errorf("step %s: %d completed attempts, want 1", st.ID, completed)
		}
	}
}

// checkNumbered checks that got is exactly "prefix n" for n = step,
// 2*step, ... last, in order.
func checkNumbered(t *testing.T, what string, got []string, prefix string, step, last int) {
	t.Helper()
	want := last / step
	if len(got) != want {
		t.Errorf("%s: %d lines, want %d", what, len(got), want)
	}
	for i, l := range got {
		if w := fmt.Sprintf("%s %d", prefix, (i+1)*step); l != w {
			t.Errorf("%s: line %d is %q, want %q (a line lost or repeated)", what, i+1, l, w)
			return
		}
	}
}

// TestInterruptLeavesJobRunning sends SIGINT to `golive run --plain --yes`
// while a step runs: golive must stop at once with exit 3, saying the job
// keeps running on the host, and a resume must collect the rest of the
// job's output without running it again.
func TestInterruptLeavesJobRunning(t *testing.T) {
	h := newHome(t)
	rb := writeFile(t, h.dir, "crash.yaml", fmt.Sprintf(crashRunbook, fmt.Sprintf(crashStep, "a", crashLines)))
	c := h.cmd(context.Background(), "run", "--runbook", rb, "--host", "local", "--operator", "ctrl-c tester",
		"--plain", "--yes", "--out", h.out)
	var out strings.Builder
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if err := c.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	_ = c.Wait()
	t.Logf("interrupted run:\n%s", lastLines(out.String(), 6))
	if code := c.ProcessState.ExitCode(); code != 3 {
		t.Fatalf("exit %d after SIGINT, want 3 (stopped, resumable)", code)
	}
	if !strings.Contains(out.String(), "keeps running on the host") {
		t.Errorf("golive did not say the step keeps running on the host")
	}
	id := unfinishedRun(t, h)
	code, res := h.run(t, "", "resume", id, "--plain", "--yes", "--out", h.out)
	if code != 0 {
		t.Fatalf("resume: exit %d\n%s", code, res)
	}
	if !strings.Contains(res, "reattaching to job") {
		t.Errorf("resume did not reattach to the running job:\n%s", res)
	}
	files := h.transcripts(t)
	if len(files) != 1 {
		t.Fatalf("want one transcript, found %v", files)
	}
	tr := readTranscript(t, files[0])
	st := stepOf(t, tr, "count-a")
	if len(st.Attempts) != 1 || len(st.Attempts[0].Resumed) != 1 || st.Attempts[0].OutputLines != crashLines+crashLines/100 {
		t.Errorf("count-a: attempts %+v; want one attempt, reattached once, with all %d lines", st.Attempts, crashLines+crashLines/100)
	}
}
