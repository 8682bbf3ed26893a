package ui

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"golive/runbook"
	"golive/sshexec"
)

// BenchmarkPlainExport is the end of `golive run --plain --yes` over the
// 50-step release of bench.BenchmarkBinaryFiftySteps (each step printing
// seq 1 1000), on this machine: the transcript written from the journal
// (replayed), signed with an ed25519 key as an operator's, and its
// Markdown. ms/export is the metric.
func BenchmarkPlainExport(b *testing.B) {
	dir := b.TempDir()
	var rb strings.Builder
	rb.WriteString("id: bench\ntitle: Benchmark\nversion: \"1\"\nsections:\n  - id: s\n    title: Steps\n    steps:\n")
	for i := 1; i <= 50; i++ {
		fmt.Fprintf(&rb, "      - id: step-%d\n        title: Step %d\n        command: seq 1 1000\n", i, i)
	}
	rbPath := filepath.Join(dir, "bench.yaml")
	if err := os.WriteFile(rbPath, []byte(rb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	blk, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		b.Fatal(err)
	}
	key := filepath.Join(dir, "key")
	if err := os.WriteFile(key, pem.EncodeToMemory(blk), 0o600); err != nil {
		b.Fatal(err)
	}
	sign := func(data io.Reader, op string) ([]byte, string, string, error) {
		s, err := sshexec.LoadSigner(context.Background(), sshexec.SignerOptions{KeyFile: key})
		if err != nil {
			return nil, "", "", err
		}
		sig, err := sshexec.SignTranscriptFrom(data, s)
		return sig, sshexec.AllowedSignersLine(op, s.PublicKey()), sshexec.Fingerprint(s.PublicKey()), err
	}
	opts := Options{Runbook: rbPath, Host: "local", Operator: "bench", OutDir: filepath.Join(dir, "out"),
		ProfilePath: filepath.Join(dir, "profile.yaml"), StateDir: filepath.Join(dir, "state"),
		Local: sshexec.NewLocal(sshexec.LocalOptions{StateDir: filepath.Join(dir, "jobs")}), Sign: sign}
	if code := RunPlain(context.Background(), opts, PlainOptions{Out: io.Discard, Yes: true}); code != ExitPassed {
		b.Fatalf("the release ended with %d", code)
	}
	journals, _ := filepath.Glob(filepath.Join(dir, "state", "*", "*", "journal.jsonl"))
	if len(journals) != 1 {
		b.Fatalf("journals %v", journals)
	}
	loaded, err := runbook.LoadFile(rbPath)
	if err != nil {
		b.Fatal(err)
	}
	plan, err := loaded.Plan(nil)
	if err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(dir, "again")
	var total time.Duration
	for b.Loop() {
		t0 := time.Now()
		ex, _, err := exportJournal(plan, "local", journals[0], out, sign, time.Now(), nil)
		total += time.Since(t0)
		if err != nil || ex.SignError != nil || ex.Signature == "" {
			b.Fatalf("export: %+v %v", ex, err)
		}
	}
	b.ReportMetric(float64(total)/float64(time.Millisecond)/float64(b.N), "ms/export")
}
