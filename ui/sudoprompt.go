package ui

import (
	"bytes"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"golive/runbook"
	"golive/sshexec"
)

// Asking for the sudo password mid-release. A step marked sudo fails to
// start when the host's sudo wants a password golive was not given (no
// --sudo-password) or refuses the one it was given. Rather than have the
// operator quit and resume with --sudo-password, the step's screen offers
// P: a masked input, whose enter sets the release's sudo password for
// this and every later sudo step and runs the step again as a new
// attempt (the failed one stays in the journal as it ended). The password
// is masked by the release's redactor from then on, so neither the
// screen, the journal nor the transcript ever shows it; the bytes it
// replaces are wiped.

// sudoRefusal tells whether an attempt ended because sudo wanted a
// password it did not get (sshexec.ErrSudoNeedsPassword) or refused the
// one given (sshexec.ErrSudoPasswordRejected), and which. It reads the
// journaled error, so a resumed run knows it too: in the words sshexec
// uses now ("sudo needs a password on web1") and in those of the golive
// before them ("sudo needs a password on this host: in the TUI press P…").
func sudoRefusal(a *runbook.Attempt) (refused, rejected bool) {
	if a == nil || a.Exit == nil || a.Exit.Error == "" {
		return false, false
	}
	e := a.Exit.Error
	switch {
	case strings.Contains(e, sshexec.ErrSudoPasswordRejected.Error()): // its text did not change
		return true, true
	case strings.Contains(e, sshexec.ErrSudoNeedsPassword.Error()): // in the older "... on this host" too
		return true, false
	}
	return false, false
}

// legacySudoAdvice begins the advice the golive before sshexec's plain
// refusal texts put in the journal after the reason (whose words, "sudo
// needs a password on this host" and "the sudo password was not
// accepted", hold sshexec's texts now, so sudoRefusal knows them).
const legacySudoAdvice = ": in the TUI press P to give it"

// dropLegacySudoAdvice cuts the advice an older journal's sudo refusal
// carries ("…: in the TUI press P to give it; otherwise … golive resume
// RUNID --sudo-password …"), which each UI now gives in its own words,
// leaving what happened.
func dropLegacySudoAdvice(msg string) string {
	if i := strings.Index(msg, legacySudoAdvice); i >= 0 {
		return msg[:i]
	}
	return msg
}

// canAskSudoPassword reports whether P works on step now: a sudo step not
// signed off whose last attempt sudo refused, with no job running.
func (m *Model) canAskSudoPassword(step string) bool {
	if m.rel == nil || m.run != nil {
		return false
	}
	ps := m.rel.planned(step)
	if ps == nil || !ps.Step.Sudo {
		return false
	}
	st := m.rel.Session.Step(step)
	if st.Verdict != "" {
		return false
	}
	refused, _ := sudoRefusal(st.Last())
	return refused
}

// SetSudoPassword makes a copy of pw the sudo password of the steps to
// come (nil: none), masks it from now on, and wipes the bytes of the one
// it replaces. Masked twice over: the Redactor masks what runs and what it
// prints, the Session the texts the operator types (notes, sign-offs),
// where a password typed into the wrong field would otherwise land in the
// journal. Every Release gets its password here, the flag's when it is
// built and P's later. Call it from the goroutine that owns the Release
// while no job runs: a running job's Spec holds the password it was
// started with.
func (r *Release) SetSudoPassword(pw []byte) {
	if len(pw) > 0 {
		if r.Redactor != nil {
			r.Redactor.AddSecret(string(pw))
		}
		if r.Session != nil {
			r.Session.AddSecret(string(pw))
		}
	}
	old := r.SudoPassword
	r.SudoPassword = bytes.Clone(pw)
	clear(old)
}

// openSudoPassword opens the masked input for the sudo password of step.
func (m Model) openSudoPassword(step string) (tea.Model, tea.Cmd) {
	if !m.canAskSudoPassword(step) {
		return m, nil
	}
	m.dlg = newInput(dlgSudo, step, "", m.styles)
	m.dlg.input.EchoMode = textinput.EchoPassword
	m.dlg.input.CharLimit = 1024
	m.syncKeys()
	cmd := m.dlg.input.Focus()
	return m, cmd
}

// submitSudoPassword takes the typed password: the release keeps a copy
// (SetSudoPassword), the input forgets it, and the step runs again.
func (m Model) submitSudoPassword() (tea.Model, tea.Cmd) {
	d := &m.dlg
	if d.input.Value() == "" {
		d.err = "type the sudo password of " + m.rel.Host + ", or esc to go back"
		return m, nil
	}
	if m.run != nil || m.recording > 0 {
		d.err = "golive is busy: press enter again in a moment"
		return m, nil
	}
	pw := []byte(d.input.Value())
	m.rel.SetSudoPassword(pw)
	clear(pw)
	d.input.Reset()
	step := d.step
	m.dlg = dialog{}
	m.syncKeys()
	m.status, m.statusOK = "sudo password set for this and later sudo steps (kept in memory only); running "+step+" again", true
	// The record says why the next attempt may succeed where the last
	// failed; the step runs once the note is on disk (nextRunStep).
	ev, err := m.rel.Session.AddNote(step, sudoGivenNote)
	if err != nil {
		return m.runSelected(step)
	}
	cmd := m.record(nextRunStep, ev)
	return m, cmd
}

// sudoGivenNote is the note journaled on a step when the operator gives
// the sudo password with P.
const sudoGivenNote = "the operator gave the sudo password in golive (P), for this and later sudo steps; it is kept in memory only and never recorded"

// cancelSudoPassword closes the input without changing anything.
func (m Model) cancelSudoPassword() (tea.Model, tea.Cmd) {
	m.dlg.input.Reset()
	m.dlg = dialog{}
	m.syncKeys()
	return m, nil
}

// sudoDialogText is the sudo password dialog's title, text and hint.
func (m Model) sudoDialogText(step string) (title, body, hint string) {
	host := m.rel.Host
	if m.rel.Remote != nil {
		host = m.rel.Remote.Host() // user@host:port: whose password sudo wants
	}
	title = "sudo password of " + host
	_, rejected := sudoRefusal(m.rel.Session.Step(step).Last())
	if rejected {
		body = "sudo did not accept the password of " + step + "'s last attempt. Type it again."
	} else {
		body = step + " runs through sudo, and sudo on the host asks for a password."
	}
	body += "\n\nIt is used for this and every later sudo step, kept in memory only, " +
		"and masked in the journal and the transcript. The failed attempt stays in the journal."
	hint = "enter: use it and run " + step + " again · esc: back, nothing changes"
	return title, body, hint
}

// sudoStatus is the status line after an attempt sudo refused: what to
// press. ok is false when the attempt was no such refusal.
func sudoStatus(step string, st runbook.StepState) (string, bool) {
	refused, rejected := sudoRefusal(st.Last())
	if !refused {
		return "", false
	}
	if rejected {
		return fmt.Sprintf("%s: sudo did not accept the password: press P to give it again", step), true
	}
	return fmt.Sprintf("%s: sudo needs a password on this host: press P to give it", step), true
}
