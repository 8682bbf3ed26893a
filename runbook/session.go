package runbook

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Status is where a step stands in a run.
type Status string

// Step statuses.
//
//	pending → running → awaiting sign-off → signed off
//	running → interrupted (golive stopped; the job may still run) → running (reattached) …
//	running → unknown (the exit status was lost) → awaiting sign-off …
const (
	StatusPending     Status = "pending"
	StatusRunning     Status = "running"
	StatusAwaiting    Status = "awaiting_sign_off"
	StatusSignedOff   Status = "signed_off"
	StatusInterrupted Status = "interrupted"
	StatusUnknown     Status = "unknown"
)

// Errors returned by Session methods.
var (
	// ErrStepNotRunnable: the step cannot start now (already running,
	// signed off, blocked, manual, or not applicable).
	ErrStepNotRunnable = errors.New("runbook: step cannot run now")
	// ErrBlocked: an earlier failed high-risk step blocks this one until it
	// is signed off with a reason or its rollback is chosen.
	ErrBlocked = errors.New("runbook: blocked by a failed high-risk step")
	// ErrNoteRequired: skipping, or passing a step whose expectations
	// failed, needs a note.
	ErrNoteRequired = errors.New("runbook: a note is required")
	// ErrUnknownStep: no such step in the runbook.
	ErrUnknownStep = errors.New("runbook: unknown step")
	// ErrBadEvent: the event does not fit the session's state (replay of a
	// corrupt or foreign journal).
	ErrBadEvent = errors.New("runbook: event does not fit the session")

	// ErrNotBegun: nothing but Begin is allowed before the run has begun.
	ErrNotBegun = errors.New("runbook: the run has not begun")
	// ErrFinished: nothing is allowed after the run has finished.
	ErrFinished = errors.New("runbook: the run is finished")
	// ErrWrongState: the action does not fit the step's status (output for
	// a step that is not running, a sign-off of a running step, a second
	// sign-off, a rollback of a step that never ran).
	ErrWrongState = errors.New("runbook: not allowed in the step's current state")
	// ErrBadVerdict: the verdict is not one of the four, or not allowed for
	// the step (a not-applicable step can only be signed off
	// not_applicable).
	ErrBadVerdict = errors.New("runbook: verdict not allowed")
	// ErrUnknownVariable: the runbook declares no such variable.
	ErrUnknownVariable = errors.New("runbook: unknown variable")
	// ErrRunbookChanged: the run was recorded against a runbook whose
	// content hash differs from the one loaded now.
	ErrRunbookChanged = errors.New("runbook: the runbook changed since the run began")
)

// EventError is the error Apply (and Replay) return for an event that
// does not fit the session: which event (its Seq and Type, and its Step,
// "" for a run-level event), where that step stood when the event came
// (Status; "" for a run-level event or a step the plan does not have) and
// the rule the event broke (Err: ErrWrongState, ErrStepNotRunnable, ...).
// errors.Is matches ErrBadEvent and Err; its text is ErrBadEvent's, then
// "event SEQ (TYPE): " and Err's.
type EventError struct {
	Seq    int64
	Type   EventType
	Step   string
	Status Status
	Err    error
}

// Error says which event did not fit, and why.
func (e *EventError) Error() string {
	return ErrBadEvent.Error() + ": event " + strconv.FormatInt(e.Seq, 10) + " (" + string(e.Type) + "): " + e.Err.Error()
}

// Unwrap returns ErrBadEvent and the rule the event broke.
func (e *EventError) Unwrap() []error { return []error{ErrBadEvent, e.Err} }

// RunVerdict is the overall result of a run.
type RunVerdict string

// Run verdicts.
const (
	// RunPassed: every step is signed off passed, skipped or not applicable
	// (steps whose condition is false count as not applicable).
	RunPassed RunVerdict = "passed"
	// RunFailed: at least one step is signed off failed.
	RunFailed RunVerdict = "failed"
	// RunIncomplete: no step failed, but some are not signed off yet.
	RunIncomplete RunVerdict = "incomplete"
)

