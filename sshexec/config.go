package sshexec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kevinburke/ssh_config"
)

// sshConfig is the ssh_config files in force, user file first, as OpenSSH
// reads them: for most keywords the first value found wins.
type sshConfig struct {
	files []cfgFile
}

type cfgFile struct {
	path string
	cfg  *ssh_config.Config
}

// CheckConfig reads and parses the ssh config path as Dial will (""
// the default files, "none" no config, ~ expanded), so that a file that
// cannot be read or parsed is reported before anything connects, in
// loadSSHConfig's words.
func CheckConfig(path string) error {
	_, err := loadSSHConfig(path)
	return err
}

// loadSSHConfig reads path ("" = ~/.ssh/config then /etc/ssh/ssh_config,
// "none" = no config). Parse errors name the file and line; a named file
// that is missing is an error, the default files may be missing.
func loadSSHConfig(path string) (*sshConfig, error) {
	c := &sshConfig{}
	var paths []string
	explicit := path != ""
	switch path {
	case "none":
		return c, nil
	case "":
		if home, err := os.UserHomeDir(); err == nil {
			paths = append(paths, filepath.Join(home, ".ssh", "config"))
		}
		paths = append(paths, "/etc/ssh/ssh_config")
	default:
		paths = []string{expandTilde(path)}
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && !explicit {
				continue
			}
			return nil, fmt.Errorf("read ssh config: %w", err)
		}
		cfg, err := decodeConfig(b)
		if err != nil {
			// The library reports "(line, col): message" for this file or
			// a file it includes.
			hint := "fix the line or pass --ssh-config none"
			if strings.Contains(err.Error(), "not supported") || strings.Contains(err.Error(), "unsupported") {
				hint = "golive cannot follow it: give golive a config without it with --ssh-config FILE, or --ssh-config none"
			}
			return nil, fmt.Errorf("ssh config %s (or a file it includes): %w; %s", p, parseError{err}, hint)
		}
		c.files = append(c.files, cfgFile{path: p, cfg: cfg})
	}
	return c, nil
}

// decodeConfig parses an ssh_config, turning a panic inside the parser
// into an error: a broken config file must not crash golive.
func decodeConfig(b []byte) (cfg *ssh_config.Config, err error) {
	defer func() {
		if r := recover(); r != nil {
			cfg, err = nil, fmt.Errorf("the parser failed: %v", r)
		}
	}()
	return ssh_config.DecodeBytes(b)
}

// parseError is an error of the ssh_config parser, its "(4, 7): " position
// written "line 4:7: " as in golive's other errors.
type parseError struct{ err error }

func (e parseError) Error() string {
	msg := e.err.Error()
	if m := parsePosRE.FindStringSubmatch(msg); m != nil {
		return "line " + m[1] + ":" + m[2] + ": " + msg[len(m[0]):]
	}
	return msg
}

func (e parseError) Unwrap() error { return e.err }

var parsePosRE = regexp.MustCompile(`^\((\d+), (\d+)\): `)

// get returns the first value of key for alias and where it was set
// ("file:line"); "" when unset.
func (c *sshConfig) get(alias, key string) (val, where string) {
	all := c.lookup(alias, key, true)
	if len(all) == 0 {
		return "", ""
	}
	return all[0][0], all[0][1]
}

// getAll returns every value of key for alias, each with where it was set.
func (c *sshConfig) getAll(alias, key string) [][2]string {
	return c.lookup(alias, key, false)
}

func (c *sshConfig) lookup(alias, key string, first bool) [][2]string {
	var out [][2]string
	for _, f := range c.files {
		for _, h := range f.cfg.Hosts {
			if !h.Matches(alias) {
				continue
			}
			for _, n := range h.Nodes {
				switch n := n.(type) {
				case *ssh_config.KV:
					if strings.EqualFold(n.Key, key) {
						out = append(out, [2]string{unquote(n.Value), fmt.Sprintf("%s:%d", f.path, n.Pos().Line)})
					}
				case *ssh_config.Include:
					where := fmt.Sprintf("a file included at %s:%d", f.path, n.Pos().Line)
					vals, _ := n.GetAll(alias, key)
					for _, v := range vals {
						out = append(out, [2]string{unquote(v), where})
					}
				}
				if first && len(out) > 0 {
					return out[:1]
				}
			}
		}
	}
	return out
}

