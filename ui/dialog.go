package ui

import (
	"charm.land/lipgloss/v2"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"golive/runbook"
)

// dialogKind names the question open over the main screen.
type dialogKind int

const (
	dlgNone           dialogKind = iota
	dlgConfirmRisk               // type the step id or "yes" to run a high-risk step
	dlgSignOff                   // the note of a sign-off
	dlgRollback                  // why the rollback is chosen
	dlgNote                      // a note on the step
	dlgCancel                    // y/n: cancel the running step
	dlgQuit                      // y/n: quit mid-release
	dlgExport                    // the directory to export to
	dlgPassphrase                // the passphrase of the key that signs the export
	dlgSudo                      // the sudo password a step needs (sudoprompt.go)
	dlgRetryUnknown              // y/n: run again a step whose last end is unknown
	dlgQuitUnexported            // y/n: quit a finished run whose transcript is not written
)

// dialog is a question over the main screen: a y/n confirmation or a
// one-line input, with the Session's refusal shown inline.
type dialog struct {
	kind    dialogKind
	step    string
	verdict runbook.Verdict
	input   textinput.Model
	err     string
	// prompt and reply: the passphrase question and where its answer
	// goes (nil when the operator declines).
	prompt string
	reply  chan<- []byte
}

func newConfirm(k dialogKind, step string) dialog { return dialog{kind: k, step: step} }

func newInput(k dialogKind, step string, v runbook.Verdict, st *styles) dialog {
	in := newTextInput()
	in.CharLimit = 500
	in.Prompt = "> "
	in.SetWidth(50)
	// No placeholder: the cursor would sit on its first letter, which
	// reads as a typed one. The dialog's text says what to type.
	return dialog{kind: k, step: step, verdict: v, input: in}
}

// isInput reports whether the dialog takes typed text (so letter keys are
// text, not commands).
func (d dialog) isInput() bool {
	switch d.kind {
	case dlgConfirmRisk, dlgSignOff, dlgRollback, dlgNote, dlgExport, dlgPassphrase, dlgSudo:
		return true
	}
	return false
}

// updateDialog handles a key while a dialog is open.
func (m Model) updateDialog(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	d := &m.dlg
	if !d.isInput() {
		switch {
		case d.kind == dlgQuitUnexported && key.Matches(msg, m.keys.Export):
			m.dlg = dialog{}
			return m.summaryKey(msg)
		case key.Matches(msg, m.keys.Yes):
			return m.confirmYes()
		case key.Matches(msg, m.keys.No):
			m.dlg = dialog{}
			m.syncKeys()
		}
		return m, nil
	}
	switch {
	case key.Matches(msg, m.keys.Esc) && d.kind == dlgSudo:
		return m.cancelSudoPassword()
	case key.Matches(msg, m.keys.Esc):
		if d.reply != nil {
			d.reply <- nil // export unsigned
		}
		m.dlg = dialog{}
		m.syncKeys()
		return m, nil
	case key.Matches(msg, m.keys.Submit):
		return m.submitDialog()
	}
	var cmd tea.Cmd
	d.input, cmd = d.input.Update(msg)
	return m, cmd
}

// confirmYes acts on a y/n dialog's yes.
func (m Model) confirmYes() (tea.Model, tea.Cmd) {
	d := m.dlg
	m.dlg = dialog{}
	// syncKeys before every return, not deferred: a deferred call would
	// change m after the return statement had copied it.
	switch d.kind {
	case dlgCancel:
		if m.run == nil {
			m.syncKeys()
			return m, nil
		}
		m.run.canceled = true
		m.status, m.statusOK = "canceling "+m.run.step+"…", true
		if m.banner != "" {
			m.status = "canceling " + m.run.step + " once the connection is back…"
		}
		m.syncKeys()
		return m, cancelJob(m.run.exec, m.run.jobID, m.run.id)
	case dlgRetryUnknown:
		m.syncKeys()
		return m.runChecked(d.step)
	case dlgQuitUnexported:
		m.dlg = dialog{}
		return m.quitSummary()
	case dlgQuit:
		if m.run != nil {
			// Stop following the job, which keeps running on the host.
			// onRunDone journals the interruption (so resume reattaches)
			// once the follower has stopped: an exit journaled meanwhile
			// must not be followed by an interruption.
			m.quitPending = true
			m.run.cancel()
			m.status, m.statusOK = "stopping to follow "+m.run.step+"; it keeps running on the host…", true
			m.syncKeys()
			return m, nil
		}
		return m.quit()
	}
	m.syncKeys()
	return m, nil
}

