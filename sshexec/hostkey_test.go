package sshexec

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"

	"golive/internal/sshdtest"
)

func dialErr(t *testing.T, opts Options) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := Dial(ctx, opts)
	if err == nil {
		c.Close()
		t.Fatalf("Dial %s succeeded, want an error", opts.Host)
	}
	return err
}

func TestUnknownHostAcceptedIsRecorded(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	kh := filepath.Join(t.TempDir(), "new", "known_hosts") // dir does not exist yet
	opts := baseOptions(s)
	opts.KnownHostsFiles = []string{kh}
	p := &fakePrompter{t: t, accept: true}
	opts.Prompter = p
	var accepted []HostKeyAccepted
	opts.OnHostKeyAccepted = func(a HostKeyAccepted) { accepted = append(accepted, a) }
	c := dialT(t, opts)
	if code, out, _ := run(t, c, "echo hi"); code != 0 || out != "hi\n" {
		t.Fatalf("exec after accept: %d %q", code, out)
	}
	fp := ssh.FingerprintSHA256(s.HostPublicKey)
	if len(p.hostQs) != 1 {
		t.Fatalf("asked %d times, want once", len(p.hostQs))
	}
	q := p.hostQs[0]
	if q.Fingerprint != fp || q.KeyType != "ED25519" || q.Addr != "[127.0.0.1]:"+strconv.Itoa(s.Port) || q.KnownHostsFile != kh {
		t.Errorf("question %+v", q)
	}
	hp := "[127.0.0.1]:" + strconv.Itoa(s.Port)
	mustContain(t, q.Message, "The authenticity of host '"+hp+" ("+hp+")' can't be established.\n",
		"ED25519 key fingerprint is "+fp+".\n", "Are you sure you want to continue connecting (yes/no)?")
	if len(accepted) != 1 || accepted[0].Fingerprint != fp || accepted[0].File != kh || accepted[0].Err != nil {
		t.Errorf("OnHostKeyAccepted got %+v", accepted)
	}
	st, err := os.Stat(kh)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("known_hosts: %v mode %v", err, st)
	}
	if dst, _ := os.Stat(filepath.Dir(kh)); dst.Mode().Perm() != 0o700 {
		t.Errorf("known_hosts dir mode %v, want 0700", dst.Mode().Perm())
	}
	b, _ := os.ReadFile(kh)
	if want := xknownhosts.Line([]string{"[127.0.0.1]:" + strconv.Itoa(s.Port)}, s.HostPublicKey) + "\n"; string(b) != want {
		t.Errorf("known_hosts holds %q, want %q", b, want)
	}
	// The second connect trusts the recorded key without asking.
	opts.Prompter = failPrompter{t}
	dialT(t, opts)
	// So does OpenSSH's own client.
	out, err := exec.Command(sshdtest.RequireClient(t, "ssh"), "-F", "none", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
		"-o", "UserKnownHostsFile="+kh, "-i", s.ClientKeyPath, "-p", strconv.Itoa(s.Port),
		s.User+"@127.0.0.1", "true").CombinedOutput()
	if err != nil {
		t.Errorf("OpenSSH rejects the key golive recorded: %v: %s", err, out)
	}
}

