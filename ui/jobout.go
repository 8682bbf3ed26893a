package ui

import (
	"math/bits"
	"sync"

	"golive/runbook"
	"golive/sshexec"
)

// How RunJob turns sshexec's batches of lines into journal events: it
// merges the batches already waiting into one group (without copying a
// line), redacts each stream with its own StreamRedactor, and builds one
// step.output event per group, split at the notices about the link.

// Batch limits: a chatty command costs one journal write and one render
// per batch, not per line (STYLE §5).
const (
	batchLines = 2000
	batchBytes = 256 << 10
	// lineBatches is how many of sshexec's batches (one per read from the
	// host, up to 32 KiB) may wait for RunJob.
	lineBatches = 32
)

// gatherer merges the batches waiting on a Run's channel into groups of at
// most batchLines lines and about batchBytes bytes (the line that crosses
// batchBytes is the group's last). A group holds sub-slices of sshexec's
// batches, never copies; a batch over the limits is cut, and its rest
// begins the next group.
//
// A group is the caller's until it calls next again. With recycle set,
// next then hands each batch whose last line was in that group back to
// sshexec (sshexec.Recycle), to be filled again with later output: the
// caller must by then have copied out what it keeps of the group's lines
// (outputEvents does: OutputLines share only the Texts, which are
// strings) and hold no slice of the group.
type gatherer struct {
	group  [][]sshexec.Line // the current group, reused from one to the next
	n      int              // lines in group
	rest   []sshexec.Line   // what the limits left of the last batch taken
	restOf []sshexec.Line   // the whole batch rest is the end of
	closed bool             // the channel is closed
	// recycle, when set, takes the batches the caller is done with.
	recycle func([]sshexec.Line)
	done    [][]sshexec.Line // batches wholly handed out in group
}

// next gathers the next group: it waits for a first batch, then takes
// what is already waiting, up to the limits. It returns false once the
// channel is closed and every line was handed out. The group before is
// the caller's no more.
func (g *gatherer) next(lines <-chan []sshexec.Line) bool {
	clear(g.group) // let go of the batches already handed out
	g.group, g.n = g.group[:0], 0
	for i, b := range g.done {
		g.recycle(b)
		g.done[i] = nil
	}
	g.done = g.done[:0]
	size := 0
	for {
		b, whole := g.rest, g.restOf
		g.rest, g.restOf = nil, nil
		if b == nil {
			if g.closed {
				break
			}
			var ok bool
			if g.n == 0 {
				b, ok = <-lines
			} else {
				select {
				case b, ok = <-lines:
				default:
					return true
				}
			}
			if !ok {
				g.closed = true
				break
			}
			whole = b
		}
		k := 0
		for k < len(b) && (g.n+k == 0 || g.n+k < batchLines && size < batchBytes) {
			size += len(b[k].Text)
			k++
		}
		if k > 0 {
			g.group = append(g.group, b[:k])
			g.n += k
		}
		if k < len(b) {
			g.rest, g.restOf = b[k:], whole
			break
		}
		if g.recycle != nil {
			g.done = append(g.done, whole)
		}
	}
	return g.n > 0
}

// recycleLines is how RunJob hands a batch it is done with back to
// sshexec; a test swaps it to check no batch is read after that.
var recycleLines = sshexec.Recycle

// streamRedactors holds one StreamRedactor per sshexec stream, indexed by
// the stream.
type streamRedactors [sshexec.Notice + 1]*runbook.StreamRedactor

func newStreamRedactors(r *runbook.Redactor) streamRedactors {
	var red streamRedactors
	for _, s := range []sshexec.Stream{sshexec.Stdout, sshexec.Stderr, sshexec.Notice} {
		red[s] = r.Stream()
	}
	return red
}

// of returns stream s's redactor; a stream sshexec does not define is
// redacted as a notice.
func (red *streamRedactors) of(s sshexec.Stream) *runbook.StreamRedactor {
	if int(s) < len(red) && red[s] != nil {
		return red[s]
	}
	return red[sshexec.Notice]
}

// outputEvents turns a group of n sshexec lines into journal events: one
// step.output event with every line redacted, preceded at each notice by a
// connection event when the notice is about the link; the notice that the
// host started the job is a step.launched event instead of a line. Each
// output event's Lines is an array of its own (one the UI handed back when
// there is one, see outputLines), so that the UI can hand each back on its
// own. Each run of one stream's lines is redacted as one batch
// (StreamRedactor.Lines), in place.
func (r *Release) outputEvents(j Job, group [][]sshexec.Line, n int, red *streamRedactors) []runbook.Event {
	var evs []runbook.Event
	cur := outputLines(n)
	var (
		st   sshexec.Stream // the stream of the line before, with its
		rs   runbook.Stream // journal stream and its redactor
		rd   *runbook.StreamRedactor
		from int // cur[from:] are not redacted yet; all of rd's stream
	)
	redact := func() {
		if from < len(cur) {
			rd.Lines(cur[from:])
		}
		from = len(cur)
	}
	flush := func() {
		redact()
		if len(cur) > 0 {
			n -= len(cur)
			evs = append(evs, runbook.Event{Type: runbook.EvOutput, Time: r.now(), Step: j.Step, Attempt: j.Attempt, Lines: cur})
			cur, from = nil, 0
			if n > 0 { // the lines after a connection event
				cur = outputLines(n)
			}
		}
	}
	for _, batch := range group {
		for i := range batch {
			l := &batch[i]
			if l.Stream == sshexec.Notice && l.Kind == sshexec.NoticeLaunched {
				// Not output: the attempt's step.launched, after the
				// lines before it (none, from sshexec).
				n--
				flush()
				if !j.Launched {
					evs = append(evs, runbook.Event{Type: runbook.EvStepLaunched, Time: r.now(), Step: j.Step, Attempt: j.Attempt})
				}
				continue
			}
			if rd == nil || l.Stream != st {
				redact()
				st, rs, rd = l.Stream, streamOf(l.Stream), red.of(l.Stream)
			}
			ol := runbook.OutputLine{Time: l.Time, Stream: rs, Text: l.Text, Offset: l.Offset, Cont: l.Cont}
			if ol.Time.IsZero() {
				ol.Time = r.now()
			}
			// Already as the journal stores lines (runs of one stream share
			// the first line's time; the run's offset is on its last line;
			// a Cont line begins a run), so that Append need not copy the
			// batch to make it so.
			if n := len(cur); n > 0 && cur[n-1].Stream == ol.Stream && !ol.Cont {
				ol.Time = cur[n-1].Time
				ol.Offset = max(ol.Offset, cur[n-1].Offset)
				cur[n-1].Offset = 0
			}
			cur = append(cur, ol)
			if l.Stream == sshexec.Notice {
				if state := connState(l.Kind); state != "" {
					redact()
					detail := cur[len(cur)-1].Text
					flush()
					evs = append(evs, runbook.Event{Type: runbook.EvConnection, Time: r.now(),
						Conn: &runbook.ConnInfo{Host: r.Host, State: state, Detail: detail,
							Unconfirmed: l.Kind == sshexec.NoticeLostUnconfirmed}})
				}
			}
		}
	}
	flush()
	return evs
}

