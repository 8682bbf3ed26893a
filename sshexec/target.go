package sshexec

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// target is one resolved SSH destination: the final host or a jump hop.
type target struct {
	alias          string // the name looked up in the config
	hostName       string
	user           string
	port           int
	identityFiles  []string
	identitiesOnly bool
	// extraIdentityFiles are tried after identityFiles or the defaults
	// (the --identity keys, for jump hosts).
	extraIdentityFiles []string
	hostKeyAlias       string
	certificateFiles   []string
	identityAgent      string   // raw IdentityAgent, tokens expanded
	batch              bool     // BatchMode yes: never ask anything
	proxyJump          string   // raw, "" when unset
	proxyJumpWhere     string   // file:line of proxyJump
	userKnownHosts     []string // the first one records accepted keys
	globalKnownHosts   []string
	strict             string // yes, ask, accept-new, no
	hashKnownHosts     bool
	connectTimeout     time.Duration
	aliveInterval      time.Duration
	aliveCountMax      int
	jumps              []*target
}

// keyName is the host:port whose key is checked and recorded in
// known_hosts: HostKeyAlias (as port 22, so it is recorded bare, as
// OpenSSH does) when set, else addr.
func (t *target) keyName() string {
	if t.hostKeyAlias != "" {
		return net.JoinHostPort(t.hostKeyAlias, "22")
	}
	return t.addr()
}

// sshVerbose is the OpenSSH command that shows what goes wrong connecting.
func (t *target) sshVerbose() string {
	if t.alias != t.hostName || t.port == 22 {
		return "ssh -v " + t.user + "@" + t.alias
	}
	return fmt.Sprintf("ssh -v -p %d %s@%s", t.port, t.user, t.alias)
}

// addr is the resolved host:port to connect to and to check in known_hosts.
func (t *target) addr() string {
	return net.JoinHostPort(t.hostName, strconv.Itoa(t.port))
}

func (t *target) String() string {
	return fmt.Sprintf("%s@%s", t.user, t.addr())
}

// parseHostSpec splits "[ssh://][user@]host[:port]" and "[v6addr]:port".
func parseHostSpec(s string) (user, host string, port int, err error) {
	spec := strings.TrimPrefix(strings.TrimSpace(s), "ssh://")
	if i := strings.LastIndexByte(spec, '@'); i >= 0 {
		user, spec = spec[:i], spec[i+1:]
	}
	portStr := ""
	switch {
	case strings.HasPrefix(spec, "["):
		end := strings.IndexByte(spec, ']')
		if end < 0 {
			return "", "", 0, fmt.Errorf("host %q: missing ']'", s)
		}
		host, portStr = spec[1:end], strings.TrimPrefix(spec[end+1:], ":")
		if rest := spec[end+1:]; rest != "" && !strings.HasPrefix(rest, ":") {
			return "", "", 0, fmt.Errorf("host %q: unexpected %q after ']'", s, rest)
		}
	case strings.Count(spec, ":") == 1:
		host, portStr, _ = strings.Cut(spec, ":")
	default:
		host = spec // a name, or a bare IPv6 address without a port
	}
	if host == "" {
		return "", "", 0, fmt.Errorf("host %q: empty host name; use user@host, host:port or an ~/.ssh/config alias", s)
	}
	if portStr != "" {
		if port, err = parsePort(portStr); err != nil {
			return "", "", 0, fmt.Errorf("host %q: %w", s, err)
		}
	}
	return user, host, port, nil
}

func parsePort(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("port %q is not a number from 1 to 65535", s)
	}
	return p, nil
}

// expandTokens expands OpenSSH's %-tokens and, for paths, a leading ~.
func expandTokens(s string, t *target, path bool) (string, error) {
	var b bytes.Buffer
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 >= len(s) {
			return "", errors.New("lone % at the end")
		}
		i++
		switch s[i] {
		case '%':
			b.WriteByte('%')
		case 'h':
			b.WriteString(hostOr(t))
		case 'n':
			b.WriteString(t.alias)
		case 'r':
			b.WriteString(t.user)
		case 'p':
			b.WriteString(strconv.Itoa(t.port))
		case 'u':
			b.WriteString(localUser())
		case 'd':
			// An empty %d would turn "%d/.ssh/id" into "/.ssh/id".
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("token %%d: %w", err)
			}
			b.WriteString(home)
		case 'i':
			b.WriteString(strconv.Itoa(os.Getuid()))
		case 'l', 'L':
			hn, _ := os.Hostname()
			if s[i] == 'L' {
				hn, _, _ = strings.Cut(hn, ".")
			}
			b.WriteString(hn)
		default:
			return "", fmt.Errorf("unknown token %%%c", s[i])
		}
	}
	out := b.String()
	if path {
		out = expandTilde(out)
	}
	return out, nil
}

func hostOr(t *target) string {
	if t.hostName != "" {
		return t.hostName
	}
	return t.alias
}

func expandTilde(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

func localUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return strconv.Itoa(os.Getuid())
}
