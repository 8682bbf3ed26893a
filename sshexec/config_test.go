package sshexec

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golive/internal/sshdtest"
)

func TestParseHostSpec(t *testing.T) {
	for _, tc := range []struct {
		in         string
		user, host string
		port       int
		err        string
	}{
		{in: "web1", host: "web1"},
		{in: "deploy@web1", user: "deploy", host: "web1"},
		{in: "deploy@web1:2222", user: "deploy", host: "web1", port: 2222},
		{in: "[::1]:2222", host: "::1", port: 2222},
		{in: "ops@[fe80::1]", user: "ops", host: "fe80::1"},
		{in: "fe80::1", host: "fe80::1"},
		{in: "ssh://a@b:23", user: "a", host: "b", port: 23},
		{in: "web1:0", err: "not a number from 1 to 65535"},
		{in: "web1:http", err: "not a number"},
		{in: "[::1", err: "missing ']'"},
		{in: "deploy@", err: "empty host name"},
	} {
		u, h, p, err := parseHostSpec(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || u != tc.user || h != tc.host || p != tc.port {
			t.Errorf("%q: got %q %q %d %v", tc.in, u, h, p, err)
		}
	}
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestResolveFromConfig(t *testing.T) {
	home := isolate(t)
	inc := filepath.Join(t.TempDir(), "extra.conf")
	os.WriteFile(inc, []byte("Host web\n  ServerAliveInterval 7\n"), 0o600)
	cfgPath := writeConfig(t, `
Include `+inc+`
Host web
  HostName %h.example.net
  User deploy
  Port 2222
  IdentityFile ~/.ssh/id_%r_%h_%p
  IdentityFile "/keys/second key"
  IdentitiesOnly yes
  ProxyJump ops@bastion:2200,jump2
  UserKnownHostsFile ~/kh1 %d/kh2
  StrictHostKeyChecking yes
  ConnectTimeout 9
Host jump2
  HostName 10.0.0.2
  User j2
Host *
  User fallback
  ServerAliveCountMax 5
`)
	cfg, err := loadSSHConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := cfg.resolveHost("web", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(home, ".ssh/id_deploy_web.example.net_2222"), "/keys/second key"}
	if tg.hostName != "web.example.net" || tg.user != "deploy" || tg.port != 2222 ||
		strings.Join(tg.identityFiles, "|") != strings.Join(want, "|") || !tg.identitiesOnly ||
		tg.strict != "yes" || tg.connectTimeout != 9*time.Second || tg.aliveInterval != 7*time.Second ||
		tg.aliveCountMax != 5 || tg.userKnownHosts[0] != filepath.Join(home, "kh1") || tg.userKnownHosts[1] != home+"/kh2" {
		t.Fatalf("resolved %+v", tg)
	}
	hops, err := cfg.resolveJumps(tg.proxyJump)
	if err != nil || len(hops) != 2 {
		t.Fatalf("hops %v %v", hops, err)
	}
	if hops[0].String() != "ops@bastion:2200" || hops[1].String() != "j2@10.0.0.2:22" {
		t.Errorf("hops %s, %s", hops[0], hops[1])
	}
	// The first hop's own ProxyJump comes first; a loop is reported.
	chained, err := loadSSHConfig(writeConfig(t, "Host inner\n  ProxyJump outer\nHost outer\n  ProxyJump edge\nHost a\n  ProxyJump a\n"))
	if err != nil {
		t.Fatal(err)
	}
	hops, err = chained.resolveJumps("inner,last")
	if err != nil || len(hops) != 4 || hops[0].alias != "edge" || hops[1].alias != "outer" || hops[2].alias != "inner" || hops[3].alias != "last" {
		t.Errorf("chained hops %v %v", hops, err)
	}
	// The loop reads as one chain, not "ProxyJump of a: " eight times.
	wantLoop := "ProxyJump chain " + strings.TrimSuffix(strings.Repeat("a → ", maxJumpDepth), " → ") +
		`: ProxyJump "a": more than 8 jump hosts deep; is there a loop in the config?`
	if _, err := chained.resolveJumps("a"); err == nil || err.Error() != wantLoop {
		t.Errorf("loop: %v\nwant %s", err, wantLoop)
	}
	if hops, err := cfg.resolveJumps("none"); err != nil || hops != nil {
		t.Errorf("none: %v %v", hops, err)
	}
	// A flag-style user and port win over the config.
	tg, _ = cfg.resolveHost("web", "root", 22)
	if tg.user != "root" || tg.port != 22 {
		t.Errorf("overrides ignored: %s", tg)
	}
	// Defaults: unknown host falls to Host *; default known_hosts files.
	tg, _ = cfg.resolveHost("other", "", 0)
	if tg.user != "fallback" || tg.port != 22 || tg.userKnownHosts[0] != filepath.Join(home, ".ssh/known_hosts") ||
		tg.globalKnownHosts[0] != "/etc/ssh/ssh_known_hosts" || tg.strict != "ask" {
		t.Errorf("defaults %+v", tg)
	}
}

func TestConfigErrorsNameFileAndLine(t *testing.T) {
	isolate(t)
	for _, tc := range []struct{ text, want string }{
		{"Host web\n  Port nope\n", ":2: Port \"nope\" for host web"},
		{"Host web\n  IdentitiesOnly maybe\n", ":2: IdentitiesOnly \"maybe\""},
		{"Host web\n  IdentityFile ~/.ssh/%z\n", ":2: IdentityFile"},
		{"Host web\n  ProxyCommand nc %h %p\n", "use ProxyJump"},
		{"Host web\n  ProxyJump a:99999\n", "not a number from 1 to 65535"},
		{"Host web\n  ConnectTimeout soon\n", ":2: ConnectTimeout"},
	} {
		p := writeConfig(t, tc.text)
		_, err := Dial(t.Context(), Options{Host: "web", ConfigFile: p})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("config %q: err %v, want %q naming %s", tc.text, err, tc.want, p)
		}
	}
	// A syntax error the parser reports names the file.
	p := writeConfig(t, "Host web\n  Match exec true\n")
	_, err := Dial(t.Context(), Options{Host: "web", ConfigFile: p})
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("parse error: %v", err)
	}
	// Its position reads as golive's others do, and a Match golive cannot
	// follow says so and what to give instead.
	if err == nil || !strings.Contains(err.Error(), "(or a file it includes): line 2:") ||
		!strings.Contains(err.Error(), "golive cannot follow it: give golive a config without it with --ssh-config FILE") {
		t.Errorf("unsupported Match: %v", err)
	}
	_, err = Dial(t.Context(), Options{Host: "web", ConfigFile: p + ".missing"})
	if err == nil || !strings.Contains(err.Error(), p+".missing") {
		t.Errorf("missing config: %v", err)
	}
}

