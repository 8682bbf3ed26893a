package sshexec

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testPassword = "s3cret-Pa55 'quoted' $HOME"

// fakeSudo puts a sudo on PATH that behaves like sudo -n and sudo -S with an empty prompt
// (it checks the password read from stdin against testPassword) and logs
// how it was called. Tests run as root, where the real sudo never asks.
func fakeSudo(t *testing.T, needsPassword bool) (log string) {
	bin := t.TempDir()
	log = filepath.Join(bin, "log")
	need := ""
	if needsPassword {
		need = "1"
	}
	script := `#!/bin/sh
log=` + shq(log) + `; need=` + need + `; want=$(cat ` + shq(filepath.Join(bin, "pw")) + `)
case "$1" in
-n) shift; [ "$1" = -- ] && shift
    if [ -n "$need" ]; then echo "sudo: a password is required" >&2; exit 1; fi
    echo "-n $*" >>"$log"; exec "$@";;
-S) shift; [ "$1" = -p ] && shift 2; [ "$1" = -- ] && shift
    IFS= read -r pw
    if [ "$pw" != "$want" ]; then echo "sudo: 1 incorrect password attempt" >&2; exit 1; fi
    echo "-S $*" >>"$log"; exec "$@";;
esac
echo "fake sudo: unexpected arguments $*" >&2; exit 2
`
	if err := os.WriteFile(filepath.Join(bin, "pw"), []byte(testPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "sudo"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	return log
}

// sudoLocal is a local runner that uses sudo even as root.
func sudoLocal(t *testing.T) (*runner, string) {
	dir := t.TempDir()
	r := NewLocal(LocalOptions{StateDir: dir}).(*runner)
	r.rootCheck = "false"
	return r, dir
}

// leaks reports files under dir and live processes' argv and environment
// that hold the password.
func leaks(t *testing.T, dir string) []string {
	var found []string
	_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), testPassword) {
				found = append(found, p)
			}
		}
		return nil
	})
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		for _, f := range []string{"cmdline", "environ"} {
			if b, _ := os.ReadFile(filepath.Join(p, f)); strings.Contains(string(b), testPassword) {
				found = append(found, filepath.Join(p, f))
			}
		}
	}
	return found
}

