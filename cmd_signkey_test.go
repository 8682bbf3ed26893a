package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"golive/internal/sshdtest"
)

// signKeyRunbook has one remote step that passes, so `golive run --plain
// --yes` finishes and exports at once.
const signKeyRunbook = `id: signkey
title: Sign key
version: "1"
sections:
  - id: main
    title: Main
    steps:
      - id: hello
        title: Say hello
        command: echo hello from web1
        expect:
          match: ['hello from web1']
`

// TestSignWithSSHConfigIdentityFile: an operator whose only key is the
// one ~/.ssh/config names for the host (IdentityFile, no agent, no
// --identity, no ~/.ssh/id_*) logs in to a real sshd with it, and the
// transcript of the run is signed with it: the .json.sig verifies with
// golive verify, and its allowed_signers line holds that key (run is
// given the config with --ssh-config). golive export RUNID signs the same
// way, the host taken from the journal, the config being ~/.ssh/config.
func TestSignWithSSHConfigIdentityFile(t *testing.T) {
	home, cfg, rb, wantKey := signKeyHome(t, signKeyRunbook)
	out := filepath.Join(home, "out")
	code, stdout, stderr := run("run", "--plain", "--yes", "--host", "web1", "--ssh-config", cfg,
		"--runbook", rb, "--operator", "Dana Ops", "--out", out)
	if code != 0 || strings.Contains(stdout, "not signed") || strings.Contains(stderr, "will not be signed") {
		t.Fatalf("run: exit %d, want 0 and a signed transcript\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "hello from web1") {
		t.Fatalf("the step did not run on the host:\n%s", stdout)
	}
	verifySigned(t, out, wantKey)

	m := regexp.MustCompile(`-- run ([0-9A-Za-z-]+):`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no run id in the output:\n%s", stdout)
	}
	id := m[1]
	out2 := filepath.Join(home, "out2")
	code, stdout, stderr = run("export", id, "--out", out2) // ~/.ssh/config, the default
	if code != 0 || strings.Contains(stdout, "not signed") {
		t.Fatalf("export %s: exit %d, want 0 and a signed transcript\nstdout:\n%s\nstderr:\n%s", id, code, stdout, stderr)
	}
	verifySigned(t, out2, wantKey)
}

// signKeyHome sets up an operator whose only key is the one ~/.ssh/config
// names for web1, a real sshd (IdentityFile ~/.ssh/deploy_ed25519; no
// agent, no ~/.ssh/id_*), and returns HOME, the config's path, the
// runbook rbText written to a file, and the key's authorized_keys form.
func signKeyHome(t *testing.T, rbText string) (home, cfg, rb, wantKey string) {
	t.Helper()
	srv := sshdtest.Start(t, sshdtest.Config("SetEnv XDG_STATE_HOME="+t.TempDir()))
	home = t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", "")
	t.Setenv("XDG_STATE_HOME", filepath.Join(home, "state"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	dotSSH := filepath.Join(home, ".ssh")
	if err := os.MkdirAll(dotSSH, 0o700); err != nil {
		t.Fatal(err)
	}
	keyPath, signer := srv.NewClientKey("deploy_ed25519", "")
	srv.Authorize(signer.PublicKey())
	raw, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dotSSH, "deploy_ed25519"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg = filepath.Join(dotSSH, "config")
	if err := os.WriteFile(cfg, []byte(strings.Join([]string{
		"Host web1",
		"  HostName " + srv.Host,
		"  Port " + strconv.Itoa(srv.Port),
		"  User " + srv.User,
		"  IdentityFile ~/.ssh/deploy_ed25519",
		"  IdentitiesOnly yes",
		"  UserKnownHostsFile " + srv.WriteKnownHosts(false),
		"  StrictHostKeyChecking yes",
	}, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rb = filepath.Join(home, "signkey.yaml")
	if err := os.WriteFile(rb, []byte(rbText), 0o600); err != nil {
		t.Fatal(err)
	}
	wantKey = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))

	return home, cfg, rb, wantKey
}

// verifySigned checks that dir holds one transcript with a signature
// that golive verify accepts against dir's allowed_signers, whose line
// carries wantKey.
func verifySigned(t *testing.T, dir, wantKey string) {
	t.Helper()
	sigs, _ := filepath.Glob(filepath.Join(dir, "*.json.sig"))
	if len(sigs) != 1 {
		entries, _ := os.ReadDir(dir)
		t.Fatalf("want one .json.sig in %s, found %v (dir holds %v)", dir, sigs, entries)
	}
	allowed := filepath.Join(dir, "allowed_signers")
	line, err := os.ReadFile(allowed)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(line), wantKey) {
		t.Errorf("allowed_signers does not hold the IdentityFile key %s:\n%s", wantKey, line)
	}
	code, stdout, stderr := run("verify", strings.TrimSuffix(sigs[0], ".sig"), "--signers", allowed)
	if code != 0 {
		t.Fatalf("golive verify: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	t.Logf("verify: %s", strings.TrimSpace(stdout))
}

// failedSignKeyRun runs signKeyRunbook on web1 (signKeyHome) in plain
// mode with --yes, its step made to fail until the file flag exists, and
// returns the home, the ssh config, flag, the key the config names and the
// id of the run, which stopped at the failure (exit 1).
func failedSignKeyRun(t *testing.T) (home, cfg, flag, wantKey, id string) {
	t.Helper()
	flag = filepath.Join(t.TempDir(), "ready")
	home, cfg, rb, wantKey := signKeyHome(t, strings.Replace(signKeyRunbook, "command: echo hello from web1",
		"command: cat "+flag+" && echo hello from web1", 1))
	code, stdout, stderr := run("run", "--plain", "--yes", "--host", "web1", "--runbook", rb,
		"--operator", "Dana Ops", "--out", filepath.Join(home, "out"))
	m := regexp.MustCompile(`-- run ([0-9A-Za-z-]+):`).FindStringSubmatch(stdout)
	if code != 1 || m == nil {
		t.Fatalf("run: exit %d, want 1 (the step fails: no %s)\nstdout:\n%s\nstderr:\n%s", code, flag, stdout, stderr)
	}
	return home, cfg, flag, wantKey, m[1]
}

// TestResumeSignsWithSSHConfigIdentityFile: a run that stopped at a
// failure is resumed (golive resume RUNID --plain --yes, the host taken
// from the journal); its transcript is signed with the key ~/.ssh/config
// names for the host, with no agent and no --identity.
func TestResumeSignsWithSSHConfigIdentityFile(t *testing.T) {
	home, _, flag, wantKey, id := failedSignKeyRun(t)
	if err := os.WriteFile(flag, []byte("ready\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(home, "resumed")
	code, stdout, stderr := run("resume", id, "--plain", "--yes", "--out", out)
	if code != 0 || strings.Contains(stdout, "not signed") || strings.Contains(stderr, "will not be signed") {
		t.Fatalf("resume: exit %d, want 0 and a signed transcript\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	verifySigned(t, out, wantKey)
}
