package sshexec

import (
	"strings"
	"testing"
)

// FuzzConfigAndHost feeds arbitrary ssh_config text and host specs through
// parsing and resolution: errors are fine, panics are not.
func FuzzConfigAndHost(f *testing.F) {
	f.Add("Host web\n  HostName %h.x\n  Port 22\n  ProxyJump a@b:1,c\n", "deploy@web:2222")
	f.Add("Host *\n  IdentityFile ~/.ssh/id_%r%%\n  UserKnownHostsFile none\n", "[::1]:22")
	f.Add("Match host x\n  User y\nHost \"quoted name\"\n  Port=7\n", "ssh://x")
	f.Add("Host !a b*\n  ServerAliveCountMax -1\n", "@")
	f.Fuzz(func(t *testing.T, text, host string) {
		if strings.Contains(strings.ToLower(text), "include") {
			return // Include reads arbitrary files (say /dev/zero): not for a fuzzer
		}
		cfg := &sshConfig{}
		if c, err := decodeConfig([]byte(text)); err == nil {
			cfg.files = []cfgFile{{path: "fuzz", cfg: c}}
		}
		user, h, port, err := parseHostSpec(host)
		if err != nil {
			return
		}
		tg, err := cfg.resolveHost(h, user, port)
		if err != nil {
			return
		}
		_, _ = cfg.resolveJumps(tg.proxyJump)
		_ = tg.addr()
		_ = tg.keyName()
	})
}
