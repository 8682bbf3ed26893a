package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"golive/runbook"
)

// syncKeys enables exactly the bindings that work now, so that the help bar
// shows only those (STYLE §6). Call it after anything that changes state.
func (m *Model) syncKeys() {
	defer m.layout() // the detail's height follows what it shows
	m.refreshStatuses()
	k := &m.keys
	all := []*key.Binding{&k.Up, &k.Down, &k.Top, &k.Bottom, &k.PageUp, &k.PageDown, &k.Left, &k.Right, &k.Follow, &k.Zoom, &k.Wrap,
		&k.Run, &k.Retry, &k.Cancel, &k.Sudo, &k.Pass, &k.Fail, &k.Skip, &k.NA, &k.Rollback, &k.Note,
		&k.Summary, &k.Export, &k.Back, &k.Search, &k.SearchNext, &k.SearchPrev, &k.ClearSearch,
		&k.Yes, &k.No, &k.Submit, &k.Esc, &k.NextField, &k.PrevField, &k.Help, &k.Quit, &k.ManualRun}
	for _, b := range all {
		b.SetEnabled(false)
	}
	k.ForceQuit.SetEnabled(true)
	// enter says what it does here.
	switch {
	case m.state == stateChoose && !m.chooser.typing:
		k.Submit.SetHelp("enter", "choose")
	case m.state == stateChoose:
		k.Submit.SetHelp("enter", "open the file")
	case m.state == stateForm:
		k.Submit.SetHelp("enter", "start")
	case m.state == stateConnect && m.connect.hostKey != nil:
		k.Submit.SetHelp("enter", "answer")
	case m.state == stateConnect:
		k.Submit.SetHelp("enter", "unlock the key")
	case m.dlg.kind == dlgConfirmRisk:
		k.Submit.SetHelp("enter", "run it")
	case m.dlg.kind == dlgExport:
		k.Submit.SetHelp("enter", "export")
	case m.dlg.kind == dlgSudo:
		k.Submit.SetHelp("enter", "use it, run again")
	case m.pane.typing:
		k.Submit.SetHelp("enter", "search")
	default:
		k.Submit.SetHelp("enter", "submit")
	}
	switch {
	case m.state == stateForm && m.opts.Runbook != "":
		k.Esc.SetHelp("esc", "quit")
	case m.state == stateForm:
		k.Esc.SetHelp("esc", "back")
	case m.state == stateConnect && m.connect.passphrase != nil:
		k.Esc.SetHelp("esc", "skip this key")
	case m.state == stateConnect && m.resuming != nil:
		k.Esc.SetHelp("esc", "quit")
	case m.state == stateConnect:
		k.Esc.SetHelp("esc", "back to the form")
	default:
		k.Esc.SetHelp("esc", "cancel")
	}
	switch m.state {
	case stateChoose:
		// The path field takes every letter, j and k too.
		k.Up.SetEnabled(!m.chooser.typing)
		k.Down.SetEnabled(!m.chooser.typing)
		k.Submit.SetEnabled(true)
		k.Quit.SetEnabled(!m.chooser.typing)
		k.Esc.SetEnabled(m.chooser.typing)
		return
	case stateForm:
		k.NextField.SetEnabled(true)
		k.PrevField.SetEnabled(true)
		k.Submit.SetEnabled(true)
		k.Esc.SetEnabled(true)
		return
	case stateConnect:
		switch {
		case m.connect.hostKey != nil:
			k.Submit.SetEnabled(true)
		case m.connect.passphrase != nil:
			k.Submit.SetEnabled(true)
			k.Esc.SetEnabled(true)
		default:
			k.Esc.SetEnabled(true)
		}
		return
	case stateError:
		k.Back.SetEnabled(m.resuming == nil) // a resume has nothing to go back to
		k.Quit.SetEnabled(true)
		return
	case stateSummary:
		if m.dlg.kind == dlgQuitUnexported {
			k.Yes.SetEnabled(true)
			k.Yes.SetHelp("y", "quit without the transcript")
			k.Export.SetEnabled(true)
			k.Export.SetHelp("e", "export it now")
			k.No.SetEnabled(true)
			k.No.SetHelp("n", "stay")
			return
		}
		k.Export.SetHelp("e", "export")
		if m.dlg.isInput() {
			k.Submit.SetEnabled(true)
			k.Esc.SetEnabled(true)
			return
		}
		k.Export.SetEnabled(true)
		k.Back.SetEnabled(true)
		k.Quit.SetEnabled(true)
		// As summaryView decides: the lines against the room left by
		// the header, the one-line help bar and the status (one or two
		// lines).
		top, rest := m.summaryContent()
		avail := m.height - 2 - lipgloss.Height(m.statusLine())
		long := len(top)+len(rest) > avail && avail > 2
		k.PageUp.SetHelp("pgup", "scroll up")
		k.PageDown.SetHelp("pgdn", "scroll down")
		k.PageUp.SetEnabled(long)
		k.PageDown.SetEnabled(long)
		return
	}
	if m.dlg.kind != dlgNone {
		if m.dlg.isInput() {
			k.Submit.SetEnabled(true)
			k.Esc.SetEnabled(true)
		} else {
			k.Yes.SetEnabled(true)
			k.No.SetEnabled(true)
			// The help bar says what y and n do here, so the question
			// reads even in the bar alone.
			switch m.dlg.kind {
			case dlgQuit:
				k.Yes.SetHelp("y", "quit (the run stays resumable)")
				k.No.SetHelp("n", "stay")
			case dlgCancel:
				k.Yes.SetHelp("y", "cancel "+m.dlg.step)
				k.No.SetHelp("n", "keep it running")
			case dlgRetryUnknown:
				k.Yes.SetHelp("y", "run "+m.dlg.step+" again")
				k.No.SetHelp("n", "do not")
			}
		}
		return
	}
	if m.pane.typing {
		k.Submit.SetEnabled(true)
		k.Esc.SetEnabled(true)
		return
	}
	if m.rel == nil || len(m.steps) == 0 {
		return
	}
	step := m.steps[m.selected]
	st := m.rel.Session.Step(step)
	ps := m.rel.planned(step)
	running := m.run != nil
	selRunning := running && m.run.step == step

	k.Up.SetEnabled(true)
	k.Down.SetEnabled(true)
	k.Top.SetEnabled(true)
	k.Bottom.SetEnabled(true)
	k.Help.SetEnabled(true)
	k.Quit.SetEnabled(true)
	k.Summary.SetEnabled(true)
	k.Note.SetEnabled(true)
	hasOutput := m.outputs[step] != nil && m.outputs[step].len() > 0
	k.Zoom.SetEnabled(true)
	if m.zoom {
		k.Zoom.SetHelp("z", "back to output")
		k.PageUp.SetHelp("pgup", "scroll step up")
		k.PageDown.SetHelp("pgdn", "scroll step down")
		k.PageUp.SetEnabled(true)
		k.PageDown.SetEnabled(true)
		hasOutput = false // the output pane is hidden
	} else {
		k.Zoom.SetHelp("z", "full step")
		k.PageUp.SetHelp("pgup", "scroll output up")
		k.PageDown.SetHelp("pgdn", "scroll output down")
		k.PageUp.SetEnabled(hasOutput)
		k.PageDown.SetEnabled(hasOutput)
	}
	m.syncPaneKeys(hasOutput)
	searching := m.pane.searching()
	k.SearchNext.SetEnabled(searching)
	k.SearchPrev.SetEnabled(searching)
	k.ClearSearch.SetEnabled(searching)

	canStart := !running && ps != nil && ps.Step.Kind != runbook.KindManual && m.rel.Session.CanStart(step) == nil
	k.ManualRun.SetEnabled(ps != nil && ps.Step.Kind == runbook.KindManual)
	// A step whose last job never reached the host runs again with enter,
	// like one never tried.
	fresh := len(st.Attempts) == 0 || neverStarted(st.Last())
	k.Run.SetEnabled(canStart && fresh)
	k.Retry.SetEnabled(canStart && !fresh)
	k.Cancel.SetEnabled(running)
	k.Sudo.SetEnabled(m.canAskSudoPassword(step))
	canSign := !selRunning && st.Verdict == "" && st.Status != runbook.StatusRunning
	k.Pass.SetEnabled(canSign && (ps == nil || ps.Step.Kind == runbook.KindManual || len(st.Attempts) > 0))
	k.Fail.SetEnabled(canSign)
	k.Skip.SetEnabled(canSign)
	k.NA.SetEnabled(canSign && !searching)
	k.Rollback.SetEnabled(!selRunning && len(st.Attempts) > 0 && ps != nil && ps.Step.Rollback != "" && !st.Rollback)
}

