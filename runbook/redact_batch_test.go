package runbook

import (
	"encoding/base64"
	"math/rand"
	"net/url"
	"strings"
	"testing"
)

// batchPieces are what randomOutput builds a stream from: plain data (most
// of it, so that whole batches take the fast path), prose, every shape the
// redactor knows, key and YAML blocks, and the forms of known secrets.
func batchPieces(secrets []string) []string {
	pieces := []string{
		"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", "eHl6MDEyMzQ1Njc4OQ", "AAAAAAAAAA", "x", "9", "+/",
		"\n", "\n", "\n", "\n", "\r",
		"  Applying shop.0042_auto... OK", "DJANGO_SECRET_KEY=shaped-like-a-secret", "token: abcd",
		" --password hunter99 ", "sshpass -p pw1234 ssh", "Authorization: Bearer eyJhbGci.e30.x ",
		"postgres://app:pw99@db/shop", "-----BEGIN RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA",
		"-----END RSA PRIVATE KEY-----", "  db_password: |", "\n    s3cret-in-yaml", "\n  other: 1",
		"PGPASSWORD", " value", "-----", "export API_TOKEN=", "db_pass", "WORD=x1", "x\t--password\thunter99",
	}
	for _, s := range secrets {
		pieces = append(pieces, s, s[:len(s)/2], s[len(s)/2:], url.QueryEscape(s))
		for _, f := range base64Forms(s) {
			pieces = append(pieces, f)
		}
		pieces = append(pieces, base64.StdEncoding.EncodeToString([]byte("user:"+s)))
	}
	return pieces
}

// randomLines builds a stream of text from pieces and cuts it into lines
// as sshexec delivers them: at each '\n' and '\r', at random places
// besides (a partial line after a quiet second), and into 64 KiB pieces
// when a line runs that long. A few lines keep a '\n' inside (notices).
func randomLines(rng *rand.Rand, pieces []string) []string {
	var b strings.Builder
	n := 200 + rng.Intn(3000)
	for range n {
		if rng.Intn(3) > 0 {
			b.WriteString(pieces[rng.Intn(6)]) // data
			if rng.Intn(4) == 0 {
				b.WriteByte('\n')
			}
			continue
		}
		b.WriteString(pieces[rng.Intn(len(pieces))])
	}
	if rng.Intn(4) == 0 {
		at := rng.Intn(b.Len() + 1)
		s := b.String()
		b.Reset()
		b.WriteString(s[:at] + strings.Repeat("Zz9", pieceBytes/3+rng.Intn(pieceBytes)) + s[at:])
	}
	var lines []string
	for _, l := range strings.FieldsFunc(b.String(), func(r rune) bool { return r == '\n' || r == '\r' }) {
		for len(l) > pieceBytes {
			lines = append(lines, l[:pieceBytes])
			l = l[pieceBytes:]
		}
		for len(l) > 1 && rng.Intn(20) == 0 {
			k := 1 + rng.Intn(len(l)-1)
			lines = append(lines, l[:k])
			l = l[k:]
		}
		lines = append(lines, l)
	}
	for i := range lines {
		if rng.Intn(200) == 0 {
			lines[i] += "\n" + lines[(i+1)%len(lines)]
		} else if rng.Intn(100) == 0 {
			lines[i] = ""
		}
	}
	return lines
}

// Lines gives, batch by batch, exactly what Line gives line by line, on
// random output with secrets and shapes planted across lines, cuts and
// batches, for redactors with secrets of every kind and with none.
func TestStreamRedactorLinesMatchesLine(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	redactors := []struct {
		name string
		r    *Redactor
		sec  []string
	}{
		{"secrets", NewRedactor(benchSecrets), benchSecrets},
		{"short secret", NewRedactor([]string{"ab", "s3cr3t-value"}), []string{"ab", "s3cr3t-value"}},
		{"one-byte secret", NewRedactor([]string{"Q", "s3cr3t-value"}), []string{"Q", "s3cr3t-value"}},
		{"no secret", NewRedactor(nil), nil},
		{"nil", nil, nil},
	}
	fast := 0
	for _, rd := range redactors {
		pieces := batchPieces(rd.sec)
		for round := range 60 {
			lines := randomLines(rng, pieces)
			one := rd.r.Stream()
			want := make([]string, len(lines))
			for i, l := range lines {
				want[i] = one.Line(l)
			}
			batch := rd.r.Stream()
			for at := 0; at < len(lines); {
				n := min(len(lines)-at, 1+rng.Intn(600))
				out := outputLines(lines[at : at+n])
				batch.Lines(out)
				for i := range out {
					if out[i].Text != want[at+i] {
						t.Fatalf("%s round %d line %d %.80q: batch gives %.80q, Line %.80q", rd.name, round, at+i, lines[at+i], out[i].Text, want[at+i])
					}
					if out[i].Text == lines[at+i] {
						fast++
					}
				}
				at += n
			}
		}
	}
	if fast == 0 {
		t.Fatal("no line came through unchanged: the test plants too much")
	}
}

