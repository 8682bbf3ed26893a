package ui

import (
	"fmt"
	"time"

	"golive/runbook"
)

// How the TUI words the end of an attempt: the status line after a run
// (exitSummary), the attempt line of the step's detail (exitWords), and
// the failures shown under it (failuresBeyondExit). Plain mode uses the
// same words.

// exitSummary says how an attempt ended and what the operator does next.
func exitSummary(step string, st runbook.StepState) string {
	a := st.Last()
	if a == nil || a.Exit == nil {
		return step + ": ended"
	}
	if neverStarted(a) {
		return fmt.Sprintf("%s: attempt %d %s; press enter to run it", step, a.N, neverStartedWords)
	}
	how := exitWords(a.Exit)
	if a.ExpectationsMet {
		return fmt.Sprintf("%s: %s, expectations met: sign off with p (passed)", step, how)
	}
	return fmt.Sprintf("%s: %s, expectations NOT met: f (failed), R (retry), or p with a note", step, how)
}

// stepDuration rounds how long a step ran for display: tenths of a second,
// or milliseconds under a second (a 13 ms check reads "13ms", not "0s").
// The expectation failures round so too ("timed out after 2s").
func stepDuration(d time.Duration) time.Duration { return runbook.RoundDuration(d) }

// failuresBeyondExit returns a's expectation failures but the one the
// attempt line (exitWords) says already, as for an attempt that could not
// run ("could not run: ..."): shown under that line, it would only repeat
// it. runbook.StatedByOutcome decides, as for the Markdown's outcome line.
func failuresBeyondExit(a *runbook.Attempt) []string {
	said := runbook.StatedByOutcome(a.Exit)
	if said == "" {
		return a.Failures
	}
	var out []string
	for _, f := range a.Failures {
		if f != said {
			out = append(out, f)
		}
	}
	return out
}

// exitWords describes an ExitInfo: "exit 0 in 1.2s", "killed by TERM".
func exitWords(x *runbook.ExitInfo) string {
	d := stepDuration(x.Duration)
	switch {
	case x.Unknown && x.Error != "":
		return "exit status unknown: " + attemptError(x.Error) // the error says why
	case x.Unknown:
		// No error: the host had no exit record for a job that ended
		// (sshexec says so in a notice), which a dropped connection
		// never causes: the job died with its wrapper.
		return "exit status unknown (the job ended without recording it: killed on the host?)"
	case x.Canceled:
		return fmt.Sprintf("canceled after %s", d)
	case x.TimedOut:
		return fmt.Sprintf("timed out after %s", d)
	case x.Signal != "":
		return fmt.Sprintf("killed by %s after %s", x.Signal, d)
	case x.Error != "":
		return "could not run: " + attemptError(x.Error)
	}
	return fmt.Sprintf("exit %d in %s", x.Code, d)
}
