package runbook

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStateDir(t *testing.T) {
	xdg := t.TempDir()
	t.Setenv("XDG_STATE_HOME", xdg)
	dir, err := StateDir()
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(xdg, "golive") {
		t.Fatalf("StateDir = %s", dir)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("state dir mode %v, %v", fi.Mode().Perm(), err)
	}
	// An existing directory open to others is tightened.
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := StateDir(); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Fatalf("loose state dir left at %v", fi.Mode().Perm())
	}

	// A relative XDG_STATE_HOME is ignored, as the XDG spec says.
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_STATE_HOME", "relative/path")
	dir, err = StateDir()
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(home, ".local", "state", "golive") {
		t.Fatalf("StateDir with relative XDG_STATE_HOME = %s", dir)
	}

	// A file in the way is an error that names it.
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	os.WriteFile(filepath.Join(os.Getenv("XDG_STATE_HOME"), "golive"), nil, 0o600)
	if _, err := StateDir(); err == nil || !strings.Contains(err.Error(), "golive") {
		t.Fatalf("file in the way: %v", err)
	}

	// A directory that cannot be made says what golive keeps there and
	// what to do.
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	t.Setenv("XDG_STATE_HOME", filepath.Join(file, "state"))
	if _, err := StateDir(); err == nil || !strings.Contains(err.Error(), filepath.Join(file, "state", "golive")) ||
		!strings.HasSuffix(err.Error(), "; golive keeps its run journals there: make it a directory you can write, or set XDG_STATE_HOME to one") {
		t.Fatalf("cannot be made: %v", err)
	}
}

func TestListRuns(t *testing.T) {
	state := t.TempDir()
	t0 := time.Date(2025, 11, 21, 5, 0, 0, 0, time.UTC)
	mk := func(id, host string, at time.Time, finished bool, steps ...string) {
		t.Helper()
		j, err := CreateJournal(state, id)
		if err != nil {
			t.Fatal(err)
		}
		defer j.Close()
		evs := []Event{{Type: EvRunStarted, Time: at, Run: &RunInfo{ID: id, RunbookID: "docker", Title: "Docker release", Host: host, Operator: "ana"}}}
		for i, s := range steps {
			evs = append(evs, Event{Type: EvStepStarted, Step: s, Time: at.Add(time.Duration(i+1) * time.Minute)})
		}
		evs = append(evs, Event{Type: EvNote, Note: "no step", Time: at.Add(time.Hour)})
		if finished {
			evs = append(evs, Event{Type: EvRunFinished, Time: at.Add(2 * time.Hour)})
		}
		if _, err := j.Append(evs...); err != nil {
			t.Fatal(err)
		}
	}
	mk("old", "web1", t0, false, "preflight", "backup")
	mk("done", "web2", t0.Add(time.Hour), true, "preflight")
	mk("new", "web3", t0.Add(3*time.Hour), false)
	// A crash right after creating a journal leaves it empty: not listed.
	if j, err := CreateJournal(state, "empty"); err != nil {
		t.Fatal(err)
	} else {
		j.Close()
	}
	// A damaged journal is listed with its problem, not hidden.
	os.MkdirAll(filepath.Join(state, "runs", "broken"), 0o700)
	os.WriteFile(filepath.Join(state, "runs", "broken", JournalName), []byte("garbage\n"), 0o600)

	runs, err := ListRuns(state)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, fmt.Sprintf("%s host=%s step=%s last=%s problem=%t", r.ID, r.Host, r.LastStep,
			r.LastTime.Format("15:04"), r.Problem != ""))
	}
	// "broken" has its file's mtime (now), so it is the newest.
	want := []string{
		"broken host= step= last=" + runs[0].LastTime.Format("15:04") + " problem=true",
		"new host=web3 step= last=09:00 problem=false",
		"old host=web1 step=backup last=06:00 problem=false",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("ListRuns:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if runs[2].Operator != "ana" || runs[2].RunbookID != "docker" || !strings.HasSuffix(runs[2].Path, "old/"+JournalName) {
		t.Fatalf("summary fields: %+v", runs[2])
	}
	if runs[1].InUse || runs[2].InUse {
		t.Fatal("runs nobody holds are listed as in use")
	}
	held, _, err := OpenJournal(runs[2].Path)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := ListRuns(state)
	held.Close()
	if !again[2].InUse || again[1].InUse {
		t.Fatalf("a journal held open is not listed as in use: %+v", again[2])
	}
	if none, err := ListRuns(t.TempDir()); err != nil || len(none) != 0 {
		t.Fatalf("empty state dir: %v %v", none, err)
	}
}

func TestNewRunID(t *testing.T) {
	at := time.Date(2026, 11, 21, 5, 15, 0, 0, time.FixedZone("x", 3600))
	a, b := NewRunID(at), NewRunID(at)
	if a == b || !strings.HasPrefix(a, "20261121T041500Z-") || !validRunID.MatchString(a) {
		t.Fatalf("NewRunID: %q, %q", a, b)
	}
}

// A last record bigger than the tail ListRuns reads first is still found.
func TestListRunsBigLastRecord(t *testing.T) {
	defer func(n int64) { tailBytes = n }(tailBytes)
	tailBytes = 64
	state := t.TempDir()
	j, err := CreateJournal(state, "big")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	_, err = j.Append(Event{Type: EvRunStarted, Time: at, Run: &RunInfo{ID: "big", Host: "h"}},
		Event{Type: EvOutput, Step: "collectstatic", Attempt: 1, Time: at.Add(time.Minute),
			Lines: []OutputLine{{Stream: StreamStdout, Text: strings.Repeat("copied ", 100)}}})
	j.Close()
	if err != nil {
		t.Fatal(err)
	}
	runs, err := ListRuns(state)
	if err != nil || len(runs) != 1 || runs[0].LastStep != "collectstatic" || !runs[0].LastTime.Equal(at.Add(time.Minute)) {
		t.Fatalf("ListRuns: %+v, %v", runs, err)
	}
}
