package runbook

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a runbook file: where it is, which step it
// concerns, what is wrong and how to fix it.
type Problem struct {
	File string
	// Line and Col are 1-based; Col is 0 when only the line is known (YAML
	// syntax errors), and Line is 0 for problems with the file as a whole.
	Line, Col int
	// Step is the id of the step concerned, or empty.
	Step string
	Msg  string
	// Hint says how to fix it; it may be empty.
	Hint string
}

// Error formats the problem as `file:line:col: step "id": msg (hint)`.
// A hint that proposes a name ("did you mean ...") is put in parentheses;
// any other hint follows a semicolon.
func (p *Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
		if p.Col > 0 {
			b.WriteString(":" + strconv.Itoa(p.Col))
		}
	}
	b.WriteString(": ")
	if p.Step != "" {
		fmt.Fprintf(&b, "step %q: ", p.Step)
	}
	b.WriteString(p.Msg)
	switch {
	case p.Hint == "":
	case strings.HasPrefix(p.Hint, "did you mean"):
		b.WriteString(" (" + p.Hint + ")")
	default:
		b.WriteString("; " + p.Hint)
	}
	return b.String()
}

// Errors is every problem found in a runbook file, ordered by position.
// Parse returns it (as its error) when a file has any problem.
type Errors []*Problem

// Error returns the problems one per line.
func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, p := range e {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// maxProblems bounds how many problems one file reports: past that, the
// rest are most likely consequences of the first ones.
const maxProblems = 100

// sortProblems orders problems by line, then column, keeping the order in
// which they were found for equal positions.
func sortProblems(e Errors) {
	sort.SliceStable(e, func(i, j int) bool {
		if e[i].Line != e[j].Line {
			return e[i].Line < e[j].Line
		}
		return e[i].Col < e[j].Col
	})
}

// Suggest returns the word of known closest to got when it is close
// enough to be a likely typo, or "": the rule the runbook's own problems
// use for their "did you mean" (suggest), for other callers (golive's
// unknown command).
func Suggest(got string, known []string) string { return suggest(got, known) }

// suggest returns the known word closest to got, when it is close enough
// to be a likely typo, or "".
func suggest(got string, known []string) string {
	best, bestD := "", -1
	for _, k := range known {
		d := editDistance(strings.ToLower(got), k)
		if bestD < 0 || d < bestD {
			best, bestD = k, d
		}
	}
	limit := 2
	if len(got) <= 4 {
		limit = 1
	}
	if bestD >= 0 && bestD <= limit {
		return best
	}
	// A word that merely differs in separators (notmatch, not-match), or
	// adds to a known one (exitcode).
	norm := func(s string) string {
		return strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(s))
	}
	for _, k := range known {
		if norm(k) == norm(got) || (len(k) >= 3 && strings.HasPrefix(norm(got), norm(k))) {
			return k
		}
	}
	return ""
}

// editDistance is the optimal-string-alignment distance between a and b,
// in bytes: insertions, deletions, substitutions and swaps of adjacent
// bytes (nmae → name) each cost 1. Inputs longer than 64 bytes are never
// close to a key and are cut short.
func editDistance(a, b string) int {
	if len(a) > 64 {
		a = a[:64]
	}
	if len(b) > 64 {
		b = b[:64]
	}
	rows := make([][]int, len(a)+1)
	for i := range rows {
		rows[i] = make([]int, len(b)+1)
		rows[i][0] = i
	}
	for j := range rows[0] {
		rows[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d := min(rows[i-1][j]+1, rows[i][j-1]+1, rows[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, rows[i-2][j-2]+1)
			}
			rows[i][j] = d
		}
	}
	return rows[len(a)][len(b)]
}
