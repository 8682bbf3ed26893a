package runbook

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// The consistency check's words for an event that does not replay. A
// Session refuses an event that does not fit where the run stands (an
// exit of a step that never started, a second sign-off) with an
// *EventError; to the reviewer who runs golive verify, "event does not
// fit the session" says nothing. What they need: which event (its seq and
// where it is in the file they hold), where its step stood, that golive
// never writes such a transcript (someone edited the events and computed
// the hashes again, or a broken golive wrote it), and what to ask for
// instead.

// MisfitError is the consistency check's error for a transcript whose
// events do not replay: the event that did not fit (Event, as the Session
// refused it) and the line of the transcript file it begins on (Line; 0
// when it could not be found).
type MisfitError struct {
	Event *EventError
	Line  int
	// RunID is the transcript's run, for the export command to ask for.
	RunID string
}

// Error says which event, where its step stood, why it cannot be, and
// what to do.
func (e *MisfitError) Error() string {
	ev := e.Event
	var b strings.Builder
	fmt.Fprintf(&b, "event seq %d", ev.Seq)
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", e.Line)
	}
	fmt.Fprintf(&b, ", %s, does not fit the run: %s. golive never writes such a transcript: it was edited after golive "+
		"wrote it (the hashes computed again), or a broken build of golive wrote it; ask the operator for the run's "+
		"journal, or for the transcript written again from it with 'golive export %s'", ev.Where(), ErrorText(ev.Err), e.exportID())
	return b.String()
}

// Unwrap returns the Session's error.
func (e *MisfitError) Unwrap() error { return e.Event }

func (e *MisfitError) exportID() string {
	if e.RunID == "" {
		return "RUNID"
	}
	return e.RunID
}

// misfit turns a replay error of the transcript in data into a
// *MisfitError when the Session refused one of its events; any other
// error is returned as it is.
func misfit(data []byte, t *Transcript, err error) error {
	var ee *EventError
	if !errors.As(err, &ee) {
		return err
	}
	return &MisfitError{Event: ee, Line: eventLine(data, ee.Seq), RunID: t.Run.ID}
}

// eventLine returns the line of data on which the event with the given
// seq begins: the line of its "seq" key, which only events have, so the
// first such key with that value is the event's (a transcript with two
// events of one seq fails the hash chain check as well). 0 when none is
// found.
func eventLine(data []byte, seq int64) int {
	re := regexp.MustCompile(fmt.Sprintf(`"seq"\s*:\s*%d\b`, seq))
	loc := re.FindIndex(data)
	if loc == nil {
		return 0
	}
	return 1 + strings.Count(string(data[:loc[0]]), "\n")
}

// Where says which event did not fit and where its step stood, for a
// sentence: `step.exited of step "bye", which was pending (it had not
// run)`; the type alone for a run-level event. golive verify and a
// journal that does not replay (resume, export) say it alike.
func (e *EventError) Where() string {
	w := string(e.Type)
	if e.Step != "" {
		w += fmt.Sprintf(" of step %q", e.Step)
		if s := statusWords(e.Status); s != "" {
			w += ", which was " + s
		}
	}
	return w
}

// statusWords says where a step stood, for a sentence ("which was ...").
func statusWords(s Status) string {
	switch s {
	case StatusPending:
		return "pending (it had not run)"
	case StatusRunning:
		return "running"
	case StatusAwaiting:
		return "awaiting its sign-off"
	case StatusSignedOff:
		return "signed off already"
	case StatusInterrupted:
		return "interrupted (golive had stopped following it)"
	case StatusUnknown:
		return "of unknown outcome (its exit status was lost)"
	}
	return ""
}
