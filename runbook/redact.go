package runbook

import (
	"strings"
	"sync"
	"sync/atomic"
)

// Redactor masks secrets in text before it reaches the screen, the journal
// or the transcript (each becomes Mask, which never tells how long the secret
// was): the values it was given (secret variables, the sudo
// password) in their plain, shell-quoted, JSON- and URL-encoded forms and
// inside base64 text (values of 6 bytes or more), and
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
// is PASS, PWD, Authorization, Cookie), case-insensitively; the argument
// after a secret flag (--password VALUE, sshpass -p VALUE, curl -u
// USER:VALUE) and after a secret variable's name at the start of a line
// (PGPASSWORD VALUE, ENV DB_PASSWORD VALUE); the password in a URL's user
// info (scheme://user:********@host); the token after Bearer; and private
// key blocks. Text may hold several lines; a key block is masked to its end
// or to the end of text.
func (r *Redactor) Line(text string) string {
	var st StreamRedactor
	st.r = r
	return st.Line(text)
}

// Stream returns a redactor for one output stream: it remembers that a
// private key block began on an earlier line and masks every line up to the
// block's end, and it masks a secret cut in two across consecutive lines
// (see StreamRedactor.Line). A StreamRedactor is not safe for concurrent
// use; give each stream its own.
func (r *Redactor) Stream() *StreamRedactor {
	return &StreamRedactor{r: r, stream: true}
}

// pieceBytes is sshexec.MaxLineBytes (runbook imports no SSH package): a
// line that long, or up to 3 bytes shorter (the cut keeps a rune whole), is
// a piece of a longer line, and the next Line goes on with it.
const pieceBytes = 64 << 10

// partialMaskMin is how long the end of an ordinary line (not a cut piece)
// must be, as the beginning of a known secret, to be masked on the guess
// that the secret goes on in the next line (a partial line delivered after
// a quiet second, or a "\r" progress split). Shorter ends stay readable:
// one or two letters that happen to start a secret are far more often
// just text.
const partialMaskMin = 4

// shapeCarry is how much of a cut piece's end is kept to find a secret
// shape (PASSWORD=value) that the cut split.
const shapeCarry = 256

// StreamRedactor masks secrets line by line in one stream. See Redactor.Line.
type StreamRedactor struct {
	r      *Redactor
	stream bool // made by Stream: lines follow each other
	inKey  bool
	// inBlock is true inside a YAML block scalar (password: |) whose key
	// sat at blockIndent; its more indented lines are the secret.
	inBlock     bool
	blockIndent int
	// prev is the end of the previous line when two or more of its bytes
	// begin a known secret's form, else its last byte: the next line's
	// start may finish the form.
	prev string
	// cutTail is the end of the previous line when it was a piece cut
	// from a longer line (pieceBytes), for the shapes the cut split.
	cutTail string
	// seen: a line went through; before it, a Cont line's beginning is
	// one this redactor never saw (see maskUnseenHead).
	seen bool
	// before is the end of the last line Lines masked: where the rest of
	// a line (Cont) that starts the next batch goes on (see restOf).
	before string
	// Lines' buffers, reused from batch to batch: the joined texts, where
	// each ends, which the batch scans hit, and how many.
	joined []byte
	ends   []int
	hit    []bool
	hits   int
}

