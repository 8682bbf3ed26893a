package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"golive/runbook"
)

// choice is one entry of the runbook chooser.
type choice struct {
	id, title, desc string // id: the built-in file to load
	file            bool   // "a runbook file…": asks for a path
}

// chooser is the first screen: the built-in runbooks, or a file.
type chooser struct {
	items  []choice
	cur    int
	typing bool // typing a runbook file's path
	path   textinput.Model
	err    string
}

func newChooser(fsys fs.FS, st styles) chooser {
	var c chooser
	if fsys != nil {
		rbs, err := runbook.List(fsys)
		for _, rb := range rbs {
			c.items = append(c.items, choice{id: rb.File, title: rb.Title,
				desc: fmt.Sprintf("%s · %d steps · %s", rb.ID, len(rb.Steps()), firstSentence(rb.Description))})
		}
		if err != nil {
			c.err = err.Error()
		}
	}
	c.items = append(c.items, choice{title: "A runbook file…", desc: "your own runbook (YAML); 'golive validate FILE' checks it", file: true})
	c.path = newTextInput()
	c.path.Prompt = "file: "
	c.path.Placeholder = hintPlaceholder("path/to/runbook.yaml")
	c.path.SetWidth(60) // without a width only the placeholder's first cell shows
	return c
}

// firstSentence is what the chooser shows of a runbook's description:
// its first sentence on one line. A description is a YAML block wrapped
// at some width, so its first line ends wherever that width fell ("on one
// host:"); a wide terminal shows the whole sentence, a narrow one cuts
// it with "…" as it cuts any line.
func firstSentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i+1]
	}
	return s
}

// runbookLoadedMsg carries a parsed runbook and the operator's saved
// profile for it.
type runbookLoadedMsg struct {
	rb      *runbook.Runbook
	profile Profile
	err     error
}

// absPath is a runbook file's absolute path, the one the journal records
// so that a resume from another directory finds the file (as given when
// it cannot be made absolute).
func absPath(name string) string {
	if abs, err := filepath.Abs(name); err == nil {
		return abs
	}
	return name
}

// openRunbook parses the runbook name stands for. With fsys nil (a path
// typed in the chooser) it is a file. Otherwise it is a file when name has
// a slash, or ends in .yaml or .yml and such a file exists ("docker.yaml"
// names the built-in when it does not); else the built-in of that id; else
// a file of that name, if there is one. A file that cannot be read says
// so, by its path, rather than that no built-in has that name.
func openRunbook(fsys fs.FS, name string) (*runbook.Runbook, error) {
	_, statErr := os.Stat(name)
	yamlName := strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
	if fsys == nil || strings.ContainsRune(name, os.PathSeparator) || strings.Contains(name, "/") || (yamlName && statErr == nil) {
		return loadRunbookFile(name)
	}
	rb, err := runbook.Load(fsys, name)
	if errors.Is(err, runbook.ErrNotFound) && (statErr == nil || yamlName) {
		return loadRunbookFile(name) // a file name that is no built-in's
	}
	return rb, err
}

// loadRunbookFile parses a runbook file, recorded by its absolute path so
// that a resume from another directory finds it; a missing file or a
// directory gets an error that says what to give instead. A leading ~/ is
// the home directory, as in a shell (no shell sees a path typed in the
// chooser or given as --runbook=~/...).
func loadRunbookFile(name string) (*runbook.Runbook, error) {
	if rest, ok := strings.CutPrefix(name, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			name = filepath.Join(home, rest)
		}
	}
	path := absPath(name)
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("no runbook file %s: %w; check the path, or run 'golive list' for the built-in runbooks", path, fs.ErrNotExist)
	case err == nil && fi.IsDir():
		return nil, fmt.Errorf("runbook %s is a directory; give the path of a runbook file (.yaml) in it", path)
	}
	return runbook.LoadFile(path)
}

// loadRunbook parses a built-in runbook by id, or a file by path, and
// reads its profile, off the Update goroutine.
func loadRunbook(fsys fs.FS, name string, profilePath string) tea.Cmd {
	return func() tea.Msg {
		rb, err := openRunbook(fsys, name)
		if err != nil {
			return runbookLoadedMsg{err: err}
		}
		p, perr := LoadProfile(profileFile(profilePath, rb.ID))
		if perr != nil {
			return runbookLoadedMsg{err: perr}
		}
		return runbookLoadedMsg{rb: rb, profile: p}
	}
}

// updateChooser handles a key on the chooser.
func (m Model) updateChooser(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	c := &m.chooser
	k := m.keys
	if c.typing {
		switch {
		case key.Matches(msg, k.Esc):
			c.typing = false
			c.path.Blur()
		case key.Matches(msg, k.Submit):
			p := strings.TrimSpace(c.path.Value())
			if p == "" {
				c.err = "type the path of a runbook file, or esc to go back"
				return m, nil
			}
			c.err = ""
			return m, loadRunbook(nil, p, m.opts.ProfilePath)
		default:
			var cmd tea.Cmd
			c.path, cmd = c.path.Update(msg)
			return m, cmd
		}
		m.syncKeys()
		return m, nil
	}
	switch {
	case key.Matches(msg, k.Up):
		c.cur = max(0, c.cur-1)
	case key.Matches(msg, k.Down):
		c.cur = min(len(c.items)-1, c.cur+1)
	case key.Matches(msg, k.Submit):
		it := c.items[c.cur]
		if it.file {
			c.typing = true
			m.syncKeys()
			cmd := c.path.Focus()
			return m, cmd
		}
		return m, loadRunbook(m.opts.Runbooks, it.id, m.opts.ProfilePath)
	case key.Matches(msg, k.Quit):
		m.quitting = true
		return m, tea.Quit
	}
	m.syncKeys()
	return m, nil
}

// chooserView renders the chooser.
func (m Model) chooserView() string {
	st := m.styles
	c := m.chooser
	var b []string
	b = append(b, st.DialogTitle.Render("golive: which release?"), "")
	for i, it := range c.items {
		line := "  " + it.title
		if i == c.cur {
			line = st.ChoiceSel.Render("▸ " + it.title)
		}
		b = append(b, line, st.Hint.Render("    "+it.desc))
	}
	if c.typing {
		b = append(b, "", c.path.View())
	}
	if c.err != "" {
		b = append(b, "", st.FieldErr.Render(wrap(c.err, m.width-4)))
	}
	return strings.Join(b, "\n")
}
