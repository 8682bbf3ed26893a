package sshexec

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// TranscriptNamespace is the SSHSIG namespace of golive transcript
// signatures: `ssh-keygen -Y verify -n golive-transcript` checks it, and an
// allowed_signers line may restrict a key to it.
const TranscriptNamespace = "golive-transcript"

// SignerOptions says which SSH key signs a transcript.
type SignerOptions struct {
	// AgentSocket is the ssh-agent socket; empty means $SSH_AUTH_SOCK,
	// "none" means do not use an agent.
	AgentSocket string
	// PublicKeyFile picks the agent key to sign with (by its .pub file).
	// When the agent lacks it, the private key next to it (the name without
	// .pub) is loaded instead.
	PublicKeyFile string
	// KeyFile is a private key file to sign with. If the agent holds the
	// same key, the agent signs and no passphrase is asked.
	KeyFile string
	// Passphrase is asked for an encrypted key file's passphrase; prompt
	// names the file. Nil means encrypted keys cannot be used.
	Passphrase func(prompt string) ([]byte, error)
	// HomeDir is where ~/.ssh is looked for default keys when there is no
	// agent and no key file; empty means the user's home directory.
	HomeDir string
	// Host is the run's host (an ssh_config alias or [user@]host[:port]).
	// When neither KeyFile nor PublicKeyFile is set, the IdentityFile
	// entries the ssh config gives for it are tried after the agent and
	// before the default key files, and its IdentityAgent is the agent,
	// as at login. "" or "local": no config is read.
	Host string
	// ConfigFile is the ssh_config Host is resolved in, as
	// Options.ConfigFile: "" for ~/.ssh/config and /etc/ssh/ssh_config,
	// "none" for none.
	ConfigFile string
	// LoginKey is the SHA256 fingerprint of the key that logged in to Host
	// (ConnInfo.AuthKeyFingerprint), when known. With no KeyFile or
	// PublicKeyFile, that key signs before any other: through the agent
	// when it holds it, else from the identity file that holds it.
	LoginKey string
}

// defaultIdentities are tried, in OpenSSH's order, when nothing else is
// given and no agent is running.
var defaultIdentities = []string{"id_ed25519", "id_ecdsa", "id_rsa"}

// LoadSigner returns the key that signs a transcript: the key file given
// (through the agent when it holds that key), else the agent's key matching
// PublicKeyFile; with neither, the key that logged in to Host (LoginKey),
// else the agent's key (one the ssh config names for Host first), else
// the first IdentityFile the ssh config gives for Host that exists, else
// the first default identity file in ~/.ssh (hostSigner). Errors say what was tried and what to pass instead.
func LoadSigner(ctx context.Context, opts SignerOptions) (ssh.Signer, error) {
	if opts.KeyFile == "" && opts.PublicKeyFile == "" {
		return hostSigner(ctx, opts)
	}
	var want ssh.PublicKey
	if opts.PublicKeyFile != "" {
		pub, err := readPublicKey(opts.PublicKeyFile)
		if err != nil {
			return nil, err
		}
		want = pub
	}
	var keyPEM []byte
	if opts.KeyFile != "" {
		data, err := os.ReadFile(opts.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("signing key: %w", err)
		}
		keyPEM = data
		s, err := ssh.ParsePrivateKey(data)
		if err == nil {
			return s, nil
		}
		var missing *ssh.PassphraseMissingError
		if !errors.As(err, &missing) {
			return nil, fmt.Errorf("signing key %s: %w", opts.KeyFile, err)
		}
		want = missing.PublicKey // may be nil (old PEM formats)
	}

	sock := opts.AgentSocket
	if sock == "" {
		sock = os.Getenv("SSH_AUTH_SOCK")
	}
	var agentErr error
	if sock != "" && sock != "none" && want != nil {
		s, err := agentSigner(ctx, sock, ssh.FingerprintSHA256(want))
		if err == nil {
			return s, nil
		}
		agentErr = err
	}

	if opts.KeyFile != "" {
		return decryptKey(opts.KeyFile, keyPEM, opts.Passphrase)
	}
	priv := strings.TrimSuffix(opts.PublicKeyFile, ".pub")
	if priv == opts.PublicKeyFile {
		if agentErr == nil {
			agentErr = errors.New("no ssh-agent (SSH_AUTH_SOCK is not set)")
		}
		return nil, fmt.Errorf("signing key %s: %w; pass the private key file instead", opts.PublicKeyFile, agentErr)
	}
	return LoadSigner(ctx, SignerOptions{AgentSocket: "none", KeyFile: priv, Passphrase: opts.Passphrase})
}

