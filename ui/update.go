package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"golive/runbook"
	"golive/sshexec"
)

// updateRelease handles the main and summary screens: the release's
// messages and the operator's keys.
func (m Model) updateRelease(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case recordedMsg:
		return m.onRecorded(msg)
	case runEventsMsg:
		if m.run == nil || msg.runID != m.run.id {
			return m, nil // from an older run: drop it
		}
		refresh, err := m.applyRunEvents(msg.evs)
		if err != nil {
			return m.fail(err), nil
		}
		recycleOutput(msg.evs) // applied: RunJob may refill their lines
		return m, tea.Batch(refresh, waitForRun(m.run.msgs))
	case paneRefreshMsg:
		m.showOutput()
		return m, nil
	case runDoneMsg:
		if m.run == nil || msg.runID != m.run.id {
			return m, nil
		}
		return m.onRunDone(msg)
	case cancelDoneMsg:
		return m.onCancelDone(msg)
	case tickMsg:
		return m, m.tick()
	case exportedMsg:
		return m.onExported(msg)
	case signCheckedMsg:
		if msg.seq == m.signCheck.seq { // else an earlier question's
			m.signCheck = signCheck{seq: msg.seq, done: true, err: msg.err}
		}
		return m, nil
	case signPassphraseMsg:
		return m.onSignPassphrase(msg)
	case tea.PasteMsg:
		return m.paste(msg)
	case tea.KeyPressMsg:
		switch {
		case m.dlg.kind != dlgNone:
			return m.updateDialog(msg)
		case m.pane.typing:
			var cmd tea.Cmd
			m.pane, cmd = m.pane.updateInput(msg, m.keys)
			m.syncKeys()
			return m, cmd
		case m.state == stateSummary:
			return m.summaryKey(msg)
		}
		return m.mainKey(msg)
	}
	return m, nil
}

// begin shows the main screen of a release that has begun.
func (m Model) begin(rel *Release) Model {
	m.rel = rel
	m.state = stateMain
	m.steps = rel.Session.StepIDs()
	m.listWant = listWant(rel.Plan)
	m.selected = 0
	if next := rel.Session.Next(); next != "" {
		m.selectStep(next)
	}
	m.showSelected()
	m.layout()
	m.syncKeys()
	return m
}

// onRecorded applies journaled events and does what comes next.
func (m Model) onRecorded(msg recordedMsg) (tea.Model, tea.Cmd) {
	m.recording = max(0, m.recording-1)
	if msg.err != nil {
		return m.fail(msg.err), nil
	}
	if err := m.rel.Apply(msg.evs...); err != nil {
		return m.fail(err), nil
	}
	var cmd tea.Cmd
	switch msg.next {
	case nextStartRun, nextAttach:
		cmd = m.startJob(msg.evs[0], msg.next == nextAttach)
	case nextReattach:
		ev := msg.evs[0]
		last := m.rel.Session.Step(ev.Step).Last()
		if last == nil {
			return m.fail(fmt.Errorf("reattach %s: no attempt to follow", ev.Step)), nil
		}
		start, err := m.rel.Session.StartStep(ev.Step, last.Start)
		if err != nil {
			return m.fail(fmt.Errorf("reattach %s: %w", ev.Step, err)), nil
		}
		cmd = m.record(nextAttach, start)
	case nextQuit:
		m.outcome.RunID = m.rel.RunID
		m.outcome.Verdict = m.rel.Session.Verdict()
		m.outcome.Finished = m.rel.Session.Finished()
		m.quitting = true
		return m, tea.Quit
	case nextExport:
		cmd = m.exportCmd(m.exportDir)
	case nextRunStep: // the sudo password was given (sudoprompt.go)
		m.showSelected()
		m.syncKeys()
		return m.runSelected(msg.evs[0].Step)
	}
	for _, ev := range msg.evs {
		if ev.Type == runbook.EvSignedOff && ev.SignOff != nil {
			m.status, m.statusOK = fmt.Sprintf("%s signed off %s", ev.Step, verdictWord(ev.SignOff.Verdict)), true
			// Stay on a failed step that has a rollback or blocks the
			// rest: its rollback decision comes next.
			stay := false
			if ps := m.rel.planned(ev.Step); ps != nil && ev.SignOff.Verdict == runbook.VerdictFailed {
				stay = ps.Step.Rollback != "" || ps.Step.Risk == runbook.RiskHigh
			}
			if m.steps[m.selected] == ev.Step && !stay {
				if next := m.rel.Session.NextAfter(ev.Step); next != "" {
					m.selectStep(next)
				}
			}
			if m.rel.Session.Next() == "" && m.run == nil {
				m.state = stateSummary
			}
		}
	}
	m.showSelected()
	m.syncKeys()
	return m, cmd
}

