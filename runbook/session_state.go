package runbook

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strings"
	"time"
)

// Excerpt bounds: a session keeps the first ExcerptHead and the last
// ExcerptTail lines of each attempt's output in memory. The journal keeps
// every line; the excerpt is what the UI and the Markdown transcript show.
const (
	ExcerptHead = 20
	ExcerptTail = 200
)

// DigestRecords is StartInfo.OutputDigest's value for the records rule:
// the attempt's output digest is the hex SHA-256 over the chain hashes of
// its step.output events, in journal order, each as its 64 hex digits
// followed by "\n". Each record hash commits to the record's lines and to
// every record before it, so the digest binds the exact output as the
// per-line rule does, hashing 65 bytes per event instead of every byte.
//
// Without the field (older runs) the digest is the per-line rule: the hex
// SHA-256 over every output line as "<stream> <text>\n", in order.
const DigestRecords = "records"

// StepState is where one step stands in a run. Session.Step returns a copy:
// changing it changes nothing in the session.
type StepState struct {
	ID         string
	Applicable bool
	Status     Status
	// Verdict is the current sign-off's verdict, or "" when the step is not
	// signed off (never signed off, or retried since).
	Verdict Verdict
	// SignOff is the current sign-off, or nil.
	SignOff *SignOff
	// SignOffs lists every sign-off the step received, in order; a retried
	// step keeps its earlier ones here.
	SignOffs []SignOff
	// Attempts lists every run of the step, in order (Attempt 1 first).
	Attempts []Attempt
	// Rollback is true once the operator chose the step's rollback;
	// RollbackNote says why.
	Rollback     bool
	RollbackNote string
	// Notes are the notes added to this step, in order.
	Notes []Note
}

// Last returns the last attempt, or nil when the step never ran.
func (st StepState) Last() *Attempt {
	if len(st.Attempts) == 0 {
		return nil
	}
	return &st.Attempts[len(st.Attempts)-1]
}

// Attempt is one run of a step.
type Attempt struct {
	// N numbers the attempts of a step from 1.
	N     int
	Start StartInfo
	// Started is when the attempt started; Resumed lists when it was
	// reattached after an interruption.
	Started time.Time
	Resumed []time.Time
	// Launched is when the host confirmed that the attempt's job started
	// (step.launched), zero until then and in journals older than that
	// event. Between Started and Launched golive waited for the host:
	// every SSH session runs the login shell's startup files first.
	Launched time.Time
	// Interrupted is true while golive has lost track of the attempt (it
	// stopped while the job may still run); InterruptNote says why.
	Interrupted   bool
	InterruptNote string
	// Exit is how the attempt ended, nil while it runs; Ended is when.
	Exit  *ExitInfo
	Ended time.Time
	// OutputLines counts every output line (the rest of a line, Cont,
	// is none of its own); OutputSHA256 is the output
	// digest by the rule Start.OutputDigest names: the hex SHA-256 over the
	// output events' hashes, each as "<hash>\n" (DigestRecords), or over
	// every line as "<stream> <text>\n" (no rule named), in order.
	OutputLines  int64
	OutputSHA256 string
	// ExpectationsMet and Failures are the expectations' result, set when
	// the attempt exits.
	ExpectationsMet bool
	Failures        []string
	// Head holds the first ExcerptHead lines of output and Tail the last
	// ExcerptTail lines after those; Omitted counts the lines between.
	Head    []OutputLine
	Tail    []OutputLine
	Omitted int64
}

// Excerpt returns the attempt's kept output lines in order (Head then Tail);
// Omitted says how many lines were dropped between them.
func (a *Attempt) Excerpt() []OutputLine {
	out := make([]OutputLine, 0, len(a.Head)+len(a.Tail))
	out = append(out, a.Head...)
	return append(out, a.Tail...)
}

