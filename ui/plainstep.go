package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/ansi"

	"golive/runbook"
)

// This file runs one step in plain mode and takes its sign-off.

// run starts a new attempt of the step: a high-risk step first needs its
// id typed (unless --yes), then the job runs with its output printed as
// it is journaled.
func (p *plain) run(ctx context.Context, id string) (outcome, error) {
	ps := p.rel.Plan.Step(id)
	confirmed := false
	if ps.Step.Risk == runbook.RiskHigh {
		if p.po.Yes {
			p.info("high-risk step %s runs without a typed confirmation (--yes)", id)
		} else {
			o, ok, err := p.confirm(ctx, id)
			if !ok || err != nil {
				return o, err
			}
			confirmed = true
		}
	}
	ev, err := p.rel.StartEvent(id, confirmed)
	if errors.Is(err, runbook.ErrBlocked) {
		p.info("%s", ErrorText(err))
		p.info("sign that step off with a reason, or choose its rollback in the TUI (golive resume %s)", p.rel.RunID)
		return stopFailed, nil
	}
	if err := p.rel.Commit(ev, err); err != nil {
		return broken, err
	}
	p.clock.mark("started", id)
	return p.follow(ctx, ev, false)
}

// confirm asks for the step id before a high-risk step runs; the
// operator may skip the step instead (with a note), which settles it
// without running it (outcome settledNoRun).
func (p *plain) confirm(ctx context.Context, id string) (outcome, bool, error) {
	for {
		a, ok, err := p.ask(ctx, "high-risk step: type "+id+" to run it, s to skip it, or q to stop: ")
		switch {
		case err != nil:
			return interrupted, false, nil
		case !ok:
			p.info("end of input")
			return stopped, false, nil
		case a == id:
			return next, true, nil
		case strings.EqualFold(a, "q") || strings.EqualFold(a, "quit"):
			return stopped, false, nil
		case strings.EqualFold(a, "s") || strings.EqualFold(a, "skip"):
			o, done, err := p.note(ctx, id, runbook.VerdictSkipped)
			if !done {
				continue
			}
			if o == next {
				o = settledNoRun
			}
			return o, false, err
		}
		p.info("that is not the step id; type %s to run it, s to skip it, or q to stop", id)
	}
}

// reattach follows again the job of a step that was running when golive
// stopped: the journal has its output up to where it stopped, and the
// host has the rest.
func (p *plain) reattach(ctx context.Context, id string) (outcome, error) {
	s := p.rel.Session
	st := s.Step(id)
	last := st.Last()
	if last == nil {
		return broken, fmt.Errorf("reattach %s: no attempt to follow", id)
	}
	if st.Status == runbook.StatusRunning {
		if err := p.rel.Commit(s.Interrupt(id, "golive stopped while the step ran; resumed")); err != nil {
			return broken, err
		}
	}
	ev, err := s.StartStep(id, last.Start)
	if err := p.rel.Commit(ev, err); err != nil {
		return broken, fmt.Errorf("reattach %s: %w", id, err)
	}
	p.info("reattaching to job %s (attempt %d; %d lines already recorded)", last.Start.JobID, last.N, last.OutputLines)
	return p.follow(ctx, ev, true)
}

