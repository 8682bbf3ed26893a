package sshexec

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHelperAckToNobodyStillRuns: the helper's reader goes away (golive
// killed, the SSH channel cut) just as a launch is acked. The ack's write
// then fails, but the job must still run its script: a job directory
// that says "exit 0" for a script that never ran would tell a resumed
// golive that, say, a migration passed. (Found by a flake hunt: a version
// that sent the script after the ack recorded exit 0 without running it.)
func TestHelperAckToNobodyStillRuns(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "jobs")
	ran := filepath.Join(dir, "RAN")
	cmd := exec.Command("/bin/sh", "-c", helperScript, "golive-helper", root, "N1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	ready, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || ready != "N1 ready\n" {
		t.Fatalf("helper said %q, %v", ready, err)
	}
	stdout.Close() // the reader is gone: the ack cannot be delivered
	req := launchRequest(Spec{JobID: "j1", Script: "echo ran >" + shq(ran)}, "", "tok1")
	if _, err := stdin.Write(req); err != nil {
		t.Fatal(err)
	}
	exitFile := filepath.Join(root, "j1", "exit")
	for deadline := time.Now().Add(10 * time.Second); ; {
		if b, err := os.ReadFile(exitFile); err == nil && len(b) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no exit record in %s after 10 s", exitFile)
		}
		time.Sleep(10 * time.Millisecond)
	}
	b, _ := os.ReadFile(exitFile)
	if _, err := os.Stat(ran); err != nil {
		t.Fatalf("exit record %q but the script never ran", strings.TrimSpace(string(b)))
	}
	if got := strings.TrimSpace(string(b)); got != "0 -" {
		t.Errorf("exit record %q, want \"0 -\"", got)
	}
}
