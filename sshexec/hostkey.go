package sshexec

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

// HostKeyErrorKind says why a host key was refused.
type HostKeyErrorKind int

// Kinds of host key refusal.
const (
	// HostKeyUnknown: the host is in no known_hosts file and nobody
	// accepted its key.
	HostKeyUnknown HostKeyErrorKind = iota + 1
	// HostKeyChanged: known_hosts holds a different key for the host.
	HostKeyChanged
	// HostKeyRevoked: the key is marked @revoked.
	HostKeyRevoked
	// HostKeyMalformed: a known_hosts file could not be read.
	HostKeyMalformed
)

// HostKeyError is a refused host key. Its message says what to do.
type HostKeyError struct {
	Kind HostKeyErrorKind
	// Host is the name the operator gave; Addr the name checked in
	// known_hosts ("[h]:2222").
	Host, Addr string
	// KeyType ("ED25519") and Fingerprint ("SHA256:...") of the key the
	// server sent; empty for HostKeyMalformed.
	KeyType, Fingerprint string
	// File and Line locate the old key (changed), the @revoked line, or the
	// unreadable line (malformed).
	File string
	Line int
	// Refused is true when the operator said no to an unknown key.
	Refused bool
	// Strict is true when StrictHostKeyChecking yes or BatchMode yes
	// forbade asking.
	Strict bool
	// Jump is true when the key is a jump host's (ProxyJump), not the
	// target's.
	Jump bool
	// AddCommand, for an unknown host, adds its key to known_hosts (after
	// the fingerprint was verified out of band).
	AddCommand string
	Err        error
}

// Error says what was refused and what to do about it.
func (e *HostKeyError) Error() string {
	switch e.Kind {
	case HostKeyUnknown:
		why := "nobody could confirm it"
		switch {
		case e.Refused:
			why = "you did not accept it"
		case e.Strict:
			why = "asking is off (StrictHostKeyChecking yes or BatchMode yes)"
		}
		return fmt.Sprintf("host key of %s (%s) is not known and %s: %s key fingerprint is %s; "+
			"verify the fingerprint out of band, then add the key with `%s`", e.Host, e.Addr, why, e.KeyType, e.Fingerprint, e.AddCommand)
	case HostKeyChanged:
		return fmt.Sprintf("REMOTE HOST IDENTIFICATION HAS CHANGED for %s (%s): someone could be eavesdropping on you right now (man-in-the-middle attack), or the host key was just replaced. "+
			"The host sent an %s key with fingerprint %s; the key on file is at %s:%d. "+
			"Ask the host's administrator whether its key was changed on purpose; only then remove the old entry with `ssh-keygen -R '%s' -f %s` and connect again. Refusing to connect",
			e.Host, e.Addr, e.KeyType, e.Fingerprint, e.File, e.Line, e.Addr, e.File)
	case HostKeyRevoked:
		return fmt.Sprintf("host key of %s (%s) is REVOKED (%s key %s, marked @revoked at %s:%d): refusing to connect; "+
			"the key may be compromised, ask the host's administrator for its new key", e.Host, e.Addr, e.KeyType, e.Fingerprint, e.File, e.Line)
	case HostKeyMalformed:
		return fmt.Sprintf("known_hosts file %s:%d cannot be read: %v; fix or delete that line", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("host key of %s (%s) refused: %v", e.Host, e.Addr, e.Err)
}

// Unwrap returns the known_hosts library's error, if any.
func (e *HostKeyError) Unwrap() error { return e.Err }

var knownHostsLineRE = regexp.MustCompile(`^knownhosts: (.+):(\d+): (.*)$`)

// loadKnownHosts reads the existing files among paths.
func loadKnownHosts(paths []string) (*knownhosts.HostKeyDB, error) {
	var existing []string
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			existing = append(existing, p)
		}
	}
	db, err := knownhosts.NewDB(existing...)
	if err != nil {
		he := &HostKeyError{Kind: HostKeyMalformed, Err: err}
		if m := knownHostsLineRE.FindStringSubmatch(err.Error()); m != nil {
			he.File = m[1]
			he.Line, _ = strconv.Atoi(m[2])
			he.Err = errors.New(m[3])
		} else {
			he.File = strings.Join(existing, ", ")
		}
		return nil, he
	}
	return db, nil
}

