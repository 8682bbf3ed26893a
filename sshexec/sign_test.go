package sshexec

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// needTool finds an OpenSSH tool; without it the test skips, unless CI is
// set, where a missing tool is a failure.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found (CI must install openssh-client)", name)
		}
		t.Skipf("%s not found", name)
	}
	return p
}

// genKey makes a key with ssh-keygen and returns its private key path.
func genKey(t *testing.T, dir, typ, passphrase string) string {
	t.Helper()
	kg := needTool(t, "ssh-keygen")
	path := filepath.Join(dir, "id_"+typ)
	out, err := exec.Command(kg, "-q", "-t", typ, "-N", passphrase, "-C", "test", "-f", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen -t %s: %v\n%s", typ, err, out)
	}
	return path
}

func goSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignVerifyRoundTrip(t *testing.T) {
	s := goSigner(t)
	data := []byte(`{"run":"r1","events":[]}` + "\n")
	sig, err := SignTranscript(data, s)
	if err != nil {
		t.Fatal(err)
	}
	line := AllowedSignersLine("ana@example.com", s.PublicKey())
	fp, err := VerifyTranscriptSignature(data, sig, strings.NewReader(line+"\n"), "ana@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if fp != ssh.FingerprintSHA256(s.PublicKey()) {
		t.Fatalf("fingerprint %s", fp)
	}
	if _, err := VerifyTranscriptSignature(data, sig, nil, ""); err != nil {
		t.Fatalf("crypto-only verify: %v", err)
	}
	other := goSigner(t)
	bad := []struct {
		name, signers, principal, want string
	}{
		{"wrong principal", line, "bob@example.com", "not for principal"},
		{"other key", AllowedSignersLine("ana@example.com", other.PublicKey()), "ana@example.com", "not listed"},
		{"namespace not allowed", strings.Replace(line, "golive-transcript", "git", 1), "ana@example.com", "may sign only namespaces"},
		{"expired", strings.Replace(line, `namespaces=`, `valid-before="20200101Z",namespaces=`, 1), "", "expired"},
		{"negated", "*,!ana@example.com " + strings.SplitN(line, " ", 2)[1], "ana@example.com", "not for principal"},
	}
	for _, b := range bad {
		if _, err := VerifyTranscriptSignature(data, sig, strings.NewReader(b.signers), b.principal); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: got %v, want an error containing %q", b.name, err, b.want)
		}
	}
	// Wildcards and any-principal.
	for _, p := range []string{"*@example.com", "ana@*,bob"} {
		l := p + " " + strings.SplitN(line, " ", 2)[1]
		if _, err := VerifyTranscriptSignature(data, sig, strings.NewReader(l), "ana@example.com"); err != nil {
			t.Errorf("pattern %q: %v", p, err)
		}
	}
	if _, err := VerifyTranscriptSignature(append(bytes.Clone(data), 'x'), sig, nil, ""); err == nil {
		t.Fatal("signature verified for changed data")
	}
	if l := AllowedSignersLine("", s.PublicKey()); !strings.HasPrefix(l, "unknown-operator ") {
		t.Fatalf("empty principal: %q", l)
	}
	if l := AllowedSignersLine(`Ana "A, B" Ops`, s.PublicKey()); !strings.HasPrefix(l, `"Ana A B Ops" namespaces=`) {
		t.Fatalf("principal with quotes and commas: %q", l)
	}
}

// Every byte of a small message and of its signature matters.
func TestSignatureEveryByteFlipFails(t *testing.T) {
	s := goSigner(t)
	data := []byte(`{"seq":1,"type":"run.started"}`)
	sig, err := SignTranscript(data, s)
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		d := bytes.Clone(data)
		d[i] ^= 0x01
		if _, err := VerifyTranscriptSignature(d, sig, nil, ""); err == nil {
			t.Fatalf("data byte %d flipped: still verifies", i)
		}
	}
	for i := range sig {
		g := bytes.Clone(sig)
		g[i] ^= 0x01
		if _, err := VerifyTranscriptSignature(data, g, nil, ""); err == nil {
			t.Fatalf("signature byte %d (%q) flipped: still verifies", i, sig[i])
		}
	}
}

