package runbook

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// Output events are most of a journal: a big release prints hundreds of
// megabytes. encoding/json spends much of its time on them in reflection
// and in checking what time.Time.MarshalJSON returned, so they get this
// hand-written encoder. It must produce exactly the bytes json.Marshal
// would, because hashes are checked by encoding the decoded event again
// (VerifyChain); TestOutputEncoderMatchesJSON holds it to that.

// appendOutputEvent appends the canonical encoding of ev (Hash empty) when
// ev is a plain output event, and reports whether it did; for anything
// else the caller uses encoding/json.
func appendOutputEvent(dst []byte, ev *Event) ([]byte, bool) {
	dst, ok, _ := encodeOutputEvent(dst, ev)
	return dst, ok
}

// encodeOutputEvent is appendOutputEvent that also reports whether it
// replaced invalid UTF-8 with U+FFFD (the journal then stores the event as
// decoded, see Journal.appendCanonical), so that no caller has to scan the
// encoding for it again.
func encodeOutputEvent(dst []byte, ev *Event) (out []byte, ok, replaced bool) {
	if ev.Type != EvOutput || ev.Run != nil || ev.Var != nil || ev.HostKey != nil || ev.Conn != nil ||
		ev.Start != nil || ev.Exit != nil || ev.SignOff != nil || ev.Note != "" || ev.Hash != "" {
		return dst, false, false
	}
	n0 := len(dst)
	dst = append(dst, `{"seq":`...)
	dst = strconv.AppendInt(dst, ev.Seq, 10)
	dst = append(dst, `,"time":`...)
	if dst, ok = appendJSONTime(dst, ev.Time); !ok {
		return dst[:n0], false, false
	}
	var r bool
	dst = append(dst, `,"type":`...)
	dst, r = quoteJSON(dst, string(ev.Type), &jsonSafe)
	replaced = replaced || r
	if ev.Step != "" {
		dst = append(dst, `,"step":`...)
		dst, r = quoteJSON(dst, ev.Step, &jsonSafe)
		replaced = replaced || r
	}
	if ev.Attempt != 0 {
		dst = append(dst, `,"attempt":`...)
		dst = strconv.AppendInt(dst, int64(ev.Attempt), 10)
	}
	if len(ev.Lines) > 0 && ev.legacyLines {
		if dst, ok, r = appendLegacyLines(dst, ev.Lines); !ok {
			return dst[:n0], false, false
		}
		replaced = replaced || r
	}
	if len(ev.Lines) > 0 && !ev.legacyLines {
		if dst, ok, r = appendRuns(dst, ev.Lines); !ok {
			return dst[:n0], false, false
		}
		replaced = replaced || r
	}
	if ev.Prev != "" {
		dst = append(dst, `,"prev":`...)
		dst, r = quoteJSON(dst, ev.Prev, &jsonSafe)
		replaced = replaced || r
	}
	return append(dst, '}'), true, replaced
}

// appendRuns appends lines as the "out" field does (runsOf), and reports
// whether it could (times it cannot encode) and whether it replaced
// invalid UTF-8.
func appendRuns(dst []byte, lines []OutputLine) (out []byte, ok, replaced bool) {
	var r bool
	dst = append(dst, `,"out":[`...)
	for i := 0; i < len(lines); {
		k, off := runEnd(lines, i)
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"s":`...)
		dst, r = quoteJSON(dst, string(lines[i].Stream), &jsonSafe)
		replaced = replaced || r
		dst = append(dst, `,"t":`...)
		if dst, ok = appendJSONTime(dst, lines[i].Time); !ok {
			return dst, false, false
		}
		if off != 0 {
			dst = append(dst, `,"o":`...)
			dst = strconv.AppendInt(dst, off, 10)
		}
		if lines[i].Cont {
			dst = append(dst, `,"c":true`...)
		}
		dst = append(dst, `,"x":[`...)
		for n := i; n < k; n++ {
			if n > i {
				dst = append(dst, ',')
			}
			dst, r = quoteJSON(dst, lines[n].Text, &jsonSafe)
			replaced = replaced || r
		}
		dst = append(dst, ']', '}')
		i = k
	}
	return append(dst, ']'), true, replaced
}

// appendLegacyLines appends lines as the first format's "lines" field
// did: one object per line. It reports what appendRuns does.
func appendLegacyLines(dst []byte, lines []OutputLine) (out []byte, ok, replaced bool) {
	var r bool
	dst = append(dst, `,"lines":[`...)
	for i := range lines {
		l := &lines[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"t":`...)
		if dst, ok = appendJSONTime(dst, l.Time); !ok {
			return dst, false, false
		}
		dst = append(dst, `,"s":`...)
		dst, r = quoteJSON(dst, string(l.Stream), &jsonSafe)
		replaced = replaced || r
		dst = append(dst, `,"x":`...)
		dst, r = quoteJSON(dst, l.Text, &jsonSafe)
		replaced = replaced || r
		if l.Offset != 0 {
			dst = append(dst, `,"o":`...)
			dst = strconv.AppendInt(dst, l.Offset, 10)
		}
		if l.Cont {
			dst = append(dst, `,"c":true`...)
		}
		dst = append(dst, '}')
	}
	return append(dst, ']'), true, replaced
}

// appendJSONTime appends t as time.Time.MarshalJSON would, or reports
// false for the times it refuses (years outside 0–9999, odd zones).
func appendJSONTime(dst []byte, t time.Time) ([]byte, bool) {
	if y := t.Year(); y < 0 || y > 9999 {
		return dst, false
	}
	if _, off := t.Zone(); off%60 != 0 || off <= -24*3600 || off >= 24*3600 {
		return dst, false
	}
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"'), true
}

// jsonSafe marks the ASCII bytes encoding/json writes as they are (with
// HTML escaping on): all but control characters, '"', '\\', '<', '>', '&'.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = true
	}
	for _, b := range `"\<>&` {
		t[b] = false
	}
	return t
}()