// An alias from an ssh_config supplies HostName, User, Port, IdentityFile
// and the known_hosts file; nothing comes from Options but the alias.
func TestDialConfigAlias(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	cfg := s.WriteSSHConfig("prod-web")
	c := dialT(t, Options{Host: "prod-web", ConfigFile: cfg, Prompter: failPrompter{t}})
	if want := s.User + "@127.0.0.1:" + strconv.Itoa(s.Port); c.Name() != want {
		t.Errorf("name %q, want %q", c.Name(), want)
	}
	if code, out, _ := run(t, c, "echo $USER"); code != 0 || strings.TrimSpace(out) != s.User {
		t.Fatalf("exec: %d %q", code, out)
	}
}

// TestTokenDNoHome: %d with no home directory is an error naming the
// token, not an empty string that turns "%d/.ssh/id" into "/.ssh/id".
func TestTokenDNoHome(t *testing.T) {
	isolate(t)
	cfgPath := writeConfig(t, "Host web\n  IdentityFile %d/.ssh/id_web\n")
	cfg, err := loadSSHConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", "")
	tg, err := cfg.resolveHost("web", "", 0)
	if err == nil {
		t.Fatalf("resolved with no home directory: identity files %q", tg.identityFiles)
	}
	if !strings.Contains(err.Error(), "%d") {
		t.Errorf("error %q does not name the %%d token", err)
	}
}
