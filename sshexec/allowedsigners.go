package sshexec

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// AllowedSigners is a parsed OpenSSH allowed_signers file (see
// ssh-keygen(1), ALLOWED SIGNERS): which keys may sign as which principals.
type AllowedSigners struct {
	// File names the file in errors.
	File    string
	Entries []AllowedSigner
}

// AllowedSigner is one line of an allowed_signers file.
type AllowedSigner struct {
	Line int
	// Principals is a comma-separated pattern list (*, ?, !negation).
	Principals string
	// CertAuthority marks a CA key; golive signatures are made with plain
	// keys, so such lines never match them.
	CertAuthority bool
	// Namespaces restricts the key to these namespaces (a pattern list);
	// empty means any.
	Namespaces string
	// ValidAfter and ValidBefore bound when the key may be used; zero
	// means no bound.
	ValidAfter, ValidBefore time.Time
	Key                     ssh.PublicKey
}

// ParseAllowedSigners reads an allowed_signers file. It is strict: a line
// it does not understand is an error naming name:line, so that a reviewer
// never trusts a file that says something other than what they think.
func ParseAllowedSigners(r io.Reader, name string) (*AllowedSigners, error) {
	as := &AllowedSigners{File: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		e, err := parseSignerLine(line)
		if err != nil {
			return nil, fmt.Errorf("allowed signers %s:%d: %w", name, n, err)
		}
		e.Line = n
		as.Entries = append(as.Entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("allowed signers %s: %w", name, err)
	}
	return as, nil
}

func parseSignerLine(line string) (AllowedSigner, error) {
	var e AllowedSigner
	principals, rest, err := nextField(line)
	if err != nil {
		return e, err
	}
	if principals == "" || rest == "" {
		return e, fmt.Errorf("want: principals [options] keytype base64-key [comment]")
	}
	e.Principals = principals
	if first := strings.Fields(rest)[0]; !isKeyType(first) {
		opts, r, err := nextField(rest)
		if err != nil {
			return e, err
		}
		if err := e.setOptions(opts); err != nil {
			return e, err
		}
		rest = r
	}
	f := strings.Fields(rest)
	if len(f) == 0 {
		return e, fmt.Errorf("missing key")
	}
	word := f[0]
	if !isKeyType(word) {
		return e, fmt.Errorf("unknown key type %q", word)
	}
	if len(f) < 2 {
		return e, fmt.Errorf("missing base64 key data after %s", word)
	}
	b64 := f[1]
	blob, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || b64 == "" {
		return e, fmt.Errorf("bad base64 key data")
	}
	key, err := ssh.ParsePublicKey(blob)
	if err != nil {
		return e, fmt.Errorf("bad %s key: %w", word, err)
	}
	if key.Type() != word {
		return e, fmt.Errorf("key type %q does not match the key data (%s)", word, key.Type())
	}
	e.Key = key
	return e, nil
}

// nextField returns the first field of s (quoted with "…" or ending at a
// blank outside quotes) and the rest after the blanks that follow it.
func nextField(s string) (string, string, error) {
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			inQuote = !inQuote
		case (c == ' ' || c == '\t') && !inQuote:
			return unquoteWhole(s[:i]), strings.TrimLeft(s[i:], " \t"), nil
		}
	}
	if inQuote {
		return "", "", fmt.Errorf("unterminated quote")
	}
	return unquoteWhole(s), "", nil
}

func unquoteWhole(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' && strings.Count(s, `"`) == 2 {
		return s[1 : len(s)-1]
	}
	return s
}

func isKeyType(s string) bool {
	switch s {
	case ssh.KeyAlgoED25519, ssh.KeyAlgoRSA, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
		ssh.KeyAlgoSKED25519, ssh.KeyAlgoSKECDSA256, ssh.KeyAlgoDSA:
		return true
	}
	return false
}