// follow runs (or reattaches to) the job of a journaled step.started
// event and records how it ended.
func (p *plain) follow(ctx context.Context, ev runbook.Event, attach bool) (outcome, error) {
	j, err := p.rel.JobFor(ev)
	if err != nil {
		return broken, err
	}
	a := p.rel.Session.Step(ev.Step).Last()
	if attach {
		j.Attach = true
		j.From = p.from[ev.Step]
	} else {
		p.info("attempt %d started (job %s)", ev.Attempt, j.Spec.JobID)
	}
	// A start the host has not confirmed after slowStart gets a line
	// saying why it can take long (launch.go), and its confirmation then
	// another; mu keeps the timer's line and the output apart.
	var mu sync.Mutex
	known, slowSaid := launched(a), false
	slow := time.AfterFunc(slowStart, func() {
		mu.Lock()
		defer mu.Unlock()
		if !known {
			slowSaid = true
			p.info("attempt %d: not started on %s after %s: %s", ev.Attempt, startingOn(a), slowStart, slowStartWhy(a))
		}
	})
	var applyErr error
	exit, detached, err := p.rel.RunJob(ctx, j, func(evs []runbook.Event) {
		mu.Lock()
		defer mu.Unlock()
		if applyErr != nil {
			return
		}
		if applyErr = p.rel.Apply(evs...); applyErr == nil {
			for _, e := range evs {
				if e.Type == runbook.EvStepLaunched {
					known = true
					if slowSaid {
						p.info("attempt %d: started on %s after %s", ev.Attempt, startingOn(a),
							runbook.RoundDuration(e.Time.Sub(ev.Time)))
					}
				}
			}
			p.print(evs)
			// Applied and printed: the Session and the terminal
			// keep copies, so the lines can be reused (as Update does).
			recycleOutput(evs)
		}
	})
	slow.Stop()
	mu.Lock()
	known = true // a timer that fired just now says nothing
	mu.Unlock()
	switch {
	case applyErr != nil:
		return broken, applyErr
	case err != nil:
		return broken, fmt.Errorf("step %s: %w", ev.Step, err)
	case detached || exit == nil:
		if err := p.rel.Commit(p.rel.Session.Interrupt(ev.Step, "golive was stopped by a signal")); err != nil {
			return broken, err
		}
		p.info("step %s keeps running on the host (job %s)", ev.Step, j.Spec.JobID)
		return interrupted, nil
	}
	if err := p.rel.Apply(*exit); err != nil {
		return broken, err
	}
	p.clock.mark("ran", ev.Step)
	a = p.rel.Session.Step(ev.Step).Last()
	switch {
	case neverStarted(a):
		// The sign-off says so, and offers to run it.
	case a.ExpectationsMet:
		p.info("%s, expectations met", exitWords(a.Exit))
	default:
		p.info("%s, expectations NOT met", exitWords(a.Exit))
		for _, f := range failuresBeyondExit(a) {
			p.info("  %s", Sanitize(f))
		}
		p.sudoAdvice(a)
	}
	return next, nil
}

// print shows journaled output lines, stdout and stderr apart from
// golive's own remarks. The lines are redacted already; Sanitize keeps
// the server's escape sequences off the terminal, all but its colours,
// which go too when NO_COLOR is set. Every line printed is whole, so that
// a log of plain output reads line by line: the rest of a line delivered
// in part (Cont: " OK" a migration after "Applying app.0002_x...") gets a
// line of its own, marked as the rest of the one before (contMark).
func (p *plain) print(evs []runbook.Event) {
	// One write per batch, not per line: a step printing megabytes would
	// otherwise cost a system call per line.
	var b bytes.Buffer
	for _, e := range evs {
		if e.Type != runbook.EvOutput {
			continue
		}
		for _, l := range e.Lines {
			text := Sanitize(l.Text)
			if p.noColor && strings.IndexByte(text, 0x1b) >= 0 {
				text = ansi.Strip(text)
			}
			switch l.Stream {
			case runbook.StreamStdout:
				b.WriteString("  | ")
			case runbook.StreamStderr:
				b.WriteString("  ! ")
			default:
				b.WriteString("-- ")
			}
			if l.Cont {
				b.WriteString(contMark)
			}
			b.WriteString(text)
			b.WriteByte('\n')
		}
	}
	if b.Len() > 0 {
		p.po.Out.Write(b.Bytes())
	}
}

