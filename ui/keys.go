package ui

import "charm.land/bubbles/v2/key"

// keyMap holds every key binding of the UI, with its help text next to it
// (STYLE §6). Bindings that do not apply in the current state are disabled
// by (*Model).syncKeys, which also hides them from the help bar.
type keyMap struct {
	// Moving around the step list and the output.
	Up, Down, Top, Bottom key.Binding
	PageUp, PageDown      key.Binding
	Left, Right           key.Binding
	Follow                key.Binding
	// Zoom shows the whole step instead of the output; Wrap wraps long
	// output lines.
	Zoom, Wrap key.Binding

	// Acting on the selected step.
	Run, Retry, Cancel    key.Binding
	Pass, Fail, Skip, NA  key.Binding
	Rollback, Note, Sudo  key.Binding // Sudo: give the sudo password a step needs
	Summary, Export, Back key.Binding

	// Searching the output.
	Search, SearchNext, SearchPrev, ClearSearch key.Binding

	// Dialogs and forms.
	Yes, No, Submit, Esc key.Binding
	NextField, PrevField key.Binding

	// ManualRun is enter on a manual step: it says what to do instead
	// (no help: the help bar shows the sign-off keys).
	ManualRun key.Binding

	// Always there.
	Help, Quit, ForceQuit key.Binding
}

func defaultKeyMap() keyMap {
	return keyMap{
		Up:       key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("↓/j", "down")),
		Top:      key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "first step")),
		Bottom:   key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "last step")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "scroll output up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "scroll output down")),
		Follow:   key.NewBinding(key.WithKeys("F"), key.WithHelp("F", "follow")),
		Zoom:     key.NewBinding(key.WithKeys("z"), key.WithHelp("z", "full step")),
		Wrap:     key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "wrap lines")),
		Left:     key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "scroll output left")),
		Right:    key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "scroll output right")),

		Run:      key.NewBinding(key.WithKeys("enter", "r"), key.WithHelp("enter", "run")),
		Retry:    key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "retry")),
		Cancel:   key.NewBinding(key.WithKeys("x", "ctrl+x"), key.WithHelp("x", "cancel")),
		Pass:     key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pass")),
		Fail:     key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "fail")),
		Skip:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "skip")),
		NA:       key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "n/a")),
		Rollback: key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "rollback")),
		Note:     key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "add note")),
		Sudo:     key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "sudo password")),
		Summary:  key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "summary")),
		Export:   key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "export")),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),

		Search:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search")),
		SearchNext:  key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "next")),
		SearchPrev:  key.NewBinding(key.WithKeys("N"), key.WithHelp("N", "prev")),
		ClearSearch: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear search")),

		Yes:       key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
		No:        key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n", "no")),
		Submit:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "submit")),
		Esc:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		NextField: key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab/shift+tab", "next/previous field")),
		PrevField: key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab", "previous field")),

		ManualRun: key.NewBinding(key.WithKeys("enter", "r")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "all keys")),
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit now")),
	}
}