// Note is a remark the operator added during a run.
type Note struct {
	Time time.Time
	Text string
}

// Session is the state of one run of a Plan. It is exactly the result of
// applying its events in order: event constructors (Begin, StartStep,
// Output, Exit, SignOff, ...) check that an event is legal now and return
// it without applying it; the caller journals it, then calls Apply. Replay
// rebuilds the same state from a journal.
//
// A Session is not safe for concurrent use; the UI owns it.
type Session struct {
	plan  *Plan
	now   func() time.Time
	red   *Redactor
	steps []*stepRec
	byID  map[string]*stepRec

	begun, finished bool
	info            RunInfo
	started, ended  time.Time
	finishNote      string
	hostKeys        []HostKeyInfo
	conns           []ConnInfo
	notes           []Note
	applied         int
}

// stepRec is the session's live record of one step.
type stepRec struct {
	ps       *PlannedStep
	index    int
	status   Status
	signOff  *SignOff
	signOffs []SignOff
	attempts []*attempt
	// rollback is set when the operator chose the rollback; rollbackAt is
	// how many attempts the step had then, so that a retry after it
	// starts from a clean slate.
	rollback     bool
	rollbackNote string
	rollbackAt   int
	notes        []Note
}

func (r *stepRec) last() *attempt {
	if len(r.attempts) == 0 {
		return nil
	}
	return r.attempts[len(r.attempts)-1]
}

// NewSession returns a session for plan that has not begun. now is the
// clock used to stamp new events (time.Now when nil); Apply uses the
// events' own times, so a replay does not depend on it.
func NewSession(plan *Plan, now func() time.Time) *Session {
	if plan == nil {
		plan = &Plan{}
	}
	if plan.Runbook == nil {
		plan.Runbook = &Runbook{}
	}
	if now == nil {
		now = time.Now
	}
	s := &Session{plan: plan, now: now, byID: map[string]*stepRec{}, red: NewRedactor(plan.Secrets())}
	for i := range plan.Steps {
		ps := &plan.Steps[i]
		if ps.Step == nil {
			continue
		}
		if _, dup := s.byID[ps.Step.ID]; dup {
			continue // Parse refuses duplicate ids; keep the first.
		}
		r := &stepRec{ps: ps, index: len(s.steps), status: StatusPending}
		s.steps = append(s.steps, r)
		s.byID[ps.Step.ID] = r
	}
	return s
}