// hostKeyCheck checks one host's key during one handshake.
type hostKeyCheck struct {
	host     string // as given
	addr     string // resolved host:port
	jump     bool   // a jump host's, not the target's
	db       *knownhosts.HostKeyDB
	accepted ssh.PublicKey // accepted earlier in this process, not on file
	// unknown is the key the server sent when it was not on file.
	unknown ssh.PublicKey
	// verified is the key the server sent when it checked out.
	verified ssh.PublicKey
	// authKey is the client key that logged in (set after the handshake).
	authKey  ssh.PublicKey
	remoteIP string
}

func (h *hostKeyCheck) callback(_ string, remote net.Addr, key ssh.PublicKey) error {
	he := &HostKeyError{Host: h.host, Addr: knownhosts.Normalize(h.addr), Jump: h.jump, KeyType: keyTypeName(key),
		Fingerprint: ssh.FingerprintSHA256(key)}
	if h.accepted != nil {
		if string(h.accepted.Marshal()) == string(key.Marshal()) {
			h.verified = key
			return nil
		}
		he.Kind, he.File = HostKeyChanged, "(the key accepted earlier in this run)"
		return he
	}
	err := h.db.HostKeyCallback()(h.addr, remote, key)
	if err == nil {
		h.verified = key
		return nil
	}
	he.Err = err
	var revoked *xknownhosts.RevokedError
	var keyErr *xknownhosts.KeyError
	switch {
	case errors.As(err, &revoked):
		he.Kind, he.File, he.Line = HostKeyRevoked, revoked.Revoked.Filename, revoked.Revoked.Line
	case errors.As(err, &keyErr) && len(keyErr.Want) > 0:
		he.Kind, he.File, he.Line = HostKeyChanged, keyErr.Want[0].Filename, keyErr.Want[0].Line
	case errors.As(err, &keyErr):
		he.Kind = HostKeyUnknown
		h.unknown = key
		if tcp, ok := remote.(*net.TCPAddr); ok && !tcp.IP.IsUnspecified() {
			h.remoteIP = tcp.IP.String()
		}
	default:
		return fmt.Errorf("check host key of %s: %w", h.host, err)
	}
	return he
}

// algorithms orders host key algorithms to match what is on file, so the
// server shows the key we know; for an unknown host it prefers Ed25519 like
// OpenSSH does, so the key recorded is the one `ssh` would record.
func (h *hostKeyCheck) algorithms() []string {
	if h.accepted != nil {
		return algorithmsFor(h.accepted.Type())
	}
	if known := h.db.HostKeyAlgorithms(h.addr); len(known) > 0 {
		return known
	}
	return []string{
		ssh.KeyAlgoED25519,
		ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
		ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256,
	}
}

func algorithmsFor(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}

// keyTypeName is OpenSSH's display name for a key type ("ED25519").
func keyTypeName(k ssh.PublicKey) string {
	t := k.Type()
	if c, ok := k.(*ssh.Certificate); ok {
		t = c.Key.Type()
	}
	switch {
	case strings.Contains(t, "ed25519"):
		return "ED25519"
	case strings.HasPrefix(t, "ecdsa") || strings.Contains(t, "ecdsa"):
		return "ECDSA"
	case strings.Contains(t, "rsa"):
		return "RSA"
	case strings.Contains(t, "dss"):
		return "DSA"
	}
	return strings.ToUpper(t)
}

