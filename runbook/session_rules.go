package runbook

import (
	"fmt"
)

// This file holds the rules: which event may happen now. Constructors and
// Apply both ask check, so a live run and a replayed journal obey the same
// rules.

// runningStep finds the step for an event of a run in progress.
func (s *Session) runningStep(id string) (*stepRec, error) {
	if !s.begun {
		return nil, ErrNotBegun
	}
	if s.finished {
		return nil, ErrFinished
	}
	r := s.byID[id]
	if r == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownStep, id)
	}
	return r, nil
}

// canStart returns the attempt number a StartStep for r gets now: the
// interrupted attempt's own number when start reattaches to its job, the
// next one otherwise.
func (s *Session) canStart(r *stepRec, start *StartInfo) (int, error) {
	st := r.ps.Step
	if a := r.last(); r.status == StatusInterrupted && start != nil && start.JobID != "" && start.JobID == a.Start.JobID {
		// Reattaching to a job that ran on while golive was away is always
		// allowed: the job runs whatever we decide.
		return a.N, nil
	}
	switch {
	case st.Kind == KindManual:
		return 0, fmt.Errorf("%w: step %q is manual; sign it off instead", ErrStepNotRunnable, st.ID)
	case !r.ps.Applicable:
		return 0, fmt.Errorf("%w: step %q is not applicable (its condition is false); sign it off not_applicable", ErrStepNotRunnable, st.ID)
	case r.status == StatusRunning:
		return 0, fmt.Errorf("%w: step %q is already running", ErrStepNotRunnable, st.ID)
	case r.signOff != nil && r.signOff.Verdict != VerdictFailed:
		return 0, fmt.Errorf("%w: step %q is already signed off %s", ErrStepNotRunnable, st.ID, r.signOff.Verdict)
	}
	if b, why := s.blocker(r); b != nil {
		return 0, fmt.Errorf("%w: step %q %s", ErrBlocked, b.ps.Step.ID, why)
	}
	return len(r.attempts) + 1, nil
}

// blocker returns the first step before r that blocks it, and why.
func (s *Session) blocker(r *stepRec) (*stepRec, string) {
	for _, e := range s.steps[:r.index] {
		if why := blocks(e); why != "" {
			return e, why
		}
	}
	return nil, ""
}

// blocks says why a high-risk step holds back the steps after it, or "".
// It does while it has failed (signed off failed without a reason, or
// exited without meeting its expectations, unknown exits included) and
// while it runs or is interrupted: a restart must not overtake a migration.
// Choosing its rollback releases it until it is retried.
func blocks(r *stepRec) string {
	if r.ps.Step.Risk != RiskHigh || !r.ps.Applicable {
		return ""
	}
	if r.rollback && r.rollbackAt == len(r.attempts) {
		return ""
	}
	const failed = "failed; sign it off with a reason or choose its rollback"
	if r.signOff != nil {
		if r.signOff.Verdict == VerdictFailed && blank(r.signOff.Note) {
			return failed
		}
		return ""
	}
	a := r.last()
	switch {
	case a == nil:
		return ""
	case r.status == StatusRunning || r.status == StatusInterrupted:
		return "has not finished"
	case !a.ExpectationsMet:
		return failed
	}
	return ""
}

