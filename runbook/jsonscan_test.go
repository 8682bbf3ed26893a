package runbook

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// safePrefix (jsonscan_*.go) may stop early but must never pass a byte
// encoding/json escapes or a non-ASCII byte; the assembly scans
// (exactScanners, per architecture) must find exactly the first one.
// These tests hold every scan to firstUnsafe, a byte-by-byte reference.

// namedScan is a scan that returns the exact index of the first unsafe
// byte.
type namedScan struct {
	name string
	scan func(string) int
}

// firstUnsafe returns the index of the first byte of s that encoding/json
// escapes with HTML escaping on, or that is not ASCII; len(s) if none.
func firstUnsafe(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf || !jsonSafe[s[i]] {
			return i
		}
	}
	return len(s)
}

// checkScan checks every scan on s against firstUnsafe.
func checkScan(t testing.TB, s string) {
	t.Helper()
	want := firstUnsafe(s)
	if got := safePrefixGo(s); got > want || got < 0 {
		t.Fatalf("safePrefixGo(%q) = %d, first unsafe byte at %d", s, got, want)
	}
	if got := safePrefix(s); got > want || got < 0 {
		t.Fatalf("safePrefix(%q) = %d, first unsafe byte at %d", s, got, want)
	}
	for _, sc := range exactScanners {
		if got := sc.scan(s); got != want {
			t.Fatalf("%s(%q) (len %d) = %d, first unsafe byte at %d", sc.name, s, len(s), got, want)
		}
	}
}

// logScanners says which exact scans the machine runs (none: only the Go
// scan is tested).
func logScanners(t *testing.T) {
	if len(exactScanners) == 0 {
		t.Log("no assembly scan on this machine: only the Go scan is checked")
	}
	for _, sc := range exactScanners {
		t.Logf("checking %s", sc.name)
	}
}

// TestSafePrefixEveryByteEveryPlace puts each of the 256 byte values at
// each position of plain strings of every length 0 to 130 (four 32-byte
// rounds and a tail), at varying alignments, and checks the strings with
// no such byte too.
func TestSafePrefixEveryByteEveryPlace(t *testing.T) {
	logScanners(t)
	plain := strings.Repeat("QmVuY2htYXJr+/=0123456789 abcdefghijklmnopqrstuvwxyz'ABCDEF!#$%()*,-.:;?@[]^_`{|}~", 2)
	buf := make([]byte, 130+32)
	for n := 0; n <= 130; n++ {
		s := plain[:n]
		checkScan(t, s)
		if n >= 8 && safePrefix(s) != n {
			t.Fatalf("safePrefix(%q) = %d, want all %d bytes", s, safePrefix(s), n)
		}
		for b := 0; b < 256; b++ {
			for pos := 0; pos < n; pos++ {
				off := (pos + b) % 32
				copy(buf[off:], s)
				buf[off+pos] = byte(b)
				checkScan(t, string(buf[:off+n])[off:])
			}
		}
	}
}

// TestSafePrefixRandom checks random strings: mostly printable ASCII with
// unsafe bytes sprinkled at various rates, up to 300 bytes, at random
// offsets of a longer string.
func TestSafePrefixRandom(t *testing.T) {
	logScanners(t)
	rng := rand.New(rand.NewPCG(6, 32))
	buf := make([]byte, 400)
	for i := 0; i < 20000; i++ {
		rate := []int{0, 2, 10, 50, 300, 1000}[rng.IntN(6)]
		for k := range buf {
			buf[k] = byte(0x20 + rng.IntN(0x5f))
			if rate > 0 && rng.IntN(rate) == 0 {
				buf[k] = byte(rng.IntN(256))
			}
		}
		s := string(buf)
		off := rng.IntN(64)
		checkScan(t, s[off:off+rng.IntN(len(s)-off)])
	}
}

// quoteBothWays checks quoteJSON on s against encoding/json, with HTML
// escaping on (jsonSafe) and off (textSafe), and that it reports a
// replacement exactly for invalid UTF-8.
func quoteBothWays(t testing.TB, s string) {
	t.Helper()
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	got, replaced := quoteJSON(nil, s, &jsonSafe)
	if !bytes.Equal(got, want) {
		t.Fatalf("quoteJSON(%q):\n got %s\nwant %s", s, got, want)
	}
	if replaced == utf8.ValidString(s) {
		t.Fatalf("quoteJSON(%q) replaced = %v, valid UTF-8 %v", s, replaced, utf8.ValidString(s))
	}
	var text bytes.Buffer
	enc := json.NewEncoder(&text)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	want = bytes.TrimSuffix(text.Bytes(), []byte("\n"))
	if got, _ = quoteJSON(nil, s, &textSafe); !bytes.Equal(got, want) {
		t.Fatalf("quoteJSON(%q, textSafe):\n got %s\nwant %s", s, got, want)
	}
}

// TestQuoteJSONMatchesEncodingJSON quotes random strings long enough for
// the assembly scan (TestOutputEncoderMatchesJSON covers the short ones in
// whole events): long plain runs with escapes, non-ASCII and invalid UTF-8
// between them.
func TestQuoteJSONMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 6))
	pieces := []string{"<", ">", "&", `"`, `\`, "\n", "\t", "\x00", "\x1f", "\x7f", "é", "日本", "\u2028",
		"\u2029", "\xff", "\xe2\x82", "😀", "\ufffd", "\x1b[31m", " ", "="}
	plain := strings.Repeat("QmVuY2htYXJrIGxpbmUgb2Ygb3V0cHV0", 8)
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for n := rng.IntN(6); n >= 0; n-- {
			k := rng.IntN(80)
			off := rng.IntN(len(plain) - k)
			b.WriteString(plain[off : off+k])
			if rng.IntN(3) > 0 {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
		}
		quoteBothWays(t, b.String())
	}
}

// FuzzSafePrefix checks the scans and quoteJSON on arbitrary strings; as
// a normal test it runs the seeds: a base64 line, each kind of unsafe
// byte at the start, middle and end of 16-, 32- and 76-byte strings.
//
//	go test ./runbook -run='^$' -fuzz=FuzzSafePrefix -fuzztime=1m
func FuzzSafePrefix(f *testing.F) {
	line := benchLineTexts(1)[0]
	f.Add("")
	f.Add("x")
	f.Add(line)
	for _, c := range []string{"\x00", "\x1f", " ", `"`, "&", "<", ">", `\`, "\x7f", "\x80", "é", "\xff", "\u2028"} {
		for _, n := range []int{1, 15, 16, 31, 32, 76} {
			f.Add(c + line[:n])
			f.Add(line[:n/2] + c + line[n/2:n])
			f.Add(line[:n] + c)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkScan(t, s)
		quoteBothWays(t, s)
	})
}
