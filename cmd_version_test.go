package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"golive/runbook"
)

func TestVersionFlagAndCommand(t *testing.T) {
	info, ok := debug.ReadBuildInfo()
	want := versionLine(info, ok)
	for _, args := range [][]string{{"--version"}, {"version"}, {"-version"}} {
		code, out, errOut := run(args...)
		if code != 0 || errOut != "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
		if out != want+"\n" {
			t.Errorf("%v printed %q, want %q", args, out, want)
		}
		if !strings.HasPrefix(out, "golive ") || !strings.Contains(out, runtime.Version()) {
			t.Errorf("%v: %q lacks the name or the Go version %s", args, out, runtime.Version())
		}
	}
	if code, _, errOut := run("version", "extra"); code != 2 || !strings.Contains(errOut, "takes no arguments") {
		t.Errorf("version extra: exit %d, stderr %q", code, errOut)
	}
	_, help, _ := run("--help")
	if !strings.Contains(help, "version") || !strings.Contains(help, "--version") {
		t.Errorf("--help does not mention the version:\n%s", help)
	}
}

func TestVersionLineReadsBuildInfo(t *testing.T) {
	info := &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Path: "golive", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"},
			{Key: "vcs.time", Value: "2026-11-22T03:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		}}
	if got, want := versionLine(info, true), "golive v1.2.3 (rev 0123456789ab, modified, 2026-11-22T03:00:00Z) go1.99.1"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	info = &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Path: "golive"}}
	if got, want := versionLine(info, true), "golive (devel) go1.99.1"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := versionLine(nil, false); !strings.Contains(got, runtime.Version()) {
		t.Errorf("without build info: %q", got)
	}
}

// TestJournalRecordsBuildVersion: a run's journal (and so its transcript)
// names the binary as 'golive version' does, less the "golive " in front,
// Go version included; it recorded "dev" for every build.
func TestJournalRecordsBuildVersion(t *testing.T) {
	_, journal := stoppedLocalRun(t)
	j, events, err := runbook.OpenJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	_, out, _ := run("version")
	want := strings.TrimPrefix(strings.TrimSpace(out), "golive ")
	if len(events) == 0 || events[0].Run == nil {
		t.Fatalf("the journal does not begin with the run's info: %+v", events)
	}
	if got := events[0].Run.GoliveVersion; got != want || !strings.Contains(got, runtime.Version()) {
		t.Errorf("the journal records golive %q; want %q, as 'golive version' prints it", got, want)
	}
}