// The stream's state crosses from a line that Lines sends to line's path
// to the plain lines after it: a YAML block that a line without indent
// ends, a key block's body, a shape or secret cut at a 64 KiB piece's end
// and finished by a plain piece, a tab-separated flag.
func TestStreamRedactorLinesState(t *testing.T) {
	data := base64Lines(10)
	cut := func(tail string) string { return strings.Repeat("y", pieceBytes-len(tail)) + tail }
	cases := [][]string{
		{"  db_password: |", "x", "    s3cr3t", "QUJD", "  db_password: |", "    more", "QUJD"},
		{"-----BEGIN RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA", "QUJDREVG", "-----END RSA PRIVATE KEY-----", "QUJD"},
		{cut(" TOKEN=abcd"), "efgh", "QUJD"},
		{cut(" postgres://app:pw"), "99@db/shop", "QUJD"},
		{cut(" DB_PASS"), "WORD", "QUJD"},
		{cut("xXk9#mQ2"), "$vL8pZr4w", "QUJD"},
		{"run	--password	hunter99", "QUJD"},
		{"db-pass", "-7731", "QUJD", "Xk9#", "mQ2$vL8pZr4w"},
	}
	r := NewRedactor(benchSecrets)
	for _, c := range cases {
		lines := append(append(append([]string{}, data...), c...), data...)
		out := outputLines(lines)
		r.Stream().Lines(out)
		if i, w := differsFromLine(r.Stream(), lines, out); i >= 0 {
			t.Errorf("%.20q: line %d %.40q: batch %.40q, Line %.40q", c, i, lines[i], out[i].Text, w)
		}
	}
}

// outputLines makes lines of texts, for Lines.
func outputLines(texts []string) []OutputLine {
	out := make([]OutputLine, len(texts))
	for i, t := range texts {
		out[i].Text = t
	}
	return out
}

// differsFromLine feeds texts to one through Line and returns the first
// line where out (what Lines made of them) differs, with Line's text; -1
// when none does.
func differsFromLine(one *StreamRedactor, texts []string, out []OutputLine) (int, string) {
	for i, l := range texts {
		if w := one.Line(l); out[i].Text != w {
			return i, w
		}
	}
	return -1, ""
}

// A batch of plain data lines with one secret planted in one of them, at
// every offset across a line's end: Lines masks it as Line does.
func TestStreamRedactorLinesPlanted(t *testing.T) {
	r := NewRedactor(benchSecrets)
	data := strings.Join(base64Lines(60), "")
	for _, sec := range benchSecrets {
		for at := 70; at < 70+2*76; at += 3 {
			text := data[:at] + sec + data[at:]
			var lines []string
			for len(text) > 0 {
				n := min(76, len(text))
				lines = append(lines, text[:n])
				text = text[n:]
			}
			out := outputLines(lines)
			r.Stream().Lines(out)
			if i, w := differsFromLine(r.Stream(), lines, out); i >= 0 {
				t.Fatalf("secret %q at %d, line %d: batch %.80q, Line %.80q", sec, at, i, out[i].Text, w)
			}
			if strings.Contains(joinTexts(out), sec) {
				t.Fatalf("secret %q at %d leaked", sec, at)
			}
		}
	}
}

func joinTexts(lines []OutputLine) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.Text)
	}
	return b.String()
}

// FuzzRedactLines: any text, cut into lines at any places and fed as two
// batches, is masked by Lines exactly as by Line.
func FuzzRedactLines(f *testing.F) {
	f.Add("QUJDREVG\nQUJD s3cr3t-value\nxx", uint32(5), uint32(77))
	f.Add("a\nb\nKEY=x\n-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\nq", uint32(1), uint32(3))
	f.Add("pw: |\n  s3cr\n3t-value\nz", uint32(2), uint32(0))
	r := NewRedactor([]string{"s3cr3t-value", "hunter22"})
	f.Fuzz(func(t *testing.T, in string, cuts, split uint32) {
		lines := strings.Split(in, "\n")
		var cut []string
		for i, l := range lines { // more cuts inside lines, as a partial line makes
			if k := int(cuts>>(i%32)) % (len(l) + 1); cuts&(1<<(i%32)) != 0 && k > 0 && k < len(l) {
				cut = append(cut, l[:k], l[k:])
				continue
			}
			cut = append(cut, l)
		}
		out := outputLines(cut)
		k := int(split) % (len(out) + 1)
		batch := r.Stream()
		batch.Lines(out[:k])
		batch.Lines(out[k:])
		if i, w := differsFromLine(r.Stream(), cut, out); i >= 0 {
			t.Fatalf("line %d %.80q: batch %.80q, Line %.80q", i, cut[i], out[i].Text, w)
		}
	})
}
