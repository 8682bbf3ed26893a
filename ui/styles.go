package ui

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
)

// Palette. A handful of colours, chosen to read on dark and light
// backgrounds; every status also carries a glyph and a word, so nothing is
// told by colour alone (STYLE §7).
var (
	colAccent  = lipgloss.Color("#7D56F4")
	colMuted   = lipgloss.Color("#8A8A8A")
	colGood    = lipgloss.Color("#3FB950")
	colBad     = lipgloss.Color("#F85149")
	colWarn    = lipgloss.Color("#D29922")
	colInfo    = lipgloss.Color("#58A6FF")
	colText    = lipgloss.Color("#E6E6E6")
	colBorder  = lipgloss.Color("#444444")
	colStderr  = lipgloss.Color("#FF7B72")
	colHilite  = lipgloss.Color("#FFD866")
	colOnAccnt = lipgloss.Color("#FFFFFF")
)

// styles holds every style the UI renders with, grouped by area. Models keep
// a styles value; View never builds styles of its own.
type styles struct {
	// Header and footer.
	Header      lipgloss.Style
	HeaderTitle lipgloss.Style
	HeaderField lipgloss.Style
	HeaderLabel lipgloss.Style
	Banner      lipgloss.Style // connection lost / reconnecting
	BannerOK    lipgloss.Style // connection restored
	Footer      lipgloss.Style

	// Step list.
	ListPane     lipgloss.Style
	Section      lipgloss.Style
	StepSelected lipgloss.Style
	StepNormal   lipgloss.Style
	StepNA       lipgloss.Style
	Status       map[stepStatus]lipgloss.Style

	// Step detail.
	DetailPane  lipgloss.Style
	DetailTitle lipgloss.Style
	Label       lipgloss.Style
	Why         lipgloss.Style
	Command     lipgloss.Style
	RiskHigh    lipgloss.Style
	RiskMedium  lipgloss.Style
	RiskLow     lipgloss.Style
	Rollback    lipgloss.Style
	ExpectOK    lipgloss.Style
	ExpectBad   lipgloss.Style
	Muted       lipgloss.Style

	// Output pane.
	OutputPane   lipgloss.Style
	OutputTitle  lipgloss.Style
	GutterStdout lipgloss.Style
	GutterStderr lipgloss.Style
	GutterMatch  lipgloss.Style
	InfoLine     lipgloss.Style

	// Dialogs, forms and panels.
	Dialog      lipgloss.Style
	DialogTitle lipgloss.Style
	ErrorPanel  lipgloss.Style
	ErrorTitle  lipgloss.Style
	ErrorText   lipgloss.Style
	Hint        lipgloss.Style
	Choice      lipgloss.Style
	ChoiceSel   lipgloss.Style
	FieldLabel  lipgloss.Style
	FieldErr    lipgloss.Style
	Good        lipgloss.Style
	Bad         lipgloss.Style
	Warn        lipgloss.Style
	Page        lipgloss.Style // a full-screen page's margins

	// id tells this set from any other for the view caches; listEdge is
	// what ListPane puts after each line (its padding and border).
	// Styles are not changed once built.
	id       uint64
	listEdge string
	// fastJoin: joinBody may lay out the main screen itself (these
	// ListPane and DetailPane give what it gives).
	fastJoin bool
	// ruleOpen and ruleClose wrap the output pane's rule (its top
	// border, "─" as wide as the pane); fastPane: stackUnderRule may draw
	// the pane's frame itself.
	ruleOpen, ruleClose string
	fastPane            bool
}