// keyscanCommand is how to add a host's key by hand.
func keyscanCommand(hostName string, port int, key ssh.PublicKey, file string) string {
	kt := strings.ToLower(keyTypeName(key))
	p := ""
	if port != 22 {
		p = "-p " + strconv.Itoa(port) + " "
	}
	return fmt.Sprintf("ssh-keyscan %s-t %s %s >> %s", p, kt, hostName, file)
}

// recordHostKey appends key for addr to file (created 0600 in a 0700
// directory when missing), hashing the name when hash is set or the file
// already holds hashed names.
func recordHostKey(file, addr string, key ssh.PublicKey, hash bool) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("record host key: %w", err)
	}
	old, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("record host key: %w", err)
	}
	if !hash {
		for _, l := range strings.Split(string(old), "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "|1|") {
				hash = true
				break
			}
		}
	}
	name := knownhosts.Normalize(addr)
	if hash {
		name = xknownhosts.HashHostname(name)
	}
	line := xknownhosts.Line([]string{name}, key) + "\n"
	if len(old) > 0 && old[len(old)-1] != '\n' {
		line = "\n" + line
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("record host key: %w", err)
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return fmt.Errorf("record host key in %s: %w", file, err)
	}
	return f.Close()
}

// unknownHost is a hop whose key was not on file, to ask about.
type unknownHost struct {
	hop *target
	chk *hostKeyCheck
	err *HostKeyError
}

// knownHostsFiles are the files checked for hop; the first user file is
// where accepted keys go.
func (c *Client) knownHostsFiles(hop *target) []string {
	if len(c.opts.KnownHostsFiles) > 0 {
		return c.opts.KnownHostsFiles
	}
	return append(append([]string{}, hop.userKnownHosts...), hop.globalKnownHosts...)
}

func (c *Client) recordFile(hop *target) string {
	if len(c.opts.KnownHostsFiles) > 0 {
		return c.opts.KnownHostsFiles[0]
	}
	if len(hop.userKnownHosts) > 0 {
		return hop.userKnownHosts[0]
	}
	return ""
}

// askUnknown asks the operator about an unknown host key and records an
// accepted one; it returns the refusal otherwise.
func (c *Client) askUnknown(ctx context.Context, u *unknownHost) error {
	hop, key := u.hop, u.chk.unknown
	file := c.recordFile(hop)
	he := u.err
	shownFile := file
	if shownFile == "" {
		shownFile = "~/.ssh/known_hosts"
	}
	he.AddCommand = keyscanCommand(hop.hostName, hop.port, key, shownFile)
	if hop.strict == "yes" || hop.batch {
		he.Strict = true
		return he
	}
	if c.opts.Prompter == nil {
		return he
	}
	q := HostKeyQuestion{
		Host: hop.alias, Addr: he.Addr, Jump: he.Jump, RemoteIP: u.chk.remoteIP, KeyType: he.KeyType,
		Fingerprint: he.Fingerprint, KnownHostsFile: file,
		Message: hostKeyMessage(hop.hostName, u.chk.remoteIP, hop.port, he.KeyType, he.Fingerprint),
	}
	ok, err := c.opts.Prompter.ConfirmHostKey(ctx, q)
	if errors.Is(err, ErrNoAnswer) {
		return he
	}
	if err != nil {
		return fmt.Errorf("ask about the host key of %s: %w", hop.alias, err)
	}
	if !ok {
		he.Refused = true
		return he
	}
	c.mu.Lock()
	c.accepted[hop.keyName()] = key
	c.mu.Unlock()
	acc := HostKeyAccepted{Host: hop.alias, Addr: knownhosts.Normalize(hop.keyName()), KeyType: he.KeyType, Fingerprint: he.Fingerprint, File: file}
	if file == "" {
		acc.Err = errors.New("no UserKnownHostsFile to record it in; trusted for this run only")
	} else {
		acc.Err = recordHostKey(file, hop.keyName(), key, hop.hashKnownHosts)
	}
	if c.opts.OnHostKeyAccepted != nil {
		c.opts.OnHostKeyAccepted(acc)
	}
	return nil
}