func readPublicKey(path string) (ssh.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: not a public key: %w", path, err)
	}
	return pub, nil
}

func decryptKey(path string, data []byte, ask func(string) ([]byte, error)) (ssh.Signer, error) {
	if ask == nil {
		return nil, fmt.Errorf("signing key %s is encrypted: add it to ssh-agent (ssh-add %s) or run golive where it can ask for the passphrase", path, path)
	}
	pass, err := ask(fmt.Sprintf("Passphrase for %s: ", path))
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	s, err := ssh.ParsePrivateKeyWithPassphrase(data, pass)
	clear(pass)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	return s, nil
}

// agentSigner finds the agent key whose SHA256 fingerprint is want (any
// key when "").
func agentSigner(ctx context.Context, sock string, want string) (ssh.Signer, error) {
	conn, err := dialAgent(ctx, sock)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// An agent that takes the connection and never answers (hung, or
	// forwarded from a host that went away) must not hold the caller
	// past ctx: the TUI waits on this to say whether an export signs.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	keys, err := agent.NewClient(conn).List()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("did not answer: %w", ctx.Err())
		}
		return nil, fmt.Errorf("ssh-agent %s: %w", sock, err)
	}
	for _, k := range keys {
		pub, err := ssh.ParsePublicKey(k.Blob)
		if err != nil {
			continue
		}
		if _, isCert := pub.(*ssh.Certificate); isCert {
			// A certificate would put the cert in the signature, which an
			// allowed_signers line for a plain key does not verify; its
			// plain key is listed by the agent too.
			continue
		}
		if want == "" || ssh.FingerprintSHA256(pub) == want {
			return &agentKey{sock: sock, pub: pub}, nil
		}
	}
	if want == "" {
		return nil, fmt.Errorf("ssh-agent %s holds no keys (ssh-add one)", sock)
	}
	return nil, fmt.Errorf("ssh-agent %s does not hold key %s", sock, want)
}

func dialAgent(ctx context.Context, sock string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return nil, fmt.Errorf("ssh-agent: %w", err)
	}
	return conn, nil
}

// agentKey signs through the agent, with a fresh connection per signature
// so that the signer can be kept without holding a socket open.
type agentKey struct {
	sock string
	pub  ssh.PublicKey
}

func (k *agentKey) PublicKey() ssh.PublicKey { return k.pub }

func (k *agentKey) Sign(rand io.Reader, data []byte) (*ssh.Signature, error) {
	return k.SignWithAlgorithm(rand, data, "")
}

// SignWithAlgorithm lets sshsig ask for rsa-sha2-512, which SSHSIG requires
// of RSA keys.
func (k *agentKey) SignWithAlgorithm(_ io.Reader, data []byte, algorithm string) (*ssh.Signature, error) {
	var flags agent.SignatureFlags
	switch algorithm {
	case ssh.KeyAlgoRSASHA256:
		flags = agent.SignatureFlagRsaSha256
	case ssh.KeyAlgoRSASHA512:
		flags = agent.SignatureFlagRsaSha512
	}
	conn, err := dialAgent(context.Background(), k.sock)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// A key added with `ssh-add -c` waits for the operator to confirm.
	_ = conn.SetDeadline(time.Now().Add(2 * time.Minute))
	sig, err := agent.NewClient(conn).SignWithFlags(k.pub, data, flags)
	if err != nil {
		return nil, fmt.Errorf("ssh-agent sign with %s: %w", ssh.FingerprintSHA256(k.pub), err)
	}
	return sig, nil
}

// SignTranscript signs data with s and returns the armored SSHSIG
// signature (namespace golive-transcript, SHA-512), the same bytes
// `ssh-keygen -Y sign -n golive-transcript` writes to FILE.sig.
func SignTranscript(data []byte, s ssh.Signer) ([]byte, error) {
	return SignTranscriptFrom(bytes.NewReader(data), s)
}

// SignTranscriptFrom is SignTranscript reading the transcript from r, so
// that a large one is hashed as it is read, never held in memory.
func SignTranscriptFrom(r io.Reader, s ssh.Signer) ([]byte, error) {
	sig, err := sshsig.Sign(r, s, sshsig.HashSHA512, TranscriptNamespace)
	if err != nil {
		return nil, fmt.Errorf("sign transcript with %s: %w", ssh.FingerprintSHA256(s.PublicKey()), err)
	}
	return sshsig.Armor(sig), nil
}

