package sshexec

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/ssh"
)

// lockedSigner is an encrypted identity file. x/crypto asks the server
// whether it accepts PublicKey before it calls Sign, so the passphrase is
// asked only for a key the server would take.
type lockedSigner struct {
	k    *keyring
	ctx  context.Context
	file string
	raw  []byte
	pub  ssh.PublicKey
	// beforePrompt, if set, runs before the first question.
	beforePrompt func()
}

func (l *lockedSigner) describe() string { return "encrypted key file " + l.file }

// PublicKey is known without the passphrase.
func (l *lockedSigner) PublicKey() ssh.PublicKey { return l.pub }

// Sign unlocks the key (asking once) and signs.
func (l *lockedSigner) Sign(rand io.Reader, data []byte) (*ssh.Signature, error) {
	s, err := l.unlock()
	if err != nil {
		return nil, err
	}
	return s.Sign(rand, data)
}

// SignWithAlgorithm unlocks the key (asking once) and signs with algo.
func (l *lockedSigner) SignWithAlgorithm(rand io.Reader, data []byte, algo string) (*ssh.Signature, error) {
	s, err := l.unlock()
	if err != nil {
		return nil, err
	}
	if as, ok := s.(ssh.AlgorithmSigner); ok {
		return as.SignWithAlgorithm(rand, data, algo)
	}
	return s.Sign(rand, data)
}

func (l *lockedSigner) unlock() (ssh.Signer, error) {
	k := l.k
	k.mu.Lock()
	defer k.mu.Unlock()
	if s := k.unlocked[l.file]; s != nil {
		return s, nil
	}
	if k.prompter == nil {
		return nil, fmt.Errorf("key %s is encrypted and nobody can type its passphrase; load it into ssh-agent with `ssh-add %s`", l.file, l.file)
	}
	if l.beforePrompt != nil {
		l.beforePrompt()
	}
	for attempt := 1; attempt <= maxPassphraseAttempts; attempt++ {
		pass, err := k.prompter.Passphrase(l.ctx, PassphraseQuestion{
			KeyFile: l.file, Attempt: attempt, Message: passphraseMessage(l.file, attempt)})
		if err != nil && l.ctx.Err() != nil {
			return nil, fmt.Errorf("passphrase for %s: %w", l.file, err)
		}
		if err != nil {
			// The operator gave none (skipped, or nobody can answer).
			return nil, k.skip(l.file, fmt.Sprintf("no passphrase given (%v)", err))
		}
		s, err := ssh.ParsePrivateKeyWithPassphrase(l.raw, pass)
		clear(pass)
		if errors.Is(err, x509.IncorrectPasswordError) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("unlock %s: %w", l.file, err)
		}
		if k.unlocked == nil {
			k.unlocked = map[string]ssh.Signer{}
		}
		k.unlocked[l.file] = s
		k.unlocks++
		return s, nil
	}
	return nil, k.skip(l.file, fmt.Sprintf("wrong passphrase for %s %d times; check it with `ssh-keygen -y -f %s`", l.file, maxPassphraseAttempts, l.file))
}

// skippedKeyError ends a handshake in which the operator gave no usable
// passphrase for a key the server would accept: x/crypto cannot go on to
// the next key after a failed signature, so the connection is dialed
// again without that key, as OpenSSH would carry on to the next one.
type skippedKeyError struct{ file, why string }

func (e *skippedKeyError) Error() string {
	return fmt.Sprintf("encrypted key %s skipped: %s", e.file, e.why)
}

// skip remembers (for this Client) that file is not to be offered again.
// k.mu is held.
func (k *keyring) skip(file, why string) error {
	if k.skipped == nil {
		k.skipped = map[string]string{}
	}
	k.skipped[file] = why
	return &skippedKeyError{file: file, why: why}
}

// skippedWhy says why file was skipped earlier, or "".
func (k *keyring) skippedWhy(file string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.skipped[file]
}

// unlockCount counts keys unlocked so far.
func (k *keyring) unlockCount() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.unlocks
}
