package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// TestSignNamesTheRunsOperator: without --operator, the allowed_signers
// line names the operator of the run being signed (as the transcript
// names them); --operator wins over it. The transcript is read whole.
func TestSignNamesTheRunsOperator(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(key, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	js := `{"format": "golive-transcript/1", "events": [` + strings.Repeat(`{"x": "`+strings.Repeat("y", 1000)+`"},`, 3000) + `{}]}`
	for _, tc := range []struct{ flag, want string }{{"", `"Alice Ops" `}, {"bob", "bob "}} {
		opts, err := buildOptions(runConfig{identity: key, operator: tc.flag, vars: map[string]string{}}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		r := strings.NewReader(js)
		sig, allowed, _, err := opts.Sign(r, "Alice Ops")
		if err != nil {
			t.Fatal(err)
		}
		if r.Len() != 0 || !strings.Contains(string(sig), "SSH SIGNATURE") {
			t.Fatalf("%d bytes of the transcript left unread; signature %q", r.Len(), sig)
		}
		if !strings.HasPrefix(allowed, tc.want) {
			t.Errorf("--operator %q: allowed_signers line %q, want it to start with %q", tc.flag, allowed, tc.want)
		}
	}
}

// TestSignCheckSaysWhetherAKeyCanSign: SignCheck (what the TUI's question
// before quitting unexported says of signing) finds a key where signing
// would: an unencrypted key signs, an encrypted one too (the TUI asks its
// passphrase; SignCheck must not), and with no key at all it says why
// and what to do.
func TestSignCheckSaysWhetherAKeyCanSign(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir()) // no ~/.ssh: no default keys
	t.Setenv("SSH_AUTH_SOCK", "")
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	plain, locked := filepath.Join(dir, "id_plain"), filepath.Join(dir, "id_locked")
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	lockedBlock, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("sekret"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plain, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(locked, pem.EncodeToMemory(lockedBlock), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		identity, want string // want: in the error, "" for none
	}{
		{plain, ""},
		{locked, ""},
		{"", "--identity"},
	} {
		opts, err := buildOptions(runConfig{identity: c.identity, host: "local", sshConfig: "none", vars: map[string]string{}}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = opts.SignCheck(ctx)
		cancel()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("identity %q: SignCheck = %v, want a key that can sign", c.identity, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("identity %q: SignCheck = %v, want an error naming %q", c.identity, err, c.want)
		}
	}
}
