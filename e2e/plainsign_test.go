package e2e

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// signRunbook has one step that passes, so `golive run --plain --yes`
// finishes and exports at once.
const signRunbook = `id: signtest
title: Sign test
version: "1"
sections:
  - id: main
    title: Main
    steps:
      - id: hello
        title: Say hello
        command: echo hello
        expect:
          match: ['hello']
`

const signPassphrase = "correct horse battery staple"

// writeEncryptedKey writes an ed25519 key encrypted with passphrase.
func writeEncryptedKey(t *testing.T, path, passphrase string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "e2e", []byte(passphrase))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestPlainSignAsksPassphraseOnTerminal: `golive run --plain` on a
// terminal with an encrypted signing key (no agent) asks its passphrase
// there, without echoing it, and the transcript is signed and verifies.
func TestPlainSignAsksPassphraseOnTerminal(t *testing.T) {
	requireTools(t)
	h := newHome(t)
	key := filepath.Join(h.dir, "enc_key")
	writeEncryptedKey(t, key, signPassphrase)
	rb := writeFile(t, h.dir, "sign.yaml", signRunbook)
	tm := startTerm(t, h, 120, 40, "run", "--plain", "--yes", "--runbook", rb, "--host", "local",
		"--operator", "signer", "--identity", key, "--out", h.out)
	tm.waitFor(wait, "Passphrase for "+key)
	tm.typeText(signPassphrase)
	tm.keys("Enter")
	s := tm.waitFor(wait, "[golive exited 0]")
	if strings.Contains(s, signPassphrase) {
		t.Errorf("the passphrase was echoed:\n%s", frame(s))
	}
	if !strings.Contains(s, ".json.sig") || strings.Contains(s, "not signed") {
		t.Fatalf("the transcript was not signed:\n%s", frame(s))
	}
	files := h.transcripts(t)
	if len(files) != 1 {
		t.Fatalf("want one transcript, found %v", files)
	}
	t.Logf("verify:\n%s", h.verify(t, files[0], "signer"))
}

// TestPlainSignNoTerminalSaysWhatToDo: with stdin not a terminal, plain
// mode cannot ask the passphrase: the transcript is written unsigned,
// golive says why and exactly what to run, and that command (golive
// export on a terminal) then signs it.
func TestPlainSignNoTerminalSaysWhatToDo(t *testing.T) {
	requireTools(t)
	h := newHome(t)
	key := filepath.Join(h.dir, "enc_key")
	writeEncryptedKey(t, key, signPassphrase)
	rb := writeFile(t, h.dir, "sign.yaml", signRunbook)
	code, out := h.run(t, "", "run", "--plain", "--yes", "--runbook", rb, "--host", "local",
		"--operator", "signer", "--identity", key, "--out", h.out)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "transcript not signed: signing key "+key+": it is encrypted, and stdin is not a terminal") {
		t.Errorf("no reason why the transcript is not signed:\n%s", out)
	}
	m := regexp.MustCompile(`or run golive export (\S+) --out (\S+) --identity (\S+) on a terminal`).FindStringSubmatch(out)
	if m == nil || m[3] != key || !strings.Contains(out, "(ssh-add "+key+")") {
		t.Fatalf("golive does not say what to run to sign it:\n%s", out)
	}
	if files, _ := filepath.Glob(filepath.Join(h.out, "*.sig")); len(files) != 0 {
		t.Fatalf("a signature was written: %v", files)
	}
	// Do what it says, on a terminal (wide: within the same second as the
	// run's own export, this one is written as NAME-2 beside it).
	tm := startTerm(t, h, 200, 40, "export", m[1], "--out", m[2], "--identity", m[3])
	tm.waitFor(wait, "Passphrase for "+key)
	tm.typeText(signPassphrase)
	tm.keys("Enter")
	s := tm.waitFor(wait, "[golive exited 0]")
	if strings.Contains(s, signPassphrase) || !strings.Contains(s, ".json.sig") {
		t.Fatalf("export did not sign, or echoed the passphrase:\n%s", frame(s))
	}
	files, _ := filepath.Glob(filepath.Join(h.out, "*.json"))
	for _, f := range files {
		if _, err := os.Stat(f + ".sig"); err == nil {
			t.Logf("verify:\n%s", h.verify(t, f, "signer"))
			return
		}
	}
	t.Fatalf("no signed transcript in %s: %v", h.out, files)
}

// TestPlainAsksBothPassphrasesOnTerminal: `golive run --plain` on a
// terminal with an encrypted key (no agent) asks its passphrase to log in
// to a real sshd, takes the sign-off from the same terminal, and asks the
// passphrase again to sign the transcript; nothing typed as a passphrase
// is echoed, and the transcript verifies. Plain mode reads stdin only
// while a question waits, so no reader of its own takes the passphrase
// lines.
func TestPlainAsksBothPassphrasesOnTerminal(t *testing.T) {
	requireTools(t)
	srv := newServer(t)
	h := newHome(t)
	raw, err := os.ReadFile(srv.sshd.ClientKeyPath)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ssh.ParseRawPrivateKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "e2e", []byte(signPassphrase))
	if err != nil {
		t.Fatal(err)
	}
	key := writeFile(t, h.dir, "enc_client", string(pem.EncodeToMemory(block)))
	writeFile(t, filepath.Join(h.dir, ".ssh"), "config", strings.Join([]string{
		"Host web1",
		"  HostName " + srv.sshd.Host,
		"  Port " + strconv.Itoa(srv.sshd.Port),
		"  User " + srv.sshd.User,
		"  IdentityFile " + key,
		"  IdentitiesOnly yes",
	}, "\n")+"\n")
	writeFile(t, filepath.Join(h.dir, ".ssh"), "known_hosts", srv.sshd.KnownHostsLine(false)+"\n")
	rb := writeFile(t, h.dir, "sign.yaml", signRunbook)
	tm := startTerm(t, h, 120, 40, "run", "--plain", "--runbook", rb, "--host", "web1",
		"--operator", "signer", "--identity", key, "--out", h.out)
	tm.waitFor(wait, "passphrase", key)
	tm.typeText(signPassphrase)
	tm.keys("Enter")
	tm.waitFor(wait, "sign off hello [p]assed")
	tm.keys("p", "Enter")
	tm.waitFor(wait, "note (optional")
	tm.typeText("seen on the terminal")
	tm.keys("Enter")
	tm.waitFor(wait, "Passphrase for "+key)
	tm.typeText(signPassphrase)
	tm.keys("Enter")
	s := tm.waitFor(wait, "[golive exited 0]")
	if strings.Contains(s, signPassphrase) {
		t.Errorf("a passphrase was echoed:\n%s", frame(s))
	}
	if !strings.Contains(s, ".json.sig") || !strings.Contains(s, "hello signed off passed") {
		t.Fatalf("the run did not end signed off and signed:\n%s", frame(s))
	}
	files := h.transcripts(t)
	if len(files) != 1 {
		t.Fatalf("want one transcript, found %v", files)
	}
	t.Logf("verify:\n%s", h.verify(t, files[0], "signer"))
}