func TestAllowedSignersParser(t *testing.T) {
	s := goSigner(t)
	key := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.PublicKey())))
	good := "# reviewers\n\n" +
		"ana@example.com " + key + " laptop\n" +
		`"Ana Ops",ops@* namespaces="golive-transcript,git",valid-after="20240101" ` + key + "\n" +
		"ca@example.com cert-authority " + key + "\n"
	as, err := ParseAllowedSigners(strings.NewReader(good), "signers")
	if err != nil {
		t.Fatal(err)
	}
	if len(as.Entries) != 3 || as.Entries[0].Line != 3 || as.Entries[1].Namespaces != "golive-transcript,git" ||
		as.Entries[1].Principals != `"Ana Ops",ops@*` || !as.Entries[2].CertAuthority || as.Entries[1].ValidAfter.Year() != 2024 {
		t.Fatalf("parsed %+v", as.Entries)
	}
	bad := map[string]string{
		"only principal":   "ana@example.com",
		"missing key":      `ana namespaces="x"`,
		"bad base64":       "ana ssh-ed25519 !!!notbase64",
		"unknown option":   "ana no-touch-required " + key,
		"unquoted value":   "ana namespaces=golive " + key,
		"unterminated":     `ana namespaces="golive ` + key,
		"bad time":         `ana valid-after="2024" ` + key,
		"type mismatch":    "ana ssh-rsa " + strings.Fields(key)[1],
		"unknown key type": "ana ssh-foo AAAA",
	}
	for name, line := range bad {
		_, err := ParseAllowedSigners(strings.NewReader("# c\n"+line+"\n"), "signers")
		if err == nil || !strings.Contains(err.Error(), "signers:2:") {
			t.Errorf("%s: got %v, want an error at signers:2", name, err)
		}
	}
}

func TestInteropGoliveSignsSSHKeygenVerifies(t *testing.T) {
	kg := needTool(t, "ssh-keygen")
	dir := t.TempDir()
	for _, typ := range []string{"ed25519", "ecdsa", "rsa"} {
		keyPath := genKey(t, dir, typ, "")
		s, err := LoadSigner(context.Background(), SignerOptions{AgentSocket: "none", KeyFile: keyPath})
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, typ+".json")
		data := []byte(`{"transcript":"` + typ + `"}` + "\n")
		os.WriteFile(file, data, 0o600)
		sig, err := SignTranscript(data, s)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(file+".sig", sig, 0o600)
		signers := filepath.Join(dir, "allowed_signers")
		// A principal with a space (git's user.name) must come out as a
		// line ssh-keygen reads.
		principal := "ana@example.com"
		if typ == "rsa" {
			principal = "Ana Ops"
		}
		os.WriteFile(signers, []byte(AllowedSignersLine(principal, s.PublicKey())+"\n"), 0o600)
		verify := func() error {
			in, _ := os.Open(file)
			defer in.Close()
			cmd := exec.Command(kg, "-Y", "verify", "-f", signers, "-I", principal, "-n", "golive-transcript", "-s", file+".sig")
			cmd.Stdin = in
			out, err := cmd.CombinedOutput()
			if err != nil {
				return errors.New(string(out))
			}
			return nil
		}
		if err := verify(); err != nil {
			t.Fatalf("%s: ssh-keygen rejects golive's signature: %v", typ, err)
		}
		os.WriteFile(file, append(data[:len(data)-2:len(data)-2], '!', '\n'), 0o600)
		if err := verify(); err == nil {
			t.Fatalf("%s: ssh-keygen accepts a changed file", typ)
		}
	}
}

func TestInteropSSHKeygenSignsGoliveVerifies(t *testing.T) {
	kg := needTool(t, "ssh-keygen")
	dir := t.TempDir()
	for _, typ := range []string{"ed25519", "rsa"} {
		keyPath := genKey(t, dir, typ, "")
		file := filepath.Join(dir, typ+".json")
		data := []byte(`{"signed":"by ssh-keygen"}` + "\n")
		os.WriteFile(file, data, 0o600)
		if out, err := exec.Command(kg, "-Y", "sign", "-f", keyPath, "-n", "golive-transcript", file).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen -Y sign: %v\n%s", err, out)
		}
		sig, err := os.ReadFile(file + ".sig")
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := os.ReadFile(keyPath + ".pub")
		signers := "ana " + string(pub)
		fp, err := VerifyTranscriptSignature(data, sig, strings.NewReader(signers), "ana")
		if err != nil {
			t.Fatalf("%s: golive rejects ssh-keygen's signature: %v", typ, err)
		}
		if !strings.HasPrefix(fp, "SHA256:") {
			t.Fatalf("fingerprint %q", fp)
		}
		if _, err := VerifyTranscriptSignature(append(bytes.Clone(data), ' '), sig, strings.NewReader(signers), "ana"); err == nil {
			t.Fatalf("%s: changed data verifies", typ)
		}
		// A signature made for another namespace is not a transcript signature.
		os.Remove(file + ".sig")
		if out, err := exec.Command(kg, "-Y", "sign", "-f", keyPath, "-n", "git", file).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen -Y sign -n git: %v\n%s", err, out)
		}
		other, _ := os.ReadFile(file + ".sig")
		if _, err := VerifyTranscriptSignature(data, other, nil, ""); err == nil || !strings.Contains(err.Error(), "namespace") {
			t.Fatalf("git-namespace signature: %v", err)
		}
	}
}