func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// resolveHost resolves alias through the config like OpenSSH. user and port,
// when set, win over the config.
func (c *sshConfig) resolveHost(alias, user string, port int) (*target, error) {
	t := &target{alias: alias, user: user, port: port, strict: "ask"}
	bad := func(key, val, where, why string) error {
		return fmt.Errorf("ssh config %s: %s %q for host %s: %s", where, key, val, alias, why)
	}
	t.hostName = alias
	if v, where := c.get(alias, "HostName"); v != "" {
		hn, err := expandTokens(v, t, false)
		if err != nil {
			return nil, bad("HostName", v, where, err.Error())
		}
		t.hostName = hn
	}
	if t.user == "" {
		if v, _ := c.get(alias, "User"); v != "" {
			t.user = v
		} else {
			t.user = localUser()
		}
	}
	if t.port == 0 {
		t.port = 22
		if v, where := c.get(alias, "Port"); v != "" {
			p, err := parsePort(v)
			if err != nil {
				return nil, bad("Port", v, where, err.Error())
			}
			t.port = p
		}
	}
	for _, kv := range c.getAll(alias, "IdentityFile") {
		if strings.EqualFold(kv[0], "none") {
			continue
		}
		p, err := expandTokens(kv[0], t, true)
		if err != nil {
			return nil, bad("IdentityFile", kv[0], kv[1], err.Error())
		}
		t.identityFiles = append(t.identityFiles, p)
	}
	for _, kv := range c.getAll(alias, "CertificateFile") {
		p, err := expandTokens(kv[0], t, true)
		if err != nil {
			return nil, bad("CertificateFile", kv[0], kv[1], err.Error())
		}
		t.certificateFiles = append(t.certificateFiles, p)
	}
	if v, where := c.get(alias, "IdentityAgent"); v != "" {
		p, err := expandTokens(v, t, true)
		if err != nil {
			return nil, bad("IdentityAgent", v, where, err.Error())
		}
		t.identityAgent = p
	}
	var err error
	if t.identitiesOnly, err = c.getBool(alias, "IdentitiesOnly"); err != nil {
		return nil, err
	}
	if t.batch, err = c.getBool(alias, "BatchMode"); err != nil {
		return nil, err
	}
	if t.hashKnownHosts, err = c.getBool(alias, "HashKnownHosts"); err != nil {
		return nil, err
	}
	t.proxyJump, t.proxyJumpWhere = c.get(alias, "ProxyJump")
	t.hostKeyAlias, _ = c.get(alias, "HostKeyAlias")
	if v, where := c.get(alias, "ProxyCommand"); v != "" && !strings.EqualFold(v, "none") && t.proxyJump == "" {
		return nil, bad("ProxyCommand", v, where, "ProxyCommand is not supported by golive; use ProxyJump")
	}
	for _, key := range []string{"UserKnownHostsFile", "GlobalKnownHostsFile"} {
		v, where := c.get(alias, key)
		if v == "" {
			if key == "UserKnownHostsFile" {
				v = "~/.ssh/known_hosts ~/.ssh/known_hosts2"
			} else {
				v = "/etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2"
			}
		}
		if strings.EqualFold(v, "none") {
			continue
		}
		for _, f := range strings.Fields(v) {
			p, err := expandTokens(f, t, true)
			if err != nil {
				return nil, bad(key, v, where, err.Error())
			}
			if key == "UserKnownHostsFile" {
				t.userKnownHosts = append(t.userKnownHosts, p)
			} else {
				t.globalKnownHosts = append(t.globalKnownHosts, p)
			}
		}
	}
	if v, where := c.get(alias, "StrictHostKeyChecking"); v != "" {
		switch s := strings.ToLower(v); s {
		case "yes", "ask", "accept-new", "no", "off":
			t.strict = s
		default:
			return nil, bad("StrictHostKeyChecking", v, where, "want yes, ask, accept-new or no")
		}
	}
	if t.connectTimeout, err = c.getSeconds(alias, "ConnectTimeout"); err != nil {
		return nil, err
	}
	if t.aliveInterval, err = c.getSeconds(alias, "ServerAliveInterval"); err != nil {
		return nil, err
	}
	if v, where := c.get(alias, "ServerAliveCountMax"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, bad("ServerAliveCountMax", v, where, "want a positive number")
		}
		t.aliveCountMax = n
	}
	return t, nil
}