// ShortHelp returns the bindings for the one-line help bar, most useful
// first; disabled ones are left out by the help model.
func (m Model) ShortHelp() []key.Binding {
	all, short := m.shortHelpKeys()
	if short == nil || m.helpFits(all) {
		return all
	}
	return short
}

// shortHelpKeys are the help bar's bindings: all of them and, on the main
// screen, the shorter set shown when all do not fit (nil elsewhere). A
// bar wide enough for every key that works (a 300-column terminal) shows
// them all, the moves, the note and the summary too; a narrower one
// leaves all of those to "? all keys" rather than half of them. Which of
// the two shows follows from all's bindings and the width alone, so the
// footer's cache keys on all without measuring it (helpSignature).
func (m Model) shortHelpKeys() (all, short []key.Binding) {
	k := m.keys
	switch m.state {
	case stateChoose, stateForm, stateConnect:
		return []key.Binding{k.Up, k.Down, k.NextField, k.Submit, k.Esc, k.Quit, k.ForceQuit}, nil
	case stateError:
		return []key.Binding{k.Back, k.Quit}, nil
	case stateSummary:
		return []key.Binding{k.Yes, k.Export, k.No, k.Submit, k.Esc, k.PageDown, k.PageUp, k.Back, k.Quit}, nil
	}
	if m.dlg.kind != dlgNone || m.pane.typing {
		return []key.Binding{k.Yes, k.No, k.Submit, k.Esc, k.ForceQuit}, nil
	}
	main := []key.Binding{k.Sudo, k.Run, k.Retry, k.Cancel, k.Pass, k.Fail, k.Skip, k.NA,
		k.SearchNext, k.SearchPrev, k.ClearSearch, k.Rollback, k.Zoom, k.Search, k.Wrap, k.Follow}
	all = append(append(main[:len(main):len(main)], k.Note, k.Summary, k.Up, k.Down, k.Top, k.Bottom,
		k.PageUp, k.PageDown, k.Left, k.Right), k.Help, k.Quit, k.ForceQuit)
	return all, append(main, k.Help, k.Quit)
}