// Line returns one line of the stream with its secrets masked. A line inside
// a private key block becomes Mask; the block's BEGIN and END lines stay,
// so a reader sees that a key was printed (and should be rotated).
//
// A known secret cut across two lines (sshexec cuts lines longer than 64
// KiB; a partial line comes after a quiet second; a "\r" ends a progress
// line) is masked in both: the end of a cut piece that begins a secret is
// masked at once, as is the end of any other line when it is at least
// partialMaskMin bytes of a secret, and the start of the next line that
// finishes it. A secret shape cut at a 64 KiB piece's end (DB_PASS|WORD=x,
// TOKEN=ab|cd) is masked in the next piece too.
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
	s.seen = true
	prev, cutTail := s.prev, s.cutTail
	s.prev, s.cutTail = "", ""
	if s.inBlock {
		if strings.TrimSpace(text) == "" {
			return text
		}
		if indentOf(text) > s.blockIndent {
			s.rememberEnd(text) // the secret may go on after the block
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
	var sp spanList
	if set != nil && set.any {
		if len(prev) > 1 || prev != "" && set.mayFinishOneByte(prev[0], text) {
			if e := set.headEnd(prev, text); e > 0 {
				sp.add(0, e)
			}
		}
		set.scan(text, &sp)
	}
	if cutTail != "" {
		shapesAcrossCut(cutTail, text, &sp)
	}
	maskShapes(text, &sp)
	if s.stream {
		cut := len(text) >= pieceBytes-3
		if set != nil && len(set.forms) > 0 && text != "" {
			// The end of a cut piece is masked from its first byte that
			// may begin a form; another line's from partialMaskMin bytes.
			// A one-byte end is only remembered (cheaply, as the last
			// byte) for the next line to finish.
			s.prev = text[len(text)-1:]
			minLen := 2
			if cut {
				minLen = 1
			}
			if j := set.partialTail(text, minLen); j >= 0 {
				s.prev = text[j:]
				if cut || len(text)-j >= partialMaskMin {
					sp.add(j, len(text))
				}
			}
		}
		if cut {
			s.cutTail = text[max(0, len(text)-shapeCarry):]
			if i := urlPasswordAtEnd(text); i >= 0 {
				sp.add(i, len(text))
			}
		}
	}
	return sp.apply(text)
}

// maskUnseenHead masks the start of text when it finishes a known
// secret, text being the rest of a line (Cont) whose beginning this
// redactor never saw: a job resumed after golive stopped while the line
// was delivered in part ("pw=hunter2se" journaled, masked, before the
// stop; "cretvalue done" after the resume). The stream's redactor is new
// then and has no end of the line before to finish (prev). A head shorter
// than two bytes stays: one byte that happens to end a secret is far
// more often text.
func (s *StreamRedactor) maskUnseenHead(text string) string {
	if s.r == nil {
		return text
	}
	if set := s.r.set.Load(); set != nil {
		if e := set.suffixHead(text, 2); e > 0 {
			return Mask + text[e:]
		}
	}
	return text
}

// rememberEnd keeps, for the next line, the end of a line that was masked
// whole (a YAML block's line), when it may begin a known secret.
func (s *StreamRedactor) rememberEnd(text string) {
	if !s.stream || s.r == nil || text == "" {
		return
	}
	if set := s.r.set.Load(); set != nil && len(set.forms) > 0 {
		if j := set.partialTail(text, 1); j >= 0 {
			s.prev = text[j:]
		}
	}
}

// shapesAcrossCut adds the spans of secret shapes that begin in tail, the
// end of the previous piece of a line, and go on into text.
func shapesAcrossCut(tail, text string, out *spanList) {
	var sp spanList
	maskShapes(tail+text, &sp)
	for _, r := range sp.all() {
		if r[1] > len(tail) {
			out.add(max(r[0], len(tail))-len(tail), r[1]-len(tail))
		}
	}
}

// urlPasswordAtEnd returns where a URL password starts when text ends
// inside one (scheme://user:pass, cut before its '@'), or -1. It may be a
// port (http://host:80 cut there); masking that at a cut hides nothing of
// use.
func urlPasswordAtEnd(text string) int {
	from := max(0, len(text)-shapeCarry)
	i := strings.LastIndex(text[from:], "://")
	if i < 0 {
		return -1
	}
	a := from + i + 3
	if strings.ContainsAny(text[a:], "/?#@ \t\"'<>") {
		return -1
	}
	c := strings.IndexByte(text[a:], ':')
	if c < 0 || a+c+1 == len(text) {
		return -1
	}
	return a + c + 1
}

// spanList collects the byte ranges of text to mask. The first few live in
// buf, so that a line with a secret or two costs no allocation for them.
type spanList struct {
	n    int
	buf  [8][2]int
	more [][2]int // after buf is full
}

func (sp *spanList) add(start, end int) {
	switch {
	case end <= start:
	case sp.n < len(sp.buf):
		sp.buf[sp.n] = [2]int{start, end}
		sp.n++
	default:
		sp.more = append(sp.more, [2]int{start, end})
	}
}

// all returns the spans, in the order they were added.
func (sp *spanList) all() [][2]int {
	if len(sp.more) == 0 {
		return sp.buf[:sp.n]
	}
	return append(append([][2]int{}, sp.buf[:sp.n]...), sp.more...)
}

// apply returns text with every span replaced by Mask; spans that overlap
// or touch become one Mask, so no part of either secret shows.
func (sp *spanList) apply(text string) string {
	if sp.n == 0 {
		return text
	}
	spans := sp.all()
	for i := 1; i < len(spans); i++ { // insertion sort by start: few, mostly sorted
		for j := i; j > 0 && spans[j][0] < spans[j-1][0]; j-- {
			spans[j], spans[j-1] = spans[j-1], spans[j]
		}
	}
	var b strings.Builder
	b.Grow(len(text) + len(spans)*len(Mask)) // one allocation, however short the secrets
	last := 0
	for k := 0; k < len(spans); {
		start, end := spans[k][0], spans[k][1]
		k++
		for k < len(spans) && spans[k][0] <= end {
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

func indentOf(s string) int {
	return len(s) - len(strings.TrimLeft(s, " \t"))
}

// yamlSecretBlock reports whether line opens a YAML block scalar under a
// secret-looking key ("  db_password: |", "- api_key: >-"), and the key's
// indentation.
func yamlSecretBlock(line string) (int, bool) {
	e := len(line)
	for e > 0 && (line[e-1] == ' ' || line[e-1] == '\t' || line[e-1] == '\r') {
		e--
	}
	if e == 0 {
		return 0, false
	}
	switch c := line[e-1]; { // the cheap test: most lines end otherwise
	case c == '|' || c == '>' || c == '-' || c == '+' || c >= '0' && c <= '9':
	default:
		return 0, false
	}
	t := line[:e]
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