// submitDialog acts on an input dialog's enter: the Session checks the
// action, and a refusal stays in the dialog for the operator to fix.
func (m Model) submitDialog() (tea.Model, tea.Cmd) {
	d := &m.dlg
	text := strings.TrimSpace(d.input.Value())
	var ev runbook.Event
	var err error
	switch d.kind {
	case dlgSignOff, dlgRollback, dlgNote:
		if m.recording > 0 { // see Model.recording
			d.err = "saving to the journal: press enter again in a moment"
			return m, nil
		}
	}
	switch d.kind {
	case dlgConfirmRisk:
		if text != d.step && !strings.EqualFold(text, "yes") {
			d.err = fmt.Sprintf("type %s or yes to run this high-risk step; esc to go back", d.step)
			return m, nil
		}
		step := d.step
		m.dlg = dialog{}
		m.syncKeys()
		return m.start(step, true)
	case dlgSignOff:
		ev, err = m.rel.Session.SignOff(d.step, d.verdict, text, m.rel.Operator, false)
	case dlgRollback:
		if text == "" {
			d.err = "say what you are rolling back and why"
			return m, nil
		}
		ev, err = m.rel.Session.ChooseRollback(d.step, text)
	case dlgNote:
		if text == "" {
			d.err = "type a note, or esc to go back"
			return m, nil
		}
		ev, err = m.rel.Session.AddNote(d.step, text)
	case dlgSudo:
		return m.submitSudoPassword()
	case dlgPassphrase:
		d.reply <- []byte(d.input.Value())
		m.dlg = dialog{}
		m.status, m.statusOK = "signing the transcript…", true
		m.syncKeys()
		return m, nil
	case dlgExport:
		dir := text
		if dir == "" {
			dir = "."
		}
		m.dlg = dialog{}
		m.syncKeys()
		return m.export(dir)
	}
	if err != nil {
		d.err = describe(err)
		return m, nil
	}
	m.dlg = dialog{}
	m.syncKeys()
	cmd := m.record(nextNone, ev)
	return m, cmd
}

