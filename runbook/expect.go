package runbook

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unsafe"
)

// Checker evaluates a step's expectations against one run, line by line as
// the output streams, so that its memory stays bounded whatever the output's
// size: it keeps one flag per match pattern and the first offending line per
// forbidden pattern, never the lines themselves.
//
// Feed it every stdout and stderr line with Line (golive's own info lines
// are not the command's output and should not be fed), or a session's
// output batches with Output, then call Result with how the run ended. A
// Checker is not safe for concurrent use.
type Checker struct {
	exit     []int
	match    []*pattern
	notMatch []*pattern
	// broken lists patterns that did not compile. Parse rejects such
	// runbooks, so this only happens with a Runbook built by hand; it is
	// reported as a failure rather than ignored, so a typo never passes.
	broken []string
	lines  int64
	// last holds, per stream, the last line Output fed and its number:
	// what a Cont line completes. Its texts may share a block of output
	// until own copies them.
	last []lastLine
}

// lastLine is a stream's last line, as Output joined it: its number n,
// and its text, or while Output reads the batch holding it (inBatch) its
// index i there. ok is false until the stream has had a line.
type lastLine struct {
	stream  Stream
	text    string
	n       int64
	i       int
	inBatch bool
	ok      bool
}

// pattern is one compiled expectation and what it has seen so far.
type pattern struct {
	src string
	re  *regexp.Regexp
	// line is the 1-based number of the first line the pattern matched,
	// or 0 when none has yet.
	line int64
}

// NewChecker compiles the expectations of a step. Parse has already
// validated the regular expressions; when one still does not compile,
// NewChecker returns an error and a Checker whose Result reports that
// pattern as a failure, so the caller may go on without a nil check.
func NewChecker(e Expect) (*Checker, error) {
	c := exitChecker(e.Exit)
	var errs []string
	compile := func(srcs []string) []*pattern {
		var out []*pattern
		for _, src := range srcs {
			re, err := regexp.Compile(src)
			if err != nil {
				c.broken = append(c.broken, src)
				errs = append(errs, fmt.Sprintf("%q: %v", src, err))
				continue
			}
			out = append(out, &pattern{src: src, re: re})
		}
		return out
	}
	c.match = compile(e.Match)
	c.notMatch = compile(e.NotMatch)
	if len(errs) > 0 {
		return c, fmt.Errorf("runbook: bad expectation pattern %s", strings.Join(errs, "; "))
	}
	return c, nil
}

// exitChecker is a Checker of the accepted exit codes alone (none means
// 0), with no output expectations.
func exitChecker(codes []int) *Checker {
	c := &Checker{exit: codes}
	if len(c.exit) == 0 {
		c.exit = []int{0}
	}
	return c
}

// Line feeds one output line (without its newline) to the checker.
func (c *Checker) Line(text string) {
	c.lines++
	for _, p := range c.match {
		if p.line == 0 && p.re.MatchString(text) {
			p.line = c.lines
		}
	}
	for _, p := range c.notMatch {
		if p.line == 0 && p.re.MatchString(text) {
			p.line = c.lines
		}
	}
}

// Output feeds a batch of output lines as a session records them:
// golive's own info lines are skipped, and a Cont line completes the last
// line of its stream, which is then checked again whole, as if it had
// come in one piece (a pattern that matched only its start no longer
// counts; one that matches the whole line does, at that line's number).
// A Cont line with no line of its stream before it is checked as a line.
// (One case stays approximate, as the lines themselves are not kept: a
// pattern that matched a line's start, then also a line of another stream
// that came before the rest, and not the completed line, ends up matching
// nowhere.)
//
// Output runs for every line of a big step, so a line costs a few loads
// and integer stores: a stream's last line is noted by its index in the
// batch, and its text taken once, when the batch ends.
func (c *Checker) Output(lines []OutputLine) { c.output(lines) }

