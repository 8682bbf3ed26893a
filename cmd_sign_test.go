package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
