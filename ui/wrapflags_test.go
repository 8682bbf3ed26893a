package ui

import (
	"errors"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// flagAdvice is advice sshexec gives after sudo refused a password (to
// cancel a job: sudoHint), as the TUI's detail pane shows it in an
// attempt's line. (Its refusal to start a job once said the like, before
// its texts left the advice to the UIs.)
const flagAdvice = "could not run: sshexec: could not cancel job 20261122T020824Z-473866-root-2 on r11dep@127.0.0.1:39421 " +
	"(the host said: Sorry, try again.; sudo: no password was provided; sudo: 1 incorrect password attempt); " +
	"sudo there did not accept the password: resume the run with --sudo-password to give the right one; it may still be running"

// checkFlagsWhole fails when a line of text holds part of a flag but not
// the whole flag, or ends in a hyphen: "--" at one line's end and
// "sudo-password" at the next one's start read, and are copied, as two
// words.
func checkFlagsWhole(t *testing.T, what, text string) {
	t.Helper()
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(ansi.Strip(l))
		if strings.Contains(l, "sudo-password") && !strings.Contains(l, "--sudo-password") ||
			strings.Contains(l, "password") && strings.HasSuffix(l, "-") {
			t.Errorf("%s: a flag is split across lines at %q:\n%s", what, l, text)
			return
		}
	}
}

// TestWrapKeepsFlagsWhole: golive's advice names flags to type; wrapped
// to the detail pane (an attempt's error), a flag stays on one line
// (ansi.Wrap breaks after any hyphen: at 80x24 the detail showed
// "--sudo-" / "password" and "--" / "sudo-password"). A long hyphenated
// word that is not a flag still breaks at its hyphens.
func TestWrapKeepsFlagsWhole(t *testing.T) {
	for w := 12; w <= 100; w++ {
		checkFlagsWhole(t, "wrapIndent", wrapIndent(flagAdvice, w, "  "))
	}
	arg := "$ echo first-line-of-the-command-with-a-very-long-argument"
	if got := wrapIndent(arg, 30, ""); !strings.HasPrefix(got, "$ echo first-line-of-the-") {
		t.Errorf("a long hyphenated argument no longer breaks at its hyphens:\n%s", got)
	}
}

// TestAttemptLineKeepsFlagsWhole: the same advice as the detail pane's
// attempt line shows it, on the screen, from 80 to 120 columns (walked in
// tmux at 80x24, it read "golive resume RUNID --" / "sudo-password").
func TestAttemptLineKeepsFlagsWhole(t *testing.T) {
	for w := 80; w <= 120; w++ {
		ex := newFakeExec("web1")
		ex.on("manage.py check", &fakeJob{err: errors.New(strings.TrimPrefix(flagAdvice, "could not run: "))})
		m := started(t, ex, w, 40)
		m = press(t, m, "enter")
		s := screen(m)
		if !strings.Contains(s, "Sorry,") || !strings.Contains(s, "--sudo-password") {
			t.Fatalf("%d columns: the advice is not on the screen:\n%s", w, s)
		}
		var pane []string
		for _, l := range strings.Split(s, "\n") {
			if _, right, ok := strings.Cut(l, "│"); ok {
				pane = append(pane, right)
			}
		}
		checkFlagsWhole(t, "attempt line", strings.Join(pane, "\n"))
	}
}
