package sshexec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// maxPassphraseAttempts is how often a wrong passphrase is asked again.
const maxPassphraseAttempts = 3

// keyring holds what authentication learns once per Client: keys unlocked
// with a passphrase stay unlocked for reconnects (in memory only).
type keyring struct {
	prompter  Prompter
	agentSock string

	mu       sync.Mutex
	unlocked map[string]ssh.Signer
	skipped  map[string]string // key file -> why it is no longer offered
	unlocks  int
}

// authPlan is the keys offered to one host, in order, and notes that
// explain an authentication failure.
type authPlan struct {
	signers []ssh.Signer
	notes   []string
	closer  io.Closer
	used    atomic.Pointer[ssh.Signer]
}

func (p *authPlan) close() {
	if p.closer != nil {
		p.closer.Close()
	}
}

// method is the single public-key method offering every key: x/crypto uses
// only the first AuthMethod of each type. It notes which key signed.
func (p *authPlan) method() ssh.AuthMethod {
	return ssh.PublicKeysCallback(func() ([]ssh.Signer, error) {
		out := make([]ssh.Signer, len(p.signers))
		for i, s := range p.signers {
			out[i] = &recordingSigner{Signer: s, plan: p}
		}
		return out, nil
	})
}

// recordingSigner remembers in its plan that it signed: the key the
// server let in.
type recordingSigner struct {
	ssh.Signer
	plan *authPlan
}

// Sign signs and records the key.
func (r *recordingSigner) Sign(rand io.Reader, data []byte) (*ssh.Signature, error) {
	sig, err := r.Signer.Sign(rand, data)
	if err == nil {
		r.plan.used.Store(&r.Signer)
	}
	return sig, err
}

// SignWithAlgorithm signs with algo (rsa-sha2-* for RSA keys) and records
// the key.
func (r *recordingSigner) SignWithAlgorithm(rand io.Reader, data []byte, algo string) (*ssh.Signature, error) {
	as, ok := r.Signer.(ssh.AlgorithmSigner)
	if !ok {
		return r.Sign(rand, data)
	}
	sig, err := as.SignWithAlgorithm(rand, data, algo)
	if err == nil {
		r.plan.used.Store(&r.Signer)
	}
	return sig, err
}

// usedKey is the key that signed last (the one that logged in), or nil.
func (p *authPlan) usedKey() ssh.PublicKey {
	if s := p.used.Load(); s != nil {
		return (*s).PublicKey()
	}
	return nil
}

// describe summarises what was offered, for an authentication error.
func (p *authPlan) describe() string {
	var keys []string
	for _, s := range p.signers {
		if d, ok := s.(interface{ describe() string }); ok {
			keys = append(keys, d.describe())
		} else {
			keys = append(keys, fmt.Sprintf("agent key %s", ssh.FingerprintSHA256(s.PublicKey())))
		}
	}
	out := "no keys were offered"
	if len(keys) > 0 {
		out = "offered " + strings.Join(keys, ", ")
	}
	if len(p.notes) > 0 {
		out += " (" + strings.Join(p.notes, "; ") + ")"
	}
	return out
}

// planArgs says which keys to offer one host.
type planArgs struct {
	files          []string
	certFiles      []string // CertificateFile entries
	explicit       bool     // files were named, not defaults: say when missing
	identitiesOnly bool
	agentSock      string // "" = none
	batch          bool   // BatchMode: never ask
	beforePrompt   func() // runs before a passphrase question
}

// plan builds the keys for one host: agent keys first (only those matching
// the identity files when identitiesOnly), then the identity files the
// agent does not already hold, each preceded by its certificate
// (FILE-cert.pub or a CertificateFile) when there is one. Encrypted files
// are unlocked lazily, only if the server accepts their public key.
func (k *keyring) plan(ctx context.Context, a planArgs) *authPlan {
	p := &authPlan{}
	certs := k.loadCerts(a.certFiles, p)
	var fileSigners []ssh.Signer
	for _, f := range a.files {
		if why := k.skippedWhy(f); why != "" {
			p.notes = append(p.notes, (&skippedKeyError{file: f, why: why}).Error())
			continue
		}
		s, err := k.loadIdentity(ctx, f, a.beforePrompt)
		if err != nil {
			if a.explicit || !errors.Is(err, os.ErrNotExist) {
				p.notes = append(p.notes, err.Error())
			}
			continue
		}
		if _, locked := s.(*lockedSigner); locked && (a.batch || !k.canAsk()) {
			// Offering it would end authentication when reached: a key
			// the server accepts must then be signed with.
			p.notes = append(p.notes, fmt.Sprintf("encrypted key %s skipped: nobody can type its passphrase; load it with `ssh-add %s`", f, f))
			continue
		}
		for _, c := range append(k.loadCerts([]string{f + "-cert.pub"}, nil), certs...) {
			if keyID(c.Key) != keyID(s.PublicKey()) {
				continue
			}
			if cs, err := ssh.NewCertSigner(c, s); err == nil {
				fileSigners = append(fileSigners, described{Signer: cs, what: "certificate for " + f})
			}
		}
		fileSigners = append(fileSigners, s)
	}
	wanted := map[string]bool{}
	for _, s := range fileSigners {
		wanted[keyID(s.PublicKey())] = true
	}
	have := map[string]bool{}
	if a.agentSock != "" {
		conn, err := net.Dial("unix", a.agentSock)
		if err != nil {
			p.notes = append(p.notes, fmt.Sprintf("ssh-agent at %s unreachable: %v", a.agentSock, err))
		} else {
			p.closer = conn
			signers, err := agent.NewClient(conn).Signers()
			if err != nil {
				p.notes = append(p.notes, fmt.Sprintf("ssh-agent at %s: %v", a.agentSock, err))
			}
			for _, s := range signers {
				if a.identitiesOnly && !wanted[keyID(s.PublicKey())] {
					continue
				}
				have[string(s.PublicKey().Marshal())] = true
				p.signers = append(p.signers, s)
			}
		}
	}
	for _, s := range fileSigners {
		if !have[string(s.PublicKey().Marshal())] {
			p.signers = append(p.signers, s)
		}
	}
	return p
}