// output is Output that also returns how many of lines are Cont (info
// lines too), so that a session counts its lines in the same pass.
func (c *Checker) output(lines []OutputLine) (conts int) {
	var cur Stream
	k := -1          // c.last's entry for cur
	last := -1       // index of cur's last line in lines
	var n int64      // its number
	note := func() { // cur's last line is lines[last], number n
		if last >= 0 {
			c.last[k].i, c.last[k].n, c.last[k].inBatch, c.last[k].ok = last, n, true, true
		}
	}
	for i := range lines {
		l := &lines[i]
		if l.Stream == StreamInfo {
			if l.Cont {
				conts++
			}
			continue
		}
		if k < 0 || !sameStream(l.Stream, cur) {
			note()
			cur, k, last = l.Stream, c.slot(l.Stream), -1
		}
		if l.Cont {
			conts++
			note()
			last = -1
			if p := &c.last[k]; p.ok {
				if p.inBatch {
					p.text, p.inBatch = lines[p.i].Text, false
				}
				p.text += l.Text
				c.recheck(p.text, p.n)
				continue
			}
		}
		c.Line(l.Text)
		last, n = i, c.lines
	}
	note()
	for k := range c.last {
		if p := &c.last[k]; p.inBatch {
			p.text, p.inBatch = lines[p.i].Text, false
		}
	}
	return conts
}

// sameStream is a == b, without a call for the lines of one run, whose
// streams share their bytes.
func sameStream(a, b Stream) bool {
	return len(a) == len(b) && (unsafe.StringData(string(a)) == unsafe.StringData(string(b)) || a == b)
}

// slot returns the index of stream's entry in c.last, adding one when
// there is none.
func (c *Checker) slot(stream Stream) int {
	for k := range c.last {
		if c.last[k].stream == stream {
			return k
		}
	}
	c.last = append(c.last, lastLine{stream: stream})
	return len(c.last) - 1
}

// recheck checks line n again, now reading text: a pattern first matched
// there is kept only if it still matches, and one that never matched
// matches there if it now does.
func (c *Checker) recheck(text string, n int64) {
	for _, ps := range [2][]*pattern{c.match, c.notMatch} {
		for _, p := range ps {
			switch {
			case p.line == n && !p.re.MatchString(text):
				p.line = 0
			case p.line == 0 && p.re.MatchString(text):
				p.line = n
			}
		}
	}
}

// own gives the kept last lines memory of their own, so that they hold no
// block of output while the attempt is not streaming.
func (c *Checker) own() {
	for k := range c.last {
		c.last[k].text = strings.Clone(c.last[k].text)
	}
}

// Lines returns how many lines the checker has been fed.
func (c *Checker) Lines() int64 { return c.lines }

// Result says whether the run met the expectations, given how it ended,
// and if not, why, one failure per unmet expectation, in the order: exit,
// match, not_match (exitFailure words the first). An unknown exit status
// never meets them. Result does not change the checker; it may be called
// more than once.
func (c *Checker) Result(exit ExitInfo) (met bool, failures []string) {
	if f := c.exitFailure(exit); f != "" {
		failures = append(failures, f)
	}
	for _, src := range c.broken {
		failures = append(failures, fmt.Sprintf("expectation %s is not a valid regular expression", quote(src)))
	}
	for _, p := range c.match {
		if p.line == 0 {
			failures = append(failures, fmt.Sprintf("no output line matched %s", quote(p.src)))
		}
	}
	for _, p := range c.notMatch {
		if p.line != 0 {
			failures = append(failures, fmt.Sprintf("output matched forbidden %s: line %d", quote(p.src), p.line))
		}
	}
	return len(failures) == 0, failures
}

func (c *Checker) exitOK(code int) bool {
	for _, ok := range c.exit {
		if code == ok {
			return true
		}
	}
	return false
}

// expected renders the accepted exit codes: "0", "0 or 2", "0, 1 or 2".
func (c *Checker) expected() string {
	s := make([]string, len(c.exit))
	for i, code := range c.exit {
		s[i] = strconv.Itoa(code)
	}
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// quote puts a pattern in double quotes as written, so that `^manage\.py$`
// reads as the runbook has it rather than Go-escaped; a pattern holding a
// double quote or a control character is Go-quoted instead, to stay
// unambiguous.
func quote(src string) string {
	if strings.ContainsFunc(src, func(r rune) bool { return r == '"' || r < 0x20 || r == 0x7f }) {
		return strconv.Quote(src)
	}
	return `"` + src + `"`
}
