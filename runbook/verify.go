package runbook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
)

// Check is the outcome of one verification check.
type Check struct {
	// Name says what was checked ("hash chain").
	Name string
	OK   bool
	// Detail is one line: what passed, or the first problem.
	Detail string
	// Findings lists every problem found, when there are several.
	Findings []string
}

// VerifyReport is the outcome of verifying a transcript: one Check per
// property, in the order they were checked.
type VerifyReport struct {
	// Transcript is the parsed transcript; nil when it could not be read.
	Transcript *Transcript
	Checks     []Check
}

// OK reports whether every check passed (and there was at least one).
func (r *VerifyReport) OK() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return len(r.Checks) > 0
}

// Add records a check: passed with okDetail when err is nil, failed with
// err's text, as FailureDetail words it, otherwise. It lets callers add
// checks runbook cannot make itself, such as the signature.
func (r *VerifyReport) Add(name string, err error, okDetail string) {
	if err != nil {
		r.Checks = append(r.Checks, Check{Name: name, Detail: FailureDetail(name, err)})
		return
	}
	r.Checks = append(r.Checks, Check{Name: name, OK: true, Detail: okDetail})
}

// FailureDetail words a failed check's error for the line that already
// names the check: without the package prefixes a wrapped error repeats
// ("runbook: transcript: runbook: event does not fit ...") and without the
// check's own name in front ("hash chain: hash chain: ...").
func FailureDetail(check string, err error) string {
	msg := ErrorText(err)
	for {
		trimmed := msg
		for _, prefix := range []string{"runbook: ", "read transcript: ", "transcript: ", check + ": "} {
			trimmed = strings.TrimPrefix(trimmed, prefix)
		}
		if trimmed == msg {
			return msg
		}
		msg = trimmed
	}
}

// ErrorText is err's message as an operator reads it: without the
// "runbook: " this package's errors begin with, at the start and where one
// error wraps another ("step \"x\": runbook: ..."), which means nothing
// to the operator. The TUI's status line, plain mode's remarks and
// verify's report word errors through it.
func ErrorText(err error) string {
	return strings.TrimPrefix(strings.ReplaceAll(err.Error(), ": runbook: ", ": "), "runbook: ")
}

// VerifyTranscript checks a JSON transcript's own integrity: that it parses
// as golive-transcript/1; that its events form an unbroken hash chain with
// seq counting from 1 and start with run.started; that replaying the events
// gives exactly the steps, verdict and progress the transcript states; and,
// independently of the replay, that every sign-off of a step that ran
// carries evidence (command, exit code, output digest and line count) that
// matches the events, and every attempt's stated digest matches its output
// events, by the digest rule the attempt's start names (DigestRecords: its
// output records' hashes; none: its lines). It does not check the
// signature (see sshexec).
func VerifyTranscript(data []byte) *VerifyReport {
	rep := &VerifyReport{}
	t, err := ReadTranscript(bytes.NewReader(data))
	if err != nil {
		rep.Add("transcript", err, "") // ReadTranscript's error says what to give
		return rep
	}
	rep.Transcript = t
	rep.Add("transcript", nil, fmt.Sprintf("%s, run %s, %d events", t.Format, t.Run.ID, len(t.Events)))

	chain := VerifyChain(t.Events)
	switch {
	case len(t.Events) == 0:
		chain = errors.New("no events")
	case chain == nil && t.Events[0].Type != EvRunStarted:
		chain = fmt.Errorf("the first event is %s, not %s", t.Events[0].Type, EvRunStarted)
	}
	head := ""
	if n := len(t.Events); n > 0 && chain == nil {
		head = fmt.Sprintf("%d events, seq 1–%d contiguous, head %.16s…", n, n, t.Events[n-1].Hash)
	}
	rep.Add("hash chain", chain, head)

	if err := t.CheckConsistency(); err != nil {
		rep.Add("consistency", misfit(data, t, err), "")
	} else {
		rep.Add("consistency", nil, fmt.Sprintf("replaying the events gives the stated %d steps, %d/%d settled, verdict %s",
			len(t.Steps), t.SignedOff, t.Total, t.Verdict))
	}

	rep.Checks = append(rep.Checks, checkEvidence(t))
	return rep
}

// attemptLog is an attempt as rebuilt straight from the events.
type attemptLog struct {
	command string
	exit    *ExitInfo
	digest  hash.Hash
	// rule is the digest rule the attempt's first start names: under
	// DigestRecords the digest takes each output event's hash, not its
	// lines.
	rule  string
	lines int64
	line  []byte
}

// add digests one output event by the attempt's rule and counts its lines
// as a Session does: the rest of a line (Cont) is no line of its own.
func (a *attemptLog) add(e *Event) {
	for i := range e.Lines {
		if !e.Lines[i].Cont {
			a.lines++
		}
	}
	if a.rule == DigestRecords {
		a.line = append(append(a.line[:0], e.Hash...), '\n')
		a.digest.Write(a.line)
		return
	}
	for _, l := range e.Lines {
		a.line = append(append(append(append(a.line[:0], l.Stream...), ' '), l.Text...), '\n')
		a.digest.Write(a.line)
	}
}

// ruleName quotes an output digest rule for a finding or an error; the
// per-line rule of older runs has no name.
func ruleName(rule string) string {
	if rule == "" {
		return "none (per line)"
	}
	return fmt.Sprintf("%q", rule)
}

