package ui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"golive/runbook"
)

// mainKey handles a key on the main screen with no dialog open.
func (m Model) mainKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	step := m.steps[m.selected]
	switch {
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
		m.layout()
	case key.Matches(msg, k.Up):
		m.move(-1)
	case key.Matches(msg, k.Down):
		m.move(1)
	case key.Matches(msg, k.Top):
		m.move(-len(m.steps))
	case key.Matches(msg, k.Bottom):
		m.move(len(m.steps))
	case key.Matches(msg, k.Zoom):
		m.zoom, m.detailOff = !m.zoom, 0
		m.layout()
	case m.zoom && key.Matches(msg, k.PageUp):
		m.scrollDetail(-1)
	case m.zoom && key.Matches(msg, k.PageDown):
		m.scrollDetail(1)
	case key.Matches(msg, k.Wrap):
		m.pane.toggleWrap()
	case key.Matches(msg, k.PageUp):
		m.pane.scroll(-1)
	case key.Matches(msg, k.PageDown):
		m.pane.scroll(1)
	case key.Matches(msg, k.Left):
		m.pane.scrollSideways(-8)
	case key.Matches(msg, k.Right):
		m.pane.scrollSideways(8)
	case key.Matches(msg, k.Follow):
		m.pane.follow()
	case key.Matches(msg, k.Search):
		cmd := m.pane.startSearch()
		m.syncKeys()
		return m, cmd
	case m.pane.searching() && key.Matches(msg, k.SearchNext):
		m.pane.next(1)
	case m.pane.searching() && key.Matches(msg, k.SearchPrev):
		m.pane.next(-1)
	case m.pane.searching() && key.Matches(msg, k.ClearSearch):
		m.pane.clearSearch()
	case key.Matches(msg, k.Sudo):
		return m.openSudoPassword(step)
	case key.Matches(msg, k.Run), key.Matches(msg, k.Retry), key.Matches(msg, k.ManualRun):
		return m.runSelected(step)
	case key.Matches(msg, k.Cancel):
		if m.run != nil {
			m.dlg = newConfirm(dlgCancel, m.run.step)
		}
	case key.Matches(msg, k.Pass):
		return m.openSignOff(step, runbook.VerdictPassed)
	case key.Matches(msg, k.Fail):
		return m.openSignOff(step, runbook.VerdictFailed)
	case key.Matches(msg, k.Skip):
		return m.openSignOff(step, runbook.VerdictSkipped)
	case key.Matches(msg, k.NA):
		return m.openSignOff(step, runbook.VerdictNotApplicable)
	case key.Matches(msg, k.Rollback):
		m.dlg = newInput(dlgRollback, step, "", m.styles)
		m.syncKeys()
		cmd := m.dlg.input.Focus()
		return m, cmd
	case key.Matches(msg, k.Note):
		m.dlg = newInput(dlgNote, step, "", m.styles)
		m.syncKeys()
		cmd := m.dlg.input.Focus()
		return m, cmd
	case key.Matches(msg, k.Summary):
		m.state = stateSummary
	case key.Matches(msg, k.Quit):
		m.dlg = newConfirm(dlgQuit, "")
	}
	m.syncKeys()
	return m, nil
}

// runSelected starts the selected step, after a typed confirmation for a
// high-risk one.
func (m Model) runSelected(step string) (tea.Model, tea.Cmd) {
	if m.run != nil {
		m.status, m.statusOK = fmt.Sprintf("%s is running: wait for it, or cancel it (x)", m.run.step), false
		return m, nil
	}
	ps := m.rel.planned(step)
	if ps.Step.Kind == runbook.KindManual {
		m.status, m.statusOK = "manual step: work through its checklist, then sign off (p, f, s or n)", false
		return m, nil
	}
	if err := m.rel.Session.CanStart(step); err != nil {
		m.status, m.statusOK = describe(err), false
		return m, nil
	}
	if a := m.rel.Session.Step(step).Last(); a != nil && a.Exit != nil && a.Exit.Unknown && !neverStarted(a) {
		// The job of that attempt may still run on the host: a second one
		// beside it (a migration twice) is the operator's call, asked.
		m.dlg = newConfirm(dlgRetryUnknown, step)
		m.syncKeys()
		return m, nil
	}
	return m.runChecked(step)
}

// runChecked is runSelected once a step whose last end is unknown was
// confirmed: a high-risk step still asks for its id.
func (m Model) runChecked(step string) (tea.Model, tea.Cmd) {
	ps := m.rel.planned(step)
	if ps.Step.Risk == runbook.RiskHigh {
		m.dlg = newInput(dlgConfirmRisk, step, "", m.styles)
		m.syncKeys()
		cmd := m.dlg.input.Focus()
		return m, cmd
	}
	return m.start(step, false)
}

// start journals a step.started event; the job starts once it is on disk.
func (m Model) start(step string, confirmed bool) (tea.Model, tea.Cmd) {
	if m.busy() {
		return m, nil
	}
	ev, err := m.rel.StartEvent(step, confirmed)
	if err != nil {
		m.status, m.statusOK = describe(err), false
		return m, nil
	}
	m.ring(step) // output of a retry follows the earlier attempts'
	m.pane.follow()
	cmd := m.record(nextStartRun, ev)
	return m, cmd
}

// openSignOff opens the note input for a verdict.
func (m Model) openSignOff(step string, v runbook.Verdict) (tea.Model, tea.Cmd) {
	if m.run != nil && m.run.step == step {
		m.status, m.statusOK = "the step is still running: wait for it, or cancel it (x)", false
		return m, nil
	}
	m.dlg = newInput(dlgSignOff, step, v, m.styles)
	m.syncKeys()
	cmd := m.dlg.input.Focus()
	return m, cmd
}
