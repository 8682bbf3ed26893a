package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

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
