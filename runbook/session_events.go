package runbook

// Event constructors. Each checks that the event is legal now and returns
// it, stamped with the session's clock, WITHOUT applying it: the caller
// journals it first, then calls Apply, so that nothing the screen shows is
// missing from the journal. On a refusal they return the zero Event and an
// error wrapping one of the package's sentinels (ErrNotBegun, ErrFinished,
// ErrUnknownStep, ErrStepNotRunnable, ErrBlocked, ErrWrongState,
// ErrNoteRequired, ErrBadVerdict, ErrUnknownVariable, ErrRunbookChanged).
//
// Every text an event carries (commands, output lines, notes, errors) is
// passed through a Redactor that knows the plan's secret values, as a last
// safety net: callers redact output with their own stream redactor first
// (it also masks private key blocks across lines), and a secret must never
// reach the journal even when they forget.

// event stamps a new event and checks it.
func (s *Session) event(e Event) (Event, error) {
	e.Time = s.now().UTC()
	if err := s.check(&e); err != nil {
		return Event{}, err
	}
	return e, nil
}

// Begin returns the run.started event. Fields of info left empty are
// filled from the plan (runbook id, file, hash, title, variables); the
// values of secret variables are masked whatever info says.
func (s *Session) Begin(info RunInfo) (Event, error) {
	rb := s.plan.Runbook
	if info.RunbookID == "" {
		info.RunbookID = rb.ID
	}
	if info.RunbookFile == "" {
		info.RunbookFile = rb.File
	}
	if info.RunbookHash == "" {
		info.RunbookHash = rb.Hash
	}
	if info.Title == "" {
		info.Title = rb.Title
	}
	// Secret values are masked whatever info says, so a secret can never
	// reach the journal or the transcript through RunInfo.Vars.
	src := info.Vars
	if src == nil {
		src = s.plan.MaskedVars()
	}
	info.Vars = make(map[string]string, len(src))
	for k, v := range src {
		if vr := rb.Variable(k); vr != nil && vr.Secret && v != "" {
			v = Mask
		}
		info.Vars[k] = s.red.Line(v) // a secret inside another value
	}
	return s.event(Event{Type: EvRunStarted, Run: &info})
}

// StartStep returns the step.started event for a new attempt of the step,
// numbered after the last one, or for the interrupted attempt when start
// names the same JobID (reattaching). It refuses manual and not-applicable
// steps, running or signed-off ones (ErrStepNotRunnable) and blocked ones
// (ErrBlocked). It sets start.OutputDigest: DigestRecords for a new
// attempt, the attempt's own rule for a reattach; so a new attempt's
// output events must be journaled before they are applied. It sets
// start.RunAs from the step's sudo.
func (s *Session) StartStep(step string, start StartInfo) (Event, error) {
	r, err := s.runningStep(step)
	if err != nil {
		return Event{}, err
	}
	start.Command = s.red.Line(start.Command)
	n, err := s.canStart(r, &start)
	if err != nil {
		return Event{}, err
	}
	// A new attempt digests its output by DigestRecords; a reattach keeps
	// the rule its attempt started with (an older golive's: none).
	start.OutputDigest = DigestRecords
	if a := r.last(); a != nil && a.N == n {
		start.OutputDigest = a.Start.OutputDigest
	}
	start.RunAs = runAs(r.ps.Step)
	return s.event(Event{Type: EvStepStarted, Step: step, Attempt: n, Start: &start})
}

// Output returns a step.output event carrying lines (already redacted) of
// the running attempt. It refuses a step that is not running or
// interrupted (ErrWrongState) and an empty batch. The lines come back as
// the journal stores them: each run of one stream with its first line's
// time, the run's largest offset on its last line.
func (s *Session) Output(step string, lines []OutputLine) (Event, error) {
	r, err := s.runningStep(step)
	if err != nil {
		return Event{}, err
	}
	e := Event{Type: EvOutput, Step: step, Lines: make([]OutputLine, len(lines))}
	for i, l := range lines {
		l.Text = s.red.Line(l.Text)
		e.Lines[i] = l
	}
	e.Lines = storedLines(e.Lines) // as the journal stores them: times and offsets per run
	if a := r.last(); a != nil {
		e.Attempt = a.N
	}
	return s.event(e)
}

// Launched returns the step.launched event of the running (or
// interrupted) attempt: its host confirmed that the attempt's job started.
// An attempt is confirmed once: a second is refused.
func (s *Session) Launched(step string) (Event, error) {
	r, err := s.runningStep(step)
	if err != nil {
		return Event{}, err
	}
	e := Event{Type: EvStepLaunched, Step: step}
	if a := r.last(); a != nil {
		e.Attempt = a.N
	}
	return s.event(e)
}

