package ui

import (
	"fmt"
	"strings"
	"time"

	"golive/runbook"
)

// maxCommandLines bounds how much of a long command the detail shows; the
// rest is counted, and `golive show` prints it whole.
const maxCommandLines = 6

// detailView renders the selected step: title and status, why, the command
// exactly as it will run, risk, rollback, checklist, expectations and how
// the last attempt met them, the sign-off, and what blocks it.
func (m Model) detailView(w int) string {
	id := m.steps[m.selected]
	ps := m.rel.planned(id)
	if ps == nil {
		return ""
	}
	s := ps.Step
	st := m.styles
	state := m.rel.Session.Step(id)
	status := m.stepStatusOf(id)
	var b []string
	add := func(lines ...string) { b = append(b, lines...) }

	add(st.DetailTitle.Render(s.Title) + "  " + st.statusStyle(status).Render("["+status.Label()+"]"))
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
	add(st.Muted.Render(strings.Join(meta, " · ")))
	if a := state.Last(); a != nil {
		add(m.attemptLine(a))
		for _, f := range a.Failures {
			add(st.ExpectBad.Render("  ✗ " + plainText((f))))
		}
	}
	if so := state.SignOff; so != nil {
		line := fmt.Sprintf("Signed off %s by %s at %s", verdictWord(so.Verdict), so.Operator, so.Time.UTC().Format(time.RFC3339))
		if so.Auto {
			line += " (automatic)"
		}
		if so.Note != "" {
			line += ": " + plainText(so.Note)
		}
		add(st.Label.Render(wrap(line, w)))
	}
	if by := m.rel.Session.BlockedBy(id); by != "" && state.Verdict == "" {
		add(st.Bad.Render(wrap(fmt.Sprintf("Blocked by %s, a failed high-risk step: sign it off with a reason or choose its rollback (b).", by), w)))
	}
	if s.Why != "" {
		add(st.Why.Render(wrap(s.Why, w)))
	}
	if ps.Display != "" {
		add(m.commandLines(ps)...)
	}
	for _, c := range s.Checklist {
		mark := "☐ "
		if state.Verdict == runbook.VerdictPassed {
			mark = "☑ "
		}
		add("  " + mark + c)
	}
	if e := expectWords(s.Expect); e != "" && s.Kind != runbook.KindManual {
		add(st.Label.Render("Expect: ") + e)
	}
	if s.Rollback != "" && (status == statusFailed || s.Risk == runbook.RiskHigh || state.Rollback) {
		r := "Rollback: " + s.Rollback
		if state.Rollback {
			r = "Rollback chosen: " + state.RollbackNote + " (advice: " + s.Rollback + ")"
		}
		add(st.Rollback.Render(wrap(r, w)))
	}
	for _, n := range state.Notes {
		add(st.Muted.Render(wrap("Note: "+plainText((fmt.Sprint(n))), w)))
	}
	return strings.Join(b, "\n")
}

// attemptLine says how the last attempt went.
func (m Model) attemptLine(a *runbook.Attempt) string {
	st := m.styles
	head := fmt.Sprintf("Attempt %d: ", a.N)
	switch {
	case a.Exit == nil && a.Interrupted:
		return st.Warn.Render(head + "interrupted: " + plainText((a.InterruptNote)))
	case a.Exit == nil:
		el := m.opts.Now().Sub(a.Started).Truncate(time.Second)
		return st.Label.Render(head + "running for " + el.String() + fmt.Sprintf(", %d lines", a.OutputLines))
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

// commandLines renders a step's command as it will run. The runbook's
// prelude, the same for every remote step, is folded into one line so the
// step's own command stays in view.
func (m Model) commandLines(ps *runbook.PlannedStep) []string {
	st := m.styles
	// Masked as the journal records it (StartEvent): secret-shaped text
	// written into the runbook itself is hidden too.
	lines := strings.Split(strings.TrimRight(m.rel.Redactor.Line(ps.Display), "\n"), "\n")
	var out []string
	if pre := m.preludeLines(ps); pre > 0 && pre < len(lines) {
		out = append(out, st.Muted.Render(fmt.Sprintf("  (prelude, %s: %s …)", plural(pre, "line"), Sanitize(lines[0]))))
		lines = lines[pre:]
	}
	extra := 0
	if len(lines) > maxCommandLines {
		extra = len(lines) - maxCommandLines
		lines = lines[:maxCommandLines]
	}
	for i, l := range lines {
		p := "  "
		if i == 0 {
			p = "$ "
		}
		out = append(out, st.Command.Render(p+Sanitize(l)))
	}
	if extra > 0 {
		out = append(out, st.Muted.Render(fmt.Sprintf("  … %d more lines ('golive show' prints them all)", extra)))
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
