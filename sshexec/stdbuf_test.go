package sshexec

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeStdbuf puts a program named stdbuf first on PATH for the local
// executor's shells: body is its /bin/sh script. It returns the directory.
func fakeStdbuf(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stdbuf"), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return dir
}

// followBig runs a job that prints while it runs, so a follower tails its
// output live, and checks every line arrived in order.
func followBig(t *testing.T) {
	t.Helper()
	const lines = 40000
	e := NewLocal(LocalOptions{StateDir: t.TempDir()})
	t.Cleanup(func() { _ = e.Close() })
	res, got, err := runJob(t, e, Spec{Script: "seq 1 20000; sleep 0.5; seq 20001 40000"})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	wantSeq(t, texts(got, Stdout), "", lines)
}

// The follower runs tail under stdbuf where stdbuf works, so that output
// reaches sshd in large writes (tailBoth): here a stdbuf that notes each
// call and hands over to the real one.
func TestFollowerUsesStdbuf(t *testing.T) {
	real, err := exec.LookPath("stdbuf")
	if err != nil {
		t.Skip("no stdbuf on this machine")
	}
	dir := fakeStdbuf(t, `echo "$*" >>"$(dirname "$0")/calls"; exec `+real+` "$@"`)
	followBig(t)
	calls, _ := os.ReadFile(filepath.Join(dir, "calls"))
	if !strings.Contains(string(calls), "tail -s 0.005 -c +1 --pid=") {
		t.Fatalf("the follower did not run tail under stdbuf; stdbuf ran %q", calls)
	}
}

// A host whose stdbuf fails (missing, or its preload library is not
// there) still gets every line: the follower checks stdbuf first and runs
// tail alone.
func TestFollowerWithoutWorkingStdbuf(t *testing.T) {
	fakeStdbuf(t, `echo "stdbuf: failed to find 'libstdbuf.so'" >&2; exit 125`)
	followBig(t)
}