func TestUnknownHostRejected(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	fp := ssh.FingerprintSHA256(s.HostPublicKey)
	for _, tc := range []struct {
		name     string
		prompter Prompter
		config   string // StrictHostKeyChecking line
		refused  bool
	}{
		{"operator says no", &fakePrompter{t: t, accept: false}, "", true},
		{"nobody to ask", RefusePrompter{}, "", false},
		{"nil prompter", nil, "", false},
		{"StrictHostKeyChecking yes", failPrompter{t}, "yes", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := baseOptions(s)
			opts.KnownHostsFiles = []string{kh}
			opts.Prompter = tc.prompter
			if tc.config != "" {
				cfg := filepath.Join(t.TempDir(), "config")
				os.WriteFile(cfg, []byte("Host 127.0.0.1\n  StrictHostKeyChecking "+tc.config+"\n"), 0o600)
				opts.ConfigFile = cfg
			}
			err := dialErr(t, opts)
			var he *HostKeyError
			if !errors.As(err, &he) || he.Kind != HostKeyUnknown || he.Refused != tc.refused {
				t.Fatalf("err %v (%#v)", err, he)
			}
			if tc.config == "yes" {
				mustContain(t, err.Error(), "StrictHostKeyChecking yes")
			}
			mustContain(t, err.Error(), fp, "ssh-keyscan -p "+strconv.Itoa(s.Port)+" -t ed25519 127.0.0.1 >> "+kh)
			if _, err := os.Stat(kh); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("known_hosts written after a refusal: %v", err)
			}
		})
	}
}

func TestChangedHostKeyRefused(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	_, other := s.NewClientKey("impostor", "")
	kh := filepath.Join(t.TempDir(), "known_hosts")
	lines := "# comment\n" + xknownhosts.Line([]string{s.KnownHostsName()}, other.PublicKey()) + "\n"
	os.WriteFile(kh, []byte(lines), 0o600)
	opts := baseOptions(s)
	opts.KnownHostsFiles = []string{kh}
	opts.Prompter = failPrompter{t}
	err := dialErr(t, opts)
	var he *HostKeyError
	if !errors.As(err, &he) || he.Kind != HostKeyChanged || he.File != kh || he.Line != 2 || he.Jump {
		t.Fatalf("err %v (%#v)", err, he)
	}
	mustContain(t, err.Error(), "REMOTE HOST IDENTIFICATION HAS CHANGED", kh+":2",
		ssh.FingerprintSHA256(s.HostPublicKey), "ssh-keygen -R")
}

func TestRevokedHostKeyRefused(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	revoked := "@revoked * " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.HostPublicKey)))
	os.WriteFile(kh, []byte(s.KnownHostsLine(false)+"\n"+revoked+"\n"), 0o600)
	opts := baseOptions(s)
	opts.KnownHostsFiles = []string{kh}
	opts.Prompter = failPrompter{t}
	err := dialErr(t, opts)
	var he *HostKeyError
	if !errors.As(err, &he) || he.Kind != HostKeyRevoked || he.File != kh || he.Line != 2 {
		t.Fatalf("err %v (%#v)", err, he)
	}
	mustContain(t, err.Error(), "REVOKED", kh+":2")
}

func TestMalformedKnownHostsNamesLine(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(kh, []byte(s.KnownHostsLine(false)+"\nbogus-host ssh-ed25519 AAAAnot-base64\n"), 0o600)
	opts := baseOptions(s)
	opts.KnownHostsFiles = []string{kh}
	err := dialErr(t, opts)
	var he *HostKeyError
	if !errors.As(err, &he) || he.Kind != HostKeyMalformed || he.File != kh || he.Line != 2 {
		t.Fatalf("err %v (%#v)", err, he)
	}
	mustContain(t, err.Error(), kh+":2")
}

