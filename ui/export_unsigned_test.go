package ui

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// TestExportUnsignedOutcome: a transcript exported without a signature
// lists only the files written in the outcome (the reason was once a
// fake file, which golive printed as "wrote (not signed: …)"), keeps the
// reason apart, shows it on the summary, and the hint names the export
// that signs it.
func TestExportUnsignedOutcome(t *testing.T) {
	opts := testOpts(t, newFakeExec("web1"))
	opts.Runbook, opts.Host = "release", "web1"
	opts.OutDir = t.TempDir()
	opts.Sign = func(io.Reader, string) ([]byte, string, string, error) {
		return nil, "", "", errors.New("signing key: no agent key")
	}
	m := startedWith(t, opts, 80, 40)
	m = press(t, m, "S", "e")
	m = settle(t, m)
	o := m.outcome
	o.RunID = m.rel.RunID
	if len(o.Files) != 2 {
		t.Fatalf("files %q, want the .md and the .json", o.Files)
	}
	for _, f := range o.Files {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("outcome lists %q: %v", f, err)
		}
	}
	if o.Unsigned != "signing key: no agent key" {
		t.Errorf("Unsigned = %q", o.Unsigned)
	}
	if s := screen(m); !strings.Contains(s, "(not signed: signing key: no agent key)") {
		t.Errorf("the summary does not say why the transcript is not signed:\n%s", s)
	}
	want := "golive export " + m.rel.RunID + " --out " + opts.OutDir + " --identity KEY"
	if h := o.SignHint(); !strings.Contains(h, want) {
		t.Errorf("SignHint = %q, want it to contain %q", h, want)
	}
}

// TestUnsignedReasonWithoutLibraryPrefix: why a transcript is not signed
// reads without x/crypto/ssh's and sshexec's "ssh: " and "sshexec: ", on
// the TUI's summary and outcome and in plain mode's remark, as every
// other error golive shows (ErrorText); they went through as they were.
func TestUnsignedReasonWithoutLibraryPrefix(t *testing.T) {
	sign := func(io.Reader, string) ([]byte, string, string, error) {
		return nil, "", "", errors.New("signing key /home/op/.ssh/id_ed25519: sshexec: ssh: no key found")
	}
	const want = "signing key /home/op/.ssh/id_ed25519: no key found"
	opts := testOpts(t, newFakeExec("web1"))
	opts.Runbook, opts.Host = "release", "web1"
	opts.OutDir = t.TempDir()
	opts.Sign = sign
	m := startedWith(t, opts, 120, 40)
	m = settle(t, press(t, m, "S", "e"))
	if m.outcome.Unsigned != want || !strings.Contains(screen(m), "(not signed: "+want+")") {
		t.Errorf("TUI: Unsigned %q, want %q on the summary too:\n%s", m.outcome.Unsigned, want, screen(m))
	}

	e := newPlainEnv(t, nil)
	e.useRunbook(t, "id: tiny\ntitle: Tiny\nsections:\n  - id: s\n    title: S\n    steps:\n      - id: a\n        title: A\n        command: echo hi\n")
	e.opts.Sign = sign
	_, out := e.run(t, "", true)
	if !strings.Contains(out, "-- transcript not signed: "+want+"\n") {
		t.Errorf("plain mode does not say %q", "transcript not signed: "+want)
	}
}
