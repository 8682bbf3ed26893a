package ui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"golive/runbook"
	"golive/sshexec"
)

// The tea.Cmd side of a Release: thin wrappers that do the blocking part
// (journal, SSH) off the Update goroutine and report back with a message.

// record journals evs and reports them in a recordedMsg for Update to
// apply; next says what to do after.
func record(rel *Release, next nextAction, evs ...runbook.Event) tea.Cmd {
	return func() tea.Msg {
		stored, err := rel.Record(evs...)
		return recordedMsg{evs: stored, err: err, next: next}
	}
}

// record journals evs like record, and counts them in m.recording
// until their recordedMsg comes back. Call it as cmd := m.record(…);
// return m, cmd: in "return m, m.record(…)" Go may copy m before the
// count changes.
func (m *Model) record(next nextAction, evs ...runbook.Event) tea.Cmd {
	m.recording++
	return record(m.rel, next, evs...)
}

// busy reports whether events are on their way to the journal, and then
// tells the operator to try again: the key would build its event from a
// Session that does not have them yet.
func (m *Model) busy() bool {
	if m.recording == 0 {
		return false
	}
	m.status, m.statusOK = "saving to the journal: try again in a moment", false
	return true
}

// startRun runs j in the background. Its journaled output events, then
// exactly one runDoneMsg, arrive on the returned channel; read it with
// waitForRun (STYLE §5). Output is paced (coalesce.go): batches that pile
// up while the UI renders arrive as one message. When ctx ends the run
// detaches: the job keeps running on the host, and the runDoneMsg still
// comes.
func startRun(ctx context.Context, rel *Release, runID int, j Job) <-chan tea.Msg {
	msgs := make(chan tea.Msg, 1)
	c := newCoalescer(ctx)
	go func() {
		exit, detached, err := rel.RunJob(ctx, j, c.put)
		c.finish(runDoneMsg{runID: runID, exit: exit, detached: detached, err: err})
	}()
	go c.feed(runID, msgs)
	return msgs
}

// waitForRun delivers the next message of a run; nil once it is over.
func waitForRun(msgs <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		m, ok := <-msgs
		if !ok {
			return nil
		}
		return m
	}
}

// cancelTimeout bounds a cancel request: sshexec sends TERM, waits its
// grace period, then KILL, and confirms.
const cancelTimeout = 30 * time.Second

// cancelJob asks the host to stop a job's process group.
func cancelJob(ex sshexec.Executor, jobID string, runID int) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), cancelTimeout)
		defer cancel()
		return cancelDoneMsg{runID: runID, err: ex.Cancel(ctx, jobID)}
	}
}

// tick refreshes the header's elapsed time once a second.
func (m Model) tick() tea.Cmd {
	if m.opts.noTick {
		return nil
	}
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}