// keyID identifies a key, a certificate counting as its key.
func keyID(pub ssh.PublicKey) string {
	if c, ok := pub.(*ssh.Certificate); ok {
		pub = c.Key
	}
	return string(pub.Marshal())
}

// loadCerts reads certificate files; missing ones are skipped, unreadable
// ones noted in p (when p is set).
func (k *keyring) loadCerts(files []string, p *authPlan) []*ssh.Certificate {
	var out []*ssh.Certificate
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			if p != nil {
				p.notes = append(p.notes, fmt.Sprintf("certificate %s: %v", f, err))
			}
			continue
		}
		pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
		c, ok := pub.(*ssh.Certificate)
		if err != nil || !ok {
			if p != nil {
				p.notes = append(p.notes, fmt.Sprintf("certificate %s: not an SSH certificate", f))
			}
			continue
		}
		out = append(out, c)
	}
	return out
}

// described is a signer with a description for error messages.
type described struct {
	ssh.Signer
	what string
}

func (d described) describe() string { return d.what }

// SignWithAlgorithm keeps rsa-sha2-* signatures available.
func (d described) SignWithAlgorithm(rand io.Reader, data []byte, algo string) (*ssh.Signature, error) {
	if as, ok := d.Signer.(ssh.AlgorithmSigner); ok {
		return as.SignWithAlgorithm(rand, data, algo)
	}
	return d.Signer.Sign(rand, data)
}

// canAsk reports whether a passphrase can be asked at all.
func (k *keyring) canAsk() bool {
	if k.prompter == nil {
		return false
	}
	_, refuse := k.prompter.(RefusePrompter)
	return !refuse
}

// agentSocket picks the agent for a host: Options.AgentSocket, then the
// config's IdentityAgent, then SSH_AUTH_SOCK; "none" means no agent.
func (k *keyring) agentSocket(identityAgent string) string {
	sock := k.agentSock
	if sock == "" {
		sock = identityAgent
	}
	switch {
	case sock == "none":
		return ""
	case sock == "" || sock == "SSH_AUTH_SOCK":
		return os.Getenv("SSH_AUTH_SOCK")
	case strings.HasPrefix(sock, "$"):
		return os.Getenv(sock[1:])
	}
	return sock
}

// loadIdentity reads a private key file. An encrypted one becomes a signer
// that asks for the passphrase when it first has to sign.
func (k *keyring) loadIdentity(ctx context.Context, file string, beforePrompt func()) (ssh.Signer, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("identity file %s: %w", file, err)
	}
	signer, err := ssh.ParsePrivateKey(raw)
	if err == nil {
		return described{Signer: signer, what: "key file " + file}, nil
	}
	var missing *ssh.PassphraseMissingError
	if !errors.As(err, &missing) {
		return nil, fmt.Errorf("identity file %s: %w", file, err)
	}
	pub := lockedPublicKey(file, missing)
	if pub == nil {
		return nil, fmt.Errorf("identity file %s is encrypted and has no %s.pub to show the server first; add it, or load the key with `ssh-add %s`", file, filepath.Base(file), file)
	}
	return &lockedSigner{k: k, ctx: ctx, file: file, raw: raw, pub: pub, beforePrompt: beforePrompt}, nil
}

// lockedPublicKey is the public key of the encrypted key file file, which
// parsing it reported missing its passphrase: carried in clear by the
// OpenSSH format, else (old PEM-encrypted keys) in file.pub; nil when
// neither has it.
func lockedPublicKey(file string, missing *ssh.PassphraseMissingError) ssh.PublicKey {
	if missing.PublicKey != nil {
		return missing.PublicKey
	}
	if b, err := os.ReadFile(file + ".pub"); err == nil {
		if pub, _, _, _, err := ssh.ParseAuthorizedKey(b); err == nil {
			return pub
		}
	}
	return nil
}

// defaultIdentityFiles are the files tried when none is configured.
func defaultIdentityFiles() []string {
	home, err := os.UserHomeDir()
	if err != nil {
		return nil
	}
	return identityFilesIn(home)
}

// identityFilesIn are the default key files under home/.ssh, in
// OpenSSH's order (defaultIdentities).
func identityFilesIn(home string) []string {
	var out []string
	for _, n := range defaultIdentities {
		out = append(out, filepath.Join(home, ".ssh", n))
	}
	return out
}
