package sshexec

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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

// Over SSH the follower's script runs in the user's login shell, which
// may be bash or zsh, and zsh does not split an unquoted variable into
// words: tailBoth's choice of stdbuf must work in each shell this machine
// has, for a job that has ended and for one still writing. (zsh is tried
// where it is installed.)
func TestTailBothInShells(t *testing.T) {
	if _, err := exec.LookPath("stdbuf"); err != nil {
		t.Skip("no stdbuf on this machine")
	}
	for _, name := range []string{"sh", "bash", "zsh"} {
		sh, err := exec.LookPath(name)
		if err != nil {
			t.Logf("%s is not installed: not tried", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Run("ended", func(t *testing.T) { tailBothIn(t, sh, true) })
			t.Run("running", func(t *testing.T) { tailBothIn(t, sh, false) })
		})
	}
}

// tailBothIn runs tailBoth under shell sh on a job directory: one whose
// job has ended (exit record there), or one whose writer still appends a
// line to out and to err, and checks both streams arrive whole.
func tailBothIn(t *testing.T, sh string, ended bool) {
	d := t.TempDir()
	for name, text := range map[string]string{"out": "early\n", "err": "early-err\n"} {
		if err := os.WriteFile(filepath.Join(d, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writer := exec.Command("/bin/sh", "-c", "sleep 0.3; echo late >>\"$0/out\"; echo late-err >>\"$0/err\"", d)
	if ended {
		writer = exec.Command("/bin/sh", "-c", "echo late >>\"$0/out\"; echo late-err >>\"$0/err\"; echo '0 -' >\"$0/exit\"", d)
		if err := writer.Run(); err != nil {
			t.Fatal(err)
		}
	} else {
		if err := writer.Start(); err != nil {
			t.Fatal(err)
		}
		waited := make(chan error, 1)
		go func() { waited <- writer.Wait() }() // tail --pid waits for the zombie to go
		t.Cleanup(func() { <-waited })
	}
	script := "d=" + shq(d) + "\nexec 3>&2\nctl() { :; }\n" +
		tailBoth(0, 0, strconv.Itoa(writer.Process.Pid)) + "echo golive:done >&3\n"
	var stdout, stderr strings.Builder
	cmd := exec.Command(sh, "-c", script)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v (stderr %q)", sh, err, stderr.String())
	}
	if got, want := stdout.String(), "early\nlate\n"; got != want {
		t.Errorf("%s: stdout %q, want %q", sh, got, want)
	}
	if got, want := stderr.String(), "early-err\nlate-err\ngolive:done\n"; got != want {
		t.Errorf("%s: stderr %q, want %q", sh, got, want)
	}
}
