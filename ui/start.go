package ui

import (
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// updateStart handles the screens before the release begins: chooser,
// form and connect.
func (m Model) updateStart(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case runbookLoadedMsg:
		if msg.err != nil {
			m.state = stateChoose
			return m.fail(badInput{msg.err}), nil
		}
		return m.onRunbookLoaded(msg)
	case startConnectMsg:
		return m.startConnect()
	case connectMsg:
		return m.onConnect(msg)
	case releaseReadyMsg:
		if msg.err != nil {
			m.state = stateForm
			return m.fail(msg.err), nil
		}
		m = m.begin(msg.rel)
		if msg.profileErr != nil {
			m.status, m.statusOK = profileNotSaved(msg.profileErr), false
		}
		return m, m.tick()
	case tea.PasteMsg:
		return m.pasteStart(msg)
	case tea.KeyPressMsg:
		switch m.state {
		case stateChoose:
			return m.updateChooser(msg)
		case stateForm:
			return m.updateForm(msg)
		case stateConnect:
			return m.updateConnect(msg)
		}
	}
	return m, nil
}

// pasteStart puts pasted text (a terminal's bracketed paste: a path, a
// domain, a key's passphrase from a password manager, a host key's
// fingerprint) into the form's focused field or the connect screen's
// answer; elsewhere it is dropped, never read as keys. Every one of them
// is a single line, so the line end a copy often takes along goes: the
// input would keep it as a space.
func (m Model) pasteStart(msg tea.PasteMsg) (tea.Model, tea.Cmd) {
	msg.Content = strings.TrimRight(msg.Content, "\r\n")
	var cmd tea.Cmd
	switch c := &m.connect; {
	case m.state == stateForm && len(m.form.fields) > 0:
		f := &m.form.fields[m.form.cur]
		f.input, cmd = f.input.Update(msg)
	case m.state == stateConnect && (c.passphrase != nil || c.hostKey != nil):
		c.answer, cmd = c.answer.Update(msg)
	}
	return m, cmd
}

// onRunbookLoaded opens the form, or goes straight on to connect when the
// flags and the profile answer every question.
func (m Model) onRunbookLoaded(msg runbookLoadedMsg) (tea.Model, tea.Cmd) {
	m.rb = msg.rb
	m.form = newVarForm(msg.rb, m.opts, msg.profile)
	m.form.setWidth(m.width)
	m.state = stateForm
	m.syncKeys()
	if m.opts.Runbook != "" && m.opts.Host != "" && (m.opts.Operator != "" || m.opts.DefaultOperator != "") {
		host, op, vars := m.form.values(m.opts)
		if plan, err := m.rb.Plan(vars); err == nil && host != "" && op != "" {
			m.plan = plan
			m.opts.Host, m.opts.Operator = host, op
			return m.startConnect()
		}
	}
	cmd := m.form.focus(0)
	return m, cmd
}

// startView renders the chooser, the form or the connect screen.
func (m Model) startView() string {
	st := m.styles
	footer := m.footer()
	h := m.height - lipgloss.Height(footer) - 1
	var body string
	switch m.state {
	case stateChoose:
		body = m.chooserView()
	case stateForm:
		body = m.formView(h)
	case stateConnect:
		body = m.connectView()
	}
	title := st.Header.Width(m.width).Render(st.HeaderTitle.Render("golive") + st.HeaderField.Render(" · release runbook"))
	return title + "\n" + fit(st.Page.Render(body), m.width, h) + "\n" + footer
}

// connectView renders the spinner or the question being asked.
func (m Model) connectView() string {
	st := m.styles
	c := m.connect
	w := min(m.width-4, 90)
	switch {
	case c.hostKey != nil:
		q := c.hostKey.q
		text := q.Message
		if text == "" {
			text = "The authenticity of host '" + q.Host + "' can't be established.\n" +
				q.KeyType + " key fingerprint is " + q.Fingerprint + ".\n" +
				"Are you sure you want to continue connecting (yes/no)?"
		}
		parts := []string{st.DialogTitle.Render("Unknown host key"), wrap(text, w-4)}
		if q.KnownHostsFile != "" {
			parts = append(parts, st.Hint.Render("yes records the key in "+q.KnownHostsFile))
		}
		parts = append(parts, "", c.answer.View())
		if c.err != "" {
			parts = append(parts, st.FieldErr.Render(c.err))
		}
		return st.Dialog.Width(w).Render(strings.Join(parts, "\n"))
	case c.passphrase != nil:
		q := c.passphrase.q
		text := q.Message
		if text == "" {
			text = "Enter passphrase for key '" + q.KeyFile + "': "
		}
		return st.Dialog.Width(w).Render(strings.Join([]string{st.DialogTitle.Render("Key passphrase"),
			wrap(text, w-4), "", c.answer.View(), st.Hint.Render("enter: unlock · esc: skip this key")}, "\n"))
	}
	return m.spin.View() + " connecting to " + m.opts.Host + "…\n\n" + st.Hint.Render("esc: back to the form")
}
