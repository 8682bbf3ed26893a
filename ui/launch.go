package ui

import (
	"time"

	"golive/runbook"
)

// Between a step's start and the host's word that its job started
// (sshexec's NoticeLaunched, journaled as step.launched) nothing runs on
// the host yet: golive waits for an SSH session there, and every session
// runs the login shell's startup files first. On most hosts that takes a
// blink; a ~/.bashrc that waits (pyenv rehash on a stale lock, a slow
// conda or nvm init) makes it seconds, and a step shown as running then
// would have the operator believe the migration runs. So the attempt
// says it is starting until the host confirmed, and past slowStart why
// that can take long.

// slowStart is how long a start may take before golive says why it can.
const slowStart = 3 * time.Second

// launched reports whether the host confirmed that the attempt's job
// started: its step.launched, or output (a journal older than
// step.launched, reattached: only a job that ran prints).
func launched(a *runbook.Attempt) bool {
	return !a.Launched.IsZero() || a.OutputLines > 0
}

// startsLocally reports whether the attempt's job starts on this machine.
func startsLocally(a *runbook.Attempt) bool {
	return a.Start.Where == string(runbook.KindLocal) || a.Start.Host == ""
}

// startingOn names where the attempt's job is being started.
func startingOn(a *runbook.Attempt) string {
	if startsLocally(a) {
		return "this machine"
	}
	return a.Start.Host
}

// slowStartWhy says why a start takes long and what to check.
func slowStartWhy(a *runbook.Attempt) string {
	if startsLocally(a) {
		return "this machine is slow to start it."
	}
	return "the login shell there is slow to start. Its startup files " +
		"(~/.bashrc, ~/.profile) run for every SSH session golive opens: check them."
}
