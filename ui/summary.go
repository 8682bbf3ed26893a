package ui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"golive/runbook"
)

// summaryKey handles a key on the summary screen.
func (m Model) summaryKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	switch {
	case key.Matches(msg, k.Export):
		if m.opts.OutDir != "" {
			return m.export(m.opts.OutDir)
		}
		// Empty, not ".": a typed /tmp/out must not become ./tmp/out.
		m.dlg = newInput(dlgExport, "", "", m.styles)
		m.syncKeys()
		cmd := m.dlg.input.Focus()
		return m, cmd
	case key.Matches(msg, k.PageUp):
		m.scrollSummary(-1)
	case key.Matches(msg, k.PageDown):
		m.scrollSummary(1)
	case key.Matches(msg, k.Back):
		m.state = stateMain
	case key.Matches(msg, k.Quit):
		settled := m.rel.Session.Finished() || m.rel.Session.Next() == ""
		if settled && len(m.outcome.Files) == 0 && !m.busy() {
			// The transcript is what the release leaves behind:
			// quitting without it is asked, not assumed.
			m.dlg = newConfirm(dlgQuitUnexported, "")
			m.syncKeys()
			// The key may have been ssh-added since the last question.
			m.signCheck = signCheck{seq: m.signCheck.seq + 1}
			return m, checkSigning(m.opts.SignCheck, m.signCheck.seq)
		}
		return m.quitSummary()
	}
	m.syncKeys()
	return m, nil
}

// quitSummary quits from the summary: a run whose steps are all settled
// is finished first (so it is no longer offered for resume); one that is
// not asks, as quitting mid-release does.
func (m Model) quitSummary() (tea.Model, tea.Cmd) {
	if m.rel.Session.Finished() {
		return m.quit()
	}
	if m.rel.Session.Next() == "" {
		if m.busy() {
			return m, nil
		}
		ev, err := m.rel.Session.Finish("")
		if err == nil {
			cmd := m.record(nextQuit, ev)
			return m, cmd
		}
	}
	m.dlg = newConfirm(dlgQuit, "")
	m.state = stateMain
	m.syncKeys()
	return m, nil
}

// export finishes the run if every step is settled, then writes the
// transcript to dir.
func (m Model) export(dir string) (tea.Model, tea.Cmd) {
	if m.busy() {
		return m, nil
	}
	m.exportDir = dir
	m.status, m.statusOK = "exporting to "+dir+"…", true
	if m.rel.Session.Next() == "" && !m.rel.Session.Finished() {
		ev, err := m.rel.Session.Finish("")
		if err == nil {
			cmd := m.record(nextExport, ev)
			return m, cmd
		}
	}
	return m, m.exportCmd(dir)
}

// onExported shows where the transcript went.
func (m Model) onExported(msg exportedMsg) (tea.Model, tea.Cmd) {
	if msg.err != nil {
		m.status, m.statusOK = "export failed: "+ErrorText(msg.err), false
		m.syncKeys()
		return m, nil
	}
	m.outcome.Files, m.outcome.Unsigned = msg.files, ""
	if msg.signErr != nil {
		m.outcome.Unsigned = ErrorText(msg.signErr)
	}
	// Short: the summary lists the files.
	n, unsigned, signed := len(msg.files), m.outcome.Unsigned, false
	for _, f := range msg.files {
		signed = signed || strings.HasSuffix(f, ".sig")
	}
	m.status, m.statusOK = fmt.Sprintf("exported: %s in %s", plural(n, "file"), m.exportDir), true
	if signed {
		m.status += ", signed"
	}
	if unsigned != "" {
		m.status, m.statusOK = fmt.Sprintf("exported: %s in %s, NOT signed: %s", plural(n, "file"), m.exportDir, unsigned), false
	}
	m.syncKeys() // the files listed may make the summary scroll
	return m, nil
}

// summaryView renders the verdict, the failed and skipped steps, those
// passed though their expectations were not met, and the
// steps' durations; a dialog (export, passphrase) comes right under the
// counts, and a summary too long for the screen scrolls (pgup/pgdn).
func (m Model) summaryView() string {
	st := m.styles
	top, rest := m.summaryContent()
	avail := max(m.height-1-lipgloss.Height(m.footer())-lipgloss.Height(m.statusLine()), 1)
	var lines []string
	if m.dlg.kind != dlgNone {
		// Never below the lists, where a small terminal would cut it.
		dlg := m.dialogView(min(m.width-2, 76), max(avail-len(top)-1, 8))
		lines = append(append(top, ""), strings.Split(dlg, "\n")...)
	} else {
		lines = append(top, rest...)
		if len(lines) > avail && avail > 2 {
			h := avail - 1
			off := max(0, min(m.summaryOff, len(lines)-h))
			end := min(len(lines), off+h)
			lines = append(lines[off:end:end], st.Hint.Render(fmt.Sprintf("── lines %d–%d of %d · pgup/pgdn ──", off+1, end, len(lines))))
		}
	}
	return lipgloss.JoinVertical(lipgloss.Left, m.header(),
		fit(m.styles.Page.Render(strings.Join(lines, "\n")), m.width, avail),
		m.statusLine(), m.footer())
}

