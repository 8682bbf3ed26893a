package runbook

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
)

// secretSet is an immutable snapshot of the values to mask: every form of
// every secret (see secretForms). Text is searched with Wu and Manber's
// multi-pattern algorithm: a window as long as the shortest form slides
// along the text, and a table indexed by the window's last two bytes says
// how far it may jump. In ordinary output most byte pairs end no form's
// beginning, so the window jumps almost its whole length: a 76-byte line
// costs a handful of table lookups, not one per byte.
type secretSet struct {
	any bool
	// forms holds the forms of two or more bytes; minLen and maxLen are
	// their shortest and longest lengths.
	forms          []string
	minLen, maxLen int
	// shift is indexed by a byte pair (first<<8 | second): how far the
	// window may move when its last two bytes are that pair. Zero means a
	// form's first minLen bytes may end there: check byLast.
	shift  []uint8
	byLast map[uint16][]string // by the pair ending a form's first minLen bytes, longest first
	// byFirst and first index the forms by their first two bytes, and
	// firstByte by their first byte: for a form cut at the end of a line.
	byFirst   map[uint16][]string // longest first
	first     [1 << 16 / 64]uint64
	firstByte [256]bool
	// inner marks every byte pair inside a form but its last: a text whose
	// last two bytes are none of them cannot end with a cut form.
	inner [1 << 16 / 64]uint64
	// second marks the pairs at bytes 1 and 2 of a form; hasTwo says a
	// form is two bytes long (its rest is one byte).
	second [1 << 16 / 64]uint64
	hasTwo bool
	// single marks one-byte secrets (and one-byte forms of them).
	single    [256]bool
	hasSingle bool
}

func pairOf(a, b byte) uint16 { return uint16(a)<<8 | uint16(b) }

func newSecretSet(secrets []string) *secretSet {
	set := &secretSet{byLast: map[uint16][]string{}, byFirst: map[uint16][]string{}}
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
			set.forms = append(set.forms, f)
		}
	}
	if len(set.forms) == 0 {
		return set
	}
	set.minLen, set.maxLen = len(set.forms[0]), 0
	for _, f := range set.forms {
		set.minLen, set.maxLen = min(set.minLen, len(f)), max(set.maxLen, len(f))
	}
	m := set.minLen
	set.shift = make([]uint8, 1<<16)
	def := uint8(min(m-1, 255))
	for i := range set.shift {
		set.shift[i] = def
	}
	for _, f := range set.forms {
		if len(f) == 2 {
			set.hasTwo = true
		} else {
			p := pairOf(f[1], f[2])
			set.second[p>>6] |= 1 << (p & 63)
		}
		for j := 1; j < len(f)-1; j++ {
			p := pairOf(f[j-1], f[j])
			set.inner[p>>6] |= 1 << (p & 63)
		}
		for j := 1; j < m; j++ {
			p := pairOf(f[j-1], f[j])
			if sh := m - 1 - j; sh < int(set.shift[p]) {
				set.shift[p] = uint8(sh)
			}
		}
		last := pairOf(f[m-2], f[m-1])
		set.byLast[last] = append(set.byLast[last], f)
		p := pairOf(f[0], f[1])
		set.byFirst[p] = append(set.byFirst[p], f)
		set.first[p>>6] |= 1 << (p & 63)
		set.firstByte[f[0]] = true
	}
	longestFirst := func(fs []string) {
		sort.Slice(fs, func(a, b int) bool { return len(fs[a]) > len(fs[b]) })
	}
	for _, fs := range set.byLast {
		longestFirst(fs)
	}
	for _, fs := range set.byFirst {
		longestFirst(fs)
	}
	return set
}

// secretForms returns s as it may appear in output or in a command: plain,
// shell-quoted ('…' and "…" escaping, backslash escaping), JSON-escaped,
// URL-encoded and inside base64.
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
	return append(forms, base64Forms(s)...)
}

// base64Forms returns s as it shows inside base64 text (a Kubernetes
// Secret's data, HTTP Basic credentials, `echo -n … | base64`): for each of
// the three offsets it may start at in the encoded bytes, in the standard
// and the URL alphabet, the characters that depend on its bytes alone. A
// value shorter than 6 bytes has none: its few characters would turn up in
// any base64 output by chance.
func base64Forms(s string) []string {
	if len(s) < 6 {
		return nil
	}
	var forms []string
	for o, skip := range []int{0, 2, 3} { // characters mixing the bytes before
		b := make([]byte, o+len(s))
		copy(b[o:], s)
		keep := 4*(len(b)/3) + len(b)%3 // not those mixing the bytes after
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			forms = append(forms, enc.EncodeToString(b)[skip:keep])
		}
	}
	return forms
}

