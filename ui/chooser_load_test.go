package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// TestOpenRunbookArgs: every way an operator names a runbook (typed in the
// chooser, or --runbook) loads it or says what is wrong with the file by
// its path; a file name typed in the chooser that does not exist once
// panicked (runbook.Load on a nil fs.FS).
func TestOpenRunbookArgs(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("..", "runbook", "testdata", "good", "release.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	builtin := fstest.MapFS{"builtin.yaml": {Data: good}}
	dir := t.TempDir()
	t.Chdir(dir)
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, f := range []string{"mine.yaml", "plain", filepath.Join(home, "inhome.yaml")} {
		if err := os.WriteFile(f, good, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir("folder.yaml", 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		fsys bool   // the built-ins, or nil (a path typed in the chooser)
		name string // as the operator gave it
		want string // the loaded runbook's file, or what the error says
		ok   bool
	}{
		{false, "nope.yaml", "no runbook file " + filepath.Join(dir, "nope.yaml") + ": file does not exist; check the path", false},
		{false, "nope", "no runbook file " + filepath.Join(dir, "nope") + ":", false},
		{false, "mine.yaml", filepath.Join(dir, "mine.yaml"), true},
		{false, "~/inhome.yaml", filepath.Join(home, "inhome.yaml"), true},
		{true, "./nope.yaml", "no runbook file " + filepath.Join(dir, "nope.yaml") + ":", false},
		{true, "sub/nope.yaml", "no runbook file " + filepath.Join(dir, "sub", "nope.yaml") + ":", false},
		{true, "nope.yaml", "no runbook file " + filepath.Join(dir, "nope.yaml") + ":", false},
		{true, "folder.yaml", "runbook " + filepath.Join(dir, "folder.yaml") + " is a directory; give the path of a runbook file", false},
		{true, dir + "/folder.yaml", "is a directory", false},
		{true, "nope", `no built-in runbook "nope" (there are: builtin)`, false},
		{true, "builtin", "builtin.yaml", true},
		{true, "builtin.yaml", "builtin.yaml", true},
		{true, "mine.yaml", filepath.Join(dir, "mine.yaml"), true},
		{true, "plain", filepath.Join(dir, "plain"), true},
		{true, "~/inhome.yaml", filepath.Join(home, "inhome.yaml"), true},
	} {
		var msg runbookLoadedMsg
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("fsys %v, %q: panic: %v", tc.fsys, tc.name, r)
				}
			}()
			if tc.fsys {
				msg = loadRunbook(builtin, tc.name, "")().(runbookLoadedMsg)
			} else {
				msg = loadRunbook(nil, tc.name, "")().(runbookLoadedMsg)
			}
		}()
		switch {
		case tc.ok && (msg.err != nil || msg.rb == nil || msg.rb.File != tc.want):
			t.Errorf("fsys %v, %q: want file %s, got %v (err %v)", tc.fsys, tc.name, tc.want, msg.rb, msg.err)
		case !tc.ok && (msg.err == nil || !strings.Contains(msg.err.Error(), tc.want)):
			t.Errorf("fsys %v, %q: want an error saying %q, got %v", tc.fsys, tc.name, tc.want, msg.err)
		}
	}
}
