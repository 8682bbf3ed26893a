package sshexec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
)

// signHost is what the ssh config says about the run's host that matters
// to signing: the identity files and the agent the login uses.
type signHost struct {
	alias         string   // the host as given ("" or "local": none)
	files         []string // IdentityFile entries, tokens and ~ expanded
	identityAgent string   // IdentityAgent, "" when unset
	err           error    // why the config could not be read for it
}

// resolveSignHost resolves opts.Host in opts.ConfigFile the way Dial does
// (the same files, tokens and ~). An error is kept, not returned: the
// agent and the default key files may still sign.
func resolveSignHost(opts SignerOptions) signHost {
	spec := strings.TrimSpace(opts.Host)
	if spec == "" || spec == "local" {
		return signHost{}
	}
	h := signHost{alias: spec}
	user, host, port, err := parseHostSpec(spec)
	if err != nil {
		h.err = err
		return h
	}
	h.alias = host
	cfg, err := loadSSHConfig(opts.ConfigFile)
	if err != nil {
		h.err = err
		return h
	}
	t, err := cfg.resolveHost(host, user, port)
	if err != nil {
		h.err = err
		return h
	}
	h.files, h.identityAgent = t.identityFiles, t.identityAgent
	return h
}

// hostSigner is LoadSigner when no key file is named. In order: the key
// that logged in to opts.Host (opts.LoginKey), from the agent or from the
// identity file holding it; the agent's key of an IdentityFile the ssh
// config gives for opts.Host, else its first key; the first IdentityFile
// the ssh config gives for opts.Host that exists (a missing one is
// skipped, as OpenSSH does); the first default key file in ~/.ssh. A key
// file that exists is used or its error returned: an encrypted one asks
// opts.Passphrase, or says to ssh-add it. When nothing is found, the
// error names every place looked at.
func hostSigner(ctx context.Context, opts SignerOptions) (ssh.Signer, error) {
	host := resolveSignHost(opts)
	sock := (&keyring{agentSock: opts.AgentSocket}).agentSocket(host.identityAgent)
	home, homeErr := signHome(opts.HomeDir)
	var defaults []string
	if homeErr == nil {
		defaults = identityFilesIn(home)
	}
	fromFile := func(path string) (ssh.Signer, error) {
		return LoadSigner(ctx, SignerOptions{AgentSocket: "none", KeyFile: path, Passphrase: opts.Passphrase})
	}

	if opts.LoginKey != "" {
		if sock != "" {
			if s, err := agentSigner(ctx, sock, opts.LoginKey); err == nil {
				return s, nil
			}
		}
		for _, f := range append(append([]string{}, host.files...), defaults...) {
			if pub := filePublicKey(f); pub == nil || ssh.FingerprintSHA256(pub) != opts.LoginKey {
				continue
			}
			s, err := fromFile(f)
			if err == nil || opts.Passphrase != nil {
				// Asked for its passphrase and refused: that is the
				// operator's answer, not a reason to sign with another key.
				return s, err
			}
			break // encrypted, nobody to ask: the agent or the files below
		}
	}

	agentWhy := "SSH_AUTH_SOCK is not set"
	if sock != "" {
		// The agent's copy of a key the config names for the host (often
		// ssh-added, encrypted on disk) before its other keys.
		for _, f := range host.files {
			if pub := filePublicKey(f); pub != nil {
				if s, err := agentSigner(ctx, sock, ssh.FingerprintSHA256(pub)); err == nil {
					return s, nil
				}
			}
		}
		s, err := agentSigner(ctx, sock, "")
		if err == nil {
			return s, nil
		}
		agentWhy = err.Error()
	} else if opts.AgentSocket == "none" || strings.EqualFold(host.identityAgent, "none") {
		agentWhy = "no agent is used"
	}
	for _, f := range host.files {
		if _, err := os.Stat(f); err == nil {
			return fromFile(f)
		}
	}
	if homeErr != nil {
		// Without this check, home "" would look for keys in ./.ssh, under
		// whatever directory golive was started in.
		return nil, fmt.Errorf("signing key: no agent key (%s)%s, and no home directory to look for key files in (%w); name a key file with --identity",
			agentWhy, host.tried(", "), homeErr)
	}
	for _, f := range defaults {
		if _, err := os.Stat(f); err == nil {
			return fromFile(f)
		}
	}
	return nil, fmt.Errorf("signing key: no agent key (%s)%s and no key in %s (%s); start ssh-agent and ssh-add your key, or name a key file with --identity",
		agentWhy, host.tried(", "), filepath.Join(home, ".ssh"), strings.Join(defaultIdentities, ", "))
}

// tried says, for the error of hostSigner, which IdentityFile entries of
// the ssh config were looked at for the host (after sep), or "" when no
// host was given.
func (h signHost) tried(sep string) string {
	switch {
	case h.alias == "":
		return ""
	case h.err != nil:
		return fmt.Sprintf("%sno IdentityFile for %s (the ssh config could not be read: %v)", sep, h.alias, h.err)
	case len(h.files) == 0:
		return sep + "no IdentityFile for " + h.alias + " in the ssh config"
	}
	return fmt.Sprintf("%sno key file at the ssh config's IdentityFile for %s (%s)", sep, h.alias, strings.Join(h.files, ", "))
}

// signHome is where ~/.ssh is: dir, else the user's home directory.
func signHome(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	if h == "" {
		return "", errors.New("$HOME is not defined")
	}
	return h, nil
}

// filePublicKey is the public key of the private key file path, read
// without its passphrase (an encrypted file carries it, or path.pub
// does); nil when the file is missing or holds no key.
func filePublicKey(path string) ssh.PublicKey {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	s, err := ssh.ParsePrivateKey(data)
	if err == nil {
		return s.PublicKey()
	}
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return lockedPublicKey(path, missing)
	}
	return nil
}
