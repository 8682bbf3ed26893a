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