// Replay rebuilds a session from a journal's events, in order. It returns
// an error wrapping ErrBadEvent (and the rule it broke, such as
// ErrRunbookChanged) at the first event that does not fit.
func Replay(plan *Plan, events []Event) (*Session, error) {
	s := NewSession(plan, nil)
	for _, e := range events {
		if err := s.Apply(e); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Plan returns the plan the session runs.
func (s *Session) Plan() *Plan { return s.plan }

// Info returns the run's description (a copy), as begun and as changed by
// SetVar since.
func (s *Session) Info() RunInfo {
	i := s.info
	i.Vars = make(map[string]string, len(s.info.Vars))
	for k, v := range s.info.Vars {
		i.Vars[k] = v
	}
	return i
}

// Begun reports whether the run has begun.
func (s *Session) Begun() bool { return s.begun }

// Finished reports whether the run has finished.
func (s *Session) Finished() bool { return s.finished }

// Started returns when the run began (zero before Begin).
func (s *Session) Started() time.Time { return s.started }

// Ended returns when the run finished (zero before Finish).
func (s *Session) Ended() time.Time { return s.ended }

// FinishNote returns the note given to Finish.
func (s *Session) FinishNote() string { return s.finishNote }

// Applied returns how many events the session has applied.
func (s *Session) Applied() int { return s.applied }

// HostKeys returns the host keys the operator accepted during the run.
func (s *Session) HostKeys() []HostKeyInfo { return append([]HostKeyInfo(nil), s.hostKeys...) }

// Connections returns the connection changes recorded during the run.
func (s *Session) Connections() []ConnInfo { return append([]ConnInfo(nil), s.conns...) }

// Notes returns the run-level notes (those not tied to a step).
func (s *Session) Notes() []Note { return append([]Note(nil), s.notes...) }

// StepIDs returns the ids of the plan's steps, in order.
func (s *Session) StepIDs() []string {
	ids := make([]string, len(s.steps))
	for i, r := range s.steps {
		ids[i] = r.ps.Step.ID
	}
	return ids
}

// Step returns a copy of the state of the step with the given id; for an
// unknown id it returns a StepState with only ID set and Status "".
func (s *Session) Step(id string) StepState {
	r := s.byID[id]
	if r == nil {
		return StepState{ID: id}
	}
	st := StepState{
		ID:           id,
		Applicable:   r.ps.Applicable,
		Status:       r.status,
		Rollback:     r.rollback,
		RollbackNote: r.rollbackNote,
		Notes:        append([]Note(nil), r.notes...),
	}
	for _, so := range r.signOffs {
		st.SignOffs = append(st.SignOffs, copySignOff(so))
	}
	if r.signOff != nil {
		so := copySignOff(*r.signOff)
		st.SignOff = &so
		st.Verdict = so.Verdict
	}
	for _, a := range r.attempts {
		st.Attempts = append(st.Attempts, a.snapshot())
	}
	return st
}

func copySignOff(so SignOff) SignOff {
	if so.Evidence != nil {
		ev := *so.Evidence
		ev.Failures = append([]string(nil), ev.Failures...)
		so.Evidence = &ev
	}
	return so
}

// CanStart says whether the step may start (or resume) now. It returns nil,
// or an error wrapping ErrUnknownStep, ErrNotBegun, ErrFinished,
// ErrStepNotRunnable (manual, not applicable, running, signed off) or
// ErrBlocked (naming the blocking step).
func (s *Session) CanStart(id string) error {
	r, err := s.runningStep(id)
	if err != nil {
		return err
	}
	_, err = s.canStart(r, nil)
	return err
}

// BlockedBy returns the id of the earlier high-risk step that blocks the
// step, or "" when nothing does.
func (s *Session) BlockedBy(id string) string {
	r := s.byID[id]
	if r == nil {
		return ""
	}
	if b, _ := s.blocker(r); b != nil {
		return b.ps.Step.ID
	}
	return ""
}

// Next returns the id of the first applicable step not signed off, or ""
// when every one is.
func (s *Session) Next() string {
	for _, r := range s.steps {
		if r.ps.Applicable && r.signOff == nil {
			return r.ps.Step.ID
		}
	}
	return ""
}

// NextAfter returns the id of the first applicable step after step (in
// the plan's order) not signed off, else Next: where to go once step is
// signed off, so that an operator who went ahead of steps left open is not
// sent back to the first of them after every sign-off.
func (s *Session) NextAfter(step string) string {
	after := false
	for _, r := range s.steps {
		if r.ps.Step.ID == step {
			after = true
			continue
		}
		if after && r.ps.Applicable && r.signOff == nil {
			return r.ps.Step.ID
		}
	}
	return s.Next()
}

// Progress returns how many steps are settled (signed off, or not
// applicable) out of all the plan's steps.
func (s *Session) Progress() (signedOff, total int) {
	for _, r := range s.steps {
		if r.signOff != nil || !r.ps.Applicable {
			signedOff++
		}
	}
	return signedOff, len(s.steps)
}

// Verdict returns the run's overall verdict: failed when any step is
// signed off failed, passed when every step is settled, else incomplete.
func (s *Session) Verdict() RunVerdict {
	v := RunPassed
	for _, r := range s.steps {
		switch {
		case r.signOff != nil && r.signOff.Verdict == VerdictFailed:
			return RunFailed
		case r.signOff == nil && r.ps.Applicable:
			v = RunIncomplete
		}
	}
	return v
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }
