package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golive/runbook"
)

// liveRunbook streams numbered lines for a few seconds, so that exports
// run while the journal is being appended.
const liveRunbook = `id: live
title: Live export
version: "1"
sections:
  - id: main
    title: Main
    steps:
      - id: stream
        title: Stream output
        command: |
          i=0
          while [ $i -lt %[1]d ]; do
            i=$((i+1))
            echo "line $i of a long stream of output, long enough to fill the records"
            if [ $((i %% 100)) -eq 0 ]; then sleep 0.05; fi
          done
        expect:
          match: ['^line %[1]d of']
`

// TestExportWhileRunInProgress runs `golive export RUNID` again and again
// while `golive run` of the same run streams output into its journal:
// every export succeeds (a record being written is not corruption), says
// the run is still in progress, and writes a consistent transcript; an
// export after the run ended says it is finished and holds every line.
func TestExportWhileRunInProgress(t *testing.T) {
	h := newHome(t)
	const lines = 4000
	rb := writeFile(t, h.dir, "live.yaml", fmt.Sprintf(liveRunbook, lines))
	c := h.cmd(t.Context(), "run", "--runbook", rb, "--host", "local", "--operator", "live tester", "--plain", "--yes", "--out", h.out)
	var out syncBuffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = c.Wait(); close(done) }()
	idRe := regexp.MustCompile(`-- run (\S+): `)
	var id string
	for deadline := time.Now().Add(wait); id == ""; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no run id:\n%s", out.String())
		}
		if m := idRe.FindStringSubmatch(out.String()); m != nil {
			id = m[1]
		}
	}
	live, prev, lastLive := 0, 0, ""
	for running := true; running; {
		select {
		case <-done:
			running = false
			continue
		default:
		}
		dir := filepath.Join(h.dir, fmt.Sprintf("export-%d", live))
		code, res := h.run(t, "", "export", id, "--out", dir)
		if code != 0 {
			t.Fatalf("golive export while the run is in progress: exit %d\n%s", code, res)
		}
		if !strings.Contains(res, "still in progress") {
			continue // the run ended meanwhile
		}
		live++
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		if len(files) != 1 {
			t.Fatalf("export wrote %v", files)
		}
		tr := readTranscript(t, files[0])
		if err := tr.CheckConsistency(); err != nil {
			t.Fatalf("export %d while the run is in progress: %v", live, err)
		}
		lastLive = files[0]
		n := len(tr.Events)
		if n < prev {
			t.Fatalf("export %d has %d events, fewer than the %d before", live, n, prev)
		}
		prev = n
	}
	if c.ProcessState.ExitCode() != 0 {
		t.Fatalf("golive run: exit %d\n%s", c.ProcessState.ExitCode(), out.String())
	}
	if live < 2 {
		t.Fatalf("only %d exports ran while the run was in progress; the run ended too soon to test", live)
	}
	code, res := h.run(t, "", "export", id, "--out", filepath.Join(h.dir, "final"))
	if code != 0 || !strings.Contains(res, "(finished, passed)") || strings.Contains(res, "in progress") {
		t.Fatalf("export after the run: exit %d\n%s", code, res)
	}
	files, _ := filepath.Glob(filepath.Join(h.dir, "final", "*.json"))
	if len(files) != 1 {
		t.Fatalf("final export wrote %v", files)
	}
	tr := readTranscript(t, files[0])
	if st := stepOf(t, tr, "stream"); len(st.Attempts) != 1 || st.Attempts[0].OutputLines != lines {
		t.Fatalf("stream: %+v; want one attempt with %d lines", st.Attempts, lines)
	}
	if len(tr.Events) <= prev || tr.Verdict != runbook.RunPassed {
		t.Fatalf("final export: %d events (live ones had up to %d), verdict %s", len(tr.Events), prev, tr.Verdict)
	}
	// An export taken mid-run is signed and verifies on its own.
	t.Logf("verify of the last export taken while the run was in progress:\n%s", h.verify(t, lastLive, "live tester"))
	t.Logf("%d exports while the run was in progress, the last with %d events; final %d events", live, prev, len(tr.Events))
}