// signOff takes the step's sign-off: automatic with --yes, else a verdict
// line and a note line from In. It retries the step when asked.
func (p *plain) signOff(ctx context.Context, id string) (outcome, error) {
	s := p.rel.Session
	if p.po.Yes {
		a := s.Step(id).Last()
		if neverStarted(a) {
			p.info("attempt %d %s; running it again (--yes)", a.N, neverStartedWords)
			if o, err := p.run(ctx, id); o != next || err != nil {
				return o, err
			}
			a = s.Step(id).Last()
		}
		v := runbook.VerdictPassed
		if a == nil || !a.ExpectationsMet || a.Exit == nil || a.Exit.Unknown {
			v = runbook.VerdictFailed
		}
		if err := p.rel.Commit(s.SignOff(id, v, "", p.rel.Operator, true)); err != nil {
			return broken, err
		}
		p.clock.mark("signed", id)
		p.info("signed off %s (automatic)", v)
		if v == runbook.VerdictFailed {
			return stopFailed, nil
		}
		return next, nil
	}
	manual := p.rel.Plan.Step(id).Step.Kind == runbook.KindManual
	if a := s.Step(id).Last(); !manual && neverStarted(a) {
		p.info("attempt %d %s; r runs it", a.N, neverStartedWords)
	}
	for {
		prompt := "sign off " + id + " [p]assed [f]ailed [s]kipped [n]/a [r]etry [q]uit: "
		if manual {
			prompt = "sign off " + id + " [p]assed [f]ailed [s]kipped [n]/a [q]uit: "
		}
		a, ok, err := p.ask(ctx, prompt)
		switch {
		case err != nil:
			return interrupted, nil
		case !ok:
			p.info("end of input: %s is not signed off", id)
			return stopped, nil
		}
		var v runbook.Verdict
		switch strings.ToLower(a) {
		case "p", "passed", "pass":
			v = runbook.VerdictPassed
		case "f", "failed", "fail":
			v = runbook.VerdictFailed
		case "s", "skipped", "skip":
			v = runbook.VerdictSkipped
		case "n", "n/a", "na", "not_applicable":
			v = runbook.VerdictNotApplicable
		case "r", "retry":
			if manual {
				p.info("a manual step has nothing to run; sign it off")
				continue
			}
			o, err := p.run(ctx, id)
			if o == settledNoRun {
				return next, err
			}
			if o != next || err != nil {
				return o, err
			}
			continue
		case "q", "quit":
			return stopped, nil
		default:
			p.info("type p, f, s, n, r or q")
			continue
		}
		o, done, err := p.note(ctx, id, v)
		if done || err != nil {
			return o, err
		}
	}
}

// note reads the note line of a sign-off and records the sign-off. done
// is false when the operator should choose the verdict again.
func (p *plain) note(ctx context.Context, id string, v runbook.Verdict) (outcome, bool, error) {
	s := p.rel.Session
	hint := noteHint(s.Step(id), v)
	for {
		note, ok, err := p.ask(ctx, hint)
		switch {
		case err != nil:
			return interrupted, true, nil
		case !ok:
			p.info("end of input: %s is not signed off", id)
			return stopped, true, nil
		}
		err = p.rel.Commit(s.SignOff(id, v, note, p.rel.Operator, false))
		switch {
		case errors.Is(err, runbook.ErrNoteRequired):
			// The rule's reason, after the sentinel's own words.
			why := strings.TrimPrefix(ErrorText(err), ErrorText(runbook.ErrNoteRequired)+": ")
			p.info("a note is required here: %s", why)
			continue
		case errors.Is(err, runbook.ErrBadVerdict), errors.Is(err, runbook.ErrWrongState), errors.Is(err, runbook.ErrBlocked):
			p.info("%s", ErrorText(err))
			return next, false, nil
		case err != nil:
			return broken, true, err
		}
		p.clock.mark("signed", id)
		p.info("%s signed off %s", id, v)
		ps := p.rel.Plan.Step(id)
		if v == runbook.VerdictFailed && ps.Step.Risk == runbook.RiskHigh && strings.TrimSpace(note) == "" {
			if ps.Step.Rollback != "" {
				p.info("rollback: %s", Sanitize(strings.Join(strings.Fields(ps.Step.Rollback), " ")))
			}
			p.info("a failed high-risk step blocks the steps after it until it is signed off with a reason or its rollback is chosen")
			return stopFailed, true, nil
		}
		return next, true, nil
	}
}

// noteHint is the prompt for a sign-off's note: it says when the note is
// required, as the Session's rules do.
func noteHint(st runbook.StepState, v runbook.Verdict) string {
	last := st.Last()
	switch v {
	case runbook.VerdictSkipped:
		return "note (required: why is it skipped?): "
	case runbook.VerdictNotApplicable:
		return "note (required: why does it not apply?): "
	case runbook.VerdictFailed:
		return "note (what failed; optional): "
	}
	if last != nil && (!last.ExpectationsMet || last.Exit == nil || last.Exit.Unknown) {
		return "note (required: the run did NOT meet its expectations; why does it pass?): "
	}
	return "note (optional, enter for none): "
}
