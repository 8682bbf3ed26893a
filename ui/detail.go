package ui

import (
	"charm.land/lipgloss/v2"
	"fmt"
	"github.com/charmbracelet/x/ansi"
	"strings"
	"time"

	"golive/runbook"
)

// maxCommandLines bounds how much of a long command the detail shows
// beside the output; the rest is counted, and z shows the whole step.
const maxCommandLines = 6

// detailView renders the selected step: title and status, why, the command
// exactly as it will run, risk, rollback, checklist, expectations and how
// the last attempt met them, the sign-off, and what blocks it. Every line
// is wrapped to w, never cut. full is the whole-step view (z): the whole
// command, prelude included.
func (m Model) detailView(w int, full bool) string {
	id := m.steps[m.selected]
	ps := m.rel.planned(id)
	if ps == nil {
		return ""
	}
	s := ps.Step
	st := m.styles
	state := m.rel.Session.Step(id)
	status := m.stepStatusOf(id)
	parts := m.detailParts(ps, w, full, state.Verdict == runbook.VerdictPassed)
	var b []string
	add := func(lines ...string) { b = append(b, lines...) }

	// The status goes after the title, or under it when the title's last
	// line has no room for it: never cut.
	label := st.statusStyle(status).Render("[" + status.Label() + "]")
	if parts.lastTitleW+2+cellWidth(label) <= w {
		add(parts.title[:len(parts.title)-1]...)
		add(parts.title[len(parts.title)-1] + "  " + label)
	} else {
		add(parts.title...)
		add(label)
	}
	add(parts.meta)
	if a := state.Last(); a != nil {
		add(wrap(m.attemptLine(id, a), w))
		for _, f := range failuresBeyondExit(a) {
			if neverStarted(a) {
				break // nothing ran: its expectations were never tried
			}
			add(st.ExpectBad.Render(wrapIndent("  ✗ "+plainText(f), w, "    ")))
		}
	}
	if so := state.SignOff; so != nil {
		line := fmt.Sprintf("Signed off %s by %s at %s", verdictWord(so.Verdict), so.Operator, so.Time.UTC().Format("15:04:05Z"))
		if so.Auto {
			line += " (automatic)"
		}
		if so.Note != "" {
			line += ": " + plainText(so.Note)
		}
		add(st.Label.Render(wrap(line, w)))
	}
	// After a failure the rollback is what the operator needs next: it
	// comes before why and command (which z still shows).
	rollback := ""
	if s.Rollback != "" && (status == statusFailed || s.Risk == runbook.RiskHigh || state.Rollback) {
		rollback = "Rollback: " + s.Rollback
		if state.Rollback {
			rollback = "Rollback chosen: " + state.RollbackNote + " (advice: " + s.Rollback + ")"
		}
	}
	early := status == statusFailed || state.Rollback
	if rollback != "" && early {
		if status == statusFailed && !state.Rollback && s.Risk == runbook.RiskHigh && m.blocksOthers(id) {
			add(st.Bad.Render(wrap("The steps after it are blocked until you choose its rollback (b).", w)))
		}
		add(st.Rollback.Render(wrap(rollback, w)))
	}
	if by := m.rel.Session.BlockedBy(id); by != "" && state.Verdict == "" {
		add(st.Bad.Render(wrap(fmt.Sprintf("Blocked by %s, a failed high-risk step: sign it off with a reason or choose its rollback (b).", by), w)))
	}
	add(parts.body...)
	if rollback != "" && !early {
		add(st.Rollback.Render(wrap(rollback, w)))
	}
	for _, n := range state.Notes {
		add(st.Muted.Render(wrap("Note ("+n.Time.UTC().Format("15:04:05Z")+"): "+plainText(n.Text), w)))
	}
	return strings.Join(b, "\n")
}

// detailKey is everything the runbook-only parts of a step's detail are
// rendered from.
type detailKey struct {
	styles uint64
	plan   *runbook.Plan
	cmd    string // the command as shown: masked by the redactor now
	id     string
	w      int
	full   bool
	passed bool
}

// detailParts are the parts of a step's detail that depend only on the
// runbook, the width and whether it passed: its title (wrapped, without
// the status; lastTitleW is its last line's width), the line under it,
// and why, command, checklist and expectations.
type detailParts struct {
	title      []string
	lastTitleW int
	meta       string
	body       []string
}

