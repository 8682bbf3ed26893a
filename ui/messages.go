package ui

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"golive/runbook"
	"golive/sshexec"
)

// Messages. They carry values (events as journaled, errors), never
// pointers into the model; the ones from a running step carry the runID
// of the run that produced them, and Update drops those of an older run
// (STYLE §4).

// recordedMsg: events were journaled (or err says why not); Update applies
// them, then does what next says.
type recordedMsg struct {
	evs  []runbook.Event
	err  error
	next nextAction
}

// nextAction is what Update does once a recordedMsg's events are applied.
type nextAction int

const (
	nextNone     nextAction = iota
	nextStartRun            // the event is a step.started: start its job
	nextAttach              // the event is a step.started that reattaches
	nextReattach            // the event is a step.interrupted: reattach to its job
	nextQuit                // the run was interrupted or finished: quit
	nextExport              // the run is finished: export the transcript
	nextRunStep             // the event is a note on a step: run the step (again)
)

// runEventsMsg carries journaled output and connection events of a run.
type runEventsMsg struct {
	runID int
	evs   []runbook.Event
}

// runDoneMsg ends a run: exit is the journaled step.exited event, or nil
// when the run was detached (golive is quitting) or failed (err).
type runDoneMsg struct {
	runID    int
	exit     *runbook.Event
	detached bool
	err      error
}

// cancelDoneMsg reports a cancel request's outcome.
type cancelDoneMsg struct {
	runID int
	err   error
}

// tickMsg refreshes the elapsed time in the header.
type tickMsg time.Time

// signPassphraseMsg asks for the passphrase of the key that signs an
// export; the answer (nil: none) goes to reply. msgs is the export's
// channel, read on after the question.
type signPassphraseMsg struct {
	prompt string
	reply  chan<- []byte
	msgs   <-chan tea.Msg
}

// signCheckedMsg is Options.SignCheck's answer: why no key can sign an
// export now (nil: one can), for the question's opening seq.
type signCheckedMsg struct {
	seq int
	err error
}

// exportedMsg reports an export: the files written, or why not.
type exportedMsg struct {
	files   []string
	signErr error // why the files are not signed (nil: they are)
	err     error
}

// releaseReadyMsg hands the model a release whose run has begun.
type releaseReadyMsg struct {
	rel *Release
	err error
	// profileErr says why the profile was not saved: the release goes
	// on, and the operator is told.
	profileErr error
}

// connectMsg is what a connect attempt reports: a question for the
// operator, the executor, or an error. Exactly one of the fields is set.
type connectMsg struct {
	attemptID  int
	hostKey    *hostKeyAsk
	passphrase *passphraseAsk
	exec       sshexec.Executor
	err        error
}

// hostKeyAsk is an unknown host key waiting for the operator's yes or no.
type hostKeyAsk struct {
	q     HostKeyQuestion
	reply chan<- bool
}

// passphraseAsk is an encrypted key waiting for its passphrase.
type passphraseAsk struct {
	q     PassphraseQuestion
	reply chan<- []byte
}

// paneRefreshMsg refreshes the output pane with what arrived since the
// last refresh: at most every frameEvery, however fast output comes.
type paneRefreshMsg struct{}