func streamOf(s sshexec.Stream) runbook.Stream {
	switch s {
	case sshexec.Stdout:
		return runbook.StreamStdout
	case sshexec.Stderr:
		return runbook.StreamStderr
	}
	return runbook.StreamInfo
}

// connState is the connection state ("lost", "reconnecting",
// "restored") that an sshexec notice of kind k journals, or "" for a
// notice not about the link (a cancel's outcome, a missing exit status,
// the fresh start of a job that never started), whatever its words say.
func connState(k sshexec.NoticeKind) string {
	switch k {
	case sshexec.NoticeLost, sshexec.NoticeLostUnconfirmed:
		return "lost"
	case sshexec.NoticeReconnecting:
		return "reconnecting"
	case sshexec.NoticeReconnected, sshexec.NoticeReattached, sshexec.NoticeChecking:
		return "restored"
	}
	return ""
}

// The arrays of OutputLines outputEvents fills come back once the UI is
// done with them: at 200 MB of output they were 174 MB of garbage per
// run (64 bytes a line), fresh memory to zero and to count towards the
// next GC. An output event's Lines travel from outputEvents through the
// journal (Append encodes them and returns the same slice) and the
// coalescer to Update, which applies them to the Session (which copies
// what it keeps: excerpts, digest) and the rings (which copy too), then
// hands them back (recycleOutput); plain mode does the same once it has
// applied and printed them. Whoever else receives RunJob's events (tests)
// keeps them; they are then only not reused.
//
// Arrays come in powers of two, from minPooledOutput to maxPooledOutput
// lines, one pool per size: any array in a size's pool fits any group of
// that size (groups vary with how far RunJob is ahead of the host; with
// one pool a small array came up for a big group, and the big one was
// made anew), and memory is never more than twice the lines. A group of
// fewer lines (output that trickles) gets an array of its own size, not
// kept. Pools are sync.Pools: what the GC finds there it frees, so a
// quiet release keeps none.
const (
	minPooledOutput = 64
	maxPooledOutput = minPooledOutput << (len(outputPools) - 1) // 2048 >= batchLines
)

var outputPools [6]sync.Pool // of *[]runbook.OutputLine, empty and cleared

// outputClass is the pool of arrays of at least n lines: -1 when n is
// under minPooledOutput or over maxPooledOutput.
func outputClass(n int) int {
	if n < minPooledOutput {
		return -1
	}
	c := bits.Len(uint(n-1)) - bits.Len(minPooledOutput-1)
	if c >= len(outputPools) {
		return -1
	}
	return c
}

// outputLines returns an empty slice with room for n lines: an array
// handed back when its size's pool has one, else a new one of that size.
func outputLines(n int) []runbook.OutputLine {
	c := outputClass(n)
	if c < 0 {
		return make([]runbook.OutputLine, 0, n)
	}
	if p, ok := outputPools[c].Get().(*[]runbook.OutputLine); ok {
		return *p
	}
	return make([]runbook.OutputLine, 0, minPooledOutput<<c)
}

// recycleOutput hands back the Lines of the output events of evs, which
// the caller got from RunJob (through its emit) and is done with: it
// applied them and nothing it called keeps the slices (copying a line
// out, Text included, is fine). Each event's Lines is an array of its
// own (outputEvents), handed back once.
func recycleOutput(evs []runbook.Event) {
	for i := range evs {
		if evs[i].Type == runbook.EvOutput {
			recycleOutputLines(evs[i].Lines)
		}
	}
}

// recycleOutputLines is how recycleOutput hands back one array; a test
// swaps it to check nothing reads an array after that.
var recycleOutputLines = putOutputLines

// putOutputLines keeps lines' array for outputLines, cleared so that it
// pins no Text, when it is one of the pools' sizes.
func putOutputLines(lines []runbook.OutputLine) {
	n := cap(lines)
	c := outputClass(n)
	if c < 0 || minPooledOutput<<c != n {
		return
	}
	lines = lines[:n]
	clear(lines)
	lines = lines[:0]
	outputPools[c].Put(&lines)
}