// detailParts returns a step's runbook-only detail parts, rendered once
// per width.
func (m Model) detailParts(ps *runbook.PlannedStep, w int, full, passed bool) *detailParts {
	k := detailKey{styles: m.styles.id, plan: m.rel.Plan, id: ps.Step.ID, w: w, full: full, passed: passed}
	if ps.Display != "" {
		// Masked afresh every frame and part of the key: a secret the
		// redactor learns during the run (a variable entered, the sudo
		// password) never stays on screen from a cached render.
		k.cmd = m.rel.Redactor.Line(ps.Display)
	}
	return m.vc.details(k, func() *detailParts {
		s := ps.Step
		st := m.styles
		p := &detailParts{}
		p.title = strings.Split(wrap(s.Title, w), "\n")
		for i, l := range p.title {
			p.title[i] = st.DetailTitle.Render(l)
		}
		p.lastTitleW = cellWidth(p.title[len(p.title)-1])
		meta := []string{s.ID, string(s.Kind)}
		if s.Sudo {
			meta = append(meta, "sudo")
		}
		risk := string(s.Risk)
		if risk == "" {
			risk = string(runbook.RiskLow)
		}
		switch s.Risk {
		case runbook.RiskHigh:
			meta = append(meta, st.RiskHigh.Render("risk: HIGH (typed confirmation)"))
		case runbook.RiskMedium:
			meta = append(meta, st.RiskMedium.Render("risk: medium"))
		default:
			meta = append(meta, st.RiskLow.Render("risk: "+risk))
		}
		if !ps.Applicable {
			meta = append(meta, "not applicable (when: "+s.When+")")
		}
		p.meta = wrap(st.Muted.Render(strings.Join(meta, " · ")), w)
		if s.Why != "" {
			p.body = append(p.body, st.Why.Render(wrap(s.Why, w)))
		}
		if ps.Display != "" {
			p.body = append(p.body, m.commandLinesOf(ps, k.cmd, w, full)...)
		}
		for _, c := range s.Checklist {
			mark := "☐ "
			if passed {
				mark = "☑ "
			}
			p.body = append(p.body, wrapIndent("  "+mark+c, w, "    "))
		}
		if e := expectWords(s.Expect); e != "" && s.Kind != runbook.KindManual {
			p.body = append(p.body, wrapIndent(st.Label.Render("Expect: ")+e, w, "  "))
		}
		return p
	})
}

// detailBox is the detail beside the output, h lines: when the step needs
// more, its last line says how much more there is and that z shows it.
func (m Model) detailBox(w, h int) string {
	return m.detailBoxOf(m.detailView(w, false), w, h)
}

// detailBoxOf is detailBox of the detail already rendered at w.
func (m Model) detailBoxOf(detail string, w, h int) string {
	lines := strings.Split(detail, "\n")
	if len(lines) > h && h > 1 {
		more := len(lines) - (h - 1)
		lines = append(lines[:h-1], m.styles.Hint.Render("… "+moreLines(more)+": z shows the whole step"))
	}
	return fit(strings.Join(lines, "\n"), w, h)
}

// zoomView is the whole step over the full height (z): every line of its
// command, why, rollback and checklist, scrolled with pgup/pgdn.
func (m Model) zoomView(w, h int) string {
	lines := strings.Split(m.detailView(w, true), "\n")
	h = max(h-1, 1) // the last line says where this is
	off := max(0, min(m.detailOff, len(lines)-h))
	end := min(len(lines), off+h)
	where := fmt.Sprintf("── lines %d–%d of %d", off+1, end, len(lines))
	if len(lines) > h {
		where += " · pgup/pgdn"
	}
	where += " · z output ──"
	return fit(strings.Join(lines[off:end], "\n"), w, h) + "\n" + m.styles.Hint.Render(ansi.Truncate(where, w, "…"))
}

// scrollDetail moves the whole-step view by pages (d<0 up).
func (m *Model) scrollDetail(d int) {
	_, bodyH, w, _ := m.mainGeometry()
	n := lipgloss.Height(m.detailView(w, true))
	page := max(bodyH-2, 1)
	m.detailOff = max(0, min(m.detailOff+d*page, n-(bodyH-1)))
}

// attemptLine says how step's last attempt went. A running attempt's
// line count is the one of the last frame of output, so it changes with
// the output pane, not with every batch. An attempt whose job the host
// has not confirmed started is "starting" (launch.go), on two lines once
// that takes long.
func (m Model) attemptLine(step string, a *runbook.Attempt) string {
	st := m.styles
	head := fmt.Sprintf("Attempt %d: ", a.N)
	switch {
	case a.Exit == nil && a.Interrupted:
		return st.Warn.Render(head + "interrupted: " + plainText((a.InterruptNote)))
	case a.Exit == nil && !launched(a):
		since := a.Started
		if n := len(a.Resumed); n > 0 {
			since = a.Resumed[n-1] // reattached: since golive asked again
		}
		el := m.opts.Now().Sub(since).Truncate(time.Second)
		line := st.Label.Render(head + "starting on " + startingOn(a) + "… " + el.String())
		if el >= slowStart {
			line += "\n" + st.Warn.Render("Not started yet: "+slowStartWhy(a))
		}
		return line
	case a.Exit == nil:
		since := a.Started
		if wait, ok := a.LaunchWait(); ok && wait > 0 {
			since = a.Launched // the job's own time, not the wait for the host
		}
		el := m.opts.Now().Sub(since).Truncate(time.Second)
		n := a.OutputLines
		if r := m.run; r != nil && r.step == step && r.attempt == a.N && r.shownOK {
			n = r.shownLines
		}
		return st.Label.Render(head + "running for " + el.String() + ", " + plural(int(n), "line"))
	case neverStarted(a):
		return st.Warn.Render(head + neverStartedWords)
	case a.ExpectationsMet:
		return st.ExpectOK.Render(head + exitWords(a.Exit) + " · ✓ expectations met")
	}
	return st.ExpectBad.Render(head + exitWords(a.Exit) + " · ✗ expectations not met")
}

