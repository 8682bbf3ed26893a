package runbook

import "bytes"

// This file decides which names are secret: the NAME of NAME=value, of a
// --flag, of a NAME VALUE line.

// isAssignNameByte reports whether c may be part of a variable, key or
// flag name.
func isAssignNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
}

// Name fragments, upper case, as bytes so that secretName does not
// allocate: it runs for every '=' and ':' of the output.
var (
	nameNotSecret = [][]byte{[]byte("ERROR"), []byte("EXCEPTION"), []byte("WARNING"), []byte("INTERRUPT")}
	nameSecret    = [][]byte{[]byte("KEY"), []byte("SECRET"), []byte("PASSWORD"), []byte("PASSWD"), []byte("TOKEN"), []byte("CREDENTIAL"), []byte("DSN")}
	nameExact     = []string{"AUTHORIZATION", "PROXY-AUTHORIZATION", "COOKIE", "SET-COOKIE"}
)

// secretName reports whether an assignment to name should be masked.
func secretName(name string) bool {
	if len(name) < 3 || len(name) > 128 || name == "key" {
		// Lower-case "key" alone is Python's sort key (max(..., key=len)),
		// far more common in commands than a secret by that name.
		return false
	}
	var buf [128]byte
	u := buf[:len(name)]
	var seen uint32 // the letters in name, a bit each
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c >= 'A' && c <= 'Z' {
			seen |= 1 << (c - 'A')
		}
		u[i] = c
	}
	if !secretWord(u, seen) {
		return false
	}
	// Exception names (KeyError: 'DJANGO_SECRET_KEY') are diagnostics the
	// operator needs, not secrets.
	for _, suf := range nameNotSecret {
		if bytes.HasSuffix(u, suf) {
			return false
		}
	}
	return true
}

// letters returns the set of upper-case letters in w, a bit each.
func letters(w string) uint32 {
	var m uint32
	for i := 0; i < len(w); i++ {
		if c := w[i]; c >= 'A' && c <= 'Z' {
			m |= 1 << (c - 'A')
		}
	}
	return m
}

var (
	nameSecretLetters = func() []uint32 {
		m := make([]uint32, len(nameSecret))
		for i, kw := range nameSecret {
			m[i] = letters(string(kw))
		}
		return m
	}()
	passLetters, pwdLetters = letters("PASS"), letters("PWD")
)

// secretWord reports whether u, an upper-cased name whose letters are
// seen, holds a secret keyword, is a secret header name or has a PASS or
// PWD segment. A keyword is searched for only when all its letters are in
// the name: most names lack one, and this runs for every '=' and ':'.
func secretWord(u []byte, seen uint32) bool {
	for i, kw := range nameSecret {
		if seen&nameSecretLetters[i] == nameSecretLetters[i] && bytes.Contains(u, kw) {
			return true
		}
	}
	for _, n := range nameExact {
		if string(u) == n {
			return true
		}
	}
	if seen&passLetters != passLetters && seen&pwdLetters != pwdLetters {
		return false
	}
	for start, i := 0, 0; i <= len(u); i++ {
		if i < len(u) && u[i] != '_' && u[i] != '-' && u[i] != '.' {
			continue
		}
		if seg := string(u[start:i]); seg == "PASS" || seg == "PWD" {
			return true
		}
		start = i + 1
	}
	return false
}
