package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// TestRunChecksIdentityFirst: a --identity that is no private key stops
// run (and resume, which shares buildOptions) before they connect or start anything, naming the file
// and what to give instead; before, the release ran to its end and only
// the transcript's signing failed. An encrypted key passes the check (its
// passphrase is asked for when it signs).
func TestRunChecksIdentityFirst(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := t.TempDir()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plainPEM, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	encPEM, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("pass phrase"))
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	key := write("id_test", pem.EncodeToMemory(plainPEM))
	enc := write("id_enc", pem.EncodeToMemory(encPEM))
	pubFile := write("id_test.pub", ssh.MarshalAuthorizedKey(sshPub))
	notKey := write("notes.txt", []byte("not a key\n"))
	missing := filepath.Join(dir, "id_missing")

	for _, tc := range []struct{ file, want string }{
		{missing, "--identity: key file: open " + missing + ": no such file or directory; give the path of your private key file"},
		{pubFile, "--identity: key file " + pubFile + " holds a public key; give the private key file (" + key + ")"},
		{notKey, "--identity: key file " + notKey + " is not a private key"},
	} {
		args := []string{"run", "--plain", "--yes", "--host", "local", "--runbook", goodFile, "--operator", "op", "--out", dir, "--identity", tc.file}
		code, out, errOut := run(args...)
		if code != 2 || !strings.Contains(errOut, tc.want) || strings.Contains(out, "-- run ") {
			t.Errorf("%v: exit %d, want 2 and %q before the run starts\nstdout: %s\nstderr: %s", args, code, tc.want, out, errOut)
		}
	}
	for _, f := range []string{key, enc} {
		if _, err := buildOptions(runConfig{identity: f}, os.Stderr); err != nil {
			t.Errorf("--identity %s: %v", f, err)
		}
	}
}

// TestRunChecksOutDirFirst: an --out the transcript cannot be written to
// stops run before the release starts; before, every step ran and only
// the export at the end failed.
func TestRunChecksOutDirFirst(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{file, filepath.Join(file, "sub")} {
		code, stdout, errOut := run("run", "--plain", "--yes", "--host", "local", "--runbook", goodFile, "--operator", "op", "--out", out)
		if code != 2 || !strings.Contains(errOut, "--out: mkdir "+file+": not a directory; give a directory you can write the transcript to") ||
			strings.Contains(stdout, "-- run ") {
			t.Errorf("--out %s: exit %d, want 2 before the run starts\nstdout: %s\nstderr: %s", out, code, stdout, errOut)
		}
	}
	fresh := filepath.Join(dir, "new", "out")
	if err := checkOutDir(fresh); err != nil {
		t.Fatalf("a directory to make: %v", err)
	}
	if left, _ := os.ReadDir(fresh); len(left) != 0 {
		t.Errorf("the write check left %v behind", left)
	}
}

// TestPlainWarnsUnsignedFirst: a plain run whose transcript cannot be
// signed (no agent, no key file; stdin, under go test, is no terminal)
// says so before its first step, and still runs.
func TestPlainWarnsUnsignedFirst(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	t.Setenv("SSH_AUTH_SOCK", "")
	out := t.TempDir()
	rb := filepath.Join(out, "tiny.yaml")
	tiny := "id: tiny\ntitle: Tiny\nsections:\n  - id: s\n    title: S\n    steps:\n      - id: a\n        title: A\n        kind: local\n        command: echo hi\n"
	if err := os.WriteFile(rb, []byte(tiny), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, errOut := run("run", "--plain", "--yes", "--host", "local", "--runbook", rb, "--operator", "op", "--out", out)
	if !strings.HasPrefix(errOut, "golive: note: the transcript will not be signed at the end (signing key: no agent key") ||
		!strings.Contains(errOut, "sign it afterwards with golive export RUNID") {
		t.Errorf("no note before the run; stderr:\n%s", errOut)
	}
	if code != 0 || !strings.Contains(stdout, "transcript not signed") {
		t.Errorf("exit %d, want the run to go on and end unsigned\nstdout: %s\nstderr: %s", code, stdout, errOut)
	}
}

// TestPlainBrokenRunbookNoSigningNote: a run that cannot start (its
// runbook does not load) says why, and nothing about signing: the note
// about a transcript that will never be written came first and pushed
// the runbook's error down.
func TestPlainBrokenRunbookNoSigningNote(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	t.Setenv("SSH_AUTH_SOCK", "")
	out := t.TempDir()
	rb := filepath.Join(out, "broken.yaml")
	broken := "id: broken\ntitle: Broken\nsections:\n  - id: s\n    title: S\n    steps:\n      - id: a\n        title: A\n        command: echo {{nope}}\n"
	if err := os.WriteFile(rb, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run("run", "--plain", "--yes", "--host", "local", "--runbook", rb, "--operator", "op", "--out", out)
	if code != 2 {
		t.Errorf("exit %d, want 2 (the runbook does not load)", code)
	}
	if strings.Contains(errOut, "will not be signed") {
		t.Errorf("a run that cannot start talks about signing; stderr:\n%s", errOut)
	}
}

// TestRunChecksSSHConfigFirst: an --ssh-config that cannot be read (a
// typo in its path, a directory) stops run before it connects, with exit
// 2 (a bad flag) and what to give; it tried to connect, failed with the
// bare "read ssh config: open ...: no such file or directory" and exited
// 1, as if the host were at fault.
func TestRunChecksSSHConfigFirst(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-config")
	for _, cfg := range []string{missing, dir} {
		code, stdout, errOut := run("run", "--plain", "--yes", "--host", "web1", "--runbook", goodFile, "--operator", "op", "--out", dir, "--ssh-config", cfg)
		if code != 2 || !strings.Contains(errOut, "--ssh-config: ") || !strings.Contains(errOut, cfg) ||
			!strings.Contains(errOut, "give the path of an ssh config file") || strings.Contains(stdout, "connecting") {
			t.Errorf("--ssh-config %s: exit %d, want 2 before connecting\nstdout: %s\nstderr: %s", cfg, code, stdout, errOut)
		}
	}
	// A config golive cannot parse stops it there too, in sshexec's words
	// (which file, what to do).
	bad := filepath.Join(dir, "bad-config")
	if err := os.WriteFile(bad, []byte("Host web1\n  Match exec true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, errOut := run("run", "--plain", "--yes", "--host", "web1", "--runbook", goodFile, "--operator", "op", "--out", dir, "--ssh-config", bad)
	if code != 2 || !strings.Contains(errOut, "--ssh-config: ") || !strings.Contains(errOut, bad) ||
		!strings.Contains(errOut, "--ssh-config none") || strings.Contains(stdout, "connecting") {
		t.Errorf("--ssh-config %s (unparsable): exit %d, want 2 before connecting\nstdout: %s\nstderr: %s", bad, code, stdout, errOut)
	}
	// "none", which that advice gives (no config at all), is no file to
	// check: the run goes on. It was refused as "open none: no such file".
	rb := filepath.Join(dir, "tiny.yaml")
	tiny := "id: tiny\ntitle: Tiny\nsections:\n  - id: s\n    title: S\n    steps:\n      - id: a\n        title: A\n        kind: local\n        command: echo hi\n"
	if err := os.WriteFile(rb, []byte(tiny), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, errOut = run("run", "--plain", "--yes", "--host", "local", "--runbook", rb, "--operator", "op", "--out", dir, "--ssh-config", "none")
	if code != 0 || strings.Contains(errOut, "--ssh-config") {
		t.Errorf("--ssh-config none: exit %d, want the run to go on and pass\nstdout: %s\nstderr: %s", code, stdout, errOut)
	}
}
