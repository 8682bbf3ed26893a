package ui

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"golive/runbook"
	"golive/sshexec"
)

// connectScreen follows a connect attempt and asks its questions: the
// host-key prompt (typed yes/no, as OpenSSH asks) and key passphrases.
type connectScreen struct {
	id         int
	msgs       <-chan tea.Msg
	cancel     context.CancelFunc
	hostKey    *hostKeyAsk
	passphrase *passphraseAsk
	answer     textinput.Model
	accepted   []runbook.HostKeyInfo
	err        string
}

// prompter answers sshexec's questions through the UI: each question goes
// to Update as a connectMsg, and the call waits for the operator's reply.
type prompter struct {
	id   int
	msgs chan<- tea.Msg
}

// ConfirmHostKey asks the operator about an unknown host key.
func (p prompter) ConfirmHostKey(ctx context.Context, q HostKeyQuestion) (bool, error) {
	reply := make(chan bool, 1)
	select {
	case p.msgs <- connectMsg{attemptID: p.id, hostKey: &hostKeyAsk{q: q, reply: reply}}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	select {
	case ok := <-reply:
		return ok, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// Passphrase asks the operator for a key's passphrase; nil skips the key.
func (p prompter) Passphrase(ctx context.Context, q PassphraseQuestion) ([]byte, error) {
	reply := make(chan []byte, 1)
	select {
	case p.msgs <- connectMsg{attemptID: p.id, passphrase: &passphraseAsk{q: q, reply: reply}}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case pw := <-reply:
		if pw == nil {
			return nil, fmt.Errorf("no passphrase given for %s", q.KeyFile)
		}
		return pw, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// startConnect dials the host in the background.
func (m Model) startConnect() (tea.Model, tea.Cmd) {
	m.state = stateConnect
	m.connect = connectScreen{id: m.connect.id + 1}
	if m.opts.Connect == nil {
		return m.fail(errors.New("golive was built without a way to connect")), nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	msgs := make(chan tea.Msg, 4)
	m.connect.msgs, m.connect.cancel = msgs, cancel
	id, host, dial := m.connect.id, m.opts.Host, m.opts.Connect
	var pr sshexec.Prompter = prompter{id: id, msgs: msgs}
	if m.resuming != nil {
		pr = resumeGuard{Prompter: pr, rel: m.resuming}
	}
	go func() {
		ex, err := dial(ctx, host, pr)
		if err != nil {
			err = connectError(host, err)
		}
		select {
		case msgs <- connectMsg{attemptID: id, exec: ex, err: err}:
		case <-ctx.Done():
			if ex != nil {
				ex.Close()
			}
		}
	}()
	m.syncKeys()
	return m, tea.Batch(m.spin.Tick, waitForConnect(msgs))
}

// closeExecutor closes an executor golive will not use, off the Update
// goroutine: closing waits for the link and its sessions to end, which a
// host that stopped answering can drag out. It is nil for a nil ex.
func closeExecutor(ex sshexec.Executor) tea.Cmd {
	if ex == nil {
		return nil
	}
	return func() tea.Msg {
		ex.Close()
		return nil
	}
}

func waitForConnect(msgs <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg { return <-msgs }
}

// onConnect handles what a connect attempt reports.
func (m Model) onConnect(msg connectMsg) (tea.Model, tea.Cmd) {
	c := &m.connect
	if msg.attemptID != c.id || m.state != stateConnect {
		return m, closeExecutor(msg.exec)
	}
	switch {
	case msg.hostKey != nil:
		c.hostKey = msg.hostKey
		c.answer = newTextInput()
		c.answer.Prompt = "> "
		c.answer.Placeholder = hintPlaceholder("yes, no or the fingerprint")
		c.answer.SetWidth(60) // without a width only the placeholder's first cell shows
		m.syncKeys()
		cmd := c.answer.Focus()
		return m, tea.Batch(cmd, waitForConnect(c.msgs))
	case msg.passphrase != nil:
		c.passphrase = msg.passphrase
		c.answer = newTextInput()
		c.answer.Prompt = "> "
		c.answer.EchoMode = textinput.EchoPassword
		c.answer.EchoCharacter = '•'
		m.syncKeys()
		cmd := c.answer.Focus()
		return m, tea.Batch(cmd, waitForConnect(c.msgs))
	case msg.err != nil:
		c.cancel()
		m.state = stateForm
		if m.resuming != nil {
			return m.fail(resumeConnectError(m.resuming, msg.err)), nil
		}
		return m.fail(msg.err), nil
	}
	if m.resuming != nil {
		return m.resumeRelease(msg.exec)
	}
	return m.beginRelease(msg.exec)
}

// updateConnect handles keys while connecting: the answers to questions,
// or esc to give up.
func (m Model) updateConnect(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	c := &m.connect
	k := m.keys
	switch {
	case c.hostKey != nil:
		if key.Matches(msg, k.Submit) {
			a := strings.TrimSpace(c.answer.Value())
			switch {
			case strings.EqualFold(a, "yes") || a == c.hostKey.q.Fingerprint:
				q := c.hostKey.q
				c.accepted = append(c.accepted, runbook.HostKeyInfo{Host: q.Host, Type: q.KeyType, Fingerprint: q.Fingerprint})
				c.hostKey.reply <- true
				c.hostKey, c.err = nil, ""
			case strings.EqualFold(a, "no"):
				c.hostKey.reply <- false
				c.hostKey, c.err = nil, ""
			default:
				c.err = "Please type 'yes', 'no' or the fingerprint."
				c.answer.SetValue("")
			}
			m.syncKeys()
			return m, nil
		}
	case c.passphrase != nil:
		switch {
		case key.Matches(msg, k.Submit):
			c.passphrase.reply <- []byte(c.answer.Value())
			c.answer.SetValue("")
			c.passphrase = nil
			m.syncKeys()
			return m, nil
		case key.Matches(msg, k.Esc):
			c.passphrase.reply <- nil
			c.passphrase = nil
			m.syncKeys()
			return m, nil
		}
	default:
		if key.Matches(msg, k.Esc) && m.resuming != nil {
			c.cancel()
			m.quitting = true
			return m, tea.Quit
		}
		if key.Matches(msg, k.Esc) {
			c.cancel()
			c.id++ // whatever the attempt still reports is stale
			m.state = stateForm
			m.syncKeys()
		}
		return m, nil
	}
	var cmd tea.Cmd
	c.answer, cmd = c.answer.Update(msg)
	return m, cmd
}

// newRunID names a run: its UTC start time and a random suffix.
func newRunID(now time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// beginRelease builds the release around a connected executor and
// journals its run.started event (and the host keys the operator
// accepted); the main screen opens once they are on disk.
func (m Model) beginRelease(ex sshexec.Executor) (tea.Model, tea.Cmd) {
	o := m.opts
	local := o.Local
	remote := ex
	if remote == nil {
		remote = local
	}
	runID := o.RunID
	if runID == "" {
		runID = newRunID(o.Now())
	}
	rel := &Release{Plan: m.plan, Session: runbook.NewSession(m.plan, o.Now), Remote: remote, Local: local,
		Redactor: newRedactor(m.plan), Operator: o.Operator, Host: o.Host, RunID: runID, Now: o.Now}
	rel.SetSudoPassword(o.SudoPassword)
	begin, err := rel.Session.Begin(runbook.RunInfo{ID: rel.RunID, Host: o.Host, Operator: o.Operator,
		Vars: m.plan.MaskedVars(), GoliveVersion: o.Version})
	if err != nil {
		return m.fail(err), nil
	}
	accepted := m.connect.accepted
	stateDir, rb, profPath := o.StateDir, m.rb, profileFile(o.ProfilePath, m.rb.ID)
	prof := Profile{Host: o.Host, Operator: o.Operator, Vars: m.plan.Vars}
	return m, func() tea.Msg {
		// The host key checked out: the helper starts now, while the
		// journal is created and the operator reads the first step,
		// so that step does not wait for a login shell (plain mode
		// does the same).
		sshexec.Prestart(remote)
		if err := rel.open(stateDir, begin, remote, accepted); err != nil {
			return releaseReadyMsg{err: err}
		}
		// Saved only now that the release has started: the next one
		// needs no typing. Secrets are never saved.
		perr := SaveProfile(profPath, rb, prof)
		return releaseReadyMsg{rel: rel, profileErr: perr}
	}
}
