package runbook

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Text helpers for the Markdown transcript: times, durations, one-line
// fields, fenced blocks and escape stripping.

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// duration words how long something ran, rounded as the UI rounds it
// (RoundDuration).
func duration(d time.Duration) string { return RoundDuration(d).String() }

func detail(s string) string {
	if s == "" {
		return ""
	}
	return ": " + oneLine(s)
}

func fileSuffix(f string) string {
	if f == "" {
		return ""
	}
	return " (" + f + ")"
}

// cell makes s safe inside a Markdown table cell.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.ReplaceAll(oneLine(s), "|", `\|`)
}

// oneLine strips escapes and folds s onto one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(stripANSI(strings.ReplaceAll(s, "\t", " "))), " ")
}

// fenced writes lines in a fenced code block whose fence is longer than
// any run of backticks inside, so no output can close it early.
func fenced(w io.Writer, lang string, lines []string) {
	longest := 0
	for _, l := range lines {
		run := 0
		for _, c := range l {
			if c == '`' {
				run++
				longest = max(longest, run)
			} else {
				run = 0
			}
		}
	}
	fence := strings.Repeat("`", max(3, longest+1))
	fmt.Fprintf(w, "%s%s\n", fence, lang)
	for _, l := range lines {
		fmt.Fprintf(w, "%s\n", l)
	}
	fmt.Fprintf(w, "%s\n", fence)
}

// stripANSI removes terminal escape sequences (CSI, OSC, DCS and the other
// string sequences, two-byte escapes) and control characters other than
// tab, so that a transcript shows only text: a command's colours or an
// escape that retitles the terminal must not reach a reviewer's screen.
func stripANSI(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == 0x1b && i+1 < len(rs):
			i++
			switch rs[i] {
			case '[':
				// CSI: parameters and intermediates up to a final byte.
				for i+1 < len(rs) && (rs[i+1] < 0x40 || rs[i+1] > 0x7e) {
					i++
				}
				i++
			case ']', 'P', 'X', '^', '_':
				// String sequences end with BEL or ST (ESC \).
				for i+1 < len(rs) {
					i++
					if rs[i] == 0x07 {
						break
					}
					if rs[i] == 0x1b && i+1 < len(rs) && rs[i+1] == '\\' {
						i++
						break
					}
				}
			default:
				// Two-byte escape, with any intermediate bytes.
				for i < len(rs) && rs[i] >= 0x20 && rs[i] <= 0x2f {
					i++
				}
			}
		case r == '\t' || !isControl(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isControl(r rune) bool {
	return (r < 0x20 && r != '\t') || (r >= 0x7f && r <= 0x9f)
}