// helpFits reports whether the enabled ones of bs fit on the help bar's
// one line.
func (m Model) helpFits(bs []key.Binding) bool {
	var on []key.Binding
	for _, b := range bs {
		if b.Enabled() {
			on = append(on, b)
		}
	}
	h := m.help // measures without cutting
	h.SetWidth(0)
	return lipgloss.Width(h.ShortHelpView(on)) <= m.width-m.styles.Footer.GetHorizontalFrameSize()
}

// FullHelp returns every binding that works now, grouped.
func (m Model) FullHelp() [][]key.Binding {
	k := m.keys
	if m.state != stateMain || m.dlg.kind != dlgNone || m.pane.typing {
		return [][]key.Binding{m.ShortHelp()}
	}
	return [][]key.Binding{
		{k.Run, k.Retry, k.Cancel, k.Rollback, k.Sudo},
		{k.Pass, k.Fail, k.Skip, k.NA, k.Note},
		{k.Up, k.Down, k.Top, k.Bottom, k.Zoom, k.Summary},
		{k.PageUp, k.PageDown, k.Left, k.Right, k.Wrap, k.Follow, k.Search, k.SearchNext, k.SearchPrev, k.ClearSearch},
		{k.Help, k.Quit, k.ForceQuit},
	}
}

// footer renders the help bar: only the keys that work now. It is
// rendered again only when those keys, their words or the width change.
func (m Model) footer() string {
	k := footerKey{styles: m.styles.id, width: m.width, helpWidth: m.help.Width(), all: m.help.ShowAll}
	if m.vc != nil {
		k.keys = m.helpSignature()
	}
	return m.vc.memoFooter(k, func() string {
		if m.help.ShowAll {
			return m.styles.Footer.Render(m.fullHelpView())
		}
		return m.styles.Footer.Render(m.help.ShortHelpView(m.fitShortHelp()))
	})
}