// startJob starts following the job of a journaled step.started event.
func (m *Model) startJob(ev runbook.Event, attach bool) tea.Cmd {
	j, err := m.rel.JobFor(ev)
	if err != nil {
		*m = m.fail(err)
		return nil
	}
	if attach {
		j.Attach = true
		j.From = m.resumeFrom[ev.Step]
	}
	if !attach {
		m.ring(ev.Step).add([]runbook.OutputLine{attemptBanner(ev)})
		m.pane.refresh()
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.nextRun++
	msgs := startRun(ctx, m.rel, m.nextRun, j)
	m.run = &activeRun{id: m.nextRun, step: ev.Step, attempt: ev.Attempt, jobID: j.Spec.JobID,
		exec: j.Exec, msgs: msgs, cancel: cancel}
	m.status, m.statusOK = fmt.Sprintf("%s: attempt %d started (job %s)", ev.Step, ev.Attempt, j.Spec.JobID), true
	if attach {
		m.status = fmt.Sprintf("%s: reattached to job %s", ev.Step, j.Spec.JobID)
	}
	return waitForRun(msgs)
}

// connBanner shows the state of the link to the host.
func (m *Model) connBanner(c *runbook.ConnInfo) {
	if c == nil {
		return
	}
	switch c.State {
	case "lost":
		m.banner = fmt.Sprintf("⚠ connection to %s lost: the step keeps running on the server; reconnecting…", c.Host)
		m.lostMeans = "the step keeps running on the server"
		if c.Unconfirmed {
			// The link went before the server acknowledged the launch
			// (sshexec's NoticeLostUnconfirmed): nobody knows yet that
			// it runs.
			m.banner = fmt.Sprintf("⚠ connection to %s lost before the server confirmed the step started; golive checks when it reconnects…", c.Host)
			m.lostMeans = "the server had not confirmed the step started: golive checks when it reconnects"
		}
		// The status line still says how the last drop ended
		// ("restored"), under a banner that says it is lost again.
		m.status, m.statusOK = "", false
	case "reconnecting":
		// The lost banner goes at once (the transport's first retry
		// follows it within milliseconds): what the loss means for the
		// step stays, ahead of the retries' detail, which a narrow
		// terminal cuts.
		m.banner = fmt.Sprintf("⟳ reconnecting to %s… %s", c.Host, c.Detail)
		if m.lostMeans != "" {
			m.banner = fmt.Sprintf("⟳ reconnecting to %s (%s)… %s", c.Host, m.lostMeans, c.Detail)
		}
	case "restored":
		m.banner, m.lostMeans = "", ""
		m.status, m.statusOK = fmt.Sprintf("✓ connection to %s restored; following the step again", c.Host), true
	}
}

// onRunDone records how a run ended.
func (m Model) onRunDone(msg runDoneMsg) (tea.Model, tea.Cmd) {
	m.refreshPane()
	step := m.run.step
	m.run.cancel()
	m.run = nil
	m.banner, m.lostMeans = "", ""
	switch {
	case msg.err != nil:
		return m.fail(fmt.Errorf("step %s: %w", step, msg.err)), nil
	case m.quitPending && msg.exit == nil:
		m.outcome.Detached = step
		ev, err := m.rel.Session.Interrupt(step, "golive quit by the operator; the job keeps running on the host")
		if err != nil {
			return m.quit()
		}
		cmd := m.record(nextQuit, ev)
		return m, cmd
	case msg.detached || msg.exit == nil:
		return m, nil
	}
	if err := m.rel.Apply(*msg.exit); err != nil {
		return m.fail(err), nil
	}
	if m.quitPending {
		return m.quit() // the step ended before golive stopped following it
	}
	m.status, m.statusOK = exitSummary(step, m.rel.Session.Step(step)), false
	if last := m.rel.Session.Step(step).Last(); last != nil && last.ExpectationsMet {
		m.statusOK = true
	}
	if s, ok := sudoStatus(step, m.rel.Session.Step(step)); ok {
		m.status = s
	}
	m.showSelected()
	m.syncKeys()
	return m, nil
}

// onCancelDone reports a cancel's outcome and notes it in the journal.
func (m Model) onCancelDone(msg cancelDoneMsg) (tea.Model, tea.Cmd) {
	var note string
	switch {
	case msg.err == nil:
		note = "cancel: stopped"
		m.status, m.statusOK = "stopped: the remote process group is gone", true
	case errors.Is(msg.err, sshexec.ErrMaybeRunning):
		note = "cancel: remote process may still be running"
		m.status, m.statusOK = "remote process may still be running: check the server ("+ErrorText(msg.err)+")", false
	default:
		note = "cancel failed: " + ErrorText(msg.err)
		m.status, m.statusOK = "cancel failed, remote process may still be running: "+ErrorText(msg.err), false
	}
	step := ""
	if m.run != nil && m.run.id == msg.runID {
		step = m.run.step
	}
	ev, err := m.rel.Session.AddNote(step, note)
	if err != nil {
		return m, nil
	}
	cmd := m.record(nextNone, ev)
	return m, cmd
}

// move changes the selected step by d, within bounds.
func (m *Model) move(d int) {
	m.selected = max(0, min(len(m.steps)-1, m.selected+d))
	m.detailOff = 0
	m.showSelected()
}

// selectStep selects the step with the given id.
func (m *Model) selectStep(id string) {
	for i, s := range m.steps {
		if s == id {
			m.selected = i
		}
	}
}

// showSelected points the output pane at the selected step's output.
func (m *Model) showSelected() {
	if len(m.steps) == 0 {
		return
	}
	m.refreshPane()
	id := m.steps[m.selected]
	m.pane.empty = ""
	if ps := m.rel.planned(id); ps != nil && ps.Step.Kind == runbook.KindManual {
		m.pane.empty = "(a manual step: nothing runs; check its list, then sign off with p, f, s or n)"
	}
	m.pane.show(id, m.ring(id))
}

// ring returns a step's output ring, creating it.
func (m *Model) ring(step string) *ring {
	r := m.outputs[step]
	if r == nil {
		r = newRing()
		m.outputs[step] = r
	}
	return r
}

// attemptBanner is the pane's header line of an attempt (shown, never
// journaled: the journal has the step.started event it stands for).
func attemptBanner(ev runbook.Event) runbook.OutputLine {
	t := ev.Time.UTC().Format("15:04:05Z")
	return runbook.OutputLine{Stream: runbook.StreamInfo, Text: fmt.Sprintf("── attempt %d, started %s ──", ev.Attempt, t)}
}

// quit ends the program with the run's outcome; the run stays resumable.
func (m Model) quit() (tea.Model, tea.Cmd) {
	if m.rel != nil {
		m.outcome.RunID = m.rel.RunID
		m.outcome.Verdict = m.rel.Session.Verdict()
		m.outcome.Finished = m.rel.Session.Finished()
	}
	m.quitting = true
	return m, tea.Quit
}

// paste puts pasted text (a terminal's bracketed paste: a password from a
// password manager, a note, a search term) into the open dialog's input,
// or the output search's while it is typed; elsewhere it is dropped, never
// read as keys. A password or a search term loses the line end a copy
// often takes along: the input would turn it into a space.
func (m Model) paste(msg tea.PasteMsg) (tea.Model, tea.Cmd) {
	if m.dlg.kind == dlgNone && m.pane.typing {
		// A search term copied from elsewhere (an error message).
		var cmd tea.Cmd
		m.pane.input, cmd = m.pane.input.Update(tea.PasteMsg{Content: strings.TrimRight(msg.Content, "\r\n")})
		return m, cmd
	}
	if m.dlg.kind == dlgNone || !m.dlg.isInput() {
		return m, nil
	}
	if m.dlg.kind == dlgSudo || m.dlg.kind == dlgPassphrase {
		msg.Content = strings.TrimRight(msg.Content, "\r\n")
	}
	var cmd tea.Cmd
	m.dlg.input, cmd = m.dlg.input.Update(msg)
	return m, cmd
}
