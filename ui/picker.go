package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"golive/runbook"
)

// RunPicker lets the operator pick an unfinished run to resume. Run it as
// a Bubble Tea program and read Chosen from the final model.
type RunPicker struct {
	runs   []runbook.RunSummary
	cur    int
	keys   keyMap
	styles styles
	width  int
	chosen string
	now    func() time.Time
}

// NewRunPicker returns a picker over runs (newest first, as ListRuns
// returns them).
func NewRunPicker(runs []runbook.RunSummary, now func() time.Time) RunPicker {
	if now == nil {
		now = time.Now
	}
	return RunPicker{runs: runs, keys: defaultKeyMap(), styles: defaultStyles(), width: 80, now: now}
}

// Chosen is the picked run's id, or "" when the operator quit.
func (p RunPicker) Chosen() string { return p.chosen }

// Init does nothing.
func (p RunPicker) Init() tea.Cmd { return nil }

// Update moves the selection, picks with enter, quits with q or esc.
func (p RunPicker) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		p.width = msg.Width
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, p.keys.Up):
			p.cur = max(0, p.cur-1)
		case key.Matches(msg, p.keys.Down):
			p.cur = min(len(p.runs)-1, p.cur+1)
		case key.Matches(msg, p.keys.Submit):
			if len(p.runs) > 0 && p.runs[p.cur].Problem == "" {
				p.chosen = p.runs[p.cur].ID
				return p, tea.Quit
			}
		case key.Matches(msg, p.keys.Quit, p.keys.Esc, p.keys.ForceQuit):
			return p, tea.Quit
		}
	}
	return p, nil
}

// View lists the runs.
func (p RunPicker) View() tea.View {
	st := p.styles
	b := []string{st.DialogTitle.Render("Resume which run?"), ""}
	for i, r := range p.runs {
		line := fmt.Sprintf("%s  %s on %s by %s", r.ID, r.RunbookID, r.Host, r.Operator)
		detail := fmt.Sprintf("last step %s · %s ago", orDash(r.LastStep), SinceWords(p.now().Sub(r.LastTime)))
		if r.Problem != "" {
			line, detail = r.ID+"  (cannot be resumed)", r.Problem
		}
		if i == p.cur {
			line = st.ChoiceSel.Render("▸ " + line)
		} else {
			line = "  " + line
		}
		b = append(b, ansi.Truncate(line, p.width-2, "…"), st.Hint.Render(ansi.Truncate("    "+detail, p.width-2, "…")))
	}
	b = append(b, "", st.Hint.Render("↑/↓ choose · enter resume · q quit"))
	v := tea.NewView(st.Page.Render(strings.Join(b, "\n")))
	v.AltScreen = true
	return v
}

// SinceWords says how long ago something was, to the minute, for the
// lists of runs: "under a minute" below one (not "0s", which reads as
// "this instant" for something 59 s old), else "12m0s", "3h5m0s".
func SinceWords(d time.Duration) string {
	if d < time.Minute {
		return "under a minute"
	}
	return d.Truncate(time.Minute).String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