func TestSudoPasswordOnStdin(t *testing.T) {
	log := fakeSudo(t, true)
	r, dir := sudoLocal(t)
	var seen []string
	c := newCollector(t, func(l Line) {
		if l.Text == "running" {
			seen = leaks(t, dir) // while the job runs as "root"
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id := jobID(t)
	res, err := r.Run(ctx, Spec{JobID: id, Script: "echo running; sleep 0.3; echo done", Sudo: true, SudoPassword: []byte(testPassword)}, c.ch)
	lines := c.stop()
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	if got := strings.Join(texts(lines, Stdout), ","); got != "running,done" {
		t.Errorf("output %q", got)
	}
	if len(seen) > 0 {
		t.Errorf("the sudo password leaked into %q", seen)
	}
	b, _ := os.ReadFile(log)
	if !strings.HasPrefix(string(b), "-S /bin/sh -c") {
		t.Errorf("sudo was called as %q, want sudo -S", b)
	}
	if _, err := os.Stat(filepath.Join(dir, id, "sudo")); err != nil {
		t.Errorf("no sudo marker: %v", err)
	}
	// Cancel of a root job goes through sudo with the remembered password.
	id2 := jobID(t)
	go func() {
		time.Sleep(500 * time.Millisecond)
		_ = r.Cancel(ctx, id2)
	}()
	res, err = r.Run(ctx, Spec{JobID: id2, Script: "sleep 30", Sudo: true, SudoPassword: []byte(testPassword)}, make(chan []Line, 16))
	if err != nil || !res.Canceled {
		t.Fatalf("cancel of a sudo job: %+v %v", res, err)
	}
	if b, _ := os.ReadFile(log); strings.Count(string(b), "-S /bin/sh -c") != 3 {
		t.Errorf("sudo log %q, want 3 calls with -S (two starts, one cancel)", b)
	}
	if l := leaks(t, dir); len(l) > 0 {
		t.Errorf("the sudo password leaked into %q", l)
	}
}

func TestSudoRefused(t *testing.T) {
	fakeSudo(t, true)
	r, dir := sudoLocal(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id := jobID(t)
	_, err := r.Run(ctx, Spec{JobID: id, Script: "echo ran", Sudo: true}, make(chan []Line, 16))
	if err == nil || !strings.Contains(err.Error(), "a password is required") || !strings.HasSuffix(err.Error(), "; sudo needs a password on local") {
		t.Errorf("sudo -n without a password: %v, want what the host said and \"; sudo needs a password on local\"", err)
	}
	noUIAdvice(t, "sudo -n without a password", err)
	_, err = r.Run(ctx, Spec{JobID: jobID(t), Script: "echo ran", Sudo: true, SudoPassword: []byte("wrong")}, make(chan []Line, 16))
	if err == nil || !strings.HasSuffix(err.Error(), "; the sudo password was not accepted on local") {
		t.Errorf("wrong password: %v, want \"; the sudo password was not accepted on local\"", err)
	}
	noUIAdvice(t, "wrong password", err)
	if _, err := os.Stat(filepath.Join(dir, id)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a job that never started left its directory: %v", err)
	}
}

// noUIAdvice fails when a sudo refusal's message, which the journal and
// the transcript record, gives a UI's advice: the TUI's P, a resume
// command with a literal RUNID, a flag.
func noUIAdvice(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, bad := range []string{"press P", "RUNID", "in the TUI", "--sudo-password", "resume"} {
		if strings.Contains(err.Error(), bad) {
			t.Errorf("%s: the recorded message %q gives UI advice (%q)", what, err, bad)
		}
	}
}

// TestSudoRefusalIsTyped: when sudo refuses to start a job for want of a
// good password, Run's error wraps ErrSudoNeedsPassword (no password
// given) or ErrSudoPasswordRejected (a wrong one), so that the TUI can
// offer to ask for it; the message keeps the words plain mode relies on.
// A job that starts, and a refusal for another reason, wrap neither.
func TestSudoRefusalIsTyped(t *testing.T) {
	fakeSudo(t, true)
	r, _ := sudoLocal(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run := func(pw string) error {
		var spw []byte
		if pw != "" {
			spw = []byte(pw)
		}
		_, err := r.Run(ctx, Spec{JobID: jobID(t), Script: "echo ran", Sudo: true, SudoPassword: spw}, make(chan []Line, 16))
		return err
	}
	err := run("")
	if !errors.Is(err, ErrSudoNeedsPassword) || errors.Is(err, ErrSudoPasswordRejected) {
		t.Errorf("no password: %v does not wrap ErrSudoNeedsPassword alone", err)
	}
	if err == nil || !strings.Contains(err.Error(), ErrSudoNeedsPassword.Error()+" on local") {
		t.Errorf("no password: message %v lacks the sentinel's text and the host", err)
	}
	err = run("wrong")
	if !errors.Is(err, ErrSudoPasswordRejected) || errors.Is(err, ErrSudoNeedsPassword) {
		t.Errorf("wrong password: %v does not wrap ErrSudoPasswordRejected alone", err)
	}
	if err == nil || !strings.Contains(err.Error(), ErrSudoPasswordRejected.Error()) || strings.Contains(err.Error(), "wrong") {
		t.Errorf("wrong password: message %v lacks the sentinel's text, or shows the password", err)
	}
	if err := run(testPassword); err != nil {
		t.Errorf("right password: %v", err)
	}
	for _, msg := range []string{"sudo: command not found", "user is not in the sudoers file", ""} {
		if err := sudoPasswordErr(msg); err != nil {
			t.Errorf("sudo said %q: %v, want no password error", msg, err)
		}
		if err := startFailed("job x", "web1", msg); errors.Is(err, ErrSudoNeedsPassword) || errors.Is(err, ErrSudoPasswordRejected) {
			t.Errorf("sudo said %q: %v wraps a password error", msg, err)
		}
	}
}

// TestRealSudo runs a job through the real sudo when it is installed (as
// root it never asks for the password, which must then stay unread).
func TestRealSudo(t *testing.T) {
	if _, err := exec.LookPath("sudo"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but sudo is not installed")
		}
		t.Skip("sudo is not installed")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root, so that sudo does not prompt")
	}
	r, dir := sudoLocal(t)
	for _, pw := range [][]byte{nil, []byte(testPassword)} {
		res, lines, err := runJob(t, r, Spec{Script: "id -u; cat", Sudo: true, SudoPassword: pw})
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("%+v %v", res, err)
		}
		if got := texts(lines, Stdout); len(got) != 1 || got[0] != "0" {
			t.Errorf("sudo job printed %q, want uid 0 and an empty stdin", got)
		}
	}
	if l := leaks(t, dir); len(l) > 0 {
		t.Errorf("the sudo password leaked into %q", l)
	}
}