// dialogView renders the open dialog for a box width w and at most maxH
// lines: a long text is cut in its middle, never the input under it.
func (m Model) dialogView(w, maxH int) string {
	d := m.dlg
	st := m.styles
	inner := w - st.Dialog.GetHorizontalFrameSize()
	var title, body string
	var cmd []string // the command a high-risk step runs
	hint := "enter: submit · esc: back"
	switch d.kind {
	case dlgConfirmRisk:
		ps := m.rel.planned(d.step)
		title = "High-risk step: " + d.step
		if ps != nil {
			cmd = m.commandLines(ps, inner, false)
			if ps.Step.Rollback != "" {
				body = "Rollback: " + ps.Step.Rollback
			}
		}
		hint = fmt.Sprintf("type %s or yes, then enter · esc: back", d.step)
	case dlgSignOff:
		title = fmt.Sprintf("Sign off %s as %s", d.step, verdictWord(d.verdict))
		body = signOffHint(m.rel.Session.Step(d.step), d.verdict)
		if ps := m.rel.planned(d.step); ps != nil && ps.Step.Risk == runbook.RiskHigh && d.verdict == runbook.VerdictFailed {
			body = "Without a note, this failed high-risk step blocks every step after it. " +
				"With a note saying why it is safe to go on, it does not; or sign it off and choose its rollback (b)."
			if ps.Step.Rollback != "" {
				body += "\nRollback: " + ps.Step.Rollback
			}
		}
	case dlgRollback:
		title = "Choose the rollback of " + d.step
		if ps := m.rel.planned(d.step); ps != nil && ps.Step.Rollback != "" {
			body = "Rollback: " + ps.Step.Rollback + "\n\n"
		}
		body += "Say what you did or will do; it releases the steps this one blocks."
	case dlgNote:
		title = "Add a note to " + d.step
		body = "The note goes into the journal and the transcript."
	case dlgExport:
		title = "Export the transcript"
		body = "Directory for the Markdown and JSON transcript (enter for the current one):"
	case dlgPassphrase:
		title = "Sign the transcript"
		body = strings.TrimSpace(d.prompt) + "\n\nThe passphrase is used once, to sign; it is never stored. esc exports unsigned."
	case dlgSudo:
		title, body, hint = m.sudoDialogText(d.step)
	case dlgCancel:
		title = "Cancel " + d.step + "?"
		body = "golive stops the step's whole process group on the host (TERM, then KILL)."
		if m.banner != "" {
			body += "\nThe connection is down: the cancel reaches the host once golive has reconnected; until then the step runs on."
		}
		body += "\n\ny: cancel it   n: keep it running"
	case dlgRetryUnknown:
		title = "Run " + d.step + " again?"
		body = "golive does not know how its last attempt ended: its job may still be running on the host, or have done its work."
		why := ""
		if a := m.rel.Session.Step(d.step).Last(); a != nil && a.Exit != nil {
			why = attemptError(a.Exit.Error)
		}
		if !strings.Contains(why, "look there") {
			body += " Look there before running it a second time beside it."
		}
		if why != "" {
			body += "\n\n" + why
		}
		body += "\n\ny: run it again   n: do not"
	case dlgQuitUnexported:
		title = "Quit without the transcript?"
		body = m.quitUnexportedText()
	case dlgQuit:
		title = "Quit? The run stays resumable:"
		body = "  golive resume " + m.rel.RunID + "\ncontinues it; every sign-off and all output so far are on disk."
		if m.run != nil {
			body += "\n" + m.run.step + " is running: it keeps running on the host, and resume reattaches to it."
		}
		body += "\n\ny: quit   n: stay"
	}
	var text []string
	if body != "" {
		text = strings.Split(wrap(body, inner), "\n")
	}
	if len(cmd) > 0 {
		text = append(append([]string{"This step is marked high risk. It runs:"}, cmd...), text...)
	}
	var tail []string
	if d.isInput() {
		tail = append(tail, "", d.input.View(), st.Hint.Render(wrap(hint, inner)))
	}
	if d.err != "" {
		tail = append(tail, st.FieldErr.Render(wrap("✗ "+d.err, inner)))
	}
	tailH := lipgloss.Height(strings.Join(tail, "\n"))
	if len(tail) == 0 {
		tailH = 0
	}
	if room := maxH - st.Dialog.GetVerticalFrameSize() - 1 - tailH; room >= 1 && len(text) > room {
		text = append(text[:room-1], st.Hint.Render("… (esc, then z, shows the whole step)"))
	}
	parts := append([]string{st.DialogTitle.Render(wrap(title, inner))}, text...)
	parts = append(parts, tail...)
	return st.Dialog.Width(w).Render(strings.Join(parts, "\n"))
}

// signOffHint tells the operator what a verdict needs.
func signOffHint(st runbook.StepState, v runbook.Verdict) string {
	last := st.Last()
	switch v {
	case runbook.VerdictSkipped:
		return "A note is required: why is this step skipped?"
	case runbook.VerdictNotApplicable:
		return "A note is required: why does this step not apply?"
	case runbook.VerdictFailed:
		return "Note what failed (optional)."
	}
	if last != nil && (!last.ExpectationsMet || last.Exit == nil || last.Exit.Unknown) {
		return "The run did NOT meet its expectations: a note is required to pass it anyway."
	}
	return "Note (optional), then enter."
}

// verdictWord is a verdict with its glyph, as the step list shows it.
func verdictWord(v runbook.Verdict) string {
	switch v {
	case runbook.VerdictPassed:
		return statusPassed.Label()
	case runbook.VerdictFailed:
		return statusFailed.Label()
	case runbook.VerdictSkipped:
		return statusSkipped.Label()
	case runbook.VerdictNotApplicable:
		return statusNA.Label()
	}
	return string(v)
}

// hintPlaceholder makes an example an input shows while it is empty. It
// starts with a space, for the cursor to sit on: a letter under the cursor
// reads as one already typed.
func hintPlaceholder(s string) string { return " " + s }

// newTextInput returns a text input with a steady cursor: a blinking one
// costs a render every half second for nothing an operator needs.
func newTextInput() textinput.Model {
	in := textinput.New()
	s := in.Styles()
	s.Cursor.Blink = false
	in.SetStyles(s)
	return in
}
