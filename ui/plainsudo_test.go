package ui

import (
	"strings"
	"testing"
)

// TestPlainResumeHintCarriesSudoPassword: a plain run given a sudo
// password says to resume with --sudo-password (the copied command would
// otherwise stop at the next sudo step); one without says nothing of it.
func TestPlainResumeHintCarriesSudoPassword(t *testing.T) {
	for _, pw := range []string{"", "s3cret"} {
		e := newPlainEnv(t, nil)
		e.opts.SudoPassword = []byte(pw)
		code, out := e.run(t, "p\n\n", false) // input ends at migrate's confirmation
		if code != ExitIncomplete {
			t.Fatalf("exit %d, want %d", code, ExitIncomplete)
		}
		if got := strings.Contains(out, "--plain --sudo-password"); got != (pw != "") {
			t.Errorf("sudo password %q: resume hint names --sudo-password: %v:\n%s", pw, got, out)
		}
		if strings.Contains(out, "s3cret") {
			t.Errorf("the sudo password is in the output:\n%s", out)
		}
	}
}
