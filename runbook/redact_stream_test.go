package runbook

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

// piecesOf cuts line the way sshexec cuts a line longer than its
// MaxLineBytes (64 KiB, the same as pieceBytes): into pieceBytes-long
// pieces, the last one shorter.
func piecesOf(line string) []string {
	var pieces []string
	for len(line) > pieceBytes {
		pieces = append(pieces, line[:pieceBytes])
		line = line[pieceBytes:]
	}
	return append(pieces, line)
}

// A known secret that a 64 KiB cut splits, at every possible point and in
// each encoded form, is masked in both pieces; the text around it stays.
func TestStreamRedactorSecretAcrossCut(t *testing.T) {
	const secret = `p@ss "w0rd"/éx`
	r := NewRedactor([]string{secret})
	for _, form := range []string{secret, url.QueryEscape(secret), `p@ss \"w0rd\"/éx`} {
		for k := 1; k < len(form); k++ {
			fill := strings.Repeat("x", pieceBytes-k)
			pieces := piecesOf(fill + form + " after")
			if len(pieces) != 2 || !strings.HasSuffix(pieces[0], form[:k]) {
				t.Fatalf("bad test pieces at %d", k)
			}
			s := r.Stream()
			a, b := s.Line(pieces[0]), s.Line(pieces[1])
			if !strings.HasSuffix(a, "x"+Mask) || strings.Count(a, "*") != len(Mask) {
				t.Errorf("form %q cut at %d: first piece ends %q", form, k, a[len(a)-20:])
			}
			if b != Mask+" after" {
				t.Errorf("form %q cut at %d: second piece %q", form, k, b)
			}
		}
	}
}

// A secret cut by a "\r" progress split or a partial line (the rest came
// after a quiet second) is masked in both lines when the first holds at
// least partialMaskMin bytes of it; a shorter start stays (it is more often
// text), and the rest is still masked.
func TestStreamRedactorSecretAcrossLines(t *testing.T) {
	r := NewRedactor([]string{"s3cr3t-value", "db-pass-7731"})
	cases := []struct{ in, want []string }{
		{[]string{"token: s3cr", "3t-value ok"}, []string{"token: " + Mask, Mask + " ok"}},
		{[]string{"uploading db-pass", "-7731 42%", "uploading db-pass-7731 43%"},
			[]string{"uploading " + Mask, Mask + " 42%", "uploading " + Mask + " 43%"}},
		{[]string{"short s3", "cr3t-value"}, []string{"short s3", Mask}},
		{[]string{"shorter s", "3cr3t-value!"}, []string{"shorter s", Mask + "!"}},
		{[]string{"s", "3cr3t-value"}, []string{"s", Mask}},
		// Lines that only look like the start of a secret stay as they are.
		{[]string{"the word s3cr", "eting is not it"}, []string{"the word " + Mask, "eting is not it"}},
		{[]string{"db", "pass"}, []string{"db", "pass"}},
	}
	for _, c := range cases {
		s := r.Stream()
		for i, l := range c.in {
			if got := s.Line(l); got != c.want[i] {
				t.Errorf("%q line %d: got %q want %q", c.in, i, got, c.want[i])
			}
		}
	}
	// A one-off Line has no next line: its end is not masked on a guess.
	if got := r.Line("got s3cr"); got != "got s3cr" {
		t.Errorf("one-off Line masked a partial secret: %q", got)
	}
}

// Secret shapes cut at a 64 KiB piece's end are masked in the next piece.
func TestStreamRedactorShapeAcrossCut(t *testing.T) {
	r := NewRedactor(nil)
	cases := []struct {
		tail, head string
		wantA      string // the first piece's end
		wantB      string
	}{
		{" DB_PASS", "WORD=hunter99 rest", " DB_PASS", "WORD=" + Mask + " rest"},
		{" TOKEN=abcd", "efgh rest", " TOKEN=" + Mask, Mask + " rest"},
		{" DJANGO_SECRET_KEY=", "value rest", " DJANGO_SECRET_KEY=", Mask + " rest"},
		{" postgres://app:pw", "99@db/shop ok", " postgres://app:" + Mask, Mask + "@db/shop ok"},
		{" plain words", " and more", " plain words", " and more"},
	}
	for _, c := range cases {
		fill := strings.Repeat("y", pieceBytes-len(c.tail))
		s := r.Stream()
		a, b := s.Line(fill+c.tail), s.Line(c.head)
		if !strings.HasSuffix(a, "y"+c.wantA) {
			t.Errorf("%q|%q: first piece ends %q, want %q", c.tail, c.head, a[len(a)-30:], c.wantA)
		}
		if b != c.wantB {
			t.Errorf("%q|%q: second piece %q, want %q", c.tail, c.head, b, c.wantB)
		}
	}
}

