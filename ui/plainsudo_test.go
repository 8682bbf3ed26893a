package ui

import (
	"context"
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

// TestPlainResumeHintAfterSudoRefusal: a plain run without a sudo password
// whose sudo step sudo refused for want of one (a real sshd, a deploy user
// whose sudo asks) says to resume with --sudo-password: plain mode has no
// P to give it, and the command it printed, copied as it is, would stop at
// the same step again.
func TestPlainResumeHintAfterSudoRefusal(t *testing.T) {
	opts, password := sudoOptions(t)
	var out strings.Builder
	code := RunPlain(context.Background(), opts, PlainOptions{In: strings.NewReader("q\n"), Out: &out})
	t.Logf("exit %d, output:\n%s", code, out.String())
	if code != ExitIncomplete {
		t.Fatalf("exit %d, want %d", code, ExitIncomplete)
	}
	if !strings.Contains(out.String(), "sudo needs a password") {
		t.Fatalf("the sudo step did not fail for want of a password:\n%s", out.String())
	}
	_, hint, _ := strings.Cut(out.String(), "Continue with: golive resume ")
	if hint, _, _ = strings.Cut(hint, "\n"); !strings.HasSuffix(hint, " --plain --sudo-password") {
		t.Errorf("resume hint %q lacks --sudo-password:\n%s", hint, out.String())
	}
	if strings.Contains(out.String(), password) {
		t.Errorf("the sudo password is in the output")
	}
}