// LaunchWait is how long golive waited for the host to start the
// attempt's job: from Started to Launched. ok is false when that is not
// known: no confirmation (yet, or in an older journal), or one that only
// a reattach brought (golive stopped before the launch's own), which says
// when golive found the job, not when it started.
func (a *Attempt) LaunchWait() (wait time.Duration, ok bool) {
	if a.Launched.IsZero() || len(a.Resumed) > 0 && a.Resumed[0].Before(a.Launched) {
		return 0, false
	}
	return a.Launched.Sub(a.Started), true
}

// attempt is the session's live record of an Attempt: the exported part
// plus what it needs to keep counting.
type attempt struct {
	Attempt
	checker *Checker
	digest  hash.Hash
	buf     []byte // lines (or a hash) waiting to be digested, reused
	// tail is a ring of up to ExcerptTail lines; tailStart indexes the
	// oldest once it is full.
	tail      []OutputLine
	tailStart int
}

func newAttempt(n int, start StartInfo, at time.Time, c *Checker) *attempt {
	a := &attempt{checker: c, digest: sha256.New()}
	a.N = n
	a.Start = start
	a.Started = at
	a.OutputSHA256 = hex.EncodeToString(a.digest.Sum(nil))
	return a
}

// add records one output event's lines: counts, digest, expectations,
// excerpt. hash is the event's journal hash, which the DigestRecords rule
// digests instead of the lines (check has made sure there is one).
func (a *attempt) add(lines []OutputLine, hash string) {
	if len(lines) == 0 {
		return
	}
	if a.Start.OutputDigest == DigestRecords {
		a.buf = append(append(a.buf[:0], hash...), '\n')
		a.digest.Write(a.buf)
	} else {
		a.digestLines(lines)
	}
	conts := a.checker.output(lines)
	a.OutputLines += int64(len(lines) - conts) // the rest of a line is no line of its own
	var sum [sha256.Size]byte
	a.OutputSHA256 = hex.EncodeToString(a.digest.Sum(sum[:0]))
	a.keep(lines, conts)
}

// digestLines digests lines by the per-line rule. The digest is fed many
// lines at a time, not one small Write per line: the same hash (SHA-256
// does not see how its input was cut).
func (a *attempt) digestLines(lines []OutputLine) {
	buf := a.buf[:0]
	for i := range lines {
		l := &lines[i]
		buf = append(buf, l.Stream...)
		buf = append(buf, ' ')
		buf = append(buf, l.Text...)
		buf = append(buf, '\n')
		if len(buf) >= 16<<10 {
			a.digest.Write(buf)
			buf = buf[:0]
		}
	}
	a.digest.Write(buf)
	if cap(buf) > 128<<10 {
		buf = nil // a very long line: don't keep its memory
	}
	a.buf = buf
}

// keep puts lines into the excerpt: the first ExcerptHead lines of the
// attempt go to Head, the rest through the Tail ring, counting those that
// fall out of it as Omitted. Only the lines that stay are copied. conts
// is how many of lines are Cont.
//
// A Cont line is joined to its stream's last line when the excerpt still
// holds that line (joinRest), also when another stream's line came
// between, as the UI and the expectations read it: the excerpt, and so
// the Markdown transcript that prints it, reads "Applying x... OK" as one
// line. When the excerpt no longer holds it (it was omitted) or there is
// none, the Cont line is kept as a line of its own, still marked Cont. A
// batch with Cont lines goes through the ring line by line (a Cont line
// comes after a quiet second: such batches are small or rare).
//
// A line's text may share memory with a whole block of output, which an
// excerpt kept for the rest of the run must not hold on to: Head texts
// are cloned as they come (ExcerptHead lines an attempt), Tail texts when
// the attempt stops streaming (ownTail), not each time the ring turns.
func (a *attempt) keep(lines []OutputLine, conts int) {
	for len(lines) > 0 && len(a.Head) < ExcerptHead {
		if !a.joinRest(&lines[0]) {
			l := lines[0]
			l.Text = strings.Clone(l.Text)
			a.Head = append(a.Head, l)
		}
		lines = lines[1:]
	}
	if conts == 0 && len(lines) >= ExcerptTail {
		// The batch alone fills the ring: what the ring held and the
		// batch's lines before its last ExcerptTail are all omitted.
		a.Omitted += int64(len(a.tail) + len(lines) - ExcerptTail)
		a.tail = append(a.tail[:0], lines[len(lines)-ExcerptTail:]...)
		a.tailStart = 0
		return
	}
	for _, l := range lines {
		if l.Cont && a.joinRest(&l) {
			continue
		}
		if len(a.tail) < ExcerptTail {
			a.tail = append(a.tail, l)
			continue
		}
		a.tail[a.tailStart] = l
		a.tailStart = (a.tailStart + 1) % ExcerptTail
		a.Omitted++
	}
}