func TestSignThroughAgent(t *testing.T) {
	agentBin, addBin := needTool(t, "ssh-agent"), needTool(t, "ssh-add")
	kg := needTool(t, "ssh-keygen")
	dir := t.TempDir()
	sock := filepath.Join(dir, "agent.sock")
	agentCmd := exec.Command(agentBin, "-a", sock, "-D")
	if err := agentCmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agentCmd.Process.Kill(); agentCmd.Wait() })
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ssh-agent did not create %s within 15s", sock)
		}
	}
	first := genKey(t, dir, "ed25519", "")
	second := genKey(t, dir, "rsa", "")
	for _, k := range []string{first, second} {
		cmd := exec.Command(addBin, k)
		cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ssh-add: %v\n%s", err, out)
		}
	}
	ctx := context.Background()
	// Pick the second key by its .pub file; RSA must sign as rsa-sha2-512.
	s, err := LoadSigner(ctx, SignerOptions{AgentSocket: sock, PublicKeyFile: second + ".pub"})
	if err != nil {
		t.Fatal(err)
	}
	pubText, _ := os.ReadFile(second + ".pub")
	pub, _, _, _, err := ssh.ParseAuthorizedKey(pubText)
	if err != nil || !bytes.Equal(s.PublicKey().Marshal(), pub.Marshal()) {
		t.Fatalf("agent signer is not the requested key")
	}
	data := []byte("agent-signed transcript\n")
	sig, err := SignTranscript(data, s)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "t.json")
	os.WriteFile(file, data, 0o600)
	os.WriteFile(file+".sig", sig, 0o600)
	signers := filepath.Join(dir, "allowed_signers")
	os.WriteFile(signers, []byte(AllowedSignersLine("ops", s.PublicKey())+"\n"), 0o600)
	cmd := exec.Command(kg, "-Y", "verify", "-f", signers, "-I", "ops", "-n", "golive-transcript", "-s", file+".sig")
	cmd.Stdin = bytes.NewReader(data)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen rejects the agent's signature: %v\n%s", err, out)
	}
	// KeyFile the agent holds: the agent signs, no passphrase is needed.
	s2, err := LoadSigner(ctx, SignerOptions{AgentSocket: sock, KeyFile: first})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s2.(*agentKey); ok {
		t.Fatal("an unencrypted key file should be used directly")
	}
	// An encrypted key file the agent holds: the agent signs, nobody is
	// asked for the passphrase.
	enc := genKey(t, filepath.Join(dir), "ecdsa", "pw-for-agent")
	askpass := filepath.Join(dir, "askpass.sh")
	os.WriteFile(askpass, []byte("#!/bin/sh\necho pw-for-agent\n"), 0o700)
	add := exec.Command(addBin, enc)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock, "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0")
	add.Stdin = nil
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add encrypted key: %v\n%s", err, out)
	}
	t.Setenv("SSH_AUTH_SOCK", sock)
	s4, err := LoadSigner(ctx, SignerOptions{KeyFile: enc, Passphrase: func(string) ([]byte, error) {
		t.Error("passphrase asked although the agent holds the key")
		return nil, errors.New("no")
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s4.(*agentKey); !ok {
		t.Fatalf("encrypted key held by the agent: got %T, want the agent", s4)
	}
	if _, err := SignTranscript(data, s4); err != nil {
		t.Fatal(err)
	}
	// No selection: the agent's first key.
	s3, err := LoadSigner(ctx, SignerOptions{AgentSocket: sock})
	if err != nil {
		t.Fatal(err)
	}
	if ssh.FingerprintSHA256(s3.PublicKey()) != ssh.FingerprintSHA256(s2.PublicKey()) {
		t.Fatal("default agent key is not the first one added")
	}
}

func TestLoadSignerEncryptedKeyFile(t *testing.T) {
	dir := t.TempDir()
	key := genKey(t, dir, "ed25519", "correct horse")
	ctx := context.Background()
	ask := func(pass string) func(string) ([]byte, error) {
		return func(prompt string) ([]byte, error) {
			if !strings.Contains(prompt, key) {
				t.Errorf("prompt %q does not name the key", prompt)
			}
			return []byte(pass), nil
		}
	}
	s, err := LoadSigner(ctx, SignerOptions{AgentSocket: "none", KeyFile: key, Passphrase: ask("correct horse")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SignTranscript([]byte("x"), s); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSigner(ctx, SignerOptions{AgentSocket: "none", KeyFile: key, Passphrase: ask("wrong")}); err == nil {
		t.Fatal("wrong passphrase accepted")
	}
	if _, err := LoadSigner(ctx, SignerOptions{AgentSocket: "none", KeyFile: key}); err == nil || !strings.Contains(err.Error(), "ssh-add") {
		t.Fatalf("encrypted key without a prompt: %v", err)
	}
	// No agent, no key file: the default identity in ~/.ssh.
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	genKey(t, filepath.Join(home, ".ssh"), "ed25519", "")
	if _, err := LoadSigner(ctx, SignerOptions{AgentSocket: "none", HomeDir: home}); err != nil {
		t.Fatalf("default identity: %v", err)
	}
	if _, err := LoadSigner(ctx, SignerOptions{AgentSocket: "none", HomeDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "ssh-agent") {
		t.Fatalf("no key anywhere: %v", err)
	}
	// A public key without an agent: its private key beside it is used;
	// a .pub-less name without an agent says what to do.
	if _, err := LoadSigner(ctx, SignerOptions{AgentSocket: "none", PublicKeyFile: key + ".pub",
		Passphrase: ask("correct horse")}); err != nil {
		t.Fatalf("public key file with its private key beside it: %v", err)
	}
	odd := filepath.Join(dir, "ana.key")
	pub, _ := os.ReadFile(key + ".pub")
	os.WriteFile(odd, pub, 0o600)
	if _, err := LoadSigner(ctx, SignerOptions{AgentSocket: "none", PublicKeyFile: odd}); err == nil ||
		!strings.Contains(err.Error(), "private key file") || strings.Contains(err.Error(), "%!") {
		t.Fatalf("public key only, no agent: %v", err)
	}
}

// FuzzAllowedSigners: any file parses or fails with a file:line error, never
// a panic.
func FuzzAllowedSigners(f *testing.F) {
	key := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPjVXrPGIYDOWSK0Ld/kqljGaEMnJt3NV9dIHGSun2zm"
	for _, s := range []string{"ana " + key, `"a b",c namespaces="x,y",valid-after="20240101Z" ` + key,
		"x cert-authority " + key, "# c\n\n", `a namespaces="`, "a \v b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		as, err := ParseAllowedSigners(strings.NewReader(in), "f")
		if err != nil {
			if !strings.Contains(err.Error(), "allowed signers f") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		for _, e := range as.Entries {
			if e.Key == nil {
				t.Fatal("entry without a key")
			}
		}
	})
}

// TestLoadSignerNoHome: with no home directory, LoadSigner does not fall
// back to a .ssh directory under the current directory.
func TestLoadSignerNoHome(t *testing.T) {
	cwd := t.TempDir()
	if err := os.MkdirAll(filepath.Join(cwd, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	genKey(t, filepath.Join(cwd, ".ssh"), "ed25519", "")
	t.Chdir(cwd)
	t.Setenv("HOME", "")
	s, err := LoadSigner(context.Background(), SignerOptions{AgentSocket: "none"})
	if err == nil {
		t.Fatalf("loaded %s from ./.ssh with no home directory", ssh.FingerprintSHA256(s.PublicKey()))
	}
	if !strings.Contains(err.Error(), "home directory") {
		t.Errorf("error %q does not say the home directory is missing", err)
	}
}

// TestLoadSignerNoKeySaysHow: with no agent and no key file, the error
// names the flag that gives one (it said "name a key file", and golive's
// TUI showed that with no word of how).
func TestLoadSignerNoKeySaysHow(t *testing.T) {
	_, err := LoadSigner(context.Background(), SignerOptions{AgentSocket: "none", HomeDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "start ssh-agent and ssh-add your key, or name a key file with --identity") {
		t.Fatalf("LoadSigner with no key: %v", err)
	}
}

// TestLoadSignerAgentThatDoesNotAnswer: an ssh-agent socket that accepts
// and never answers (a hung or forwarded agent whose far end is gone)
// costs LoadSigner no more than its ctx: the TUI's question before
// quitting unexported (Options.SignCheck, 5 s) said it was still looking
// for the key for as long as golive ran.
func TestLoadSignerAgentThatDoesNotAnswer(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "agent.sock")
	silentListener(t, "unix", sock)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := LoadSigner(ctx, SignerOptions{AgentSocket: sock, HomeDir: t.TempDir()})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "ssh-agent "+sock) {
			t.Fatalf("LoadSigner with an agent that does not answer: %v, want an error naming the agent", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("LoadSigner still waits for an agent that does not answer, 5 s after its ctx ended")
	}
}