// scan adds a span for every occurrence of every form in text (the longest
// form at each start), in order of start.
func (set *secretSet) scan(text string, out *spanList) {
	if set.hasSingle {
		set.scanBytewise(text, out)
		return
	}
	for pos := set.minLen - 1; ; {
		var start, end int
		if start, end, pos = set.find(text, pos); start < 0 {
			return
		}
		out.add(start, end)
	}
}

// find is scan's Wu-Manber search: from pos (where the last byte of a
// minLen window stands) it returns the start and end of the next form,
// the longest at that start, and the position to go on from; start is -1
// when text holds no more forms.
func (set *secretSet) find(text string, pos int) (start, end, next int) {
	m, n := set.minLen, len(text)
	if m == 0 {
		return -1, -1, n
	}
	shift := set.shift[:1<<16]
	for pos < n {
		// The hot loop of all output: one table lookup per jump.
		p := pairOf(text[pos-1], text[pos])
		if sh := shift[p]; sh != 0 {
			pos += int(sh)
			continue
		}
		start := pos - m + 1
		pos++
		for _, f := range set.byLast[p] { // longest first
			if len(f) <= n-start && text[start:start+len(f)] == f {
				return start, start + len(f), pos
			}
		}
	}
	return -1, -1, pos
}

// scanBytewise is scan for a set that holds one-byte secrets, which every
// byte of text may be: it tests each position.
func (set *secretSet) scanBytewise(text string, out *spanList) {
	for i := 0; i < len(text); i++ {
		if i+1 < len(text) {
			p := pairOf(text[i], text[i+1])
			if set.first[p>>6]&(1<<(p&63)) != 0 {
				if end := set.formAt(text, i, p); end > i {
					out.add(i, end)
					continue
				}
			}
		}
		if set.single[text[i]] {
			out.add(i, i+1)
		}
	}
}

// formAt returns the end of the longest form of two or more bytes that
// starts at text[i] (whose first two bytes are p), or i.
func (set *secretSet) formAt(text string, i int, p uint16) int {
	for _, f := range set.byFirst[p] { // longest first
		if strings.HasPrefix(text[i:], f) {
			return i + len(f)
		}
	}
	return i
}

// partialTail returns where the longest tail of text of at least minLen
// (1 or more) bytes starts that is the beginning of a form but not all of
// it (the form may go on in the next piece of the line), or -1.
func (set *secretSet) partialTail(text string, minLen int) int {
	n := len(text)
	if n == 0 || n < minLen {
		return -1
	}
	if minLen > 1 || !set.firstByte[text[n-1]] {
		if n < 2 {
			return -1
		}
		if p := pairOf(text[n-2], text[n-1]); set.inner[p>>6]&(1<<(p&63)) == 0 {
			return -1 // the common case: a quick no
		}
	}
	for j := max(0, n-set.maxLen+1); j <= n-minLen; j++ {
		if n-j == 1 {
			if set.firstByte[text[j]] {
				return j // every form is at least two bytes long
			}
			continue
		}
		p := pairOf(text[j], text[j+1])
		if set.first[p>>6]&(1<<(p&63)) == 0 {
			continue
		}
		for _, f := range set.byFirst[p] {
			if len(f) > n-j && f[:n-j] == text[j:] {
				return j
			}
		}
	}
	return -1
}

// mayFinishOneByte reports whether text may be the rest of a form whose
// first byte alone, last, ended the previous line: a quick test before
// headEnd.
func (set *secretSet) mayFinishOneByte(last byte, text string) bool {
	if !set.firstByte[last] || text == "" {
		return false
	}
	if set.hasTwo || len(text) < 2 {
		return true
	}
	p := pairOf(text[0], text[1])
	return set.second[p>>6]&(1<<(p&63)) != 0
}

// suffixHead returns the length of the longest head of text, at least
// minLen bytes, that ends a known secret's form begun before text (a
// proper suffix of the form), or 0.
func (set *secretSet) suffixHead(text string, minLen int) int {
	e := 0
	for _, f := range set.forms {
		for k := 1; len(f)-k >= max(minLen, e+1); k++ {
			if strings.HasPrefix(text, f[k:]) {
				e = len(f) - k
				break
			}
		}
	}
	return e
}

// headEnd returns how many bytes at the start of text end a form that
// began in prev, the tail of the previous piece of the line, or 0.
func (set *secretSet) headEnd(prev, text string) int {
	e := 0
	for j := 0; j < len(prev); j++ {
		t := prev[j:]
		for _, f := range set.forms {
			if len(f) > len(t) && f[:len(t)] == t && strings.HasPrefix(text, f[len(t):]) {
				e = max(e, len(f)-len(t))
			}
		}
	}
	return e
}
