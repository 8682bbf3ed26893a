package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"golive/runbook"
)

// Bounds of what the UI keeps of a step's output. The full output is in the
// journal on disk; the pane only needs the recent past, so a step that
// prints 500 MB does not grow golive's memory.
const (
	// ringLines is how many lines of each step's output stay on screen.
	ringLines = 5000
	// maxShownBytes cuts a very long line for display (the journal keeps
	// it whole).
	maxShownBytes = 2048
)

// paneLine is one sanitized line of output as the pane shows it.
type paneLine struct {
	stream runbook.Stream
	text   string // sanitized, SGR colours only, at most about maxShownBytes
}

// heldLine is a line as the ring holds it: sanitized the first time it is
// read (at), not when it arrives. A fast step pushes most lines through
// the ring without any being shown; sanitizing each on arrival was a
// large share of the UI goroutine's work.
type heldLine struct {
	stream runbook.Stream
	text   string
	clean  bool // text is sanitized and cut
	cut    bool // text was cut at maxShownBytes: nothing more goes on it
}

// ring is a bounded scrollback of one step's output: the newest ringLines
// lines, oldest first. It counts every line ever added, so that positions
// (search matches) survive lines falling off the front.
type ring struct {
	buf    []heldLine
	start  int   // index in buf of the oldest line
	total  int64 // lines ever added
	stderr int64 // stderr lines ever added
	lines  int64 // command output lines ever added (golive's remarks not counted)
	// newest is, per stream (streamSlot), 1 + the absolute number of that
	// stream's newest line, 0 before its first: where the rest of a line
	// delivered in part (OutputLine.Cont) goes. stdout and stderr are
	// followed apart, so another stream's line may come between a line's
	// beginning and its rest.
	newest [3]int64
	// joined is the oldest line a rest went on since the pane last looked
	// (0: none): a search looks at it again.
	joined int64
}

// contMark starts the rest of a line delivered in part when the pane
// cannot show it on its beginning (that fell off the ring unseen, or was
// never seen: a step resumed without it): it says the line did not begin
// there.
const contMark = "…"

// streamSlot indexes ring.newest.
func streamSlot(s runbook.Stream) int {
	switch s {
	case runbook.StreamStdout:
		return 0
	case runbook.StreamStderr:
		return 1
	}
	return 2
}

func newRing() *ring { return &ring{} }

// add appends lines, dropping the oldest beyond ringLines; they are
// sanitized when read. The rest of a line delivered in part (Cont) goes
// on that line, as the command printed it: Django's "Applying
// app.0002_x..." and, a migration later, " OK" read as one line.
func (r *ring) add(lines []runbook.OutputLine) {
	r.addBatches([][]runbook.OutputLine{lines})
}

// addBatches appends several batches in order, as add would one after the
// other, but writes only the newest ringLines lines of them all: the
// lines that would fall off at once are only counted. A fast step's
// message to the UI carries tens of thousands of lines in batches of a
// few thousand; writing each into the ring cost more than all the rest
// of a batch's work in the UI but the Session's digest.
func (r *ring) addBatches(batches [][]runbook.OutputLine) {
	n := 0
	for _, b := range batches {
		n += len(b)
	}
	skip := n - ringLines
	for _, lines := range batches {
		if skip > 0 {
			k := min(skip, len(lines))
			r.countAll(lines[:k])
			skip -= k
			lines = lines[k:]
		}
		for _, l := range lines {
			if at, ok := r.joins(l); ok {
				if at >= r.first() { // held: the rest goes on it
					r.joinAt(at, l.Text)
					continue
				}
			}
			hl := heldLine{stream: l.Stream, text: l.Text}
			if l.Cont {
				hl.text = contMark + hl.text
			}
			if len(hl.text) > maxShownBytes { // cut now: the ring's memory stays bounded
				hl.text, hl.clean, hl.cut = shown(hl.text), true, true
			}
			if len(r.buf) < ringLines {
				r.buf = append(r.buf, hl)
			} else {
				r.buf[r.start] = hl
				r.start++
				if r.start == ringLines {
					r.start = 0
				}
			}
			r.count(l.Stream)
		}
	}
}

