package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"golive/runbook"
	"golive/sshexec"
)

// Release is one release in progress: the plan, the Session that records
// it, the journal that keeps every event on disk, the executors that run
// its steps, and the redactor that keeps secrets out of all of them. Both
// the TUI and plain mode drive a Release.
//
// The rule for every event: build it with a Session constructor (which
// checks it is legal), append it to the journal (fsync), and only then
// Apply it to the Session and show it. Record does the disk part and is
// safe from any goroutine; Apply touches the Session and must only be
// called from the one goroutine that owns it (Bubble Tea's Update, or
// plain mode's loop).
type Release struct {
	Plan    *runbook.Plan
	Session *runbook.Session
	Journal *runbook.Journal
	// Remote runs remote steps (an SSH executor, or a local one for
	// --host local); Local runs local steps. Local may be nil when the
	// runbook has none.
	Remote, Local sshexec.Executor
	Redactor      *runbook.Redactor
	Operator      string
	// Host is the target as the operator named it.
	Host  string
	RunID string
	// Auto marks sign-offs given by --yes.
	Auto bool
	// SudoPassword, when given, is fed to sudo for steps that use it;
	// the Redactor masks it.
	SudoPassword []byte
	Now          func() time.Time
}

// Record journals evs (stamping seq and hash, fsync) and returns them as
// stored. It does not touch the Session.
func (r *Release) Record(evs ...runbook.Event) ([]runbook.Event, error) {
	out, err := r.Journal.Append(evs...)
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w; golive cannot record the release safely: stop here and resume with 'golive resume %s' once the disk is fixed", r.Journal.Path(), err, r.RunID)
	}
	return out, nil
}

// recordOutput journals a batch of output (and the connection events
// among it) without waiting for its fsync (Journal.AppendLazy): the host
// keeps the output until the step's end is journaled with Record, and a
// resume reattaches from the last offset the journal has.
func (r *Release) recordOutput(evs []runbook.Event) ([]runbook.Event, error) {
	out, err := r.Journal.AppendLazy(evs...)
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w; golive cannot record the release safely: stop here and resume with 'golive resume %s' once the disk is fixed", r.Journal.Path(), err, r.RunID)
	}
	return out, nil
}

// Apply applies journaled events to the Session, in order.
func (r *Release) Apply(evs ...runbook.Event) error {
	for _, e := range evs {
		if err := r.Session.Apply(e); err != nil {
			return fmt.Errorf("apply %s event %d: %w", e.Type, e.Seq, err)
		}
	}
	return nil
}

// Commit records then applies one event built by a Session constructor:
// the whole rule, for callers that own the Session and may block (plain
// mode). ev and err are a constructor's results, so Commit can wrap the
// call directly: rel.Commit(rel.Session.AddNote(step, note)).
func (r *Release) Commit(ev runbook.Event, err error) error {
	if err != nil {
		return err
	}
	evs, err := r.Record(ev)
	if err != nil {
		return err
	}
	return r.Apply(evs...)
}

// newRedactor masks the plan's secret variables: what every Release
// needs before its first event (SetSudoPassword adds the sudo password).
func newRedactor(plan *runbook.Plan) *runbook.Redactor {
	return runbook.NewRedactor(plan.Secrets())
}

// open creates the run's journal under stateDir and journals the run's
// start: begin (Session.Begin's event), then the host keys the operator
// accepted while connecting and the key ex verified (connectedEvents).
// It blocks on disk, so the TUI calls it from a tea.Cmd. On failure it
// closes the journal again (releasing its lock) and leaves r.Journal nil.
func (r *Release) open(stateDir string, begin runbook.Event, ex sshexec.Executor, accepted []runbook.HostKeyInfo) error {
	j, err := runbook.CreateJournal(stateDir, r.RunID)
	if err != nil {
		return fmt.Errorf("start the run's journal: %w", err)
	}
	r.Journal = j
	err = r.Commit(begin, nil)
	if err == nil {
		var evs []runbook.Event
		evs, err = connectedEvents(r, ex, accepted)
		for _, ev := range evs {
			if err == nil {
				err = r.Commit(ev, nil)
			}
		}
	}
	if err != nil {
		j.Close()
		r.Journal = nil
		return err
	}
	return nil
}

// Job is one attempt of a step to run or to follow again.
type Job struct {
	Step    string
	Attempt int
	Spec    sshexec.Spec
	Exec    sshexec.Executor
	// Attach follows a job that already runs (resume), from From.
	Attach bool
	From   sshexec.Offsets
	// Launched: the journal already has the attempt's step.launched (a
	// reattach), so the executor's NoticeLaunched journals nothing. JobFor
	// sets it from the Session.
	Launched bool
}

