package runbook

import (
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Redactor masks secrets in text before it reaches the screen, the journal
// or the transcript (each becomes Mask, which never tells how long the secret
// was): the values it was given (secret variables, the sudo
// password) in their plain, shell-quoted, JSON- and URL-encoded forms, and
// well-known secret shapes (see Line). It is safe for concurrent use; a nil
// *Redactor masks only the shapes.
type Redactor struct {
	mu      sync.Mutex // serialises AddSecret
	secrets []string
	set     atomic.Pointer[secretSet]
}

// NewRedactor returns a Redactor that masks the given secret values.
func NewRedactor(secrets []string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		r.AddSecret(s)
	}
	if r.set.Load() == nil {
		r.set.Store(&secretSet{})
	}
	return r
}

// AddSecret adds a value to mask from now on (a variable entered during the
// run, the sudo password once asked). Every non-empty value is masked, even
// a one-letter one, at the price of garbled output: a secret must not show.
// Only values made of nothing but '*' are ignored; they look like the mask
// already and would make masking never settle.
func (r *Redactor) AddSecret(s string) {
	if strings.Trim(s, "*") == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, have := range r.secrets {
		if have == s {
			return
		}
	}
	r.secrets = append(r.secrets, s)
	r.set.Store(newSecretSet(r.secrets))
}

// Line returns text with every secret masked: the known values; the value
// in NAME=value, NAME: value, "NAME": "value" and export NAME=value where
// NAME contains SECRET, PASSWORD, PASSWD, TOKEN, KEY, CREDENTIAL or DSN (or
// is PASS, PWD, Authorization, Cookie), case-insensitively; the password in
// a URL's user info (scheme://user:********@host); the token after Bearer;
// and private key blocks. Text may hold several lines; a key block is
// masked to its end or to the end of text.
func (r *Redactor) Line(text string) string {
	var st StreamRedactor
	st.r = r
	return st.Line(text)
}

// Stream returns a redactor for one output stream: it remembers that a
// private key block began on an earlier line and masks every line up to the
// block's end. A StreamRedactor is not safe for concurrent use; give each
// stream its own.
func (r *Redactor) Stream() *StreamRedactor {
	return &StreamRedactor{r: r}
}

// StreamRedactor masks secrets line by line in one stream. See Redactor.Line.
type StreamRedactor struct {
	r     *Redactor
	inKey bool
	// inBlock is true inside a YAML block scalar (password: |) whose key
	// sat at blockIndent; its more indented lines are the secret.
	inBlock     bool
	blockIndent int
}

// Line returns one line of the stream with its secrets masked. A line inside
// a private key block becomes Mask; the block's BEGIN and END lines stay,
// so a reader sees that a key was printed (and should be rotated).
func (s *StreamRedactor) Line(text string) string {
	if strings.IndexByte(text, '\n') >= 0 {
		parts := strings.Split(text, "\n")
		for i, p := range parts {
			parts[i] = s.line(p)
		}
		return strings.Join(parts, "\n")
	}
	return s.line(text)
}

func (s *StreamRedactor) line(text string) string {
	if s.inBlock {
		if strings.TrimSpace(text) == "" {
			return text
		}
		if indentOf(text) > s.blockIndent {
			return Mask
		}
		s.inBlock = false
	}
	if indent, ok := yamlSecretBlock(text); ok {
		s.inBlock, s.blockIndent = true, indent
	}
	if s.inKey || strings.Contains(text, "-----") {
		text = maskKeyBlocks(text, &s.inKey)
	}
	var set *secretSet
	if s.r != nil {
		set = s.r.set.Load()
	}
	if set != nil {
		text = set.mask(text)
	}
	return maskShapes(text)
}

func indentOf(s string) int {
	return len(s) - len(strings.TrimLeft(s, " \t"))
}