// expectWords summarizes a step's expectations.
func expectWords(e runbook.Expect) string {
	var parts []string
	codes := e.Exit
	if len(codes) == 0 {
		codes = []int{0}
	}
	cs := make([]string, len(codes))
	for i, c := range codes {
		cs[i] = fmt.Sprint(c)
	}
	parts = append(parts, "exit "+strings.Join(cs, " or "))
	for _, p := range e.Match {
		parts = append(parts, fmt.Sprintf("output matches %q", p))
	}
	for _, p := range e.NotMatch {
		parts = append(parts, fmt.Sprintf("no output matches %q", p))
	}
	return strings.Join(parts, "; ")
}

// commandLines renders a step's command as it will run, each line wrapped
// to w with "↪ " marking a wrapped continuation. Beside the output the
// runbook's prelude, the same for every remote step, is folded into one
// line so the step's own command stays in view, and a long command is
// cut after maxCommandLines (z shows it all); full shows everything.
func (m Model) commandLines(ps *runbook.PlannedStep, w int, full bool) []string {
	return m.commandLinesOf(ps, m.rel.Redactor.Line(ps.Display), w, full)
}

// commandLinesOf is commandLines of the command already masked.
func (m Model) commandLinesOf(ps *runbook.PlannedStep, masked string, w int, full bool) []string {
	st := m.styles
	// Masked as the journal records it (StartEvent): secret-shaped text
	// written into the runbook itself is hidden too.
	lines := strings.Split(strings.TrimRight(masked, "\n"), "\n")
	var out []string
	if pre := m.preludeLines(ps); pre > 0 && pre < len(lines) && !full {
		out = append(out, st.Muted.Render(ansi.Truncate(fmt.Sprintf("  (prelude, %s: %s", plural(pre, "line"), Sanitize(lines[0])), w-3, "")+" …)"))
		lines = lines[pre:]
	}
	extra := 0
	if len(lines) > maxCommandLines && !full {
		extra = len(lines) - maxCommandLines
		lines = lines[:maxCommandLines]
	}
	for i, l := range lines {
		p := "  "
		if i == 0 {
			p = "$ "
		}
		out = append(out, st.Command.Render(wrapIndent(p+Sanitize(l), w, "↪ ")))
	}
	if extra > 0 {
		out = append(out, st.Muted.Render(wrap("  … "+moreLines(extra)+": z shows the whole step", w)))
	}
	return out
}

// preludeLines is how many lines of a step's script the prelude takes.
func (m Model) preludeLines(ps *runbook.PlannedStep) int {
	pre := strings.TrimRight(m.rel.Plan.Runbook.Prelude, "\n")
	if pre == "" || ps.Step.NoPrelude || ps.Step.Kind != runbook.KindRemote {
		return 0
	}
	return strings.Count(pre, "\n") + 1
}

// wrapIndent wraps s (which may hold colours) to w cells, breaking words
// longer than a line, and starts every continuation line with indent.
func wrapIndent(s string, w int, indent string) string {
	w = max(w-ansi.StringWidth(indent), 10)
	lines := strings.Split(wrapWords(s, w, " /"), "\n")
	for i := 1; i < len(lines); i++ {
		lines[i] = indent + lines[i]
	}
	return strings.Join(lines, "\n")
}

// wrapWords wraps s to w cells as ansi.Wrap does, but never inside a flag
// (keepFlags).
func wrapWords(s string, w int, breakpoints string) string {
	return keepFlags(s, func(s string) string { return ansi.Wrap(s, w, breakpoints) })
}

// keepFlags runs wrapFn on s with the hyphens of every word that starts
// with one made non-breaking, then puts them back. ansi.Wrap (and
// lipgloss.Wrap) always break after a hyphen, and golive's advice
// "--sudo-password" split into "--" and "sudo-password" on two lines
// reads, and is copied, as two words. Other hyphenated words (a long
// argument in a command) still break at their hyphens, and a word longer
// than a line is still cut.
func keepFlags(s string, wrapFn func(string) string) string {
	if !strings.Contains(s, " -") {
		return wrapFn(s)
	}
	const nbHyphen = "\u2011" // one cell, like "-", and no breakpoint
	words := strings.Split(s, " ")
	for i, word := range words {
		if strings.HasPrefix(word, "-") && len(word) > 1 {
			words[i] = strings.ReplaceAll(word, "-", nbHyphen)
		}
	}
	return strings.ReplaceAll(wrapFn(strings.Join(words, " ")), nbHyphen, "-")
}

// moreLines says how many more lines there are: "1 more line", "3 more
// lines".
func moreLines(n int) string {
	if n == 1 {
		return "1 more line"
	}
	return fmt.Sprintf("%d more lines", n)
}

// blocksOthers reports whether a step blocks any other (a failed
// high-risk step signed off without a reason or a rollback).
func (m Model) blocksOthers(id string) bool {
	for _, sid := range m.steps {
		if sid != id && m.rel.Session.BlockedBy(sid) == id {
			return true
		}
	}
	return false
}