// Exit returns the step.exited event of the running (or interrupted)
// attempt. An exit with Unknown set leaves the step in StatusUnknown.
func (s *Session) Exit(step string, exit ExitInfo) (Event, error) {
	r, err := s.runningStep(step)
	if err != nil {
		return Event{}, err
	}
	exit.Error = s.red.Line(exit.Error)
	e := Event{Type: EvStepExited, Step: step, Exit: &exit}
	if a := r.last(); a != nil {
		e.Attempt = a.N
	}
	return s.event(e)
}

// Interrupt returns the step.interrupted event: golive stops watching the
// running attempt (quit, crash recovery, lost connection) while its job
// may still run; why says so.
func (s *Session) Interrupt(step, why string) (Event, error) {
	r, err := s.runningStep(step)
	if err != nil {
		return Event{}, err
	}
	e := Event{Type: EvStepInterrupted, Step: step, Note: s.red.Line(why)}
	if a := r.last(); a != nil {
		e.Attempt = a.N
	}
	return s.event(e)
}

// SignOff returns the step.signed_off event, with the time and the
// evidence of the step's last attempt. Refusals: a running or already
// signed-off step (ErrWrongState), a blocked one (ErrBlocked), a verdict
// the step does not allow (ErrBadVerdict), a skip or not_applicable without
// a note, or a pass of a run that failed its expectations, exited unknown
// or was interrupted, without a note (ErrNoteRequired), and a pass of a
// command step that never ran (ErrWrongState).
func (s *Session) SignOff(step string, v Verdict, note, operator string, auto bool) (Event, error) {
	r, err := s.runningStep(step)
	if err != nil {
		return Event{}, err
	}
	if operator == "" {
		operator = s.info.Operator
	}
	so := &SignOff{Operator: operator, Verdict: v, Note: s.red.Line(note), Auto: auto}
	e := Event{Type: EvSignedOff, Step: step, SignOff: so}
	if a := r.last(); a != nil {
		e.Attempt = a.N
		so.Evidence = a.evidence()
	}
	e, err = s.event(e)
	if err == nil {
		e.SignOff.Time = e.Time
	}
	return e, err
}

// ChooseRollback returns the step.rollback event: the operator decided to
// follow the step's rollback advice. It releases the block a failed
// high-risk step puts on the steps after it, until the step is retried.
// The step must have run or been signed off (ErrWrongState).
func (s *Session) ChooseRollback(step, note string) (Event, error) {
	if _, err := s.runningStep(step); err != nil {
		return Event{}, err
	}
	return s.event(Event{Type: EvRollbackChosen, Step: step, Note: s.red.Line(note)})
}

// AddNote returns a note event, about the step or, when step is "", about
// the run. An empty note is refused (ErrNoteRequired).
func (s *Session) AddNote(step, note string) (Event, error) {
	return s.event(Event{Type: EvNote, Step: step, Note: s.red.Line(note)})
}

// HostKeyAccepted returns the hostkey.accepted event for a key the operator
// accepted.
func (s *Session) HostKeyAccepted(h HostKeyInfo) (Event, error) {
	return s.event(Event{Type: EvHostKeyAccepted, HostKey: &h})
}

// Connection returns a connection event (State lost, reconnecting or
// restored).
func (s *Session) Connection(c ConnInfo) (Event, error) {
	c.Detail = s.red.Line(c.Detail)
	return s.event(Event{Type: EvConnection, Conn: &c})
}

// SetVar returns the var.set event for a variable the runbook declares
// (ErrUnknownVariable otherwise). A secret variable's value is masked in
// the event, and masked from then on in every text the session records.
func (s *Session) SetVar(v VarValue) (Event, error) {
	if vr := s.plan.Runbook.Variable(v.Name); vr != nil && vr.Secret {
		v.Secret = true
	}
	if v.Secret {
		s.red.AddSecret(v.Value)
	}
	if v.Secret && v.Value != "" {
		v.Value = Mask
	}
	return s.event(Event{Type: EvVarSet, Var: &v})
}

// AddSecret masks v, from now on, in every text the session records
// (notes, sign-off and rollback notes, commands, errors): a secret golive
// learns that no variable holds, such as the sudo password.
func (s *Session) AddSecret(v string) { s.red.AddSecret(v) }

// Finish returns the run.finished event. It refuses while a step is
// running (interrupt it first): the record must say how each step ended.
func (s *Session) Finish(note string) (Event, error) {
	return s.event(Event{Type: EvRunFinished, Note: s.red.Line(note)})
}

// Do builds an event with one of the constructors and applies it: for
// callers without a journal (tests, dry runs). The journal's callers use
// the constructors and Apply. An output event of an attempt started by
// StartStep (DigestRecords) has no journal hash here, so Apply refuses it:
// output needs the journal.
func (s *Session) Do(e Event, err error) (Event, error) {
	if err != nil {
		return Event{}, err
	}
	if err := s.Apply(e); err != nil {
		return Event{}, err
	}
	return e, nil
}
