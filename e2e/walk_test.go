package e2e

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golive/runbook"
)

// progressRe reads the header's "N of M signed off".
var progressRe = regexp.MustCompile(`(\d+) of (\d+) signed off`)

// TestTUIWholeRunbook walks the whole built-in non-Docker runbook in tmux
// at 80x24, with only the keys the help bar shows: the flags answer the
// form, the host key is already in known_hosts, the first environment
// checks run for real against the test server, and every other step is
// skipped with a note (manual and high-risk ones included), up to the
// summary and the export. The transcript must settle all the steps and
// verify.
func TestTUIWholeRunbook(t *testing.T) {
	requireTools(t)
	requireDjango(t)
	srv := newServer(t)
	h := newHome(t)
	srv.sshConfig(t, h, "web1", true)
	args := append([]string{"run", "--runbook", "non-docker", "--host", "web1", "--operator", "Ada Lovelace", "--out", h.out},
		srv.nonDockerVars(t)...)
	tm := startTerm(t, h, 80, 24, args...)
	tm.waitFor(wait, "host web1", "server-identity")

	ran := []string{"server-identity", "venv-active", "env-file", "env-required"}
	for _, step := range ran {
		s := tm.waitFor(wait, "enter run")
		if strings.Contains(s, "Unknown host key") {
			t.Fatalf("golive asked about a host key that known_hosts has:\n%s", frame(s))
		}
		tm.keys("Enter")
		tm.waitFor(wait, step+": exit 0", "expectations met")
		tm.keys("p")
		tm.waitFor(wait, "Sign off "+step)
		tm.keys("Enter")
		tm.waitFor(wait, step+" signed off")
	}

	// Skip the rest, one step at a time, until the summary shows.
	skipped := 0
	deadline := time.Now().Add(90 * time.Second)
	for {
		s := tm.capture()
		if strings.Contains(s, "Release summary") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no summary after skipping %d steps; last screen:\n%s", skipped, frame(s))
		}
		before := progress(t, s)
		tm.keys("s")
		tm.waitFor(wait, "Sign off ")
		tm.typeText("not part of this test release")
		tm.keys("Enter")
		for {
			s = tm.waitFor(wait, "signed off")
			if progress(t, s) > before || strings.Contains(s, "Release summary") {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		skipped++
	}
	tm.waitFor(wait, "PASSED")
	tm.keys("e")
	tm.waitFor(wait, "exported:")
	tm.keys("q")
	tm.waitFor(wait, "[golive exited 0]")

	files := h.transcripts(t)
	if len(files) != 1 {
		t.Fatalf("want one transcript in %s, found %v", h.out, files)
	}
	tr := readTranscript(t, files[0])
	if tr.Verdict != runbook.RunPassed || tr.SignedOff != tr.Total || tr.Total < 80 {
		t.Errorf("verdict %q, %d of %d settled; want the whole runbook settled", tr.Verdict, tr.SignedOff, tr.Total)
	}
	for _, step := range ran {
		if st := stepOf(t, tr, step); st.Verdict != runbook.VerdictPassed || len(st.Attempts) != 1 || st.SignOff.Evidence == nil {
			t.Errorf("step %s: verdict %q, %d attempts; want passed on the evidence of one run", step, st.Verdict, len(st.Attempts))
		}
	}
	n := 0
	for _, st := range tr.Steps {
		if st.Verdict == runbook.VerdictSkipped && st.SignOff.Note == "not part of this test release" && st.SignOff.Operator == "Ada Lovelace" {
			n++
		}
	}
	if n != skipped {
		t.Errorf("%d steps skipped with the note in the transcript, %d skipped on the screen", n, skipped)
	}
	t.Logf("ran %d steps, skipped %d with a note; verify:\n%s", len(ran), skipped, h.verify(t, files[0], "Ada Lovelace"))
	noSecretsOnScreen(t, tm.screens)
	noSecretsIn(t, h.dir)
}

// progress returns how many steps the header says are signed off.
func progress(t *testing.T, screen string) int {
	t.Helper()
	m := progressRe.FindStringSubmatch(screen)
	if m == nil {
		t.Fatalf("the header shows no progress:\n%s", frame(screen))
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
