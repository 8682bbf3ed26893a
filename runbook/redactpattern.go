package runbook

import "strings"

// This file holds the secret shapes Redactor recognises without being told
// the value. They are written as byte scans rather than regular expressions:
// every line of output goes through them, and most lines hold none.

// maskShapes adds the spans of assignments to secret-looking names, secret
// arguments, URL passwords and bearer tokens.
func maskShapes(s string, out *spanList) {
	hasEq, hasColon := strings.IndexByte(s, '=') >= 0, strings.IndexByte(s, ':') >= 0
	if hasEq || hasColon {
		maskAssignments(s, out)
	}
	if hasColon && strings.Contains(s, "://") {
		maskURLPasswords(s, out)
	}
	if hasBearer(s) {
		maskBearer(s, out)
	}
	maskArguments(s, out)
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// lineStartPrefixes may precede an assignment that takes the whole line
// (env output, .env files, YAML, Dockerfiles).
var lineStartPrefixes = []string{"", "-", "export", "declare -x", "ENV", "setenv", "set"}

// maskAssignments masks the value of NAME=value, NAME: value, "NAME": "value"
// and their variants when NAME looks secret. A value that is quoted ends at
// its closing quote; an assignment that starts the line takes the rest of
// the line (env values may hold spaces) up to another assignment
// (password=x user=bob keeps user=bob); any other ends at white space.
func maskAssignments(s string, out *spanList) {
	for i := 0; i < len(s); i++ {
		i = nextAssignMark(s, i)
		if i < 0 {
			return
		}
		c := s[i]
		j := i
		for j > 0 && s[j-1] == ' ' {
			j--
		}
		var nameQuote byte
		if j > 0 && (s[j-1] == '"' || s[j-1] == '\'') {
			nameQuote = s[j-1]
			j--
		}
		k := j
		for k > 0 && isAssignNameByte(s[k-1]) {
			k--
		}
		if k == j || !secretName(s[k:j]) {
			continue
		}
		var before byte // the byte before the name (or its quote)
		if nameQuote != 0 {
			if k == 0 || s[k-1] != nameQuote {
				continue
			}
			k--
		}
		if k > 0 {
			before = s[k-1]
		}
		v := i + 1
		if v < len(s) && s[v] == '=' {
			if c == '=' {
				i = v // "==" compares, it does not assign
				continue
			}
			v++ // ":="
		}
		for v < len(s) && (s[v] == ' ' || s[v] == '\t') {
			v++
		}
		if v >= len(s) {
			break
		}
		start, end := v, len(s)
		lineValue := false // an assignment that starts the line
		switch {
		case s[v] == '"' || s[v] == '\'':
			start = v + 1
			end = closingQuote(s, start, s[v])
		case before == '"' && nameQuote == 0: // "NAME=value" inside a JSON string
			end = closingQuote(s, start, '"')
		case nameQuote != 0: // "name": value in JSON or a dict
			end = indexAny(s, start, " \t\"',}]")
		case !isLineStart(s[:k]):
			end = indexAny(s, start, " \t\"'")
		default:
			lineValue = true
		}
		if containsFold(s[k:j], "AUTHORIZATION") {
			// Keep the scheme (Bearer, Basic) so a reader sees what it was.
			if w := indexBlank(s, start); w < end && w > start && isWord(s[start:w]) {
				start = w + 1
			}
		}
		if lineValue {
			end = nextAssignment(s, start)
		}
		if end <= start || s[start:end] == Mask || (end == start+1 && !isAlnum(s[start])) {
			// Nothing, already masked, or one punctuation mark (an awk
			// pattern's '/', a YAML '|'): no secret to hide.
			i = max(i, end-1)
			continue
		}
		out.add(start, end)
		i = end - 1
	}
}

// nextAssignMark returns the index of the first '=' or ':' at or after
// from, or -1: two vectorised byte searches rather than a test per byte.
func nextAssignMark(s string, from int) int {
	rest := s[from:]
	e := strings.IndexByte(rest, '=')
	if e >= 0 {
		rest = rest[:e] // a ':' after the '=' does not matter yet
	}
	if c := strings.IndexByte(rest, ':'); c >= 0 {
		return from + c
	}
	if e >= 0 {
		return from + e
	}
	return -1
}

// nextAssignment returns where the value of an assignment that starts the
// line and begins at from ends: before the white space that precedes the
// next NAME=value on the line, or a Mask (what an earlier pass made of one:
// masking must settle), or at the line's end.
func nextAssignment(s string, from int) int {
	for i := from; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '\t' {
			continue
		}
		w := i
		for w < len(s) && (s[w] == ' ' || s[w] == '\t') {
			w++
		}
		k := w
		for k < len(s) && isAssignNameByte(s[k]) {
			k++
		}
		if k > w && isAlnum(s[w]) && k < len(s) && s[k] == '=' && (k+1 == len(s) || s[k+1] != '=') {
			return i
		}
		if strings.HasPrefix(s[w:], Mask) {
			return i
		}
		i = w - 1
	}
	return len(s)
}

func isLineStart(prefix string) bool {
	p := strings.TrimSpace(prefix)
	for _, lp := range lineStartPrefixes {
		if p == lp {
			return true
		}
	}
	return false
}

func isWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return s != ""
}

