package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golive/runbook"
	"golive/sshexec"
)

// The header counts only applicable steps as work to sign off: a step
// whose "when" is false is shown apart, not as already signed off.
func TestHeaderProgressLeavesOutNotApplicable(t *testing.T) {
	m := started(t, newFakeExec("web1"), 160, 50)
	na := 0
	for _, ps := range m.rel.Plan.Steps {
		if !ps.Applicable {
			na++
		}
	}
	if na == 0 {
		t.Fatal("the test runbook should have a not-applicable step")
	}
	want := fmt.Sprintf("0 of %d signed off · %d n/a", len(m.steps)-na, na)
	if got := screen(m); !strings.Contains(got, want) {
		t.Fatalf("header does not say %q:\n%s", want, strings.SplitN(got, "\n", 2)[0])
	}
	m = press(t, m, "n")
	m = typeText(t, m, "no database here")
	m = press(t, m, "enter")
	want = fmt.Sprintf("1 of %d signed off · %d n/a", len(m.steps)-na, na)
	if got := screen(m); !strings.Contains(got, want) {
		t.Fatalf("after one sign-off the header does not say %q:\n%s", want, strings.SplitN(got, "\n", 2)[0])
	}
	if done, total := m.rel.Session.Progress(); done != na+1 || total != len(m.steps) {
		t.Fatalf("the Session's own count changed: %d of %d", done, total)
	}
}

// Plain mode at the end of its input cannot confirm a host key: it says
// nobody could (sshexec.ErrNoAnswer), not that the operator said no.
func TestPlainHostKeyAtEndOfInputIsNoAnswer(t *testing.T) {
	var buf bytes.Buffer
	p := newPlain(testOpts(t, newFakeExec("web1")), PlainOptions{In: strings.NewReader(""), Out: &buf})
	ok, err := plainPrompter{p: p}.ConfirmHostKey(context.Background(), HostKeyQuestion{Host: "web1", KeyType: "ssh-ed25519", Fingerprint: "SHA256:abc"})
	if ok || !errors.Is(err, sshexec.ErrNoAnswer) {
		t.Fatalf("ConfirmHostKey at end of input = %v, %v; want false, ErrNoAnswer", ok, err)
	}
	if !strings.Contains(buf.String(), "SHA256:abc") {
		t.Fatalf("the question was not shown:\n%s", buf.String())
	}
}

// q mid-release asks in words (on screen and in the help bar) and names
// the command that continues the run; quitting leaves an unfinished run,
// exit code 3 as in plain mode.
func TestQuitAsksInWordsAndExitsIncomplete(t *testing.T) {
	m := started(t, newFakeExec("web1"), 80, 24)
	m = press(t, m, "q")
	s := screen(m)
	for _, want := range []string{"Quit? The run stays resumable", "golive resume " + m.rel.RunID, "y quit (the run stays resumable)", "n stay"} {
		if !strings.Contains(s, want) {
			t.Errorf("quit question lacks %q:\n%s", want, s)
		}
	}
	m = press(t, m, "y")
	o := m.Outcome()
	if !m.quitting || o.Finished || o.ExitCode() != ExitIncomplete {
		t.Fatalf("outcome %+v, exit code %d; want unfinished, %d", o, o.ExitCode(), ExitIncomplete)
	}
}

func TestOutcomeExitCodes(t *testing.T) {
	for _, c := range []struct {
		o    Outcome
		want int
	}{
		{Outcome{}, ExitPassed},
		{Outcome{RunID: "r", Finished: true, Verdict: runbook.RunPassed}, ExitPassed},
		{Outcome{RunID: "r", Finished: true, Verdict: runbook.RunFailed}, ExitFailed},
		{Outcome{RunID: "r", Verdict: runbook.RunFailed}, ExitFailed},
		{Outcome{RunID: "r", Verdict: runbook.RunIncomplete}, ExitIncomplete},
		{Outcome{RunID: "r", Err: errors.New("broken")}, ExitFailed},
	} {
		if got := c.o.ExitCode(); got != c.want {
			t.Errorf("%+v: exit code %d, want %d", c.o, got, c.want)
		}
	}
}
