package sshexec

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"golive/internal/sshdtest"
)

// ProxyJump through a second sshd: both host keys are verified (and asked
// about when unknown, jump host first), and the link really runs through
// the jump host: dropping the jump host's sessions drops it.
func TestProxyJump(t *testing.T) {
	isolate(t)
	jump := sshdtest.Start(t)
	target := sshdtest.Start(t)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	cfg := writeConfig(t, strings.Join([]string{
		"Host jumphost",
		"  HostName 127.0.0.1",
		"  Port " + strconv.Itoa(jump.Port),
		"  User " + jump.User,
		"  IdentityFile " + jump.ClientKeyPath,
		"Host app",
		"  HostName 127.0.0.1",
		"  Port " + strconv.Itoa(target.Port),
		"  User " + target.User,
		"  IdentityFile " + target.ClientKeyPath,
		"  ProxyJump jumphost",
		"  UserKnownHostsFile " + kh,
		"Host *",
		"  UserKnownHostsFile " + kh,
	}, "\n")+"\n")
	p := &fakePrompter{t: t, accept: true}
	c := dialT(t, Options{Host: "app", ConfigFile: cfg, Prompter: p})
	if code, out, _ := run(t, c, "echo via jump"); code != 0 || out != "via jump\n" {
		t.Fatalf("exec: %d %q", code, out)
	}
	if info := c.Info(); len(info.Jumps) != 1 || info.Jumps[0] != jump.User+"@127.0.0.1:"+strconv.Itoa(jump.Port) ||
		info.HostKeyFingerprint != ssh.FingerprintSHA256(target.HostPublicKey) ||
		info.AuthKeyFingerprint != ssh.FingerprintSHA256(target.ClientSigner.PublicKey()) {
		t.Errorf("info %+v", info)
	}
	if len(p.hostQs) != 2 || p.hostQs[0].Fingerprint != ssh.FingerprintSHA256(jump.HostPublicKey) ||
		p.hostQs[1].Fingerprint != ssh.FingerprintSHA256(target.HostPublicKey) {
		t.Fatalf("host key questions %+v", p.hostQs)
	}
	if !p.hostQs[0].Jump || p.hostQs[1].Jump {
		t.Errorf("questions' Jump (jump host, target): %v, %v; want true, false", p.hostQs[0].Jump, p.hostQs[1].Jump)
	}
	if p.hostQs[1].RemoteIP != "" || !strings.Contains(p.hostQs[1].Message, "host '[127.0.0.1]:"+strconv.Itoa(target.Port)+"' can't") {
		t.Errorf("target question through the jump: %+v", p.hostQs[1])
	}
	// Both keys are on file now: no more questions.
	c2 := dialT(t, Options{Host: "app", ConfigFile: cfg, Prompter: failPrompter{t}})
	run(t, c2, "true")

	l, _ := c2.current()
	if jump.KillSessions() == 0 {
		t.Fatal("no jump sessions")
	}
	start := time.Now()
	select {
	case <-l.done:
	case <-time.After(10 * time.Second):
		t.Fatal("link through the jump host survived the jump host dropping")
	}
	t.Logf("link through the jump ended %s after the jump host dropped", time.Since(start))

	// A changed key on the jump host is refused, naming the jump host.
	_, other := jump.NewClientKey("x", "")
	os.WriteFile(kh, []byte(fmt.Sprintf("[127.0.0.1]:%d %s", jump.Port, ssh.MarshalAuthorizedKey(other.PublicKey()))), 0o600)
	err := dialErr(t, Options{Host: "app", ConfigFile: cfg, Prompter: failPrompter{t}})
	var he *HostKeyError
	if !asHostKeyError(err, &he) || he.Kind != HostKeyChanged || he.Host != "jumphost" || !he.Jump {
		t.Fatalf("changed jump key: %v", err)
	}
	// ProxyJump none in Options disables the config's jump (and then the
	// target's own key is unknown in that file: refused, not asked).
	err = dialErr(t, Options{Host: "app", ConfigFile: cfg, ProxyJump: "none"})
	if !asHostKeyError(err, &he) || he.Kind != HostKeyUnknown || he.Host != "app" || he.Jump {
		t.Fatalf("ProxyJump none: %v", err)
	}
	// The --identity key is tried on the jump host too when its config
	// names none; the Options ProxyJump (user@host:port) wins over the config.
	target.Authorize(jump.ClientSigner.PublicKey())
	os.WriteFile(kh, []byte(jump.KnownHostsLine(false)+"\n"+target.KnownHostsLine(true)+"\n"), 0o600)
	c3 := dialT(t, Options{Host: "127.0.0.1", Port: target.Port, User: target.User, ConfigFile: "none",
		ProxyJump: jump.User + "@127.0.0.1:" + strconv.Itoa(jump.Port), IdentityFiles: []string{jump.ClientKeyPath},
		KnownHostsFiles: []string{kh}, Prompter: failPrompter{t}})
	run(t, c3, "true")

}

// Two hops from a comma-separated ProxyJump: every host key is checked.
func TestProxyJumpTwoHops(t *testing.T) {
	isolate(t)
	a, b, target := sshdtest.Start(t), sshdtest.Start(t), sshdtest.Start(t)
	b.Authorize(a.ClientSigner.PublicKey())
	target.Authorize(a.ClientSigner.PublicKey())
	kh := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(kh, []byte(a.KnownHostsLine(false)+"\n"+b.KnownHostsLine(true)+"\n"+target.KnownHostsLine(false)+"\n"), 0o600)
	hop := func(s *sshdtest.Server) string { return s.User + "@127.0.0.1:" + strconv.Itoa(s.Port) }
	opts := Options{Host: "127.0.0.1", Port: target.Port, User: target.User, ConfigFile: "none",
		ProxyJump: hop(a) + "," + hop(b), IdentityFiles: []string{a.ClientKeyPath},
		KnownHostsFiles: []string{kh}, Prompter: failPrompter{t}}
	c := dialT(t, opts)
	run(t, c, "true")
	if j := c.Info().Jumps; len(j) != 2 || j[0] != hop(a) || j[1] != hop(b) {
		t.Fatalf("jumps %v", j)
	}
	// The middle hop's key missing from known_hosts: refused, naming it.
	os.WriteFile(kh, []byte(a.KnownHostsLine(false)+"\n"+target.KnownHostsLine(false)+"\n"), 0o600)
	opts.Prompter = nil
	err := dialErr(t, opts)
	var he *HostKeyError
	if !asHostKeyError(err, &he) || he.Kind != HostKeyUnknown || he.Fingerprint != ssh.FingerprintSHA256(b.HostPublicKey) {
		t.Fatalf("middle hop unknown: %v", err)
	}
}