// joins reports whether l is the rest of its stream's newest line (Cont,
// after a line of that stream), and that line's absolute number. Such a
// rest is no line of its own: it goes on that line while the ring holds
// it (joinAt), and is counted only when held as a line of its own,
// marked, because its beginning fell off unseen.
func (r *ring) joins(l runbook.OutputLine) (at int64, ok bool) {
	n := r.newest[streamSlot(l.Stream)]
	return n - 1, l.Cont && n > 0
}

// joinAt appends text to held line at (absolute). The line is sanitized
// again when read (Sanitize leaves sanitized text as it is, so a line
// already shown reads the same with its rest); a line cut for display
// stays as it is, and a join that makes it too long is cut now.
func (r *ring) joinAt(at int64, text string) {
	if r.joined == 0 || at+1 < r.joined {
		r.joined = at + 1
	}
	h := &r.buf[(r.start+int(at-r.first()))%len(r.buf)]
	if h.cut {
		return
	}
	h.text += text
	h.clean = false
	if len(h.text) > maxShownBytes {
		h.text, h.clean, h.cut = shown(h.text), true, true
	}
}

// takeJoined returns the oldest line a rest went on since the last call,
// if any.
func (r *ring) takeJoined() (at int64, ok bool) {
	at, ok = r.joined-1, r.joined > 0
	r.joined = 0
	return at, ok
}

// countAll counts lines added without holding them (a rest that goes on
// its stream's newest line is no line of its own). It is count for each
// line but the rests, summed: a fast step's message has tens of
// thousands of lines that only this sees.
func (r *ring) countAll(lines []runbook.OutputLine) {
	var n, errs, infos int64
	for i := range lines {
		l := &lines[i]
		slot := streamSlot(l.Stream)
		if l.Cont && r.newest[slot] > 0 {
			continue // a rest: joins
		}
		n++
		r.newest[slot] = r.total + n
		switch slot {
		case 1:
			errs++
		case 2:
			if l.Stream == runbook.StreamInfo {
				infos++
			}
		}
	}
	r.total += n
	r.stderr += errs
	r.lines += n - infos
}

// count counts one line added.
func (r *ring) count(s runbook.Stream) {
	r.newest[streamSlot(s)] = r.total + 1
	r.total++
	if s == runbook.StreamStderr {
		r.stderr++
	}
	if s != runbook.StreamInfo {
		r.lines++
	}
}

// shown is text sanitized and cut as the pane shows it.
func shown(text string) string {
	t := Sanitize(text)
	if len(t) > maxShownBytes {
		t = ansi.Truncate(t, maxShownBytes/2, "…") + "\x1b[0m"
	}
	return t
}

// len is the number of lines held.
func (r *ring) len() int { return len(r.buf) }

// at returns the i-th held line, oldest first, sanitized.
func (r *ring) at(i int) paneLine {
	h := &r.buf[(r.start+i)%len(r.buf)]
	if !h.clean {
		h.text, h.clean = shown(h.text), true
	}
	return paneLine{stream: h.stream, text: h.text}
}

// first is the absolute number (0-based, over all lines ever added) of the
// oldest line held.
func (r *ring) first() int64 { return r.total - int64(len(r.buf)) }

// dropped is how many lines fell off the front.
func (r *ring) dropped() int64 { return r.first() }

// find returns the absolute numbers of held lines whose text contains q,
// ignoring case and colours, from absolute line from on.
func (r *ring) find(q string, from int64) []int64 {
	if q == "" {
		return nil
	}
	q = strings.ToLower(q)
	var out []int64
	start := from - r.first()
	if start < 0 {
		start = 0
	}
	for i := int(start); i < r.len(); i++ {
		if strings.Contains(strings.ToLower(ansi.Strip(r.at(i).text)), q) {
			out = append(out, r.first()+int64(i))
		}
	}
	return out
}