func (c *sshConfig) getBool(alias, key string) (bool, error) {
	v, where := c.get(alias, key)
	switch strings.ToLower(v) {
	case "", "no", "false":
		return false, nil
	case "yes", "true":
		return true, nil
	}
	return false, fmt.Errorf("ssh config %s: %s %q for host %s: want yes or no", where, key, v, alias)
}

func (c *sshConfig) getSeconds(alias, key string) (time.Duration, error) {
	v, where := c.get(alias, key)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("ssh config %s: %s %q for host %s: want a number of seconds", where, key, v, alias)
	}
	return time.Duration(n) * time.Second, nil
}

// maxJumpDepth bounds ProxyJump chains reached through the first hop's own
// ProxyJump (a loop in the config would never end).
const maxJumpDepth = 8

// resolveJumps parses a ProxyJump value and resolves each hop through the
// config again; "none" or "" means no hops. As with OpenSSH, the first
// hop's own ProxyJump applies (so chains can be built in the config), the
// later hops' are overridden by the list.
func (c *sshConfig) resolveJumps(spec string) ([]*target, error) {
	return c.resolveJumpsDepth(spec, 0)
}

func (c *sshConfig) resolveJumpsDepth(spec string, depth int) ([]*target, error) {
	if spec == "" || strings.EqualFold(spec, "none") {
		return nil, nil
	}
	if depth >= maxJumpDepth {
		return nil, fmt.Errorf("ProxyJump %q: more than %d jump hosts deep; is there a loop in the config?", spec, maxJumpDepth)
	}
	var hops []*target
	for i, h := range strings.Split(spec, ",") {
		user, host, port, err := parseHostSpec(h)
		if err != nil {
			return nil, fmt.Errorf("ProxyJump %q: %w", spec, err)
		}
		t, err := c.resolveHost(host, user, port)
		if err != nil {
			return nil, fmt.Errorf("ProxyJump hop %s: %w", host, err)
		}
		if i == 0 {
			before, err := c.resolveJumpsDepth(t.proxyJump, depth+1)
			if err != nil {
				return nil, viaJump(host, err)
			}
			hops = append(hops, before...)
		}
		hops = append(hops, t)
	}
	return hops, nil
}

// jumpChainError is the error of resolving a jump host's own ProxyJump,
// with the jump hosts it was reached through, outermost first: one hop
// reads "ProxyJump of y: ERR", more read as the one chain they are,
// "ProxyJump chain y → x → y: ERR" (a loop in the config repeats it to
// maxJumpDepth), not "ProxyJump of y: ProxyJump of x: ..." over again.
type jumpChainError struct {
	hops []string
	err  error
}

func (e *jumpChainError) Error() string {
	if len(e.hops) == 1 {
		return "ProxyJump of " + e.hops[0] + ": " + e.err.Error()
	}
	return "ProxyJump chain " + strings.Join(e.hops, " → ") + ": " + e.err.Error()
}

func (e *jumpChainError) Unwrap() error { return e.err }

// viaJump puts host in front of the chain of a jump host's ProxyJump
// error.
func viaJump(host string, err error) error {
	if c, ok := err.(*jumpChainError); ok {
		return &jumpChainError{hops: append([]string{host}, c.hops...), err: c.err}
	}
	return &jumpChainError{hops: []string{host}, err: err}
}
