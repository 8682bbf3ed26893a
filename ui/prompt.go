package ui

import "context"

// TEMPORARY mirror of sshexec's Prompter (being written in sshexec/prompt.go);
// once it lands these become aliases: type Prompter = Prompter, etc.

// Prompter asks the operator the questions a connection raises.
type Prompter interface {
	// ConfirmHostKey asks whether to trust an unknown host key.
	ConfirmHostKey(ctx context.Context, q HostKeyQuestion) (bool, error)
	// Passphrase asks for an encrypted key's passphrase.
	Passphrase(ctx context.Context, q PassphraseQuestion) ([]byte, error)
}

// HostKeyQuestion describes an unknown host key.
type HostKeyQuestion struct {
	Host, Addr, RemoteIP, KeyType, Fingerprint, KnownHostsFile, Message string
}

// PassphraseQuestion asks for the passphrase of an encrypted key.
type PassphraseQuestion struct {
	KeyFile string
	Attempt int
	Message string
}