// JobID names an attempt's job on the host: unique per run, step and
// attempt, and made only of the characters sshexec allows.
func JobID(runID, step string, attempt int) string {
	id := fmt.Sprintf("%s-%s-%d", runID, step, attempt)
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '_'
	}, id)
}

// StartEvent builds the step.started event for the next attempt of step,
// with its job id and the command as it will run (secrets masked). It
// returns the Session's refusal (not runnable, blocked) as is.
func (r *Release) StartEvent(step string, confirmed bool) (runbook.Event, error) {
	ps := r.planned(step)
	if ps == nil {
		return runbook.Event{}, fmt.Errorf("step %q: %w", step, runbook.ErrUnknownStep)
	}
	if err := r.Session.CanStart(step); err != nil {
		return runbook.Event{}, err
	}
	attempt := len(r.Session.Step(step).Attempts) + 1
	where, host := string(ps.Step.Kind), r.Host
	if ps.Step.Kind == runbook.KindLocal {
		host = "local"
	}
	return r.Session.StartStep(step, runbook.StartInfo{
		Command:   r.Redactor.Line(ps.Display),
		Where:     where,
		Host:      host,
		JobID:     JobID(r.RunID, step, attempt),
		Confirmed: confirmed,
	})
}

// JobFor returns the job a journaled step.started event asks for, as
// the Session has it now: call it where the Session is applied to (the
// UI's goroutine, plain mode's loop).
func (r *Release) JobFor(ev runbook.Event) (Job, error) {
	ps := r.planned(ev.Step)
	if ps == nil || ev.Start == nil {
		return Job{}, fmt.Errorf("step %q: %w", ev.Step, runbook.ErrUnknownStep)
	}
	ex := r.Remote
	if ps.Step.Kind == runbook.KindLocal {
		ex = r.Local // never the host: a local check must come from outside it
	}
	if ex == nil {
		return Job{}, fmt.Errorf("step %q: no executor for %s steps", ev.Step, ps.Step.Kind)
	}
	timeout := ps.Step.Timeout
	if timeout == 0 {
		timeout = runbook.DefaultTimeout
	}
	j := Job{
		Step:    ev.Step,
		Attempt: ev.Attempt,
		Exec:    ex,
		Spec: sshexec.Spec{JobID: ev.Start.JobID, Script: ps.Script, Sudo: ps.Step.Sudo, Timeout: timeout,
			SudoPassword: sudoPassword(ps.Step.Sudo, r.SudoPassword)},
	}
	if a := r.Session.Step(ev.Step).Last(); a != nil && a.N == ev.Attempt {
		j.Launched = !a.Launched.IsZero()
	}
	return j, nil
}

func (r *Release) planned(step string) *runbook.PlannedStep {
	for i := range r.Plan.Steps {
		if r.Plan.Steps[i].Step != nil && r.Plan.Steps[i].Step.ID == step {
			return &r.Plan.Steps[i]
		}
	}
	return nil
}

// Progress counts the applicable steps signed off, the applicable steps,
// and the steps that do not apply to this run (their "when" is false).
// The Session's Progress counts not-applicable steps as settled, which
// is right for the run's verdict but reads as work done on a screen.
func (r *Release) Progress() (signed, applicable, na int) {
	done, total := r.Session.Progress()
	for i := range r.Plan.Steps {
		if r.Plan.Steps[i].Step != nil && !r.Plan.Steps[i].Applicable {
			na++
		}
	}
	return done - na, total - na, na
}

// progressWords renders Progress: "3 of 70 signed off · 11 n/a".
func (r *Release) progressWords() string {
	signed, applicable, na := r.Progress()
	s := fmt.Sprintf("%d of %d signed off", signed, applicable)
	if na > 0 {
		s += fmt.Sprintf(" · %d n/a", na)
	}
	return s
}

