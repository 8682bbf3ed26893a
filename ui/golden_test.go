package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"golive/sshexec"
)

// goldenExec is a fake host whose check step prints a little of
// everything: stdout, stderr, a hostile escape and a colour.
func goldenExec() *fakeExec {
	ex := newFakeExec("web1")
	ex.on("manage.py check", &fakeJob{lines: append(append(
		out(sshexec.Stdout, "System check identified some issues:", "\x1b[33mWARNINGS:\x1b[0m", "?: (security.W004) SECURE_HSTS_SECONDS is not set.", "\x1b]0;pwned\x07System check identified no issues (1 silenced)."),
		out(sshexec.Stderr, "DeprecationWarning: USE_L10N is deprecated")...),
		out(sshexec.Stdout, "\tdone")...)})
	return ex
}

func resize(m Model, w, h int) Model {
	nm, _ := m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return nm.(Model)
}

func TestGoldenMainAfterRun(t *testing.T) {
	for _, size := range []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"160x50", 160, 50}} {
		t.Run(size.name, func(t *testing.T) {
			m := started(t, goldenExec(), size.w, size.h)
			m = press(t, m, "enter")
			golden.RequireEqual(t, []byte(screen(m)))
		})
	}
}

func TestGoldenFullHelp(t *testing.T) {
	m := started(t, goldenExec(), 80, 24)
	m = press(t, m, "?")
	golden.RequireEqual(t, []byte(screen(m)))
}

func TestGoldenHighRiskConfirm(t *testing.T) {
	m := started(t, goldenExec(), 80, 24)
	m = sel(m, "migrate")
	m = press(t, m, "enter")
	golden.RequireEqual(t, []byte(screen(m)))
}

func TestGoldenSummary(t *testing.T) {
	ex := goldenExec()
	ex.on("migrate", &fakeJob{lines: out(sshexec.Stderr, "OperationalError: lock timeout"), res: sshexec.Result{ExitCode: 1}})
	m := started(t, ex, 80, 24)
	m = press(t, m, "enter", "p", "enter") // check
	m = press(t, m, "s")                   // backup
	m = typeText(t, m, "dump verified by DBA")
	m = press(t, m, "enter", "enter")
	m = typeText(t, m, "migrate")
	m = press(t, m, "enter", "f", "enter") // migrate failed
	m = press(t, m, "b")
	m = typeText(t, m, "restored")
	m = press(t, m, "enter")
	m = sel(m, "smoke")
	m = press(t, m, "s")
	m = typeText(t, m, "site down for rollback")
	m = press(t, m, "enter")
	if m.state != stateSummary {
		for _, id := range m.steps {
			t.Logf("%s: %s", id, m.stepStatusOf(id).Label())
		}
		t.Fatalf("state %v, want summary (dialog %v %q, status %q)", m.state, m.dlg.kind, m.dlg.err, m.status)
	}
	golden.RequireEqual(t, []byte(screen(m)))
}

func TestGoldenStartScreens(t *testing.T) {
	ex := goldenExec()
	opts := testOpts(t, ex)
	m := resize(New(opts), 80, 24)
	t.Run("chooser", func(t *testing.T) { golden.RequireEqual(t, []byte(screen(m))) })
	m = press(t, m, "enter")
	if m.state != stateForm {
		t.Fatalf("state %v, want form (error %v)", m.state, m.errPanel)
	}
	t.Run("form", func(t *testing.T) { golden.RequireEqual(t, []byte(screen(m))) })
}

// TestViewAnySize renders every screen at sizes from tiny to 300 columns:
// no panic, and no line wider than the terminal (from 60 columns up).
func TestViewAnySize(t *testing.T) {
	m := started(t, goldenExec(), 80, 24)
	m = press(t, m, "enter")
	screens := map[string]Model{"main": m}
	d := press(t, m, "x") // nothing running: no dialog
	d = sel(d, "migrate")
	d = press(t, d, "enter")
	screens["dialog"] = d
	s := press(t, m, "S")
	screens["summary"] = s
	opts := testOpts(t, goldenExec())
	screens["chooser"] = New(opts)
	for name, base := range screens {
		for _, size := range [][2]int{{10, 3}, {20, 5}, {40, 10}, {60, 15}, {80, 24}, {120, 40}, {200, 60}, {300, 80}} {
			v := resize(base, size[0], size[1])
			out := screen(v)
			if size[0] < 60 {
				continue
			}
			for i, line := range strings.Split(out, "\n") {
				if w := ansi.StringWidth(line); w > size[0] {
					t.Errorf("%s at %dx%d: line %d is %d wide:\n%s", name, size[0], size[1], i, w, line)
				}
			}
		}
	}
}