// Ordinary output goes through a stream unchanged (the carry between lines
// masks nothing on a guess), and a secret planted in it is masked wherever
// it falls, across line ends too.
func TestStreamRedactorBase64Output(t *testing.T) {
	r := NewRedactor(benchSecrets)
	lines := base64Lines(5000)
	s := r.Stream()
	for i, l := range lines {
		if got := s.Line(l); got != l {
			t.Fatalf("line %d changed: %q -> %q", i, l, got)
		}
	}
	text := strings.Join(lines[:40], "")
	for _, sec := range benchSecrets {
		for at := 60; at < 60+2*76; at += 7 {
			planted := text[:at] + sec + text[at:]
			s := r.Stream()
			var out []string
			for len(planted) > 0 {
				n := min(76, len(planted))
				out = append(out, s.Line(planted[:n]))
				planted = planted[n:]
			}
			joined := strings.Join(out, "")
			if strings.Contains(joined, sec) {
				t.Fatalf("secret %q at %d leaked", sec, at)
			}
			// The cut is not 64 KiB: fewer than partialMaskMin bytes of the
			// secret may stay at a line's end, never more.
			for k := partialMaskMin; k <= len(sec); k++ {
				for i, o := range out {
					if strings.HasSuffix(o, sec[:k]) || i > 0 && strings.HasPrefix(o, sec[len(sec)-k:]) {
						t.Fatalf("secret %q at %d: %d bytes show at line %d: %q", sec, at, k, i, o)
					}
				}
			}
		}
	}
}

// A known secret inside base64 text is masked at any of the three offsets
// it may start at, in both alphabets; a short one is not looked for there.
func TestRedactorBase64Forms(t *testing.T) {
	const secret = "s3cr3t-value?>"
	r := NewRedactor([]string{secret, "abc"})
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for _, before := range []string{"", "b", "bo", "bob:", "user:x"} {
			for _, after := range []string{"", "!", "\n\x00", "tail"} {
				e := enc.EncodeToString([]byte(before + secret + after))
				got := r.Line("data: " + e)
				if !strings.Contains(got, Mask) {
					t.Errorf("%q+secret+%q as %q: not masked: %q", before, after, e, got)
				}
				// Whatever shows decodes to no more than a few bytes of it.
				rest := strings.ReplaceAll(strings.TrimPrefix(got, "data: "), Mask, " ")
				for _, part := range strings.Fields(rest) {
					if len(part) > 8 {
						t.Errorf("%q+secret+%q: %q shows around the mask: %q", before, after, part, got)
					}
				}
			}
		}
	}
	if got := r.Line("YWJj " + base64.StdEncoding.EncodeToString([]byte("xabc"))); strings.Contains(got, Mask) {
		t.Errorf("a 3-byte secret was looked for in base64: %q", got)
	}
}

// FuzzRedactStream plants a known secret in arbitrary text and ends a line
// inside it: the stream never shows partialMaskMin or more of its first
// bytes at the line's end, nor any of its rest at the next line's start.
func FuzzRedactStream(f *testing.F) {
	for _, s := range []string{"", "abc", "KEY=x\n-----BEGIN PRIVATE KEY-----", "password: |\n  x", "s3cr3t-valu", "\n\n"} {
		f.Add(s, uint16(0))
		f.Add(s, uint16(0x0507))
	}
	f.Add("pAss.000: |\n ", uint16(41)) // found: a YAML block's masked line dropped the carry
	const secret = "s3cr3t-value"
	r := NewRedactor([]string{secret})
	f.Fuzz(func(t *testing.T, in string, cut uint16) {
		p := int(cut) % (len(in) + 1)
		k := 1 + int(cut>>8)%(len(secret)-1) // bytes of the secret on the first line
		text := in[:p] + secret + in[p:]
		a, b := text[:p+k], text[p+k:]
		s := r.Stream()
		oa, ob := s.Line(a), s.Line(b)
		if k >= partialMaskMin && strings.HasSuffix(oa, secret[:k]) {
			t.Fatalf("%q | %q: first line shows %q: %q", a, b, secret[:k], oa)
		}
		if strings.HasPrefix(ob, secret[k:]) {
			t.Fatalf("%q | %q: second line shows %q: %q", a, b, secret[k:], ob)
		}
		if strings.Contains(oa, secret) || strings.Contains(ob, secret) {
			t.Fatalf("secret leaked: %q | %q", oa, ob)
		}
	})
}