// setOptions parses name[="value"] options separated by commas.
func (e *AllowedSigner) setOptions(opts string) error {
	for opts != "" {
		var name, val string
		i := strings.IndexAny(opts, "=,")
		if i < 0 || opts[i] == ',' {
			if i < 0 {
				i = len(opts)
			}
			name = opts[:i]
			opts = strings.TrimPrefix(opts[i:], ",")
			if name != "cert-authority" {
				return fmt.Errorf("unknown option %q (allowed: cert-authority, namespaces, valid-after, valid-before)", name)
			}
			e.CertAuthority = true
			continue
		}
		name, opts = opts[:i], opts[i+1:]
		if !strings.HasPrefix(opts, `"`) {
			return fmt.Errorf("option %s: value must be in double quotes", name)
		}
		end := strings.IndexByte(opts[1:], '"')
		if end < 0 {
			return fmt.Errorf("option %s: unterminated quote", name)
		}
		val, opts = opts[1:end+1], opts[end+2:]
		if opts != "" && !strings.HasPrefix(opts, ",") {
			return fmt.Errorf("option %s: want ',' after the value", name)
		}
		opts = strings.TrimPrefix(opts, ",")
		var err error
		switch name {
		case "namespaces":
			if val == "" {
				return fmt.Errorf("option namespaces: empty")
			}
			e.Namespaces = val
		case "valid-after":
			e.ValidAfter, err = parseSignerTime(val)
		case "valid-before":
			e.ValidBefore, err = parseSignerTime(val)
		default:
			return fmt.Errorf("unknown option %q (allowed: cert-authority, namespaces, valid-after, valid-before)", name)
		}
		if err != nil {
			return fmt.Errorf("option %s: %w", name, err)
		}
	}
	return nil
}

// parseSignerTime reads YYYYMMDD[HHMM[SS]], in UTC with a trailing Z and in
// local time without, as ssh-keygen does.
func parseSignerTime(s string) (time.Time, error) {
	loc := time.Local
	if strings.HasSuffix(s, "Z") {
		s, loc = strings.TrimSuffix(s, "Z"), time.UTC
	}
	layouts := map[int]string{8: "20060102", 12: "200601021504", 14: "20060102150405"}
	layout, ok := layouts[len(s)]
	if !ok {
		return time.Time{}, fmt.Errorf("bad time %q: want YYYYMMDD[HHMM[SS]][Z]", s)
	}
	t, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad time %q: want YYYYMMDD[HHMM[SS]][Z]", s)
	}
	return t, nil
}

// Allows returns nil when key may sign in namespace as principal (any
// principal when empty) at time at, and otherwise an error that says why,
// naming the file and line of a near miss.
func (a *AllowedSigners) Allows(principal string, key ssh.PublicKey, namespace string, at time.Time) error {
	fp := ssh.FingerprintSHA256(key)
	var nearMiss error
	var otherPrincipals []string
	for _, e := range a.Entries {
		if e.CertAuthority || !bytes.Equal(e.Key.Marshal(), key.Marshal()) {
			continue
		}
		where := fmt.Sprintf("%s:%d", a.File, e.Line)
		if principal != "" && matchPatternList(principal, e.Principals) != 1 {
			otherPrincipals = append(otherPrincipals, fmt.Sprintf("%s (%s)", e.Principals, where))
			continue
		}
		switch {
		case e.Namespaces != "" && matchPatternList(namespace, e.Namespaces) != 1:
			nearMiss = fmt.Errorf("allowed signers %s: key %s may sign only namespaces %q, not %q", where, fp, e.Namespaces, namespace)
		case !e.ValidAfter.IsZero() && at.Before(e.ValidAfter):
			nearMiss = fmt.Errorf("allowed signers %s: key %s is valid only after %s", where, fp, e.ValidAfter.Format(time.RFC3339))
		case !e.ValidBefore.IsZero() && at.After(e.ValidBefore):
			nearMiss = fmt.Errorf("allowed signers %s: key %s expired at %s", where, fp, e.ValidBefore.Format(time.RFC3339))
		default:
			return nil
		}
	}
	if nearMiss != nil {
		return nearMiss
	}
	if len(otherPrincipals) > 0 {
		return fmt.Errorf("allowed signers %s: key %s is listed for %s, not for principal %q", a.File, fp, strings.Join(otherPrincipals, ", "), principal)
	}
	return fmt.Errorf("allowed signers %s: key %s is not listed: the signer is not trusted", a.File, fp)
}

// matchPatternList matches s against a comma-separated pattern list as
// OpenSSH's match_pattern_list does: 1 when a pattern matches, -1 when a
// negated (!) pattern matches, 0 otherwise.
func matchPatternList(s, list string) int {
	got := 0
	for _, p := range strings.Split(list, ",") {
		neg := strings.HasPrefix(p, "!")
		if neg {
			p = p[1:]
		}
		if matchPattern(s, p) {
			if neg {
				return -1
			}
			got = 1
		}
	}
	return got
}

// matchPattern matches s against a pattern with * (any run) and ? (any one
// byte).
func matchPattern(s, p string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			if p == "" {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if matchPattern(s[i:], p) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != p[0] {
				return false
			}
		}
		s, p = s[1:], p[1:]
	}
	return s == ""
}
