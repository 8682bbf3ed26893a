package ui

import (
	"os"
	"strings"
	"testing"

	"golive/runbook"
)

// TestResumeRunbookFileGone: a run walked with a runbook file that has
// since been removed says which file it needs and what to do, not only
// "open …: no such file or directory".
func TestResumeRunbookFileGone(t *testing.T) {
	e := newPlainEnv(t, nil)
	if code, _ := e.run(t, "", false); code != ExitIncomplete {
		t.Fatalf("exit %d, want the run left unfinished (%d)", code, ExitIncomplete)
	}
	runs, err := runbook.ListRuns(e.opts.StateDir)
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs %v, %v", runs, err)
	}
	if err := os.Remove(e.opts.Runbook); err != nil {
		t.Fatal(err)
	}
	_, _, err = OpenRun(e.opts, runs[0].Path)
	want := "run " + runs[0].ID + " was walked with the runbook file " + e.opts.Runbook + ", which is gone"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "put it back as it was") {
		t.Fatalf("OpenRun = %v, want it to say %q and what to do", err, want)
	}
}