// textSafe is jsonSafe with HTML escaping off ('<', '>', '&' as they are),
// as the transcript is written.
var textSafe = func() (t [utf8.RuneSelf]bool) {
	t = jsonSafe
	t['<'], t['>'], t['&'] = true, true, true
	return t
}()

const lowerHex = "0123456789abcdef"

// SWAR constants: every byte 0x01, 0x80, and the bytes to look for.
const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// safePrefixGo returns how many leading bytes of s encoding/json writes
// as they are, sixteen or eight at a time (most output is plain ASCII),
// the last few bytes as part of an overlapping word: bytes below 0x20,
// '"', '\\', '<', '>', '&' and anything non-ASCII end it. It may stop early
// (at a word with such a byte); the caller goes on byte by byte from
// there. It is safePrefix wherever there is no faster scan
// (jsonscan_amd64.go).
func safePrefixGo(s string) int {
	i := 0
	for ; i+16 <= len(s); i += 16 {
		if unsafeIn(word(s[i:i+8]))|unsafeIn(word(s[i+8:i+16])) != 0 {
			break
		}
	}
	for ; i+8 <= len(s); i += 8 {
		if unsafeIn(word(s[i:i+8])) != 0 {
			return i
		}
	}
	if i < len(s) && len(s) >= 8 && unsafeIn(word(s[len(s)-8:])) == 0 {
		return len(s) // the last word, overlapping the one before, is safe too
	}
	return i
}

// word loads eight bytes of b, little-endian (the compiler makes it one
// load).
func word(b string) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// unsafeIn is non-zero when some byte of w may need escaping. A byte b <
// n sets its high bit in (b - n) when b's own high bit is clear; a byte
// equal to c is zero in w^(c*lsb). '"' (0x22) and '&' (0x26) differ in one
// bit, as do '<' (0x3c) and '>' (0x3e): setting that bit tests both with
// one compare. Non-ASCII bytes have their high bit set in w itself.
func unsafeIn(w uint64) uint64 {
	return ((w - 0x20*lsb) | hasZero((w|0x04*lsb)^('&'*lsb)) | hasZero((w|0x02*lsb)^('>'*lsb)) |
		hasZero(w^('\\'*lsb)) | w) & msb
}

// hasZero has the high bit set in some byte when a byte of w is zero (and
// possibly in others then: a false alarm only sends the caller to its
// byte-by-byte loop, which is exact).
func hasZero(w uint64) uint64 { return (w - lsb) &^ w }

// appendJSONString appends s quoted exactly as encoding/json does with
// HTML escaping on.
func appendJSONString(dst []byte, s string) []byte {
	return appendQuoted(dst, s, &jsonSafe)
}

// appendQuoted appends s quoted as encoding/json does, writing the ASCII
// bytes safe marks as they are (jsonSafe: HTML escaping on; textSafe: off).
func appendQuoted(dst []byte, s string, safe *[utf8.RuneSelf]bool) []byte {
	dst, _ = quoteJSON(dst, s, safe)
	return dst
}

// quoteJSON is appendQuoted that also reports whether it replaced invalid
// UTF-8 with \ufffd.
func quoteJSON(dst []byte, s string, safe *[utf8.RuneSelf]bool) (out []byte, replaced bool) {
	dst = append(dst, '"')
	start := 0
	i := safePrefix(s)
	for i < len(s) {
		if b := s[i]; b < utf8.RuneSelf {
			if safe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', lowerHex[b>>4], lowerHex[b&0xF])
			}
			i++
			start = i
			// What follows an escape is most often plain again (a log
			// line's quoted field): scan it as the start was scanned.
			i += safePrefix(s[i:])
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			replaced = true
			i++
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', lowerHex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"'), replaced
}