// VerifyTranscriptSignature checks that armoredSig is a golive-transcript
// signature of data and returns the signing key's SHA256 fingerprint.
//
// With allowedSigners (an OpenSSH allowed_signers file) the key must be
// listed there for principal (any principal when empty), with the
// namespaces option, if any, admitting golive-transcript, and within its
// valid-after/valid-before window, as `ssh-keygen -Y verify` requires. With
// a nil allowedSigners only the cryptography is checked: the signature is
// valid for the key it carries, whoever that is.
func VerifyTranscriptSignature(data, armoredSig []byte, allowedSigners io.Reader, principal string) (string, error) {
	sig, err := unarmorStrict(armoredSig)
	if err != nil {
		return "", fmt.Errorf("signature: %w", err)
	}
	fp := ssh.FingerprintSHA256(sig.PublicKey)
	if sig.Namespace != TranscriptNamespace {
		return fp, fmt.Errorf("signature: namespace is %q, not %q: it was not made for a golive transcript", sig.Namespace, TranscriptNamespace)
	}
	if err := sshsig.Verify(bytes.NewReader(data), sig, sig.PublicKey, sig.HashAlgorithm, TranscriptNamespace); err != nil {
		return fp, fmt.Errorf("signature: does not match the transcript (changed after signing, or a signature of another file): %w", err)
	}
	if allowedSigners == nil {
		return fp, nil
	}
	name := "allowed_signers"
	if f, ok := allowedSigners.(interface{ Name() string }); ok {
		name = f.Name()
	}
	signers, err := ParseAllowedSigners(allowedSigners, name)
	if err != nil {
		return fp, err
	}
	if err := signers.Allows(principal, sig.PublicKey, TranscriptNamespace, time.Now()); err != nil {
		return fp, err
	}
	return fp, nil
}

// unarmorStrict decodes an armored signature and rejects anything around
// or inside it that a lenient PEM decoder would let pass (text before or
// after, non-canonical base64), so that any changed byte is noticed.
func unarmorStrict(b []byte) (*sshsig.Signature, error) {
	const begin, end = "-----BEGIN SSH SIGNATURE-----", "-----END SSH SIGNATURE-----"
	text := strings.TrimSuffix(string(b), "\n")
	lines := strings.Split(text, "\n")
	if len(lines) < 3 || lines[0] != begin || lines[len(lines)-1] != end {
		return nil, fmt.Errorf("not an armored SSH signature (want %s … %s)", begin, end)
	}
	body := strings.Join(lines[1:len(lines)-1], "")
	raw, err := base64.StdEncoding.Strict().DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("bad base64 in the signature: %w", err)
	}
	sig, err := sshsig.ParseSignature(raw)
	if err != nil {
		return nil, fmt.Errorf("malformed SSH signature: %w", err)
	}
	return sig, nil
}

// AllowedSignersLine returns the allowed_signers line (without newline)
// that lets pub sign golive transcripts as principal, for a reviewer's
// allowed_signers file. A principal with spaces is quoted; commas and
// quotes, which the format cannot hold in a name, are dropped. An empty
// principal becomes "unknown-operator", never a wildcard: a line for "*"
// would let the key sign as anyone.
func AllowedSignersLine(principal string, pub ssh.PublicKey) string {
	principal = strings.NewReplacer(`"`, "", ",", "").Replace(strings.TrimSpace(principal))
	if principal == "" {
		principal = "unknown-operator"
	}
	if strings.ContainsAny(principal, " \t") {
		principal = `"` + principal + `"`
	}
	key := strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(pub)), "\n")
	return fmt.Sprintf("%s namespaces=%q %s", principal, TranscriptNamespace, key)
}

// Fingerprint returns a key's OpenSSH SHA256 fingerprint ("SHA256:…").
func Fingerprint(pub ssh.PublicKey) string { return ssh.FingerprintSHA256(pub) }

// CheckKeyFile reports whether path holds a private key, so that a wrong
// key file given to golive is caught before a release starts, not when
// its transcript is signed at the end. An encrypted key passes: its
// passphrase is asked for when it is used.
func CheckKeyFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("key file: %w; give the path of your private key file", err)
	}
	_, err = ssh.ParseRawPrivateKey(data)
	var missing *ssh.PassphraseMissingError
	if err == nil || errors.As(err, &missing) {
		return nil
	}
	if _, _, _, _, perr := ssh.ParseAuthorizedKey(data); perr == nil {
		if priv, ok := strings.CutSuffix(path, ".pub"); ok {
			return fmt.Errorf("key file %s holds a public key; give the private key file (%s)", path, priv)
		}
		return fmt.Errorf("key file %s holds a public key; give the private key file", path)
	}
	return fmt.Errorf("key file %s is not a private key: %w; give the path of your private key file", path, err)
}
