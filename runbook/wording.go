package runbook

import (
	"fmt"
	"time"
)

// This file words how an attempt ended as an expectation failure, and
// keeps the older wording of two of those texts readable.
//
// Failure texts are part of a sign-off's evidence (Evidence.Failures), and
// a journal replay (resume, export, verify) recomputes them and compares
// them with what each sign-off recorded (sameEvidence). Two texts were
// reworded:
//
//   - an attempt golive could not run at all (ExitInfo.Error set, status
//     not unknown, no accepted exit code) said "exit code -1, expected 0";
//     it now says why it could not run: "could not run: <error>", as the
//     UI words it;
//   - a timed-out attempt said "timed out after 2.009597595s, expected
//     exit 0"; it now rounds the duration as the UI does (RoundDuration):
//     "timed out after 2s, expected exit 0".
//
// A sign-off recorded before the change carries the old text. Its
// evidence still matches when its text is exactly what the old wording
// gives for this very exit (legacyExitFailure): the same exit code, or the
// same unrounded duration, and the same expected codes. Any other
// difference, in these texts or any other, is still a mismatch.

// RoundDuration rounds how long an attempt ran for display: to tenths of
// a second, or to milliseconds under a second (a 13 ms check reads "13ms",
// not "0s"). The UI and the Markdown transcript show durations this way,
// and expectation failures word them so.
func RoundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

// exitFailure words why exit did not meet the accepted exit codes, or ""
// when it did. An unknown exit status never meets them; an attempt golive
// could not run (Error set) that has no accepted code says why it could
// not run instead of its placeholder code.
func (c *Checker) exitFailure(exit ExitInfo) string {
	switch {
	case exit.Unknown:
		f := "exit status unknown"
		if exit.Error != "" {
			f += ": " + exit.Error
		}
		return f
	case exit.TimedOut:
		return fmt.Sprintf("timed out after %s, expected exit %s", RoundDuration(exit.Duration), c.expected())
	case exit.Canceled:
		return fmt.Sprintf("canceled, expected exit %s", c.expected())
	case exit.Signal != "":
		return fmt.Sprintf("killed by signal %s, expected exit %s", exit.Signal, c.expected())
	case c.exitOK(exit.Code):
		return ""
	case exit.Error != "":
		return "could not run: " + exit.Error
	}
	return fmt.Sprintf("exit code %d, expected %s", exit.Code, c.expected())
}

// StatedByOutcome is the exit failure (exitFailure's text) that a line
// saying how the attempt ended already says in full, or "" (the
// Markdown's outcome line, the UIs' attempt line): the error of an
// attempt golive could not run ("could not run after 54ms (ERROR);
// expectations NOT met" says all of "could not run: ERROR") or whose exit
// status is unknown. Listed again as an expectation not met, the error
// would read twice. Every other failure says something the outcome does
// not (the codes expected, a rounded timeout, an output line, an older
// golive's text for the same exit), so it stays.
func StatedByOutcome(x *ExitInfo) string {
	switch {
	case x == nil || x.Error == "":
		return ""
	case x.Unknown:
		return "exit status unknown: " + x.Error
	case x.Signal == "" && x.Code < 0:
		return "could not run: " + x.Error
	}
	return ""
}

// legacyExitFailure is the text golive gave before the rewording for the
// exit failure of exit, when exitFailure now words it differently, or ""
// when the wording did not change (the exit met the codes, or ended in a
// way whose text is the same). expect lists the accepted exit codes (none
// means 0).
func legacyExitFailure(exit ExitInfo, expect []int) string {
	c := exitChecker(expect)
	var old string
	switch { // in exitFailure's order
	case exit.Unknown:
		return ""
	case exit.TimedOut:
		old = fmt.Sprintf("timed out after %s, expected exit %s", exit.Duration, c.expected())
	case exit.Canceled, exit.Signal != "":
		return ""
	case exit.Error != "" && !c.exitOK(exit.Code):
		old = fmt.Sprintf("exit code %d, expected %s", exit.Code, c.expected())
	default:
		return ""
	}
	if old == c.exitFailure(exit) {
		return ""
	}
	return old
}

// sameFailures reports whether the failures a sign-off recorded are the
// ones recomputed now. The exit failure, always first when there is one,
// may also read legacy, its wording by an older golive (legacyExitFailure;
// "" when there is none): only when the recomputed text is its new
// wording, so that the old text of a different exit still differs.
func sameFailures(recorded, now []string, legacy string) bool {
	if len(recorded) != len(now) {
		return false
	}
	for i := range recorded {
		if recorded[i] == now[i] {
			continue
		}
		if i != 0 || legacy == "" || recorded[i] != legacy {
			return false
		}
	}
	return true
}

// withLegacyFailures returns stated, a step as a transcript states it, with
// each attempt's exit failure in the older wording (legacyExitFailure)
// replaced by its wording now, taken from replayed, the step as its events
// replay: a transcript exported by an older golive states the old texts.
// Only an exact old text of the same exit is replaced; stated's own
// slices are left as they are.
func withLegacyFailures(stated, replayed TranscriptStep) TranscriptStep {
	if len(stated.Attempts) != len(replayed.Attempts) {
		return stated
	}
	var attempts []TranscriptAttempt
	for i, ra := range replayed.Attempts {
		sa := stated.Attempts[i]
		if ra.Exit == nil || len(sa.Failures) == 0 || len(ra.Failures) == 0 || sa.Failures[0] == ra.Failures[0] {
			continue
		}
		if legacy := legacyExitFailure(*ra.Exit, replayed.Expect.Exit); legacy == "" || sa.Failures[0] != legacy {
			continue
		}
		if attempts == nil {
			attempts = append([]TranscriptAttempt(nil), stated.Attempts...)
		}
		f := append([]string(nil), sa.Failures...)
		f[0] = ra.Failures[0]
		attempts[i].Failures = f
	}
	if attempts != nil {
		stated.Attempts = attempts
	}
	return stated
}