// joinRest joins l to its stream's last line when l is Cont and the
// excerpt holds that line, and reports whether it did.
func (a *attempt) joinRest(l *OutputLine) bool {
	if !l.Cont {
		return false
	}
	last := a.lastKeptOf(l.Stream)
	if last == nil {
		return false
	}
	last.Text += l.Text // a new string: shares no block of output
	last.Offset = max(last.Offset, l.Offset)
	return true
}

// lastKeptOf returns stream's last line when the excerpt holds it, or nil:
// the newest line of stream in the Tail ring, or in Head when no line was
// omitted (Head and Tail then hold every line). Called for Cont lines
// only, so the scan (at most ExcerptHead+ExcerptTail lines) is rare.
func (a *attempt) lastKeptOf(stream Stream) *OutputLine {
	for j := len(a.tail) - 1; j >= 0; j-- {
		if l := &a.tail[(a.tailStart+j)%len(a.tail)]; l.Stream == stream {
			return l
		}
	}
	if a.Omitted > 0 {
		return nil // the stream's last line may be one of those omitted
	}
	for j := len(a.Head) - 1; j >= 0; j-- {
		if a.Head[j].Stream == stream {
			return &a.Head[j]
		}
	}
	return nil
}

// ownTail gives the Tail's texts memory of their own (see keep); called
// when the attempt exits or is interrupted. The checker's last lines
// likewise.
func (a *attempt) ownTail() {
	for i := range a.tail {
		a.tail[i].Text = strings.Clone(a.tail[i].Text)
	}
	a.checker.own()
}

// exit records how the attempt ended and evaluates its expectations.
func (a *attempt) exit(x ExitInfo, at time.Time) {
	a.Exit = &x
	a.Ended = at
	a.Interrupted = false
	a.ownTail()
	a.ExpectationsMet, a.Failures = a.checker.Result(x)
}

// snapshot returns a copy of the exported part that shares no memory with
// the live record.
func (a *attempt) snapshot() Attempt {
	c := a.Attempt
	c.Resumed = append([]time.Time(nil), a.Resumed...)
	c.Head = append([]OutputLine(nil), a.Head...)
	c.Tail = make([]OutputLine, 0, len(a.tail))
	c.Tail = append(c.Tail, a.tail[a.tailStart:]...)
	c.Tail = append(c.Tail, a.tail[:a.tailStart]...)
	c.Failures = append([]string(nil), a.Failures...)
	if a.Exit != nil {
		x := *a.Exit
		c.Exit = &x
	}
	return c
}

// evidence is what a sign-off of this attempt rests on.
func (a *attempt) evidence() *Evidence {
	ev := &Evidence{
		Attempt:         a.N,
		Command:         a.Start.Command,
		ExitCode:        -1,
		Unknown:         true,
		OutputSHA256:    a.OutputSHA256,
		OutputLines:     a.OutputLines,
		ExpectationsMet: a.ExpectationsMet,
		Failures:        append([]string(nil), a.Failures...),
	}
	if a.Exit != nil {
		ev.ExitCode = a.Exit.Code
		ev.Signal = a.Exit.Signal
		ev.Unknown = a.Exit.Unknown
		ev.Duration = a.Exit.Duration
	} else {
		// Signed off while interrupted: there is no exit to rest on.
		ev.Failures = append(ev.Failures, "no exit status: the attempt was interrupted")
	}
	return ev
}
