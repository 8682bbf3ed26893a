package runbook

import (
	"sort"
	"strings"
)

// Quote returns s as one POSIX shell word. Inside single quotes nothing is
// special, and a single quote itself is written as close quote, escaped
// quote, reopen:
//
//	Quote("a'b") == `'a'\''b'`
//	Quote("")    == `''`
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// A quoted value is one harmless word only where the shell parses quotes:
// in plain command text, and inside $(...) or `...` even when those sit in
// double quotes. Elsewhere the quotes Quote adds do not protect it:
//
//   - inside '...' they close the author's quote, so the value is bare;
//   - inside "..." a value holding " ends the string early;
//   - in a here-document quotes are plain text, and $(...) still runs;
//   - in a comment a newline in the value ends the comment.
//
// unsafePlaceholders finds placeholders in such places, by following the
// shell's quoting through the text. It returns, by placeholder start, the
// name of the place. It is a careful approximation of sh's grammar, not a
// full parser: it errs on the side of reporting.

type shState int

const (
	shPlain    shState = iota // command text
	shSubst                   // inside $( ... )
	shParen                   // inside ( ... ) within plain text or $( )
	shBacktick                // inside ` ... `
	shSingle                  // inside ' ... '
	shDouble                  // inside " ... "
)

// heredoc is a here-document whose body starts on the next line.
type heredoc struct {
	delim     string
	stripTabs bool
}

func unsafePlaceholders(text string, phs []placeholder) map[int]string {
	out := map[int]string{}
	if len(phs) == 0 {
		return out
	}
	at := map[int]placeholder{}
	for _, ph := range phs {
		at[ph.start] = ph
	}
	stack := []shState{shPlain}
	top := func() shState { return stack[len(stack)-1] }
	push := func(s shState) { stack = append(stack, s) }
	pop := func() {
		if len(stack) > 1 {
			stack = stack[:len(stack)-1]
		}
	}
	var pending []heredoc
	for i := 0; i < len(text); {
		if ph, ok := at[i]; ok {
			switch top() {
			case shSingle:
				out[i] = "single quotes"
			case shDouble:
				out[i] = "double quotes"
			}
			i = ph.end
			continue
		}
		c := text[i]
		st := top()
		switch st {
		case shSingle:
			if c == '\'' {
				pop()
			}
			i++
			continue
		case shDouble:
			switch {
			case c == '\\':
				i += 2
			case c == '"':
				pop()
				i++
			case c == '`':
				push(shBacktick)
				i++
			case strings.HasPrefix(text[i:], "$("):
				push(shSubst)
				i += 2
			default:
				i++
			}
			continue
		}
		// Plain text, $( ), ( ) and ` `: the shell parses quotes here.
		switch {
		case c == '\\':
			i += 2
		case c == '\'':
			push(shSingle)
			i++
		case c == '"':
			push(shDouble)
			i++
		case c == '`':
			if st == shBacktick {
				pop()
			} else {
				push(shBacktick)
			}
			i++
		case strings.HasPrefix(text[i:], "$("):
			push(shSubst)
			i += 2
		case c == '(':
			push(shParen)
			i++
		case c == ')':
			if st == shSubst || st == shParen {
				pop()
			}
			i++
		case c == '#' && wordStart(text, i):
			end := strings.IndexByte(text[i:], '\n')
			if end < 0 {
				end = len(text) - i
			}
			markBetween(phs, i, i+end, "a comment", out)
			i += end
		case strings.HasPrefix(text[i:], "<<<"):
			i += 3
		case strings.HasPrefix(text[i:], "<<"):
			h, n := readHeredocOp(text[i+2:])
			if h.delim != "" {
				pending = append(pending, h)
			}
			i += 2 + n
		case c == '\n' && len(pending) > 0:
			i = skipHeredocs(text, i+1, pending, phs, out)
			pending = nil
		default:
			i++
		}
	}
	return out
}

// wordStart reports whether text[i] begins a word (so # starts a comment).
func wordStart(text string, i int) bool {
	if i == 0 {
		return true
	}
	return strings.IndexByte(" \t\n;&|()", text[i-1]) >= 0
}

// readHeredocOp reads what follows "<<": an optional '-', blanks and the
// delimiter word, whose quotes are removed. It returns how many bytes it read.
func readHeredocOp(s string) (heredoc, int) {
	i := 0
	var h heredoc
	if i < len(s) && s[i] == '-' {
		h.stripTabs = true
		i++
	}
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	var b strings.Builder
	for i < len(s) && strings.IndexByte(" \t\n;&|<>()", s[i]) < 0 {
		if s[i] != '\'' && s[i] != '"' && s[i] != '\\' {
			b.WriteByte(s[i])
		}
		i++
	}
	h.delim = b.String()
	return h, i
}

// skipHeredocs skips the bodies of the pending here-documents, which start
// at text[i], marking each placeholder in them, and returns where plain
// text resumes.
func skipHeredocs(text string, i int, pending []heredoc, phs []placeholder, out map[int]string) int {
	for _, h := range pending {
		start := i
		for i < len(text) {
			end := strings.IndexByte(text[i:], '\n')
			line := text[i:]
			if end >= 0 {
				line = text[i : i+end]
			}
			next := len(text)
			if end >= 0 {
				next = i + end + 1
			}
			check := line
			if h.stripTabs {
				check = strings.TrimLeft(line, "\t")
			}
			if check == h.delim {
				i = next
				break
			}
			i = next
		}
		markBetween(phs, start, i, "a here-document", out)
	}
	return i
}

// markBetween marks the placeholders (sorted by start) that start in
// [from, to) as being in the named place.
func markBetween(phs []placeholder, from, to int, where string, out map[int]string) {
	i := sort.Search(len(phs), func(i int) bool { return phs[i].start >= from })
	for ; i < len(phs) && phs[i].start < to; i++ {
		out[phs[i].start] = where
	}
}