// RunJob runs j (or follows it again when j.Attach), redacts every line,
// journals the output in batches and hands each journaled batch to emit,
// in order; sshexec's notices become info lines plus connection events,
// but for NoticeLaunched, which becomes the attempt's step.launched event.
// When the job ends it journals and returns the step.exited event, then
// has the executor forget the job (its files on the host); a failure to
// do so is journaled as a note on the step, never a step failure.
//
// When ctx ends first, RunJob returns detached true and no exit event: the
// job keeps running on the host, and the journal (which has every line
// seen so far) lets a later resume reattach. A journal failure stops
// RunJob with the error; the job also keeps running then.
func (r *Release) RunJob(ctx context.Context, j Job, emit func([]runbook.Event)) (exit *runbook.Event, detached bool, err error) {
	lines := make(chan []sshexec.Line, lineBatches)
	var res sshexec.Result
	var runErr error
	start := time.Now()
	go func() {
		defer close(lines)
		if j.Attach {
			res, runErr = j.Exec.Attach(ctx, j.Spec.JobID, j.From, lines)
		} else {
			res, runErr = j.Exec.Run(ctx, j.Spec, lines)
		}
	}()
	red := newStreamRedactors(r.Redactor)
	// Two stages, so that redacting the next batch overlaps journaling
	// (encoding, hashing, write, fsync) this one: this goroutine redacts,
	// the recorder journals and emits, one batch at a time, in order.
	batches := make(chan []runbook.Event, 4)
	recorded := make(chan struct{})
	var journalErr error // the recorder's, read after recorded closes
	var failed atomic.Bool
	go func() {
		defer close(recorded)
		for evs := range batches {
			if journalErr != nil {
				continue
			}
			stored, err := r.recordOutput(evs)
			if err != nil {
				journalErr = err
				failed.Store(true)
				continue
			}
			emit(stored)
		}
	}()
	// outputEvents copies what it keeps of a group (the Texts are strings):
	// next hands the group's batches back to sshexec for the output to come.
	g := gatherer{recycle: recycleLines}
	for g.next(lines) {
		if failed.Load() {
			continue // keep draining so the executor can finish
		}
		batches <- r.outputEvents(j, g.group, g.n, &red)
	}
	close(batches)
	<-recorded
	if journalErr != nil {
		return nil, false, journalErr
	}
	if runErr != nil && ctx.Err() != nil && errors.Is(runErr, ctx.Err()) {
		return nil, true, nil
	}
	x := exitInfo(res, runErr, start)
	ev := runbook.Event{Type: runbook.EvStepExited, Time: r.now(), Step: j.Step, Attempt: j.Attempt, Exit: &x}
	stored, err := r.Record(ev)
	if err != nil {
		return nil, false, err
	}
	if runErr == nil { // the end is journaled: remove the job's files from the host
		fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		if ferr := j.Exec.Forget(fctx, j.Spec.JobID); ferr != nil {
			note := runbook.Event{Type: runbook.EvNote, Time: r.now(), Step: j.Step,
				Note: red.of(sshexec.Notice).Line("golive could not remove the job's files from the host (they are pruned after 7 days): " + ferr.Error())}
			if n, nerr := r.Record(note); nerr == nil {
				emit(n)
			}
		}
		cancel()
	}
	return &stored[0], false, nil
}

func (r *Release) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

// exitInfo records how a job ended. An error other than the job's own exit
// means golive could not start or follow it: the status is unknown when
// sshexec says the job may have run, and never a success.
func exitInfo(res sshexec.Result, err error, start time.Time) runbook.ExitInfo {
	x := runbook.ExitInfo{
		Code:     res.ExitCode,
		Signal:   res.Signal,
		Unknown:  res.Unknown,
		TimedOut: res.TimedOut,
		Canceled: res.Canceled,
	}
	switch {
	case !res.Started.IsZero() && !res.Ended.IsZero():
		x.Duration = res.Ended.Sub(res.Started)
	default:
		x.Duration = time.Since(start)
	}
	if errors.Is(err, sshexec.ErrNoJob) {
		x.Unknown = true // the host forgot the job: its fate is unknown
	}
	if err != nil {
		x.Error = err.Error()
		if x.Code == 0 {
			x.Code = -1
		}
	}
	if x.Unknown {
		x.Code = -1
	}
	return x
}

// Offsets returns, for each step's last attempt, how far the journal has
// its output: where a reattach should continue from.
func Offsets(events []runbook.Event) map[string]sshexec.Offsets {
	out := map[string]sshexec.Offsets{}
	attempt := map[string]int{}
	for _, e := range events {
		switch e.Type {
		case runbook.EvStepStarted:
			if e.Attempt != attempt[e.Step] {
				attempt[e.Step] = e.Attempt
				out[e.Step] = sshexec.Offsets{}
			}
		case runbook.EvOutput:
			o := out[e.Step]
			for _, l := range e.Lines {
				switch l.Stream {
				case runbook.StreamStdout:
					o.Stdout = max(o.Stdout, l.Offset)
				case runbook.StreamStderr:
					o.Stderr = max(o.Stderr, l.Offset)
				}
			}
			out[e.Step] = o
		}
	}
	return out
}

// sudoPassword returns the password for a sudo step, nil for the rest.
func sudoPassword(sudo bool, pw []byte) []byte {
	if !sudo || len(pw) == 0 {
		return nil
	}
	return pw
}