// checkSignOff applies the sign-off rules to a proposed sign-off of r.
func (s *Session) checkSignOff(r *stepRec, so *SignOff, attemptN int) error {
	id := r.ps.Step.ID
	switch so.Verdict {
	case VerdictPassed, VerdictFailed, VerdictSkipped, VerdictNotApplicable:
	default:
		return fmt.Errorf("%w: %q for step %q; use passed, failed, skipped or not_applicable", ErrBadVerdict, so.Verdict, id)
	}
	switch r.status {
	case StatusRunning:
		return fmt.Errorf("%w: step %q is still running; wait for it to exit or interrupt it", ErrWrongState, id)
	case StatusSignedOff:
		return fmt.Errorf("%w: step %q is already signed off %s; start it again to retry", ErrWrongState, id, r.signOff.Verdict)
	}
	if b, why := s.blocker(r); b != nil {
		return fmt.Errorf("%w: step %q %s", ErrBlocked, b.ps.Step.ID, why)
	}
	if !r.ps.Applicable {
		if so.Verdict != VerdictNotApplicable {
			return fmt.Errorf("%w: step %q is not applicable (its condition is false); it can only be signed off not_applicable", ErrBadVerdict, id)
		}
	} else {
		switch so.Verdict {
		case VerdictSkipped, VerdictNotApplicable:
			if blank(so.Note) {
				return fmt.Errorf("%w: say why step %q is %s", ErrNoteRequired, id, so.Verdict)
			}
		case VerdictPassed:
			if err := checkPass(r, so.Note); err != nil {
				return err
			}
		}
	}
	a := r.last()
	if attemptN != len(r.attempts) {
		return fmt.Errorf("sign-off of step %q names attempt %d, the step has %d", id, attemptN, len(r.attempts))
	}
	if a == nil {
		if so.Evidence != nil {
			return fmt.Errorf("sign-off of step %q carries evidence, but the step never ran", id)
		}
		return nil
	}
	legacy := "" // the exit failure as an older golive worded it (wording.go)
	if a.Exit != nil {
		legacy = legacyExitFailure(*a.Exit, r.ps.Step.Expect.Exit)
	}
	if !sameEvidence(so.Evidence, a.evidence(), legacy) {
		return fmt.Errorf("sign-off of step %q: its evidence does not match attempt %d as recorded", id, a.N)
	}
	return nil
}

// checkPass: passing needs a run that met its expectations, or a note.
func checkPass(r *stepRec, note string) error {
	id := r.ps.Step.ID
	if r.ps.Step.Kind == KindManual {
		return nil
	}
	a := r.last()
	switch {
	case a == nil:
		return fmt.Errorf("%w: step %q has not run; run it, or skip it with a note", ErrWrongState, id)
	case !blank(note):
		return nil
	case a.Exit == nil:
		return fmt.Errorf("%w: step %q was interrupted and has no exit status; say why it passes", ErrNoteRequired, id)
	case a.Exit.Unknown:
		return fmt.Errorf("%w: the exit status of step %q is unknown; say why it passes", ErrNoteRequired, id)
	case !a.ExpectationsMet:
		return fmt.Errorf("%w: step %q did not meet its expectations; say why it passes", ErrNoteRequired, id)
	}
	return nil
}

// sameEvidence reports whether a sign-off's evidence a is b, the
// evidence recomputed from the attempt. legacy is the older wording of
// b's exit failure, which a may carry instead (sameFailures); nothing
// else may differ.
func sameEvidence(a, b *Evidence, legacy string) bool {
	if a == nil || b == nil {
		return a == b
	}
	if !sameFailures(a.Failures, b.Failures, legacy) {
		return false
	}
	return a.Attempt == b.Attempt && a.Command == b.Command && a.ExitCode == b.ExitCode &&
		a.Signal == b.Signal && a.Unknown == b.Unknown && a.Duration == b.Duration &&
		a.OutputSHA256 == b.OutputSHA256 && a.OutputLines == b.OutputLines &&
		a.ExpectationsMet == b.ExpectationsMet
}

// runAs is StartInfo.RunAs for an attempt of step: through sudo when the
// runbook says sudo: true.
func runAs(step *Step) string {
	if step.Sudo {
		return RunAsSudo
	}
	return RunAsUser
}

// checkRunAs refuses a start whose RunAs disagrees with the step's sudo,
// so that a journal or a transcript cannot state a step ran through sudo
// (or not) when its start says otherwise. A start without RunAs (an
// older golive's) says nothing, and is accepted.
func checkRunAs(step *Step, as string) error {
	switch {
	case as == "":
		return nil
	case as != RunAsSudo && as != RunAsUser:
		return fmt.Errorf("step %q: run_as %q is unknown to this golive (it knows %q and %q); a newer golive recorded the run: use it", step.ID, as, RunAsSudo, RunAsUser)
	case as != runAs(step) && step.Sudo:
		return fmt.Errorf("step %q: its start says it ran as the login user, but the step runs through sudo (sudo: true)", step.ID)
	case as != runAs(step):
		return fmt.Errorf("step %q: its start says it ran through sudo, but the step does not use sudo", step.ID)
	}
	return nil
}
