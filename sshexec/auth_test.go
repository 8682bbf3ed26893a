package sshexec

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"golive/internal/sshdtest"
)

func TestAgentAuth(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	keyPath, signer := s.NewClientKey("agent_only", "")
	s.Authorize(signer.PublicKey())
	a := sshdtest.StartAgent(t, keyPath)
	os.Remove(keyPath) // only the agent has it now

	opts := baseOptions(s)
	opts.IdentityFiles = nil
	opts.AgentSocket = a.Socket
	c := dialT(t, opts)
	run(t, c, "true")
	if got := c.Info().AuthKeyFingerprint; got != ssh.FingerprintSHA256(signer.PublicKey()) {
		t.Errorf("auth key %s, want the agent's %s", got, ssh.FingerprintSHA256(signer.PublicKey()))
	}

	// SSH_AUTH_SOCK works the same.
	t.Setenv("SSH_AUTH_SOCK", a.Socket)
	opts.AgentSocket = ""
	run(t, dialT(t, opts), "true")

	// Without the agent there is no key, and the error says what was tried.
	t.Setenv("SSH_AUTH_SOCK", "")
	err := dialErr(t, opts)
	mustContain(t, err.Error(), "log in to 127.0.0.1", "as "+s.User, "no keys were offered", "authorized_keys", "name the private key with --identity or IdentityFile")
}

// Many agent keys trip sshd's MaxAuthTries (6) before the right one;
// IdentitiesOnly offers only the agent keys matching the identity files.
func TestIdentitiesOnlyLimitsAgentKeys(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	var others []string
	for i := 0; i < 6; i++ {
		p, _ := s.NewClientKey(fmt.Sprintf("other%d", i), "")
		others = append(others, p)
	}
	a := sshdtest.StartAgent(t, others...)
	opts := baseOptions(s)
	opts.AgentSocket = a.Socket
	err := dialErr(t, opts)
	mustContain(t, err.Error(), "agent key SHA256:")

	opts.ConfigFile = writeConfig(t, "Host 127.0.0.1\n  IdentitiesOnly yes\n")
	run(t, dialT(t, opts), "true")
}

