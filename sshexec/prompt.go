package sshexec

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/skeema/knownhosts"
)

// Prompter asks the operator the questions a connection can raise. The UI
// implements it; calls may come from any goroutine and may block until the
// operator answers or ctx is done.
type Prompter interface {
	// ConfirmHostKey asks whether to trust a host whose key is not in any
	// known_hosts file. It is never called for a changed or revoked key.
	ConfirmHostKey(ctx context.Context, q HostKeyQuestion) (bool, error)
	// Passphrase asks for the passphrase of an encrypted private key. The
	// answer must not be echoed. It is asked only when the server would
	// accept the key.
	Passphrase(ctx context.Context, q PassphraseQuestion) ([]byte, error)
}

// HostKeyQuestion describes an unknown host key.
type HostKeyQuestion struct {
	// Host is the name the operator gave (an alias or a host name).
	Host string
	// Addr is the name checked in known_hosts, e.g. "[db1]:2222" or "db1".
	Addr string
	// Jump is true when the key is a jump host's (ProxyJump), not the
	// target's.
	Jump bool
	// RemoteIP is the address actually connected to, when known.
	RemoteIP string
	// KeyType is OpenSSH's name for the key type, e.g. "ED25519".
	KeyType string
	// Fingerprint is the key's SHA256 fingerprint ("SHA256:...").
	Fingerprint string
	// KnownHostsFile is where an accepted key will be recorded.
	KnownHostsFile string
	// Message is OpenSSH's wording of the question, several lines.
	Message string
}

// PassphraseQuestion asks for the passphrase of an encrypted key.
type PassphraseQuestion struct {
	// KeyFile is the private key's path.
	KeyFile string
	// Attempt counts from 1; a second attempt means the last one was wrong.
	Attempt int
	// Message is OpenSSH's wording of the question.
	Message string
}

// HostKeyAccepted reports a host key the operator accepted.
type HostKeyAccepted struct {
	Host, Addr, KeyType, Fingerprint string
	// File is the known_hosts file the key was appended to.
	File string
	// Err is set when the key could not be recorded; it is then trusted
	// for this run only.
	Err error
}

// RefusePrompter answers no to every question. Use it when nobody can
// answer (plain mode without input): unknown hosts are refused with the
// fingerprint and how to add the key, and encrypted keys are skipped with
// advice to load them into ssh-agent.
type RefusePrompter struct{}

// ConfirmHostKey refuses: the connection fails with the fingerprint and
// the command that adds the key.
func (RefusePrompter) ConfirmHostKey(context.Context, HostKeyQuestion) (bool, error) {
	return false, ErrNoAnswer
}

// Passphrase refuses.
func (RefusePrompter) Passphrase(_ context.Context, q PassphraseQuestion) ([]byte, error) {
	return nil, fmt.Errorf("%w: key %s is encrypted and nobody can type its passphrase; load it into ssh-agent with `ssh-add %s`", ErrNoAnswer, q.KeyFile, q.KeyFile)
}

// ErrNoAnswer is what a Prompter returns (wrapped or not) when nobody can
// answer, e.g. stdin is at its end: the connection then fails saying that
// nobody could confirm the key, rather than that the operator refused it.
var ErrNoAnswer = errors.New("sshexec: nobody can answer the question")

// hostKeyMessage words the question as OpenSSH does: host and address
// shown as "[h]:port" off port 22.
func hostKeyMessage(host, ip string, port int, keyType, fp string) string {
	name := func(h string) string { return knownhosts.Normalize(net.JoinHostPort(h, strconv.Itoa(port))) }
	shown := name(host)
	if ip != "" {
		shown = fmt.Sprintf("%s (%s)", shown, name(ip))
	}
	return fmt.Sprintf("The authenticity of host '%s' can't be established.\n"+
		"%s key fingerprint is %s.\n"+
		"This key is not known by any other names.\n"+
		"Are you sure you want to continue connecting (yes/no)?", shown, keyType, fp)
}

func passphraseMessage(file string, attempt int) string {
	if attempt > 1 {
		return fmt.Sprintf("Bad passphrase, try again for %s: ", file)
	}
	return fmt.Sprintf("Enter passphrase for key '%s': ", file)
}
