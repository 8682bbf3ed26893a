package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golive/runbook"
)

// neverRanRunbook's slow step sleeps until $HOME/fast exists, so that
// golive can be killed while it is journaled as started, and then runs at
// once when started again.
const neverRanRunbook = `id: neverran
title: Never ran
version: "1"
sections:
  - id: main
    title: Main
    steps:
      - id: first
        title: First step
        command: echo first ok
        expect:
          match: ['first ok']
      - id: slow
        title: A slow step
        command: |
          [ -e "$HOME/fast" ] || sleep 60
          echo slow done
        expect:
          match: ['slow done']
      - id: last
        title: The last step
        command: echo all done
        expect:
          match: ['all done']
`

// crashBeforeJob leaves a run whose slow step is journaled as started but
// whose job the host never had: golive is killed with SIGKILL while the
// step runs, then the job is killed and its directory removed, which is
// what the host looks like when golive died between journaling
// step.started and launching the job. It returns the run id.
func crashBeforeJob(t *testing.T, h *home) string {
	t.Helper()
	rb := writeFile(t, h.dir, "neverran.yaml", neverRanRunbook)
	c := h.cmd(t.Context(), "run", "--runbook", rb, "--host", "local", "--operator", "crash tester", "--plain", "--yes", "--out", h.out)
	var out syncBuffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	job := regexp.MustCompile(`attempt 1 started \(job (\S+-slow-1)\)`)
	var m []string
	for deadline := time.Now().Add(wait); m == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			_ = c.Process.Kill()
			t.Fatalf("the slow step did not start:\n%s", out.String())
		}
		m = job.FindStringSubmatch(out.String())
	}
	_ = c.Process.Kill() // SIGKILL
	_ = c.Wait()
	dir := filepath.Join(h.state, "golive", "jobs", m[1])
	var pgid []byte
	for deadline := time.Now().Add(wait); len(pgid) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("job %s recorded no process group in %s", m[1], dir)
		}
		pgid, _ = os.ReadFile(filepath.Join(dir, "pgid"))
	}
	if pg, err := strconv.Atoi(strings.TrimSpace(string(pgid))); err == nil && pg > 1 {
		_ = syscall.Kill(-pg, syscall.SIGKILL)
	}
	// The job's wrapper is no part of its process group: it outlives the
	// kill to write the exit record. Wait for it to be gone, so that
	// nothing writes into the directory while it is removed.
	waitWrapperGone(t, dir)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.dir, "fast"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	id := unfinishedRun(t, h)
	dropLaunched(t, runbook.RunDir(filepath.Join(h.state, "golive"), id))
	return id
}

// dropLaunched removes the slow step's step.launched record from the end
// of the run's journal, when golive recorded it before it was killed (the
// host confirmed the job started: it did; on a loaded machine golive may
// die first, and there is nothing to drop). What is left is a prefix of
// the journal, its hash chain intact: the journal of a golive that died
// before the host confirmed the launch, which the job's removal stands for.
func dropLaunched(t *testing.T, runDir string) {
	t.Helper()
	path := filepath.Join(runDir, runbook.JournalName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for at := 0; at < len(b); {
		line, _, _ := bytes.Cut(b[at:], []byte("\n"))
		var rec struct{ Type, Step string }
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("journal record at byte %d: %v", at, err)
		}
		next := at + len(line) + 1
		if rec.Type == string(runbook.EvStepLaunched) && rec.Step == "slow" {
			if next < len(b) {
				t.Fatalf("slow's step.launched is not the journal's last record:\n%s", b)
			}
			if err := os.Truncate(path, int64(at)); err != nil {
				t.Fatal(err)
			}
			return
		}
		at = next
	}
}

// waitWrapperGone waits until the wrapper of the job in dir (its pid is in
// dir/wpid) has ended: its process is gone or a zombie. It fails the test
// when the wrapper lives on past the deadline.
func waitWrapperGone(t *testing.T, dir string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "wpid"))
	if err != nil {
		t.Fatalf("the job's wrapper recorded no pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		t.Fatalf("the job's wrapper pid %q in %s is no pid", b, dir)
	}
	for deadline := time.Now().Add(wait); processLives(pid); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the wrapper (pid %d) of the killed job in %s did not end", pid, dir)
		}
	}
}

// processLives reports whether pid is a process that can still run (not a
// zombie): what the job scripts' palive tells, from /proc.
func processLives(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 || i+2 >= len(stat) {
		return false
	}
	state := stat[i+2]
	return state != 'Z' && state != 'X'
}

// TestResumeJobNeverStartedTUI: after such a crash, `golive resume` in the
// TUI shows the step as not run (never "unknown"), says why and that
// enter runs it; enter runs it as a new attempt that passes.
func TestResumeJobNeverStartedTUI(t *testing.T) {
	requireTools(t)
	h := newHome(t)
	id := crashBeforeJob(t, h)
	tm := startTerm(t, h, 100, 30, "resume", id)
	s := tm.waitFor(wait, "not run", "never started on the host", "enter run")
	if strings.Contains(s, "unknown") {
		t.Errorf("a step whose job never started is shown as unknown:\n%s", frame(s))
	}
	tm.keys("Enter")
	tm.waitFor(wait, "slow: exit 0", "expectations met")
	tm.keys("p")
	tm.waitFor(wait, "Sign off slow")
	tm.keys("Enter")
	s = tm.waitFor(wait, "slow signed off")
	saveScreen(t, "neverran-tui.txt", s)
	attempts := slowAttempts(t, filepath.Join(runbook.RunDir(filepath.Join(h.state, "golive"), id), runbook.JournalName))
	if len(attempts) != 2 || attempts[0] != "unknown" || attempts[1] != "0" {
		t.Fatalf("slow's attempts in the journal: %v; want [unknown 0] (the lost one, then a run)", attempts)
	}
}

// TestResumeJobNeverStartedPlain: plain --yes resumes the same crash by
// running the step again, and the run finishes and passes: the outcome
// the TUI gives.
func TestResumeJobNeverStartedPlain(t *testing.T) {
	h := newHome(t)
	id := crashBeforeJob(t, h)
	code, out := h.run(t, "", "resume", id, "--plain", "--yes", "--out", h.out)
	if code != 0 {
		t.Fatalf("resume: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "attempt 1 never started on the host") || !strings.Contains(out, "running it again") {
		t.Errorf("plain resume does not say the job never started:\n%s", out)
	}
	files := h.transcripts(t)
	if len(files) != 1 {
		t.Fatalf("want one transcript, found %v", files)
	}
	st := stepOf(t, readTranscript(t, files[0]), "slow")
	if len(st.Attempts) != 2 || st.Attempts[1].Exit == nil || st.Attempts[1].Exit.Code != 0 || st.SignOff == nil || st.SignOff.Verdict != runbook.VerdictPassed {
		t.Fatalf("slow: %+v; want the lost attempt, then one that passed and was signed off", st)
	}
}

// slowAttempts reads the exit of each attempt of the slow step from a
// journal (which the TUI may still hold open): the code, or "unknown".
func slowAttempts(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var e runbook.Event
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.Type != runbook.EvStepExited || e.Step != "slow" || e.Exit == nil {
			continue
		}
		if e.Exit.Unknown {
			out = append(out, "unknown")
		} else {
			out = append(out, strconv.Itoa(e.Exit.Code))
		}
	}
	return out
}
