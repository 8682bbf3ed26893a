package sshexec

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"golive/internal/sshdtest"
)

// newSignHome makes a temp HOME with an empty ~/.ssh (no default keys) and
// no agent, and returns it.
func newSignHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", "")
	return home
}

// writeSignKey writes a new ed25519 private key to path (encrypted with
// passphrase unless empty) and returns its public key.
func writeSignKey(t *testing.T, path, passphrase string) ssh.PublicKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(priv, "test")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "test", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// writeSignConfig writes an ssh_config holding lines and returns its path.
func writeSignConfig(t *testing.T, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ssh_config")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// signsWith fails the test unless s is the key pub and a transcript it
// signs verifies.
func signsWith(t *testing.T, s ssh.Signer, err error, pub ssh.PublicKey) {
	t.Helper()
	if err != nil {
		t.Fatalf("LoadSigner: %v", err)
	}
	if got, want := ssh.FingerprintSHA256(s.PublicKey()), ssh.FingerprintSHA256(pub); got != want {
		t.Fatalf("signs with %s, want the IdentityFile key %s", got, want)
	}
	data := []byte(`{"run":"r"}`)
	sig, err := SignTranscript(data, s)
	if err != nil {
		t.Fatal(err)
	}
	if fp, err := VerifyTranscriptSignature(data, sig, nil, ""); err != nil || fp != ssh.FingerprintSHA256(pub) {
		t.Fatalf("signature does not verify for the key: %s, %v", fp, err)
	}
}

// TestSignerFromConfigIdentityFile: no agent, no --identity, no default
// key in ~/.ssh: the key the ssh config names for the host (with ~)
// signs, as it logged in.
func TestSignerFromConfigIdentityFile(t *testing.T) {
	home := newSignHome(t)
	pub := writeSignKey(t, filepath.Join(home, ".ssh", "deploy_ed25519"), "")
	cfg := writeSignConfig(t, "Host web1", "  HostName 192.0.2.10", "  IdentityFile ~/.ssh/deploy_ed25519")
	s, err := LoadSigner(context.Background(), SignerOptions{Host: "web1", ConfigFile: cfg})
	signsWith(t, s, err, pub)
	// user@alias and alias:port resolve through the same Host block.
	s, err = LoadSigner(context.Background(), SignerOptions{Host: "deploy@web1:2222", ConfigFile: cfg})
	signsWith(t, s, err, pub)
}

// TestSignerSkipsMissingIdentityFile: a first IdentityFile that does not
// exist is skipped, as OpenSSH does, and the second one (%d and %n
// expanded) signs.
func TestSignerSkipsMissingIdentityFile(t *testing.T) {
	home := newSignHome(t)
	pub := writeSignKey(t, filepath.Join(home, ".ssh", "key_web1"), "")
	cfg := writeSignConfig(t, "Host web1", "  IdentityFile ~/.ssh/not_there", "  IdentityFile %d/.ssh/key_%n")
	s, err := LoadSigner(context.Background(), SignerOptions{Host: "web1", ConfigFile: cfg})
	signsWith(t, s, err, pub)
}

// TestSignerNothingFoundNamesIdentityFiles: when no key exists anywhere,
// the error names the agent, each IdentityFile path looked at for the
// host, and the default names, and says what to do.
func TestSignerNothingFoundNamesIdentityFiles(t *testing.T) {
	home := newSignHome(t)
	cfg := writeSignConfig(t, "Host web1", "  IdentityFile ~/.ssh/deploy_ed25519", "  IdentityFile /nonexistent/%h_key")
	_, err := LoadSigner(context.Background(), SignerOptions{Host: "web1", ConfigFile: cfg})
	if err == nil {
		t.Fatal("LoadSigner found a key where there is none")
	}
	for _, want := range []string{
		"SSH_AUTH_SOCK is not set",
		"IdentityFile for web1",
		filepath.Join(home, ".ssh", "deploy_ed25519"),
		"/nonexistent/web1_key",
		filepath.Join(home, ".ssh") + " (id_ed25519, id_ecdsa, id_rsa)",
		"start ssh-agent and ssh-add your key, or name a key file with --identity",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}

// TestSignerEncryptedIdentityFile: an encrypted IdentityFile asks its
// passphrase (the prompt names the file) like --identity; with nobody to
// ask, the error says to ssh-add it.
func TestSignerEncryptedIdentityFile(t *testing.T) {
	home := newSignHome(t)
	key := filepath.Join(home, ".ssh", "deploy_ed25519")
	pub := writeSignKey(t, key, "s3cret phrase")
	cfg := writeSignConfig(t, "Host web1", "  IdentityFile "+key)
	asked := 0
	s, err := LoadSigner(context.Background(), SignerOptions{Host: "web1", ConfigFile: cfg, Passphrase: func(prompt string) ([]byte, error) {
		asked++
		if !strings.Contains(prompt, key) {
			t.Errorf("prompt %q does not name %s", prompt, key)
		}
		return []byte("s3cret phrase"), nil
	}})
	signsWith(t, s, err, pub)
	if asked != 1 {
		t.Errorf("passphrase asked %d times, want 1", asked)
	}
	_, err = LoadSigner(context.Background(), SignerOptions{Host: "web1", ConfigFile: cfg})
	if err == nil || !strings.Contains(err.Error(), "ssh-add "+key) {
		t.Fatalf("encrypted IdentityFile without a passphrase prompt: %v", err)
	}
}

// TestSignerPrefersLoginKey: with an agent holding another key and two
// IdentityFile keys, the key that logged in (LoginKey) signs; without
// LoginKey the agent's key does, as before.
func TestSignerPrefersLoginKey(t *testing.T) {
	home := newSignHome(t)
	other := filepath.Join(home, "agent_key")
	otherPub := writeSignKey(t, other, "")
	a := sshdtest.StartAgent(t, other)
	first := filepath.Join(home, ".ssh", "first")
	writeSignKey(t, first, "")
	second := filepath.Join(home, ".ssh", "second")
	login := writeSignKey(t, second, "")
	cfg := writeSignConfig(t, "Host web1", "  IdentityFile "+first, "  IdentityFile "+second)
	opts := SignerOptions{Host: "web1", ConfigFile: cfg, AgentSocket: a.Socket, LoginKey: ssh.FingerprintSHA256(login)}
	s, err := LoadSigner(context.Background(), opts)
	signsWith(t, s, err, login)
	opts.LoginKey = ""
	s, err = LoadSigner(context.Background(), opts)
	signsWith(t, s, err, otherPub)
	// The agent holding the login key signs with it, not with its first.
	a.Add(second)
	opts.LoginKey = ssh.FingerprintSHA256(login)
	s, err = LoadSigner(context.Background(), opts)
	signsWith(t, s, err, login)
	if _, viaAgent := s.(*agentKey); !viaAgent {
		t.Errorf("signer is %T, want the agent's", s)
	}
}

// TestSignerUsesIdentityAgent: the agent the config's IdentityAgent
// names for the host signs, with SSH_AUTH_SOCK unset, as at login.
func TestSignerUsesIdentityAgent(t *testing.T) {
	home := newSignHome(t)
	key := filepath.Join(home, "agent_key")
	pub := writeSignKey(t, key, "")
	a := sshdtest.StartAgent(t, key)
	cfg := writeSignConfig(t, "Host web1", "  IdentityAgent "+a.Socket)
	s, err := LoadSigner(context.Background(), SignerOptions{Host: "web1", ConfigFile: cfg})
	signsWith(t, s, err, pub)
}

// TestSignerPrefersAgentCopyOfIdentityFile: with no login key known (golive
// export), an agent holding another key first and the host's IdentityFile
// key (encrypted on disk, ssh-added) signs with the IdentityFile key,
// through the agent, without asking a passphrase.
func TestSignerPrefersAgentCopyOfIdentityFile(t *testing.T) {
	home := newSignHome(t)
	other := filepath.Join(home, "other_key")
	writeSignKey(t, other, "")
	plain := filepath.Join(home, "deploy_plain")
	deploy := writeSignKey(t, plain, "")
	a := sshdtest.StartAgent(t, other, plain)
	// The same key, encrypted, where the config points.
	raw, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ssh.ParseRawPrivateKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "deploy", []byte("pp"))
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(home, ".ssh", "deploy_ed25519")
	if err := os.WriteFile(key, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeSignConfig(t, "Host web1", "  IdentityFile "+key)
	s, err := LoadSigner(context.Background(), SignerOptions{Host: "web1", ConfigFile: cfg, AgentSocket: a.Socket,
		Passphrase: func(string) ([]byte, error) {
			t.Error("passphrase asked for a key the agent holds")
			return nil, os.ErrInvalid
		}})
	signsWith(t, s, err, deploy)
	if _, viaAgent := s.(*agentKey); !viaAgent {
		t.Errorf("signer is %T, want the agent's", s)
	}
}
