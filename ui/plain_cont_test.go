package ui

import (
	"strings"
	"testing"

	"golive/runbook"
)

// contRunbook's step prints as Django's migrate does: a line's beginning,
// a pause longer than the quiet second after which sshexec delivers it,
// then its rest.
const contRunbook = `
version: "1"
id: migrations
title: Migrations
sections:
  - id: main
    title: Main
    steps:
      - id: migrate
        title: Apply the migrations
        command: |
          echo "Operations to perform:"
          printf '  Applying app.0001_initial...'
          sleep 1.4
          printf ' OK\n'
          echo "  Applying app.0002_more... OK"
`

// Plain output stays line by line (a log of it reads whole lines): the
// rest of a line delivered in part is a line of its own, marked as a rest;
// the transcripts have it as one line.
func TestPlainPrintsTheRestOfALineMarked(t *testing.T) {
	e := newPlainEnv(t, nil)
	e.useRunbook(t, contRunbook)
	code, out := e.run(t, "", true)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	want := "  |   Applying app.0001_initial...\n  | " + contMark + " OK\n  |   Applying app.0002_more... OK\n"
	if !strings.Contains(out, want) {
		t.Fatalf("output lacks %q", want)
	}
	tr := e.transcript(t)
	var lines []runbook.OutputLine
	for _, ev := range tr.Events {
		if ev.Type == runbook.EvOutput && ev.Step == "migrate" {
			lines = append(lines, ev.Lines...)
		}
	}
	if len(lines) != 4 || lines[2].Text != " OK" || !lines[2].Cont || lines[1].Cont || lines[3].Cont {
		t.Fatalf("transcript lines %+v", lines)
	}
}

// TestPlainYesManualStopResumesWithoutYes: --yes stops at a manual step,
// and the closing hint says to resume without --yes, as the line before
// it does; resuming with --yes would stop at the same step again.
func TestPlainYesManualStopResumesWithoutYes(t *testing.T) {
	e := newPlainEnv(t, nil)
	code, out := e.run(t, "", true)
	if code != ExitIncomplete {
		t.Fatalf("exit %d, want %d (stopped at the manual step, resumable)", code, ExitIncomplete)
	}
	runs, err := runbook.ListRuns(e.opts.StateDir)
	if err != nil || len(runs) != 1 {
		t.Fatalf("unfinished runs: %v, %v; want the one run", runs, err)
	}
	hint := "Continue with: golive resume " + runs[0].ID + " --plain"
	if !strings.Contains(out, "step looked is manual") || !strings.Contains(out, hint+"\n") {
		t.Errorf("output lacks the manual stop or the line %q", hint)
	}
	if strings.Contains(out, hint+" --yes") {
		t.Errorf("the hint resumes with --yes, which stops at the manual step again")
	}
}