// summaryContent is the summary's lines: top (title, verdict, run,
// counts) and rest (failed, skipped, passed over unmet expectations,
// durations, files), wrapped to the screen.
func (m Model) summaryContent() (top, rest []string) {
	st := m.styles
	s := m.rel.Session
	w := m.width - 2
	var b []string
	add := func(l ...string) { b = append(b, l...) }

	verdict := s.Verdict()
	vline := "Verdict: "
	switch verdict {
	case runbook.RunPassed:
		vline += st.Good.Render("✓ PASSED")
	case runbook.RunFailed:
		vline += st.Bad.Render("✗ FAILED")
		if next := s.Next(); next != "" {
			vline += st.Warn.Render(" (and steps are not signed off yet)")
		}
	default:
		vline += st.Warn.Render("… INCOMPLETE (steps are not signed off yet)")
	}
	add(st.DialogTitle.Render(wrap(fmt.Sprintf("Release summary: %s on %s", m.rel.Plan.Runbook.Title, m.rel.Host), w)), vline)
	end := m.opts.Now()
	if s.Finished() {
		end = s.Ended()
	}
	add(st.Muted.Render(wrap(fmt.Sprintf("Run %s · operator %s · started %s · %s elapsed",
		m.rel.RunID, m.rel.Operator, s.Started().UTC().Format("2006-01-02 15:04:05Z"), fmtDuration(end.Sub(s.Started()))), w)))

	counts := map[stepStatus]int{}
	var failed, skipped, overridden []string
	type dur struct {
		id string
		d  time.Duration
	}
	var durs []dur
	for _, id := range m.steps {
		status := m.stepStatusOf(id)
		counts[status]++
		state := s.Step(id)
		note := ""
		if state.SignOff != nil && state.SignOff.Note != "" {
			note = ": " + state.SignOff.Note
		}
		if state.Rollback {
			note += " (rollback chosen: " + state.RollbackNote + ")"
		}
		switch status {
		case statusFailed:
			failed = append(failed, wrapIndent("  "+st.Bad.Render(statusFailed.Glyph())+" "+id+plainText(note), w, "    "))
		case statusSkipped:
			skipped = append(skipped, wrapIndent("  "+st.Warn.Render(statusSkipped.Glyph())+" "+id+plainText(note), w, "    "))
		case statusPassed:
			// The operator's word over the checks: what a reviewer asks
			// about first, so it is not hidden in the count of passes.
			if a := state.Last(); a != nil && !a.ExpectationsMet {
				overridden = append(overridden, wrapIndent("  "+st.Warn.Render(statusPassed.Glyph())+" "+id+plainText(note), w, "    "))
			}
		}
		var d time.Duration
		for _, a := range state.Attempts {
			if a.Exit != nil {
				d += a.Exit.Duration
			}
		}
		if d > 0 {
			durs = append(durs, dur{id, d})
		}
	}
	var cs []string
	for _, k := range []stepStatus{statusPassed, statusFailed, statusSkipped, statusNA, statusPending, statusAwaiting, statusRunning, statusStarting, statusUnknown, statusNotRun, statusInterrupted, statusBlocked} {
		if counts[k] > 0 {
			cs = append(cs, fmt.Sprintf("%d %s", counts[k], k.Label()))
		}
	}
	add("", wrap("Steps: "+strings.Join(cs, " · "), w))
	top = strings.Split(strings.Join(b, "\n"), "\n")
	b = nil
	if len(failed) > 0 {
		add("", st.Bad.Render("Failed:"))
		add(failed...)
	}
	if len(skipped) > 0 {
		add("", st.Warn.Render("Skipped:"))
		add(skipped...)
	}
	if len(overridden) > 0 {
		add("", st.Warn.Render("Passed though expectations were not met:"))
		add(overridden...)
	}
	if len(durs) > 0 {
		sort.SliceStable(durs, func(i, j int) bool { return durs[i].d > durs[j].d })
		add("", "Longest steps:")
		for i, d := range durs {
			if i == 5 {
				break
			}
			add(fmt.Sprintf("  %-28s %s", d.id, stepDuration(d.d)))
		}
	}
	if len(m.outcome.Files) > 0 {
		add("", st.Good.Render("Transcript written:"))
		for _, f := range m.outcome.Files {
			add(wrapIndent("  "+f, w, "    "))
		}
		if m.outcome.Unsigned != "" {
			add(wrapIndent("  (not signed: "+m.outcome.Unsigned+")", w, "    "))
		}
	}
	if len(b) > 0 {
		rest = strings.Split(strings.Join(b, "\n"), "\n")
	}
	return top, rest
}

// scrollSummary moves the summary by pages (d<0 up).
func (m *Model) scrollSummary(d int) {
	top, rest := m.summaryContent()
	avail := m.height - 1 - lipgloss.Height(m.footer()) - lipgloss.Height(m.statusLine())
	page := max(avail-2, 1)
	m.summaryOff = max(0, min(m.summaryOff+d*page, len(top)+len(rest)-(avail-1)))
}