// helpSignature is the help text of every binding the help bar could
// show now (keys, words, and whether each is on), in order: two equal
// signatures render the same help bar.
func (m Model) helpSignature() string {
	var b strings.Builder
	add := func(bs []key.Binding) {
		for _, x := range bs {
			if !x.Enabled() {
				b.WriteByte(0)
				continue
			}
			h := x.Help()
			b.WriteString(h.Key)
			b.WriteByte(1)
			b.WriteString(h.Desc)
			b.WriteByte(1)
			for _, k := range x.Keys() {
				b.WriteString(k)
				b.WriteByte(2)
			}
			b.WriteByte(3)
		}
		b.WriteByte(4)
	}
	if m.help.ShowAll {
		for _, g := range m.FullHelp() {
			add(g)
		}
	} else {
		all, _ := m.shortHelpKeys() // ShortHelp picks from these by the width
		add(all)
	}
	return b.String()
}

// fullHelpView lays the FullHelp groups out as columns, starting a new
// row of columns when the next one does not fit: every key is shown, even
// at 80 columns (the help model would cut the last columns).
func (m Model) fullHelpView() string {
	h := m.help
	h.SetWidth(0)
	w := m.width - m.styles.Footer.GetHorizontalFrameSize()
	var rows []string
	var row []string
	used := 0
	for _, g := range m.FullHelp() {
		col := h.FullHelpView([][]key.Binding{g})
		if strings.TrimSpace(col) == "" {
			continue // every key of the group is off
		}
		cw := lipgloss.Width(col)
		if len(row) > 0 && used+3+cw > w {
			rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
			row, used = nil, 0
		}
		if len(row) > 0 {
			row = append(row, "   ")
			used += 3
		}
		row = append(row, col)
		used += cw
	}
	if len(row) > 0 {
		rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
	}
	return strings.Join(rows, "\n")
}

// fitShortHelp is ShortHelp cut to what fits on one line, most useful
// first, always keeping "? all keys" and "q quit" (the help model would cut
// the end of the line, where they are).
func (m Model) fitShortHelp() []key.Binding {
	all := m.ShortHelp()
	w := m.width - m.styles.Footer.GetHorizontalFrameSize()
	h := m.help // measures without cutting
	h.SetWidth(0)
	var on []key.Binding
	for _, b := range all {
		if b.Enabled() {
			on = append(on, b)
		}
	}
	if lipgloss.Width(h.ShortHelpView(on)) <= w {
		return on
	}
	keep := map[int]bool{}
	used := -3 // n bindings have n-1 separators
	width := func(b key.Binding) int { return lipgloss.Width(h.ShortHelpView([]key.Binding{b})) + 3 }
	for i, b := range on { // the ones that must stay first
		if key.Matches(tea.KeyPressMsg{Code: '?', Text: "?"}, b) || key.Matches(tea.KeyPressMsg{Code: 'q', Text: "q"}, b) {
			keep[i], used = true, used+width(b)
		}
	}
	for i, b := range on {
		if !keep[i] && used+width(b) <= w {
			keep[i], used = true, used+width(b)
		}
	}
	var out []key.Binding
	for i, b := range on {
		if keep[i] {
			out = append(out, b)
		}
	}
	return out
}

// syncPaneKeys sets the keys that depend on the output pane's lines and
// view (wrap, sideways, follow, search): syncKeys, and each frame of
// output (showOutput), since a line wider than the pane or the end of
// the view may have just come.
func (m *Model) syncPaneKeys(hasOutput bool) {
	k := &m.keys
	wrapped := m.pane.vp.SoftWrap
	k.Wrap.SetEnabled(hasOutput && (wrapped || m.pane.wide()))
	if wrapped {
		k.Wrap.SetHelp("w", "unwrap lines")
	} else {
		k.Wrap.SetHelp("w", "wrap lines")
	}
	k.Left.SetEnabled(hasOutput && !wrapped && m.pane.vp.XOffset() > 0)
	k.Right.SetEnabled(hasOutput && !wrapped && m.pane.wide())
	k.Follow.SetEnabled(hasOutput && !m.pane.following())
	k.Search.SetEnabled(hasOutput)
}