func TestEncryptedKeyAsksPassphrase(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	encPath, signer := s.NewClientKey("enc", "s3cret")
	s.Authorize(signer.PublicKey())
	p := &fakePrompter{t: t, passphrases: []string{"wrong", "s3cret"}}
	opts := baseOptions(s)
	opts.IdentityFiles = []string{encPath}
	opts.Prompter = p
	c := dialT(t, opts)
	run(t, c, "true")
	if len(p.passQs) != 2 || p.passQs[0].Attempt != 1 || p.passQs[1].Attempt != 2 || p.passQs[0].KeyFile != encPath {
		t.Fatalf("questions %+v", p.passQs)
	}
	mustContain(t, p.passQs[0].Message, "Enter passphrase for key '"+encPath+"'")
	mustContain(t, p.passQs[1].Message, "Bad passphrase, try again")

	// A reconnect does not ask again: the unlocked key stays in memory.
	s.KillSessions()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.reconnect(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if len(p.passQs) != 2 {
		t.Fatalf("asked again on reconnect: %+v", p.passQs)
	}

	// Three wrong answers skip the key, with advice.
	p3 := &fakePrompter{t: t, passphrases: []string{"a", "b", "c"}}
	opts.Prompter = p3
	err := dialErr(t, opts)
	mustContain(t, err.Error(), "wrong passphrase for "+encPath+" 3 times", "ssh-keygen -y -f "+encPath)
	if len(p3.passQs) != 3 {
		t.Errorf("asked %d times, want 3", len(p3.passQs))
	}

	// A key the operator skips (no passphrase) gives way to the next key,
	// and is not asked for again on reconnect.
	skip := &fakePrompter{t: t} // no answers: returns an error, like esc
	opts.Prompter = skip
	opts.IdentityFiles = []string{encPath, s.ClientKeyPath}
	c2 := dialT(t, opts)
	if len(skip.passQs) != 1 || c2.Info().AuthKeyFingerprint != ssh.FingerprintSHA256(s.ClientSigner.PublicKey()) {
		t.Fatalf("skip: asked %d times, logged in with %s", len(skip.passQs), c2.Info().AuthKeyFingerprint)
	}
	s.KillSessions()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel2()
	if err := c2.reconnect(ctx2, nil); err != nil || len(skip.passQs) != 1 {
		t.Fatalf("reconnect after skip: %v, asked %d times", err, len(skip.passQs))
	}
	opts.IdentityFiles = []string{encPath}

	// Nobody to ask: the error says to use ssh-agent.
	opts.Prompter = RefusePrompter{}
	err = dialErr(t, opts)
	mustContain(t, err.Error(), "ssh-add "+encPath)

	// ...and an encrypted key that cannot be unlocked does not stop a
	// usable key after it from being tried.
	opts.IdentityFiles = []string{encPath, s.ClientKeyPath}
	run(t, dialT(t, opts), "true")
}

// The server is asked about an encrypted key's public half first: a key it
// would refuse never costs the operator a passphrase.
func TestEncryptedKeyNotAcceptedIsNotUnlocked(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	encPath, _ := s.NewClientKey("enc_unauthorized", "s3cret")
	opts := baseOptions(s)
	opts.IdentityFiles = []string{encPath, s.ClientKeyPath}
	opts.Prompter = failPrompter{t}
	run(t, dialT(t, opts), "true")
}

// A user certificate next to the key (KEY-cert.pub) or named by
// CertificateFile logs in where only the CA is trusted.
func TestUserCertificate(t *testing.T) {
	isolate(t)
	_, caKey, _ := ed25519.GenerateKey(rand.Reader)
	ca, _ := ssh.NewSignerFromKey(caKey)
	caFile := filepath.Join(t.TempDir(), "user_ca.pub")
	os.WriteFile(caFile, ssh.MarshalAuthorizedKey(ca.PublicKey()), 0o644)
	s := sshdtest.Start(t, sshdtest.Config("TrustedUserCAKeys "+caFile))
	keyPath, signer := s.NewClientKey("certified", "") // not in authorized_keys
	cert := &ssh.Certificate{Key: signer.PublicKey(), CertType: ssh.UserCert, KeyId: "golive test",
		ValidPrincipals: []string{s.User}, ValidBefore: ssh.CertTimeInfinity,
		Permissions: ssh.Permissions{Extensions: map[string]string{}}}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	opts := baseOptions(s)
	opts.IdentityFiles = []string{keyPath}
	err := dialErr(t, opts) // no certificate yet: refused
	mustContain(t, err.Error(), "key file "+keyPath)

	os.WriteFile(keyPath+"-cert.pub", ssh.MarshalAuthorizedKey(cert), 0o644)
	c := dialT(t, opts)
	run(t, c, "true")
	if got := c.Info().AuthKeyFingerprint; got != ssh.FingerprintSHA256(signer.PublicKey()) {
		t.Errorf("auth key %s", got)
	}

	elsewhere := filepath.Join(t.TempDir(), "cert.pub")
	os.Rename(keyPath+"-cert.pub", elsewhere)
	opts.ConfigFile = writeConfig(t, "Host 127.0.0.1\n  CertificateFile "+elsewhere+"\n")
	run(t, dialT(t, opts), "true")
}

// IdentityAgent in the config picks the agent; BatchMode yes never asks.
func TestIdentityAgentAndBatchMode(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	keyPath, signer := s.NewClientKey("agent_only", "")
	s.Authorize(signer.PublicKey())
	a := sshdtest.StartAgent(t, keyPath)
	os.Remove(keyPath)
	opts := baseOptions(s)
	opts.IdentityFiles = nil
	opts.ConfigFile = writeConfig(t, "Host 127.0.0.1\n  IdentityAgent "+a.Socket+"\n")
	run(t, dialT(t, opts), "true")

	opts.KnownHostsFiles = []string{filepath.Join(t.TempDir(), "empty")}
	opts.ConfigFile = writeConfig(t, "Host 127.0.0.1\n  IdentityAgent "+a.Socket+"\n  BatchMode yes\n")
	opts.Prompter = failPrompter{t}
	var he *HostKeyError
	if err := dialErr(t, opts); !asHostKeyError(err, &he) || !he.Strict {
		t.Fatalf("BatchMode: %v", err)
	}
}

// sshd drops a client that takes longer than LoginGraceTime to log in; a
// passphrase typed after that is kept and the connection dialed again.
func TestSlowPassphraseOutlivesLoginGraceTime(t *testing.T) {
	isolate(t)
	// The grace has to cover the handshake up to the passphrase prompt on
	// a loaded machine, and no more: the operator types for longer.
	s := sshdtest.Start(t, sshdtest.Config("LoginGraceTime 3"))
	encPath, signer := s.NewClientKey("enc_slow", "s3cret")
	s.Authorize(signer.PublicKey())
	p := &slowPrompter{fakePrompter: fakePrompter{t: t, passphrases: []string{"s3cret"}}, server: s}
	opts := baseOptions(s)
	opts.IdentityFiles = []string{encPath}
	opts.Prompter = p
	run(t, dialT(t, opts), "true")
	if len(p.passQs) != 1 {
		t.Fatalf("asked %d times, want once", len(p.passQs))
	}
	if !p.dropped {
		t.Fatal("the server never dropped the connection while the passphrase was typed")
	}
}

// slowPrompter types the passphrase only once the server has given up on the
// connection that asked for it (its sshd processes are gone). Then the server
// gets a long grace, so that the dial that follows does not race a busy
// machine's clock: what is tested is that the passphrase is kept and used.
type slowPrompter struct {
	fakePrompter
	server  *sshdtest.Server
	dropped bool
}

func (p *slowPrompter) Passphrase(ctx context.Context, q PassphraseQuestion) ([]byte, error) {
	deadline := time.Now().Add(60 * time.Second)
	for len(p.server.SessionPIDs()) > 0 {
		if time.Now().After(deadline) {
			return nil, errors.New("test: the server kept the connection for 60s past its LoginGraceTime")
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.dropped = true
	p.server.Reconfigure("LoginGraceTime 120")
	return p.fakePrompter.Passphrase(ctx, q)
}
