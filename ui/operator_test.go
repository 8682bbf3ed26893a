package ui

import (
	"fmt"
	"strings"
	"testing"
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
