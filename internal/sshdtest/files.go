package sshdtest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// writeKey generates an ed25519 key and writes it in OpenSSH format to path
// (encrypted when passphrase is set) and its public half to path.pub.
func writeKey(path, passphrase string) (ssh.Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return writePrivate(path, priv, passphrase)
}

// writePrivate writes priv to path as writeKey does. An encrypted key
// gets one round of bcrypt (ssh-keygen -p -a 1), not the 16 of
// ssh-keygen's default and x/crypto/ssh's: a client unlocks it by the
// same code as any other, at a sixteenth of the cost. Under the race
// detector a 16-round unlock takes about 2 s of CPU, and a test that
// types a few wrong passphrases ran out of its time on a loaded machine.
func writePrivate(path string, priv ed25519.PrivateKey, passphrase string) (ssh.Signer, error) {
	block, err := ssh.MarshalPrivateKey(priv, "sshdtest")
	if err != nil {
		return nil, fmt.Errorf("marshal key %s: %w", path, err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	if passphrase != "" {
		out, err := exec.Command("ssh-keygen", "-q", "-p", "-a", "1", "-P", "", "-N", passphrase, "-f", path).CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("encrypt key %s: ssh-keygen: %v: %s", path, err, bytes.TrimSpace(out))
		}
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o644); err != nil {
		return nil, err
	}
	return signer, nil
}

// writeHostCert signs the host key with the CA option and writes it where
// sshd's HostCertificate points.
func (s *Server) writeHostCert() error {
	cert := &ssh.Certificate{
		Key:             s.HostPublicKey,
		Serial:          1,
		CertType:        ssh.HostCert,
		KeyId:           "sshdtest host",
		ValidPrincipals: s.opts.principals,
		ValidBefore:     ssh.CertTimeInfinity,
	}
	if err := cert.SignCert(rand.Reader, s.opts.hostCA); err != nil {
		return fmt.Errorf("sign host certificate: %w", err)
	}
	s.HostCert = cert
	return os.WriteFile(s.HostKeyPath+"-cert.pub", ssh.MarshalAuthorizedKey(cert), 0o644)
}

// NewClientKey writes a new ed25519 key pair named name in Dir (encrypted
// with passphrase unless it is empty) and returns the private key's path
// and its signer. The key is not authorized; see Authorize.
func (s *Server) NewClientKey(name, passphrase string) (string, ssh.Signer) {
	s.t.Helper()
	p := filepath.Join(s.Dir, name)
	signer, err := writeKey(p, passphrase)
	if err != nil {
		s.t.Fatalf("sshdtest: %v", err)
	}
	return p, signer
}

// Authorize adds pub to the server's authorized_keys; it applies to the
// next authentication.
func (s *Server) Authorize(pub ssh.PublicKey) {
	s.t.Helper()
	f, err := os.OpenFile(s.authPath, os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		s.t.Fatalf("sshdtest: %v", err)
	}
	defer f.Close()
	if _, err := f.Write(ssh.MarshalAuthorizedKey(pub)); err != nil {
		s.t.Fatalf("sshdtest: %v", err)
	}
}

// KnownHostsName is the name OpenSSH records for this server in
// known_hosts: "[127.0.0.1]:PORT".
func (s *Server) KnownHostsName() string {
	return knownhosts.Normalize(s.Addr)
}

// KnownHostsLine is a known_hosts line for this server's host key under
// KnownHostsName, with the name hashed as HashKnownHosts does when hashed.
func (s *Server) KnownHostsLine(hashed bool) string {
	name := s.KnownHostsName()
	if hashed {
		name = knownhosts.HashHostname(name)
	}
	return knownhosts.Line([]string{name}, s.HostPublicKey)
}

// WriteKnownHosts writes a known_hosts file holding this server's key (and
// nothing else) in Dir and returns its path.
func (s *Server) WriteKnownHosts(hashed bool) string {
	s.t.Helper()
	name := "known_hosts"
	if hashed {
		name = "known_hosts_hashed"
	}
	p := filepath.Join(s.Dir, name)
	if err := os.WriteFile(p, []byte(s.KnownHostsLine(hashed)+"\n"), 0o600); err != nil {
		s.t.Fatalf("sshdtest: %v", err)
	}
	return p
}

// WriteSSHConfig writes an ssh_config file in Dir with one Host block for
// alias pointing at this server (HostName, Port, User, IdentityFile,
// IdentitiesOnly yes, a UserKnownHostsFile trusting the server,
// StrictHostKeyChecking yes), followed by the extra lines, and returns its
// path. OpenSSH's own `ssh -F PATH alias` connects with it.
func (s *Server) WriteSSHConfig(alias string, extra ...string) string {
	s.t.Helper()
	kh := s.WriteKnownHosts(false)
	lines := []string{
		"Host " + alias,
		"  HostName " + s.Host,
		"  Port " + strconv.Itoa(s.Port),
		"  User " + s.User,
		"  IdentityFile " + s.ClientKeyPath,
		"  IdentitiesOnly yes",
		"  UserKnownHostsFile " + kh,
		"  StrictHostKeyChecking yes",
	}
	for _, e := range extra {
		lines = append(lines, "  "+e)
	}
	p := filepath.Join(s.Dir, "ssh_config_"+alias)
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		s.t.Fatalf("sshdtest: %v", err)
	}
	return p
}