func defaultStyles() styles {
	var s styles
	s.Header = lipgloss.NewStyle().Foreground(colText).Background(colAccent).Padding(0, 1)
	s.HeaderTitle = lipgloss.NewStyle().Bold(true).Foreground(colOnAccnt).Background(colAccent)
	s.HeaderField = lipgloss.NewStyle().Foreground(colOnAccnt).Background(colAccent)
	s.HeaderLabel = lipgloss.NewStyle().Foreground(colText).Background(colAccent).Faint(true)
	s.Banner = lipgloss.NewStyle().Bold(true).Foreground(colOnAccnt).Background(colBad).Padding(0, 1)
	s.BannerOK = lipgloss.NewStyle().Bold(true).Foreground(colOnAccnt).Background(colGood).Padding(0, 1)
	s.Footer = lipgloss.NewStyle().Padding(0, 1)

	s.ListPane = lipgloss.NewStyle().Border(lipgloss.NormalBorder(), false, true, false, false).
		BorderForeground(colBorder).PaddingRight(1)
	s.Section = lipgloss.NewStyle().Bold(true).Foreground(colInfo)
	s.StepSelected = lipgloss.NewStyle().Bold(true).Reverse(true)
	s.StepNormal = lipgloss.NewStyle()
	s.StepNA = lipgloss.NewStyle().Foreground(colMuted)
	s.Status = map[stepStatus]lipgloss.Style{
		statusPending:     lipgloss.NewStyle().Foreground(colMuted),
		statusRunning:     lipgloss.NewStyle().Foreground(colInfo).Bold(true),
		statusStarting:    lipgloss.NewStyle().Foreground(colInfo),
		statusAwaiting:    lipgloss.NewStyle().Foreground(colWarn).Bold(true),
		statusPassed:      lipgloss.NewStyle().Foreground(colGood),
		statusFailed:      lipgloss.NewStyle().Foreground(colBad).Bold(true),
		statusSkipped:     lipgloss.NewStyle().Foreground(colWarn),
		statusNA:          lipgloss.NewStyle().Foreground(colMuted),
		statusUnknown:     lipgloss.NewStyle().Foreground(colBad),
		statusInterrupted: lipgloss.NewStyle().Foreground(colWarn),
		statusBlocked:     lipgloss.NewStyle().Foreground(colBad),
		statusNotRun:      lipgloss.NewStyle().Foreground(colWarn),
	}

	s.DetailPane = lipgloss.NewStyle().PaddingLeft(1)
	s.DetailTitle = lipgloss.NewStyle().Bold(true)
	s.Label = lipgloss.NewStyle().Foreground(colMuted)
	s.Why = lipgloss.NewStyle().Italic(true)
	s.Command = lipgloss.NewStyle().Foreground(colHilite)
	s.RiskHigh = lipgloss.NewStyle().Foreground(colBad).Bold(true)
	s.RiskMedium = lipgloss.NewStyle().Foreground(colWarn)
	s.RiskLow = lipgloss.NewStyle().Foreground(colMuted)
	s.Rollback = lipgloss.NewStyle().Foreground(colWarn)
	s.ExpectOK = lipgloss.NewStyle().Foreground(colGood)
	s.ExpectBad = lipgloss.NewStyle().Foreground(colBad).Bold(true)
	s.Muted = lipgloss.NewStyle().Foreground(colMuted)

	s.OutputPane = lipgloss.NewStyle().Border(lipgloss.NormalBorder(), true, false, false, false).
		BorderForeground(colBorder)
	s.OutputTitle = lipgloss.NewStyle().Foreground(colMuted)
	s.GutterStdout = lipgloss.NewStyle().Foreground(colBorder)
	s.GutterStderr = lipgloss.NewStyle().Foreground(colStderr).Bold(true)
	s.GutterMatch = lipgloss.NewStyle().Foreground(colHilite).Bold(true)
	s.InfoLine = lipgloss.NewStyle().Foreground(colInfo).Italic(true)

	s.Dialog = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(colAccent).Padding(0, 1)
	s.DialogTitle = lipgloss.NewStyle().Bold(true).Foreground(colAccent)
	s.ErrorPanel = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(colBad).Padding(0, 1)
	s.ErrorTitle = lipgloss.NewStyle().Bold(true).Foreground(colBad)
	s.ErrorText = lipgloss.NewStyle()
	s.Hint = lipgloss.NewStyle().Foreground(colMuted)
	s.Choice = lipgloss.NewStyle().PaddingLeft(2)
	s.ChoiceSel = lipgloss.NewStyle().Bold(true).Foreground(colAccent)
	s.FieldLabel = lipgloss.NewStyle().Bold(true)
	s.FieldErr = lipgloss.NewStyle().Foreground(colBad)
	s.Good = lipgloss.NewStyle().Foreground(colGood)
	s.Bad = lipgloss.NewStyle().Foreground(colBad).Bold(true)
	s.Warn = lipgloss.NewStyle().Foreground(colWarn)
	s.Page = lipgloss.NewStyle().Padding(0, 1)
	return s.seal()
}

// seal numbers a styles set and derives what the main screen draws
// without lipgloss: call it after changing any style.
func (s styles) seal() styles {
	s.id = styleSets.Add(1)
	s.listEdge = strings.TrimPrefix(s.ListPane.Render("x"), "x")
	s.fastJoin = fastJoinWorks(s)
	if top, _, ok := strings.Cut(s.OutputPane.Render("x"), "\n"); ok {
		if i := strings.Index(top, "─"); i >= 0 && strings.Count(top, "─") == 1 {
			s.ruleOpen, s.ruleClose = top[:i], top[i+len("─"):]
		}
	}
	s.fastPane = fastPaneWorks(s)
	return s
}

// statusStyle returns the style for a status, falling back to plain.
func (s styles) statusStyle(st stepStatus) lipgloss.Style {
	if x, ok := s.Status[st]; ok {
		return x
	}
	return lipgloss.NewStyle()
}

// ColorProfile returns the colour profile the program should render with:
// Ascii (no colours, attributes only) when NO_COLOR is set to anything
// non-empty (https://no-color.org), otherwise what the terminal reports.
// The second result is false when the caller should let Bubble Tea detect
// the profile itself.
func ColorProfile(environ []string) (colorprofile.Profile, bool) {
	for _, kv := range environ {
		if len(kv) > len("NO_COLOR=") && kv[:len("NO_COLOR=")] == "NO_COLOR=" {
			return colorprofile.Ascii, true
		}
	}
	return colorprofile.TrueColor, false
}
