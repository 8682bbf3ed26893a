package ui

import "golive/runbook"

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
		return statusRunning
	case runbook.StatusAwaiting:
		if last := st.Last(); last != nil && last.Exit != nil && last.Exit.Unknown {
			return statusUnknown
		}
		return statusAwaiting
	case runbook.StatusUnknown:
		return statusUnknown
	case runbook.StatusInterrupted:
		return statusInterrupted
	}
	if blocked {
		return statusBlocked
	}
	return statusPending
}
