package runbook

import (
	"errors"
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
)
