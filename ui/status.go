package ui

import "golive/runbook"

// stepStatus is how the UI labels a step: the Session's status and verdict
// folded into one value with a glyph and a word, so that no status is
// shown by colour alone.
type stepStatus int

const (
	statusPending stepStatus = iota
	statusRunning
	statusAwaiting
	statusPassed
	statusFailed
	statusSkipped
	statusNA
	statusUnknown
	statusInterrupted
	statusBlocked
	// statusNotRun: the last attempt's job never reached the host (golive
	// stopped before launching it); the step can be run again.
	statusNotRun
	// statusStarting: the step runs, but the host has not confirmed yet
	// that its job started (launch.go).
	statusStarting
)

var statusLabels = map[stepStatus]struct{ glyph, word string }{
	statusPending:     {"○", "pending"},
	statusRunning:     {"●", "running"},
	statusAwaiting:    {"…", "awaiting sign-off"},
	statusPassed:      {"✓", "passed"},
	statusFailed:      {"✗", "failed"},
	statusSkipped:     {"-", "skipped"},
	statusNA:          {"–", "n/a"},
	statusUnknown:     {"?", "unknown"},
	statusInterrupted: {"⏸", "interrupted"},
	statusBlocked:     {"⊘", "blocked"},
	statusNotRun:      {"○", "not run"},
	statusStarting:    {"◌", "starting"},
}

// Glyph is the status's one-character symbol.
func (s stepStatus) Glyph() string { return statusLabels[s].glyph }

// String is the status's word.
func (s stepStatus) String() string { return statusLabels[s].word }

// Label is glyph and word together: "✓ passed".
func (s stepStatus) Label() string { return s.Glyph() + " " + s.String() }

// statusOf folds a step's state into a stepStatus; blocked says whether an
// earlier failed high-risk step blocks it.
func statusOf(st runbook.StepState, blocked bool) stepStatus {
	switch st.Verdict {
	case runbook.VerdictPassed:
		return statusPassed
	case runbook.VerdictFailed:
		return statusFailed
	case runbook.VerdictSkipped:
		return statusSkipped
	case runbook.VerdictNotApplicable:
		return statusNA
	}
	if !st.Applicable {
		return statusNA
	}
	switch st.Status {
	case runbook.StatusRunning:
		if a := st.Last(); a != nil && !launched(a) {
			return statusStarting
		}
		return statusRunning
	case runbook.StatusAwaiting:
		if neverStarted(st.Last()) {
			return statusNotRun
		}
		if last := st.Last(); last != nil && last.Exit != nil && last.Exit.Unknown {
			return statusUnknown
		}
		return statusAwaiting
	case runbook.StatusUnknown:
		if neverStarted(st.Last()) {
			return statusNotRun
		}
		return statusUnknown
	case runbook.StatusInterrupted:
		return statusInterrupted
	}
	if blocked {
		return statusBlocked
	}
	return statusPending
}
