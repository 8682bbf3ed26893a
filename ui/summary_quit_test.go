package ui

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// finishedSummary walks the test runbook to its summary, every step
// settled, nothing exported.
func finishedSummary(t *testing.T) Model {
	t.Helper()
	m := started(t, goldenExec(), 80, 24)
	m = press(t, m, "enter", "p", "enter") // check
	m = press(t, m, "s")                   // backup
	m = typeText(t, m, "dump verified by DBA")
	m = press(t, m, "enter", "enter")
	m = typeText(t, m, "migrate")
	m = press(t, m, "enter", "p", "enter") // migrate
	m = sel(m, "smoke")
	m = press(t, m, "s")
	m = typeText(t, m, "checked by hand")
	m = press(t, m, "enter")
	if m.state != stateSummary {
		t.Fatalf("state %v, want summary (status %q)", m.state, m.status)
	}
	return m
}

// TestSummaryQuitAsksForTranscript: q on the summary of a finished run
// whose transcript was not written asks first, with the keys in the help
// bar (y quits without it, e exports it now, n stays); it quit at once
// and left no transcript, while plain mode writes one at the end. Once
// exported, q quits without asking.
func TestSummaryQuitAsksForTranscript(t *testing.T) {
	m := finishedSummary(t)
	m = press(t, m, "q")
	if m.quitting || m.dlg.kind != dlgQuitUnexported {
		t.Fatalf("q: quitting %v, dialog %v; want the question", m.quitting, m.dlg.kind)
	}
	s := screen(m)
	for _, want := range []string{"Quit without the transcript?", "golive export " + m.rel.RunID, "y quit without the transcript", "e export it now", "n stay"} {
		if !strings.Contains(s, want) {
			t.Errorf("the question lacks %q:\n%s", want, s)
		}
	}
	m = press(t, m, "n")
	if m.quitting || m.dlg.kind != dlgNone || m.state != stateSummary {
		t.Fatalf("n: quitting %v, dialog %v, state %v; want the summary", m.quitting, m.dlg.kind, m.state)
	}
	m = press(t, m, "q", "e")
	if m.dlg.kind != dlgExport {
		t.Fatalf("e in the question: dialog %v, want the export's directory", m.dlg.kind)
	}
	m.dlg.input.SetValue(filepath.Join(t.TempDir(), "out"))
	m = press(t, m, "enter")
	if len(m.outcome.Files) == 0 {
		t.Fatalf("nothing exported; status %q", m.status)
	}
	m = press(t, m, "q")
	if !m.quitting || !m.outcome.Finished {
		t.Errorf("q after the export: quitting %v, finished %v; want to quit without asking", m.quitting, m.outcome.Finished)
	}

	m = finishedSummary(t)
	m = press(t, m, "q", "y")
	if !m.quitting || !m.outcome.Finished || len(m.outcome.Files) != 0 {
		t.Errorf("y: quitting %v, finished %v, files %v; want to quit, the run finished, unexported", m.quitting, m.outcome.Finished, m.outcome.Files)
	}
}

// TestSummaryQuitSaysWhetherExportIsSigned: the question before quitting
// unexported says what e will really do about signing, as
// Options.SignCheck finds it when the question opens: signed; or not
// signed, why, and how to sign the transcript written later. It said
// "(signed)" with no key anywhere, and the export then went out unsigned.
func TestSummaryQuitSaysWhetherExportIsSigned(t *testing.T) {
	sign := func(io.Reader, string) ([]byte, string, string, error) {
		return nil, "", "", errors.New("not used")
	}
	noKey := errors.New("signing key: no agent key (SSH_AUTH_SOCK is not set) and no key in /home/ada/.ssh " +
		"(id_ed25519, id_ecdsa, id_rsa); start ssh-agent and ssh-add your key, or name a key file with --identity")
	for _, c := range []struct {
		name      string
		sign      SignFunc
		check     func(context.Context) error
		want, not []string
	}{
		{"a key signs", sign, func(context.Context) error { return nil },
			[]string{"e exports it now (signed). Written later, it is:"}, []string{"NOT signed"}},
		{"no key", sign, func(context.Context) error { return noKey },
			[]string{"e exports it now, but NOT signed: signing key: no agent key (SSH_AUTH_SOCK is not set)",
				"or name a key file with --identity. Written later with a key at hand (in ssh-agent, or --identity KEY), it is signed:"},
			[]string{"(signed)"}},
		{"no signing set up", nil, nil,
			[]string{"e exports it now, unsigned (no signing is set up)"}, []string{"(signed)", "signed if"}},
		{"not checked", sign, nil,
			[]string{"e exports it now, signed if a key is found."}, []string{"(signed)", "NOT signed"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := finishedSummary(t)
			m.opts.Sign, m.opts.SignCheck = c.sign, c.check
			nm, cmd := m.Update(keyMsg("q"))
			m = nm.(Model)
			if m.dlg.kind != dlgQuitUnexported {
				t.Fatalf("q: dialog %v, want the question", m.dlg.kind)
			}
			// Until SignCheck answers (it reads key files, asks the agent).
			if s := dialogText(screen(m)); c.check != nil && !strings.Contains(s, "e exports it now (looking for the key that signs it…).") {
				t.Errorf("the question, before SignCheck answered:\n%s", s)
			}
			m = drive(t, m, cmd)
			s := dialogText(screen(m))
			for _, w := range append(c.want, "golive export "+m.rel.RunID+" --out DIR") {
				if !strings.Contains(s, w) {
					t.Errorf("the question lacks %q:\n%s", w, s)
				}
			}
			for _, n := range c.not {
				if strings.Contains(s, n) {
					t.Errorf("the question says %q:\n%s", n, s)
				}
			}
		})
	}
}

// dialogText is the text in the dialog box on screen s, its lines joined
// with spaces as wrapping cut them.
func dialogText(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		i, j := strings.Index(l, "│"), strings.LastIndex(l, "│")
		if i >= 0 && j > i {
			if p := strings.TrimSpace(l[i+len("│") : j]); p != "" {
				parts = append(parts, p)
			}
		}
	}
	return strings.Join(parts, " ")
}

// TestSummaryQuitIgnoresAnEarlierQuestionsSignCheck: the answer of the
// SignCheck an earlier opening of the question started (q, n, q again:
// the agent was slow) must not overwrite the answer of the newer one,
// which looked after the key may have been ssh-added.
func TestSummaryQuitIgnoresAnEarlierQuestionsSignCheck(t *testing.T) {
	m := finishedSummary(t)
	m.opts.Sign = func(io.Reader, string) ([]byte, string, string, error) { return nil, "", "", errors.New("not used") }
	calls := 0
	m.opts.SignCheck = func(context.Context) error {
		calls++
		if calls == 1 {
			return errors.New("signing key: ssh-agent /tmp/agent holds no keys (ssh-add one)")
		}
		return nil
	}
	nm, first := m.Update(keyMsg("q"))
	m = press(t, nm.(Model), "n")
	nm, second := m.Update(keyMsg("q"))
	m = nm.(Model)
	if first == nil || second == nil {
		t.Fatalf("q: no SignCheck run (%v, %v)", first, second)
	}
	late, now := first(), second() // the first opening's check ran first
	nm, _ = m.Update(now)
	nm, _ = nm.(Model).Update(late) // and answered last
	m = nm.(Model)
	if s := dialogText(screen(m)); !strings.Contains(s, "e exports it now (signed).") || strings.Contains(s, "NOT signed") {
		t.Errorf("the question, after the earlier opening's check answered late:\n%s", s)
	}
}