// yamlSecretBlock reports whether line opens a YAML block scalar under a
// secret-looking key ("  db_password: |", "- api_key: >-"), and the key's
// indentation.
func yamlSecretBlock(line string) (int, bool) {
	t := strings.TrimRight(line, " \t\r")
	if t == "" || !strings.ContainsRune("|>-+0123456789", rune(t[len(t)-1])) {
		return 0, false // the cheap test: most lines end otherwise
	}
	indent := indentOf(t)
	rest := strings.TrimPrefix(t[indent:], "- ")
	i := strings.IndexByte(rest, ':')
	if i <= 0 {
		return 0, false
	}
	name := strings.Trim(rest[:i], `"'`)
	for k := 0; k < len(name); k++ {
		if !isAssignNameByte(name[k]) {
			return 0, false
		}
	}
	v := strings.TrimSpace(rest[i+1:])
	if v == "" || (v[0] != '|' && v[0] != '>') || strings.Trim(v[1:], "-+0123456789") != "" || !secretName(name) {
		return 0, false
	}
	return indent, true
}

// secretSet is an immutable snapshot of the values to mask, indexed by their
// first two bytes so that a line is scanned once whatever the number of
// secrets.
type secretSet struct {
	pairs  [1 << 16 / 64]uint64
	byPair map[uint16][]string // longest first
	// single marks one-byte secrets (and one-byte forms of them).
	single    [256]bool
	hasSingle bool
	any       bool
}

func newSecretSet(secrets []string) *secretSet {
	set := &secretSet{byPair: map[uint16][]string{}}
	seen := map[string]bool{}
	for _, s := range secrets {
		for _, f := range secretForms(s) {
			if f == "" || strings.Trim(f, "*") == "" || seen[f] {
				continue
			}
			seen[f] = true
			set.any = true
			if len(f) == 1 {
				set.single[f[0]], set.hasSingle = true, true
				continue
			}
			p := uint16(f[0])<<8 | uint16(f[1])
			set.pairs[p>>6] |= 1 << (p & 63)
			set.byPair[p] = append(set.byPair[p], f)
		}
	}
	for _, fs := range set.byPair {
		sort.Slice(fs, func(a, b int) bool { return len(fs[a]) > len(fs[b]) })
	}
	return set
}

// secretForms returns s as it may appear in output or in a command: plain,
// shell-quoted ('…' and "…" escaping, backslash escaping), JSON-escaped and
// URL-encoded.
func secretForms(s string) []string {
	forms := []string{s, strings.ReplaceAll(s, "'", `'\''`)}
	dq := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`").Replace(s)
	forms = append(forms, dq)
	var bs strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(",._+:@%/-", c) >= 0) {
			bs.WriteByte('\\')
		}
		bs.WriteByte(c)
	}
	forms = append(forms, bs.String())
	if j, err := json.Marshal(s); err == nil {
		forms = append(forms, string(j[1:len(j)-1]))
	}
	forms = append(forms, url.QueryEscape(s), url.PathEscape(s))
	return forms
}

// formAt returns the end of the longest form of two or more bytes that
// starts at text[i] (whose first two bytes are p), or i.
func (set *secretSet) formAt(text string, i int, p uint16) int {
	for _, f := range set.byPair[p] { // longest first
		if strings.HasPrefix(text[i:], f) {
			return i + len(f)
		}
	}
	return i
}

// mask replaces every occurrence of every secret form with Mask. Occurrences
// that overlap or touch are merged into one span, so no part of either
// secret shows.
func (set *secretSet) mask(text string) string {
	if !set.any {
		return text
	}
	var spans [][2]int
	// The loop is the hot path of every output line: a bitmap test per
	// byte pair, a map lookup only on a hit.
	for i := 0; i < len(text); i++ {
		if i+1 < len(text) {
			p := uint16(text[i])<<8 | uint16(text[i+1])
			if set.pairs[p>>6]&(1<<(p&63)) != 0 {
				if end := set.formAt(text, i, p); end > i {
					spans = append(spans, [2]int{i, end})
					continue
				}
			}
		}
		if set.hasSingle && set.single[text[i]] {
			spans = append(spans, [2]int{i, i + 1})
		}
	}
	if len(spans) == 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	last := 0
	for k := 0; k < len(spans); {
		start, end := spans[k][0], spans[k][1]
		k++
		for k < len(spans) && spans[k][0] <= end { // spans are sorted by start
			end = max(end, spans[k][1])
			k++
		}
		b.WriteString(text[last:start])
		b.WriteString(Mask)
		last = end
	}
	b.WriteString(text[last:])
	return b.String()
}
