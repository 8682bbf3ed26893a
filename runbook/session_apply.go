package runbook

import (
	"crypto/sha256"
	"fmt"
	"time"
)

// Apply checks that the event fits the session now and applies it. A
// misfit changes nothing and returns an error wrapping ErrBadEvent and the
// rule it broke (ErrStepNotRunnable, ErrNoteRequired, ErrRunbookChanged,
// ...), naming the event's sequence number and type: an *EventError.
func (s *Session) Apply(e Event) error {
	err := s.check(&e)
	if err == nil {
		err = s.checkJournaled(&e)
	}
	if err != nil {
		ee := &EventError{Seq: e.Seq, Type: e.Type, Step: e.Step, Err: err}
		if r := s.byID[e.Step]; r != nil {
			ee.Status = r.status
		}
		return ee
	}
	s.apply(&e)
	s.applied++
	return nil
}

// check says whether e may happen now; constructors and Apply share it.
func (s *Session) check(e *Event) error {
	if e.Type == EvRunStarted {
		return s.checkBegin(e)
	}
	if !s.begun {
		return ErrNotBegun
	}
	if s.finished {
		return ErrFinished
	}
	switch e.Type {
	case EvVarSet:
		if e.Var == nil {
			return fmt.Errorf("no var payload")
		}
		if s.plan.Runbook.Variable(e.Var.Name) == nil {
			return fmt.Errorf("%w %q", ErrUnknownVariable, e.Var.Name)
		}
		return nil
	case EvHostKeyAccepted:
		if e.HostKey == nil || e.HostKey.Fingerprint == "" {
			return fmt.Errorf("no host key fingerprint")
		}
		return nil
	case EvConnection:
		if e.Conn == nil {
			return fmt.Errorf("no conn payload")
		}
		switch e.Conn.State {
		case "connected", "lost", "reconnecting", "restored":
			return nil
		}
		return fmt.Errorf("connection state %q: want connected, lost, reconnecting or restored", e.Conn.State)
	case EvNote:
		if blank(e.Note) {
			return fmt.Errorf("%w: the note is empty", ErrNoteRequired)
		}
		if e.Step != "" && s.byID[e.Step] == nil {
			return fmt.Errorf("%w %q", ErrUnknownStep, e.Step)
		}
		return nil
	case EvRunFinished:
		for _, r := range s.steps {
			if r.status == StatusRunning {
				return fmt.Errorf("%w: step %q is still running; wait for it or interrupt it", ErrWrongState, r.ps.Step.ID)
			}
		}
		return nil
	}
	r := s.byID[e.Step]
	if r == nil {
		return fmt.Errorf("%w %q", ErrUnknownStep, e.Step)
	}
	switch e.Type {
	case EvStepStarted:
		if e.Start == nil {
			return fmt.Errorf("no start payload")
		}
		if d := e.Start.OutputDigest; d != "" && d != DigestRecords {
			return fmt.Errorf("step %q: output digest rule %q is unknown to this golive (it knows %q and none); a newer golive recorded the run: use it", e.Step, d, DigestRecords)
		}
		if err := checkRunAs(r.ps.Step, e.Start.RunAs); err != nil {
			return err
		}
		n, err := s.canStart(r, e.Start)
		if err != nil {
			return err
		}
		if e.Attempt != n {
			return fmt.Errorf("step %q: attempt %d, expected %d", e.Step, e.Attempt, n)
		}
		if a := r.last(); a != nil && a.N == n && e.Start.OutputDigest != a.Start.OutputDigest {
			return fmt.Errorf("step %q attempt %d: the reattach names output digest rule %s, the attempt started under %s: an attempt keeps its rule (Session.StartStep sets it)", e.Step, n, ruleName(e.Start.OutputDigest), ruleName(a.Start.OutputDigest))
		}
		return nil
	case EvOutput, EvStepExited, EvStepInterrupted, EvStepLaunched:
		ok := r.status == StatusRunning || (r.status == StatusInterrupted && e.Type != EvStepInterrupted)
		if !ok {
			return fmt.Errorf("%w: step %q is %s, not running", ErrWrongState, e.Step, r.status)
		}
		a := r.last()
		if e.Attempt != a.N {
			return fmt.Errorf("step %q: attempt %d, the current one is %d", e.Step, e.Attempt, a.N)
		}
		if e.Type == EvStepLaunched && !a.Launched.IsZero() {
			return fmt.Errorf("step %q attempt %d: the host already confirmed its start (%s); it is confirmed once", e.Step, a.N, a.Launched.UTC().Format(time.RFC3339))
		}
		if e.Type == EvOutput && len(e.Lines) == 0 {
			return fmt.Errorf("step %q: output event without lines", e.Step)
		}
		if e.Type == EvStepExited && e.Exit == nil {
			return fmt.Errorf("no exit payload")
		}
		return nil
	case EvSignedOff:
		if e.SignOff == nil {
			return fmt.Errorf("no sign_off payload")
		}
		return s.checkSignOff(r, e.SignOff, e.Attempt)
	case EvRollbackChosen:
		if r.status == StatusPending || r.status == StatusRunning {
			return fmt.Errorf("%w: step %q is %s; only a step that ran or was signed off can be rolled back", ErrWrongState, e.Step, r.status)
		}
		return nil
	}
	return fmt.Errorf("unknown event type %q", e.Type)
}

