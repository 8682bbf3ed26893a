package ui

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golive/sshexec"
)

// TestExportNeverReplacesATranscript: two exports within the same second
// (two runs of one runbook on one host, or one run exported twice) share
// a name; the second goes beside the first as NAME-2, and the first
// transcript, its signature and its Markdown stay as they were. An
// unsigned second export is not left beside the first one's signature.
func TestExportNeverReplacesATranscript(t *testing.T) {
	ex := newFakeExec("web1")
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, "no issues"), res: sshexec.Result{ExitCode: 0}})
	m := started(t, ex, 100, 30)
	m = press(t, m, "enter")
	m = settle(t, m)
	dir := t.TempDir()
	at := time.Date(2026, 11, 21, 22, 30, 0, 0, time.UTC)
	sign := func(r io.Reader, _ string) ([]byte, string, string, error) {
		if _, err := io.ReadAll(r); err != nil {
			return nil, "", "", err
		}
		return []byte("SIGNATURE\n"), "lead ssh-ed25519 AAAA", "SHA256:test", nil
	}
	first, err := m.rel.Export(dir, sign, at)
	if err != nil {
		t.Fatal(err)
	}
	before := map[string][]byte{}
	for _, f := range first.Files() {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		before[f] = b
	}
	if first.Signature == "" || len(before) != 4 {
		t.Fatalf("first export wrote %q", first.Files())
	}
	// More happens in the run, then the second export, unsigned, in the
	// same second.
	m = press(t, m, "p")
	m = settle(t, m)
	second, err := m.rel.Export(dir, nil, at)
	if err != nil {
		t.Fatal(err)
	}
	for f, b := range before {
		now, err := os.ReadFile(f)
		if err != nil || !bytes.Equal(now, b) {
			t.Errorf("%s changed by the second export (err %v)", filepath.Base(f), err)
		}
	}
	if second.JSON == first.JSON || second.Markdown == first.Markdown {
		t.Fatalf("second export wrote over the first: %q", second.Files())
	}
	if want := strings.TrimSuffix(first.JSON, ".json") + "-2.json"; second.JSON != want {
		t.Errorf("second transcript %s, want %s", second.JSON, want)
	}
	if _, err := os.Stat(second.JSON + ".sig"); err == nil {
		t.Error("the unsigned second transcript has a signature beside it")
	}
	md, err := os.ReadFile(second.Markdown)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), filepath.Base(second.JSON)) {
		t.Errorf("the second Markdown does not name its own JSON %s", filepath.Base(second.JSON))
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".golive-") {
			t.Errorf("a temporary file was left: %s", e.Name())
		}
	}
}
