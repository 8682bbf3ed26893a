package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// A run id is a directory name under the state dir: one that would lead
// out of it is refused before any file is opened.
func TestExportRefusesPathsAsRunIDs(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	for _, id := range []string{"../../etc", "/etc/passwd", "runs/../x", "..", "."} {
		var out, errb bytes.Buffer
		code := dispatch([]string{"export", id}, &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), "is not a run id") {
			t.Errorf("export %q: exit %d, stderr %q; want 2 and 'is not a run id'", id, code, errb.String())
		}
	}
	// A well-formed id that does not exist is a different message.
	var out, errb bytes.Buffer
	if code := dispatch([]string{"export", "20260101T000000Z-abcdef"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "no run") {
		t.Errorf("export of a missing run: exit %d, stderr %q", code, errb.String())
	}
}

// TestExportMissingRunSaysWhereRunsAre: an id with no run says how to find
// one: the whole id, where every run's directory is, and 'golive resume'
// for the unfinished ones; it said only "no run X in DIR".
func TestExportMissingRunSaysWhereRunsAre(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	var out, errb bytes.Buffer
	code := dispatch([]string{"export", "20260101T000000Z"}, &out, &errb)
	msg := errb.String()
	if code != 2 || !strings.Contains(msg, "give the whole run id") || !strings.Contains(msg, "golive resume") ||
		!strings.Contains(msg, filepath.Join(state, "golive", "runs")) {
		t.Errorf("export of a missing run: exit %d, stderr %q", code, msg)
	}
}