// checkJournaled refuses an output event without a journal hash for an
// attempt that digests its records' hashes (DigestRecords): its digest
// cannot be computed. Only Apply asks: a constructor's event is not
// journaled yet.
func (s *Session) checkJournaled(e *Event) error {
	if e.Type != EvOutput || len(e.Hash) == 2*sha256.Size {
		return nil
	}
	if a := s.byID[e.Step].last(); a.Start.OutputDigest == DigestRecords {
		return fmt.Errorf("step %q attempt %d: output event without its journal hash: the attempt's output digest is over its records' hashes (%s); journal the event first and apply the event the journal returns", e.Step, e.Attempt, DigestRecords)
	}
	return nil
}

func (s *Session) checkBegin(e *Event) error {
	if s.begun {
		return fmt.Errorf("%w: the run has already begun", ErrWrongState)
	}
	if e.Run == nil {
		return fmt.Errorf("no run payload")
	}
	rb := s.plan.Runbook
	if rb.Hash != "" && e.Run.RunbookHash != rb.Hash {
		return fmt.Errorf("%w: runbook %q was %s when the run began and is %s now", ErrRunbookChanged, e.Run.RunbookID, short(e.Run.RunbookHash), short(rb.Hash))
	}
	if rb.ID != "" && e.Run.RunbookID != rb.ID {
		return fmt.Errorf("%w: the run is of runbook %q, not %q", ErrRunbookChanged, e.Run.RunbookID, rb.ID)
	}
	return nil
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	if hash == "" {
		return "(no hash)"
	}
	return hash
}

// apply changes the state; check has accepted e.
func (s *Session) apply(e *Event) {
	switch e.Type {
	case EvRunStarted:
		s.begun = true
		s.started = e.Time
		s.info = *e.Run
		s.info.Vars = make(map[string]string, len(e.Run.Vars))
		for k, v := range e.Run.Vars {
			s.info.Vars[k] = v
		}
		return
	case EvVarSet:
		s.info.Vars[e.Var.Name] = e.Var.Value
		return
	case EvHostKeyAccepted:
		s.hostKeys = append(s.hostKeys, *e.HostKey)
		return
	case EvConnection:
		s.conns = append(s.conns, *e.Conn)
		return
	case EvRunFinished:
		s.finished = true
		s.ended = e.Time
		s.finishNote = e.Note
		return
	case EvNote:
		if e.Step == "" {
			s.notes = append(s.notes, Note{Time: e.Time, Text: e.Note})
			return
		}
	}
	r := s.byID[e.Step]
	switch e.Type {
	case EvNote:
		r.notes = append(r.notes, Note{Time: e.Time, Text: e.Note})
	case EvStepStarted:
		if a := r.last(); a != nil && a.N == e.Attempt {
			a.Resumed = append(a.Resumed, e.Time)
			a.Interrupted = false
		} else {
			c, _ := NewChecker(r.ps.Step.Expect) // a bad pattern shows as a failure
			r.attempts = append(r.attempts, newAttempt(e.Attempt, *e.Start, e.Time, c))
			r.signOff = nil
		}
		r.status = StatusRunning
	case EvOutput:
		r.last().add(e.Lines, e.Hash)
	case EvStepLaunched:
		r.last().Launched = e.Time
	case EvStepInterrupted:
		a := r.last()
		a.Interrupted = true
		a.InterruptNote = e.Note
		a.ownTail()
		r.status = StatusInterrupted
	case EvStepExited:
		r.last().exit(*e.Exit, e.Time)
		r.status = StatusAwaiting
		if e.Exit.Unknown {
			r.status = StatusUnknown
		}
	case EvSignedOff:
		so := copySignOff(*e.SignOff)
		r.signOffs = append(r.signOffs, so)
		cur := copySignOff(so)
		r.signOff = &cur
		r.status = StatusSignedOff
	case EvRollbackChosen:
		r.rollback = true
		r.rollbackNote = e.Note
		r.rollbackAt = len(r.attempts)
	}
}
