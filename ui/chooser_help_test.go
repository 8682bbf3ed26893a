package ui

import (
	"strings"
	"testing"
)

// TestChooserPathHelpBar: while the chooser asks for a runbook file's
// path, j and k are letters of the path (an operator who pressed j to
// move typed it into the field), and up/down move nothing, so the help
// bar does not offer "↑/k up • ↓/j down" there; it does on the list.
func TestChooserPathHelpBar(t *testing.T) {
	m := resize(New(testOpts(t, newFakeExec("web1"))), 80, 24)
	footer := func(m Model) string {
		lines := strings.Split(strings.TrimRight(screen(m), "\n"), "\n")
		return lines[len(lines)-1]
	}
	if f := footer(m); !strings.Contains(f, "↓/j down") {
		t.Fatalf("the chooser's list: help bar %q, want ↓/j down", f)
	}
	m = press(t, m, "down", "enter")
	if !m.chooser.typing {
		t.Fatal("the file choice did not ask for a path")
	}
	m = typeText(t, m, "jk")
	if v := m.chooser.path.Value(); v != "jk" {
		t.Fatalf("typed jk into the path field, it holds %q", v)
	}
	f := footer(m)
	if strings.Contains(f, "down") || strings.Contains(f, "up") {
		t.Errorf("typing a path: help bar %q offers moves that the field takes as letters", f)
	}
	if !strings.Contains(f, "enter open the file") || !strings.Contains(f, "esc cancel") {
		t.Errorf("typing a path: help bar %q, want enter and esc", f)
	}
}