// closingQuote returns the index of the quote q that closes a string
// starting at from (backslash escapes skipped), or len(s).
func closingQuote(s string, from int, q byte) int {
	for i := from; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case q:
			return i
		}
	}
	return len(s)
}

// containsFold reports whether s contains upper, an upper-case ASCII word,
// in any case, without allocating.
func containsFold(s, upper string) bool {
	for i := 0; i+len(upper) <= len(s); i++ {
		k := 0
		for k < len(upper) && s[i+k]&^0x20 == upper[k] {
			k++
		}
		if k == len(upper) {
			return true
		}
	}
	return false
}

// indexBlank returns the index of the first space or tab at or after
// from, or len(s): indexAny without building a set per call.
func indexBlank(s string, from int) int {
	for i := from; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' {
			return i
		}
	}
	return len(s)
}

func indexAny(s string, from int, chars string) int {
	if i := strings.IndexAny(s[from:], chars); i >= 0 {
		return from + i
	}
	return len(s)
}

// maskURLPasswords masks the password of every scheme://user:password@host.
// Generated passwords often hold '/', '?' or '#' unencoded (base64), which
// ends a URL's authority; so when the authority has no '@', a ':' before
// the first '/' with an '@' later in the same word is taken as user:password
// too. That may mask part of an odd URL; it never shows a password.
func maskURLPasswords(s string, out *spanList) {
	for from := 0; ; {
		i := strings.Index(s[from:], "://")
		if i < 0 {
			break
		}
		a := from + i + 3
		from = a
		word := indexAny(s, a, " \t\"'<>")
		e := indexAny(s[:word], a, "/?#")
		at := strings.LastIndexByte(s[a:e], '@')
		colon := -1
		if at >= 0 {
			colon = strings.IndexByte(s[a:a+at], ':')
		} else if c := strings.IndexByte(s[a:e], ':'); c >= 0 {
			if k := strings.LastIndexByte(s[a:word], '@'); k > c {
				colon, at, e = c, k, a+k
			}
		}
		if colon < 0 {
			continue
		}
		ps, pe := a+colon+1, a+at
		if ps == pe || s[ps:pe] == Mask {
			continue
		}
		out.add(ps, pe)
		from = pe // another URL may start right after this one's password
	}
}

// hasBearer reports whether s may hold "bearer " (any case). It looks only
// at the bytes before each space, and only when there is a 'b' or 'B':
// base64 output has no space, and where a substring search would stop at
// every 'e'.
func hasBearer(s string) bool {
	if strings.IndexByte(s, 'b') < 0 && strings.IndexByte(s, 'B') < 0 {
		return false
	}
	for i := strings.IndexByte(s, ' '); i >= 0; {
		if i >= 6 && s[i-1]|0x20 == 'r' && s[i-2]|0x20 == 'e' && s[i-3]|0x20 == 'r' && s[i-4]|0x20 == 'a' && s[i-5]|0x20 == 'e' && s[i-6]|0x20 == 'b' {
			return true
		}
		j := strings.IndexByte(s[i+1:], ' ')
		if j < 0 {
			break
		}
		i += j + 1
	}
	return false
}

// maskBearer masks the token after the word Bearer (any case).
func maskBearer(s string, out *spanList) {
	for i := 0; i+7 < len(s); i++ {
		if !strings.EqualFold(s[i:i+7], "bearer ") || (i > 0 && isAssignNameByte(s[i-1])) {
			continue
		}
		start := i + 7
		for start < len(s) && s[start] == ' ' {
			start++
		}
		end := indexAny(s, start, " \t\"',")
		if end == start || s[start:end] == Mask {
			continue
		}
		out.add(start, end)
		i = end - 1
	}
}

// keyMarker finds "-----BEGIN <label>-----" (kind "BEGIN") or the END
// marker, where label contains PRIVATE KEY, at or after from. It returns
// the marker's start and end, or -1, -1.
func keyMarker(s string, from int, kind string) (int, int) {
	open := "-----" + kind + " "
	for from < len(s) {
		i := strings.Index(s[from:], open)
		if i < 0 {
			return -1, -1
		}
		start := from + i
		labelStart := start + len(open)
		j := strings.Index(s[labelStart:], "-----")
		if j < 0 {
			return -1, -1
		}
		if strings.Contains(s[labelStart:labelStart+j], "PRIVATE KEY") {
			return start, labelStart + j + 5
		}
		from = labelStart
	}
	return -1, -1
}

// maskKeyBlocks masks private key material. *inKey says whether the line
// starts inside a block, and is left saying whether it ends inside one.
func maskKeyBlocks(s string, inKey *bool) string {
	var b strings.Builder
	pos := 0
	for {
		if *inKey {
			es, ee := keyMarker(s, pos, "END")
			if es < 0 {
				if pos < len(s) || pos == 0 {
					b.WriteString(Mask)
				}
				return b.String()
			}
			if es > pos {
				b.WriteString(Mask)
			}
			b.WriteString(s[es:ee])
			pos = ee
			*inKey = false
			continue
		}
		bs, be := keyMarker(s, pos, "BEGIN")
		if bs < 0 {
			b.WriteString(s[pos:])
			return b.String()
		}
		b.WriteString(s[pos:be])
		pos = be
		*inKey = true
		if pos == len(s) {
			return b.String() // a PEM BEGIN line: the body follows
		}
	}
}
