package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"golive/runbook"
	"golive/sshexec"
)

// recordRun runs a small release through a Session and a real Journal and
// returns the JSON transcript. steps sets how many remote steps it has;
// auto runs sign off automatically and stop before finishing.
func recordRun(t *testing.T, steps int, auto ...bool) []byte {
	isAuto := len(auto) > 0 && auto[0]
	t.Helper()
	rb := &runbook.Runbook{ID: "mini", Title: "Mini release", Version: "1", File: "mini.yaml",
		Hash:      strings.Repeat("ab", 32),
		Variables: []runbook.Variable{{Name: "db_password", Secret: true}}}
	sec := runbook.Section{ID: "main", Title: "Release"}
	for i := 0; i < steps; i++ {
		sec.Steps = append(sec.Steps, runbook.Step{ID: "s" + string(rune('a'+i)), Title: "Step", Kind: runbook.KindRemote,
			Command: "echo ok", Risk: runbook.RiskLow})
	}
	sec.Steps = append(sec.Steps, runbook.Step{ID: "manual", Title: "Look at the site", Kind: runbook.KindManual, Risk: runbook.RiskLow})
	rb.Sections = []runbook.Section{sec}
	plan, err := rb.Plan(map[string]string{"db_password": "hunter2hunter2"})
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	s := runbook.NewSession(plan, func() time.Time { clock = clock.Add(time.Second); return clock })
	j, err := runbook.CreateJournal(t.TempDir(), "mini-1")
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	var all []runbook.Event
	do := func(e runbook.Event, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		st, err := j.Append(e)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Apply(st[0]); err != nil {
			t.Fatal(err)
		}
		all = append(all, st[0])
	}
	do(s.Begin(runbook.RunInfo{ID: "mini-1", Host: "web1", Operator: "ana", Auto: isAuto}))
	for _, st := range sec.Steps[:steps] {
		do(s.StartStep(st.ID, runbook.StartInfo{Command: "echo ok", Where: "remote", Host: "web1"}))
		do(s.Output(st.ID, []runbook.OutputLine{{Time: clock, Stream: runbook.StreamStdout, Text: "ok <&> " + st.ID}}))
		do(s.Exit(st.ID, runbook.ExitInfo{Code: 0, Duration: time.Second}))
		do(s.SignOff(st.ID, runbook.VerdictPassed, "", "ana", isAuto))
	}
	if !isAuto {
		do(s.SignOff("manual", runbook.VerdictPassed, "looked fine", "ana", false))
		do(s.Finish(""))
	}
	var buf bytes.Buffer
	if err := s.WriteJSON(&buf, all); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type signedFiles struct{ transcript, signers string }

// signed writes a transcript, its .sig and an allowed_signers file.
func signed(t *testing.T, data []byte) signedFiles {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f := signedFiles{filepath.Join(dir, "release.json"), filepath.Join(dir, "allowed_signers")}
	sig, err := sshexec.SignTranscript(data, signer)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(f.transcript, data, 0o600)
	os.WriteFile(f.transcript+".sig", sig, 0o600)
	os.WriteFile(f.signers, []byte(sshexec.AllowedSignersLine("ana@example.com", signer.PublicKey())+"\n"), 0o600)
	return f
}

func verifyCmd(args ...string) (int, string) {
	var out, errb bytes.Buffer
	code := dispatch(append([]string{"verify"}, args...), &out, &errb)
	return code, out.String() + errb.String()
}

func TestVerifyCommand(t *testing.T) {
	f := signed(t, recordRun(t, 2))
	code, out := verifyCmd(f.transcript, "--signers", f.signers, "--principal", "ana@example.com")
	if code != 0 || strings.Count(out, "✓") != 5 || !strings.Contains(out, "VERIFIED: signed by a trusted key") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if strings.Contains(out, "note:") {
		t.Errorf("a finished, hand-signed-off run got a note:\n%s", out)
	}
	fa := signed(t, recordRun(t, 1, true))
	code, out = verifyCmd(fa.transcript, "--signers", fa.signers)
	if code != 0 || !strings.Contains(out, "automatically") || !strings.Contains(out, "before it finished") {
		t.Fatalf("automatic, unfinished run: exit %d:\n%s", code, out)
	}
	code, out = verifyCmd(f.transcript, "--signers", f.signers)
	if code != 0 || !strings.Contains(out, "as ana@example.com") {
		t.Fatalf("any principal: exit %d:\n%s", code, out)
	}
	code, out = verifyCmd(f.transcript)
	if code != 0 || !strings.Contains(out, "NOT checked against a trust list") || !strings.Contains(out, "SHA256:") {
		t.Fatalf("no --signers: exit %d:\n%s", code, out)
	}
	code, out = verifyCmd(f.transcript, "--signers", f.signers, "--principal", "mallory")
	if code != 1 || !strings.Contains(out, "✗ signature") || !strings.Contains(out, "NOT VERIFIED") {
		t.Fatalf("wrong principal: exit %d:\n%s", code, out)
	}
	missing := filepath.Join(t.TempDir(), "allowed_signers")
	code, out = verifyCmd(f.transcript, "--signers", missing)
	if code != 1 || !strings.Contains(out, "✗ signature    --signers: open "+missing+": no such file or directory; give an allowed_signers file that lists the keys you trust") ||
		!strings.Contains(out, "not from where the transcript came") {
		t.Fatalf("missing --signers file: exit %d:\n%s", code, out)
	}
	os.Remove(f.transcript + ".sig")
	if code, out = verifyCmd(f.transcript); code != 1 || !strings.Contains(out, "no signature file") {
		t.Fatalf("missing .sig: exit %d:\n%s", code, out)
	}
	for _, bad := range [][]string{{}, {"a.json", "b.json"}, {f.transcript, "--principal", "x"}, {"--bogus"}} {
		if code, out := verifyCmd(bad...); code != 2 {
			t.Errorf("args %q: exit %d, want 2:\n%s", bad, code, out)
		}
	}
	if code, out := verifyCmd("--help"); code != 0 || !strings.Contains(out, "ssh-keygen -Y verify") {
		t.Fatalf("--help: exit %d:\n%s", code, out)
	}
}

// Flipping any single byte of a signed transcript makes golive verify fail:
// every byte of a small transcript, and a sample of a larger one.
func TestVerifyEveryByteFlip(t *testing.T) {
	small := recordRun(t, 1)
	larger := recordRun(t, 6)
	for i, data := range [][]byte{small, larger} {
		f := signed(t, data)
		if code, out := verifyCmd(f.transcript, "--signers", f.signers); code != 0 {
			t.Fatalf("unchanged transcript fails:\n%s", out)
		}
		step := 1
		if i > 0 {
			step = len(data)/400 + 1 // ~400 positions, spread over the file
		}
		tried := 0
		for pos := 0; pos < len(data); pos += step {
			bad := bytes.Clone(data)
			bad[pos] ^= 0x01
			// A fresh file each time: truncating one in place makes ext4
			// flush it on close, which made this test crawl.
			name := fmt.Sprintf("%s.%d", f.transcript, pos)
			os.WriteFile(name, bad, 0o600)
			if code, out := verifyCmd(name, "--sig", f.transcript+".sig", "--signers", f.signers); code != 1 {
				t.Fatalf("byte %d of %d flipped (%q): exit %d\n%s", pos, len(data), data[pos], code, out)
			}
			os.Remove(name)
			tried++
		}
		t.Logf("%d bytes, %d positions flipped, all rejected", len(data), tried)
	}
}

// ssh-keygen, the reviewer's tool, accepts golive's files and rejects them
// once any byte changed.
func TestVerifySSHKeygenInterop(t *testing.T) {
	kg, err := exec.LookPath("ssh-keygen")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ssh-keygen not found")
		}
		t.Skip("ssh-keygen not found")
	}
	data := recordRun(t, 2)
	f := signed(t, data)
	keygen := func() error {
		in, _ := os.Open(f.transcript)
		defer in.Close()
		cmd := exec.Command(kg, "-Y", "verify", "-f", f.signers, "-I", "ana@example.com", "-n", "golive-transcript", "-s", f.transcript+".sig")
		cmd.Stdin = in
		return cmd.Run()
	}
	if err := keygen(); err != nil {
		t.Fatalf("ssh-keygen rejects golive's signed transcript: %v", err)
	}
	positions := []int{0, 1, len(data) - 2, len(data) - 1}
	for p := 2; p < len(data)-2; p += len(data)/60 + 1 { // ~60 more, spread out
		positions = append(positions, p)
	}
	for _, pos := range positions {
		bad := bytes.Clone(data)
		bad[pos] ^= 0x01
		os.WriteFile(f.transcript, bad, 0o600)
		if keygen() == nil {
			t.Fatalf("ssh-keygen accepts the transcript with byte %d flipped", pos)
		}
	}
	// And the reverse: a transcript signed by ssh-keygen verifies in golive.
	os.WriteFile(f.transcript, data, 0o600)
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	if out, err := exec.Command(kg, "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	os.Remove(f.transcript + ".sig")
	if out, err := exec.Command(kg, "-Y", "sign", "-f", key, "-n", "golive-transcript", f.transcript).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -Y sign: %v %s", err, out)
	}
	pub, _ := os.ReadFile(key + ".pub")
	os.WriteFile(f.signers, append([]byte("reviewer@example.com "), pub...), 0o600)
	if code, out := verifyCmd(f.transcript, "--signers", f.signers, "--principal", "reviewer@example.com"); code != 0 {
		t.Fatalf("golive rejects an ssh-keygen signature: exit %d\n%s", code, out)
	}
}