func (a *attemptLog) sum() string { return hex.EncodeToString(a.digest.Sum(nil)) }

type attemptKey struct {
	step string
	n    int
}

// checkEvidence rebuilds every attempt from the events on its own, without
// the Session, and holds each sign-off's evidence and each stated attempt
// against it.
func checkEvidence(t *Transcript) Check {
	c := Check{Name: "evidence"}
	bad := func(format string, args ...any) { c.Findings = append(c.Findings, fmt.Sprintf(format, args...)) }
	logs := map[attemptKey]*attemptLog{}
	ran := map[string]int{} // step → attempts started
	signOffs := 0
	for _, e := range t.Events {
		k := attemptKey{e.Step, e.Attempt}
		switch e.Type {
		case EvStepStarted:
			if e.Start == nil {
				continue
			}
			if a := logs[k]; a != nil { // a reattach keeps the attempt, and its rule
				if d := e.Start.OutputDigest; d != a.rule {
					bad("seq %d: step %q attempt %d is reattached under output digest rule %s, but started under %s", e.Seq, e.Step, e.Attempt, ruleName(d), ruleName(a.rule))
				}
				continue
			}
			d := e.Start.OutputDigest
			logs[k] = &attemptLog{command: e.Start.Command, digest: sha256.New(), rule: d}
			if d != "" && d != DigestRecords {
				bad("seq %d: step %q attempt %d names output digest rule %q, which this golive does not know", e.Seq, e.Step, e.Attempt, d)
			}
			ran[e.Step] = max(ran[e.Step], e.Attempt)
		case EvOutput:
			a := logs[k]
			if a == nil {
				bad("seq %d: output of step %q attempt %d, which never started", e.Seq, e.Step, e.Attempt)
				continue
			}
			a.add(&e)
		case EvStepExited:
			if a := logs[k]; a != nil {
				a.exit = e.Exit
			}
		case EvSignedOff:
			signOffs++
			checkSignOff(e, logs, ran, bad)
		}
	}
	for _, ts := range t.Steps {
		if ts.SignOff != nil && len(ts.Attempts) > 0 && ts.SignOff.Evidence == nil {
			bad("step %q: signed off %s after running, without evidence", ts.ID, ts.SignOff.Verdict)
		}
		for _, ta := range ts.Attempts {
			a := logs[attemptKey{ts.ID, ta.N}]
			switch {
			case a == nil:
				bad("step %q: attempt %d is stated but no event started it", ts.ID, ta.N)
			case a.sum() != ta.OutputSHA256 || a.lines != ta.OutputLines:
				bad("step %q attempt %d: stated output %d lines sha256 %.12s…, the output events give %d lines %.12s…",
					ts.ID, ta.N, ta.OutputLines, ta.OutputSHA256, a.lines, a.sum())
			}
		}
	}
	if len(c.Findings) > 0 {
		c.Detail = c.Findings[0]
		if len(c.Findings) > 1 {
			c.Detail += fmt.Sprintf(" (and %d more)", len(c.Findings)-1)
		}
		return c
	}
	c.OK = true
	c.Detail = fmt.Sprintf("%s and %s match the commands, exit codes and output digests in the events",
		plural(int64(signOffs), "sign-off"), plural(int64(len(logs)), "attempt"))
	return c
}

// checkSignOff holds one sign-off event's evidence against the attempt it
// names, as rebuilt so far.
func checkSignOff(e Event, logs map[attemptKey]*attemptLog, ran map[string]int, bad func(string, ...any)) {
	so := e.SignOff
	if so == nil {
		bad("seq %d: sign-off of step %q without its content", e.Seq, e.Step)
		return
	}
	if ran[e.Step] == 0 {
		if so.Evidence != nil {
			bad("seq %d: step %q signed off with evidence, but it never ran", e.Seq, e.Step)
		}
		return
	}
	ev := so.Evidence
	if ev == nil {
		bad("seq %d: step %q ran and was signed off %s without evidence", e.Seq, e.Step, so.Verdict)
		return
	}
	a := logs[attemptKey{e.Step, ev.Attempt}]
	if a == nil || ev.Attempt != ran[e.Step] {
		bad("seq %d: step %q: the evidence names attempt %d, the last attempt is %d", e.Seq, e.Step, ev.Attempt, ran[e.Step])
		return
	}
	code, unknown := -1, true
	if a.exit != nil {
		code, unknown = a.exit.Code, a.exit.Unknown
	}
	switch {
	case ev.Command != a.command:
		bad("seq %d: step %q: the evidence's command differs from the command attempt %d ran", e.Seq, e.Step, ev.Attempt)
	case ev.ExitCode != code || ev.Unknown != unknown:
		bad("seq %d: step %q: the evidence says exit %d, attempt %d exited %d", e.Seq, e.Step, ev.ExitCode, ev.Attempt, code)
	case ev.OutputSHA256 != a.sum() || ev.OutputLines != a.lines:
		bad("seq %d: step %q: the evidence's output digest (%d lines, %.12s…) differs from the output events (%d lines, %.12s…)",
			e.Seq, e.Step, ev.OutputLines, ev.OutputSHA256, a.lines, a.sum())
	}
}
