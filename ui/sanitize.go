package ui

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// tabWidth is where tab stops fall when Sanitize expands tabs.
const tabWidth = 8

// maxSGRParams bounds the parameter bytes of a kept colour sequence; a
// longer one is dropped rather than trusted.
const maxSGRParams = 64

// Sanitize makes one line of remote output safe to put on the operator's
// terminal. The server is not trusted: a line may carry escape sequences
// that move the cursor, clear the screen, set the window title, write the
// clipboard (OSC 52) or talk to the terminal in other ways. Sanitize removes
// every escape and control sequence — CSI, OSC, DCS, SOS, PM, APC, other ESC
// sequences, the 8-bit C1 forms of all of them, BEL, backspace, carriage
// return, DEL and the other C0 controls — except SGR colour sequences
// (ESC [ params m), and expands tabs to spaces. A line that keeps a colour
// ends with a reset, so a colour never bleeds into the next line.
//
// Lines without any control character are returned as they are, without
// allocating.
func Sanitize(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	col := 0 // visible column, for tab stops
	keptSGR := false
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == 0x1b: // ESC
			n, sgr := escape(s[i:])
			if sgr {
				b.WriteString(s[i : i+n])
				keptSGR = true
			}
			i += n
			continue
		case c == '\t':
			pad := tabWidth - col%tabWidth
			b.WriteString("        "[:pad])
			col += pad
			i++
			continue
		case c < 0x20 || c == 0x7f: // other C0 controls, DEL
			i++
			continue
		case c < 0x80:
			b.WriteByte(c)
			col++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
			col++
			i++
			continue
		}
		if r >= 0x80 && r <= 0x9f { // C1 control
			i += c1(s[i:], r, size)
			continue
		}
		b.WriteString(s[i : i+size])
		col++
		i += size
	}
	if keptSGR {
		b.WriteString("\x1b[0m")
	}
	return b.String()
}

// clean reports whether s has no control bytes, no C1 controls and is valid
// UTF-8, so Sanitize has nothing to do.
func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return false
		}
		// U+0080..U+009F are encoded as C2 80..C2 9F.
		if c == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f {
			return false
		}
	}
	return utf8.ValidString(s)
}

// escape measures the escape sequence at the start of s (s[0] is ESC) and
// says whether it is a colour sequence to keep. An unterminated sequence
// runs to the end of the line.
func escape(s string) (n int, sgr bool) {
	if len(s) < 2 {
		return len(s), false
	}
	switch s[1] {
	case '[': // CSI
		end := csiEnd(s, 2)
		if end <= len(s) && end > 2 && s[end-1] == 'm' && end-3 <= maxSGRParams && sgrParams(s[2:end-1]) {
			return end, true
		}
		return end, false
	case ']', 'P', 'X', '^', '_': // OSC, DCS, SOS, PM, APC: up to ST or BEL
		return stringEnd(s, 2), false
	}
	// ESC, then intermediate bytes (0x20-0x2F), then one final byte.
	i := 1
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) {
		i++
	}
	return i, false
}

// csiEnd returns the index just past a CSI sequence's final byte
// (0x40-0x7E), starting at the parameters at i.
func csiEnd(s string, i int) int {
	for ; i < len(s); i++ {
		c := s[i]
		if c == 0x1b {
			return i // a new escape starts: this one was cut short
		}
		if c >= 0x40 && c <= 0x7e {
			return i + 1
		}
	}
	return len(s)
}

// stringEnd returns the index just past the terminator (BEL, ESC \ or the
// 8-bit ST) of a control string whose body starts at i.
func stringEnd(s string, i int) int {
	for ; i < len(s); i++ {
		switch s[i] {
		case 0x07:
			return i + 1
		case 0x1b:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i // ESC aborts the string and starts a new sequence
		case 0xc2:
			if i+1 < len(s) && s[i+1] == 0x9c {
				return i + 2
			}
		}
	}
	return len(s)
}

// sgrParams reports whether p holds only SGR parameter bytes.
func sgrParams(p string) bool {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if (c < '0' || c > '9') && c != ';' && c != ':' {
			return false
		}
	}
	return true
}

// c1 measures an 8-bit control (rune r, size bytes) and what it introduces.
func c1(s string, r rune, size int) int {
	switch r {
	case 0x9b: // CSI: dropped whole, even a colour (8-bit SGR is too rare to trust)
		return csiEnd(s, size)
	case 0x9d, 0x90, 0x98, 0x9e, 0x9f: // OSC, DCS, SOS, PM, APC
		return stringEnd(s, size)
	}
	return size
}

// plainText is Sanitize without the colours: for golive's own lines that
// quote text from elsewhere (errors, notes, notices).
func plainText(s string) string { return ansi.Strip(Sanitize(s)) }