// A resumed job's first line can be the rest of a line delivered in part
// before golive stopped ("pw=hunter2se" journaled masked, then, after the
// resume, "cretvalue done" marked Cont). The stream's redactor is new and
// never saw the beginning: the head that finishes a known secret is
// masked all the same. Only such a first rest: a Cont line after a line
// of the stream, or a first line that is no rest, is redacted as always.
func TestStreamRedactorResumedRest(t *testing.T) {
	r := NewRedactor([]string{"hunter2secretvalue"})
	cases := []struct {
		in   []OutputLine
		want []string
	}{
		{[]OutputLine{{Text: "cretvalue done", Cont: true}}, []string{Mask + " done"}},
		{[]OutputLine{{Text: "ue", Cont: true}, {Text: "next"}}, []string{Mask, "next"}},
		{[]OutputLine{{Text: "e done", Cont: true}}, []string{"e done"}}, // one byte: text more often
		{[]OutputLine{{Text: "cretvalue done"}}, []string{"cretvalue done"}},
		{[]OutputLine{{Text: "x"}, {Text: "cretvalue", Cont: true}}, []string{"x", "cretvalue"}},
		{[]OutputLine{{Text: " OK", Cont: true}, {Text: "a"}, {Text: "b"}}, []string{" OK", "a", "b"}},
	}
	for _, c := range cases {
		s := r.Stream()
		s.Lines(c.in)
		for i, l := range c.in {
			if l.Text != c.want[i] {
				t.Errorf("%q: line %d is %q, want %q", c.want, i, l.Text, c.want[i])
			}
		}
	}
	// Only the stream's first line: a later batch's Cont line is the rest
	// of a line this redactor saw, and goes by prev as always.
	s := r.Stream()
	s.Lines([]OutputLine{{Text: "nothing secret"}})
	later := []OutputLine{{Text: "cretvalue", Cont: true}}
	s.Lines(later)
	if later[0].Text != "cretvalue" {
		t.Errorf("a rest after a line the redactor saw masked as %q", later[0].Text)
	}
}

// The rest of a line delivered in part (Cont) goes on with the line
// before it: a secret shape the pause split is masked in the rest, as
// the whole line would be, in one batch (by line or by the batch scans)
// and across batches. A rest that holds no shape's value stays.
func TestStreamRedactorShapeAcrossRest(t *testing.T) {
	r := NewRedactor(nil)
	for _, c := range []struct{ start, rest, secret, keep string }{
		{"PASSWORD=", "hunter3", "hunter3", ""},
		{"DATABASE_URL=postgres://app:", "s3cr3tpw@db/app", "s3cr3tpw", "@db/app"},
		{"TOKEN=abcdef", "ghijkl", "ghijkl", ""},
	} {
		if got := r.Stream().Line(c.start + c.rest); strings.Contains(got, c.secret) {
			t.Fatalf("%q is no secret shape: %q", c.start+c.rest, got)
		}
		batches := map[string][][]OutputLine{
			"one batch, by line": {{{Text: c.start}, {Text: c.rest, Cont: true}}},
			"one batch, scanned": {{{Text: "a"}, {Text: "b"}, {Text: "c"}, {Text: c.start}, {Text: c.rest, Cont: true}, {Text: "d"}, {Text: "e"}, {Text: "f"}}},
			"two batches":        {{{Text: "a"}, {Text: c.start}}, {{Text: c.rest, Cont: true}, {Text: "b"}}},
		}
		for name, bs := range batches {
			s := r.Stream()
			var rest string
			for _, b := range bs {
				s.Lines(b)
				for _, l := range b {
					if l.Cont {
						rest = l.Text
					}
				}
			}
			if strings.Contains(rest, c.secret) || !strings.HasSuffix(rest, c.keep) || !strings.HasPrefix(rest, Mask) {
				t.Errorf("%s: the rest %q after %q masked as %q", name, c.rest, c.start, rest)
			}
		}
	}
	s := r.Stream()
	b := []OutputLine{{Text: "  Applying app.0001..."}, {Text: " OK", Cont: true}}
	s.Lines(b)
	if b[0].Text+b[1].Text != "  Applying app.0001... OK" {
		t.Errorf("a migration's line masked as %q %q", b[0].Text, b[1].Text)
	}
}