// A hashed entry written by OpenSSH's own ssh is honoured, and a key
// accepted into a hashed file is hashed too.
func TestHashedEntryFromOpenSSH(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	out, err := exec.Command(sshdtest.RequireClient(t, "ssh"), "-F", "none", "-o", "BatchMode=yes", "-o", "UserKnownHostsFile="+kh,
		"-o", "HashKnownHosts=yes", "-o", "StrictHostKeyChecking=accept-new", "-i", s.ClientKeyPath,
		"-p", strconv.Itoa(s.Port), s.User+"@127.0.0.1", "true").CombinedOutput()
	if err != nil {
		t.Fatalf("OpenSSH ssh: %v: %s", err, out)
	}
	if b, _ := os.ReadFile(kh); !strings.HasPrefix(string(b), "|1|") {
		t.Fatalf("OpenSSH did not write a hashed entry: %q", b)
	}
	opts := baseOptions(s)
	opts.KnownHostsFiles = []string{kh}
	opts.Prompter = failPrompter{t}
	dialT(t, opts)

	// A second server's key accepted into the same (hashed) file is hashed.
	s2 := sshdtest.Start(t)
	opts2 := baseOptions(s2)
	opts2.KnownHostsFiles = []string{kh}
	opts2.Prompter = &fakePrompter{t: t, accept: true}
	dialT(t, opts2)
	b, _ := os.ReadFile(kh)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "|1|") || strings.Contains(string(b), strconv.Itoa(s2.Port)) {
		t.Fatalf("second entry not hashed: %q", b)
	}
	opts2.Prompter = failPrompter{t}
	dialT(t, opts2)
	// OpenSSH reads the hashed line golive wrote.
	out, err = exec.Command("ssh", "-F", "none", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
		"-o", "UserKnownHostsFile="+kh, "-i", s2.ClientKeyPath, "-p", strconv.Itoa(s2.Port),
		s2.User+"@127.0.0.1", "true").CombinedOutput()
	if err != nil {
		t.Errorf("OpenSSH rejects the hashed key golive recorded: %v: %s", err, out)
	}
}

// A host certificate signed by a CA named in an @cert-authority line is
// trusted without a question, also through a * pattern on a non-22 port.
func TestCertAuthorityHostKey(t *testing.T) {
	isolate(t)
	_, caKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := ssh.NewSignerFromKey(caKey)
	if err != nil {
		t.Fatal(err)
	}
	s := sshdtest.Start(t, sshdtest.HostCertificate(ca))
	caLine := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(ca.PublicKey())))
	for _, pattern := range []string{s.KnownHostsName(), "*"} {
		kh := filepath.Join(t.TempDir(), "known_hosts")
		os.WriteFile(kh, []byte("@cert-authority "+pattern+" "+caLine+"\n"), 0o600)
		opts := baseOptions(s)
		opts.KnownHostsFiles = []string{kh}
		opts.Prompter = failPrompter{t}
		c := dialT(t, opts)
		run(t, c, "true")
		if b, _ := os.ReadFile(kh); strings.Count(string(b), "\n") != 1 {
			t.Errorf("known_hosts changed: %q", b)
		}
	}
}

// HostKeyAlias names the known_hosts entry instead of the host and port.
func TestHostKeyAlias(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(kh, []byte(xknownhosts.Line([]string{"stable-name"}, s.HostPublicKey)+"\n"), 0o600)
	opts := baseOptions(s)
	opts.KnownHostsFiles = []string{kh}
	opts.Prompter = failPrompter{t}
	opts.ConfigFile = writeConfig(t, "Host 127.0.0.1\n  HostKeyAlias stable-name\n")
	run(t, dialT(t, opts), "true")
	// Without the alias the same file does not know the host.
	opts.ConfigFile = "none"
	opts.Prompter = nil
	var he *HostKeyError
	if err := dialErr(t, opts); !errors.As(err, &he) || he.Kind != HostKeyUnknown {
		t.Fatalf("without alias: %v", err)
	}
}

// known_hosts holds only a key type the server does not have (it was
// reinstalled, or it is not the same server): refused like a changed key.
func TestKnownKeyTypeNotOffered(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(&ec.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	kh := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(kh, []byte(xknownhosts.Line([]string{s.KnownHostsName()}, pub)+"\n"), 0o600)
	opts := baseOptions(s)
	opts.KnownHostsFiles = []string{kh}
	opts.Prompter = failPrompter{t}
	err = dialErr(t, opts)
	mustContain(t, err.Error(), "no longer offers the type of key", "ecdsa-sha2-nistp256", "ssh-keygen -R '"+s.KnownHostsName()+"'")
}
