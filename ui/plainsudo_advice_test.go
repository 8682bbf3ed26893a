package ui

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// refusalLine is plain mode's attempt line after sudo refused a step: why,
// on which host, and no advice after it.
var refusalLine = regexp.MustCompile(`; (sudo needs a password|the sudo password was not accepted) on \S+@127\.0\.0\.1:\d+, expectations NOT met\n`)

// TestPlainSudoAdviceIsPlainMode: after sudo refused a step (a real sshd,
// a deploy user whose sudo asks), plain mode's advice is the resume
// command it prints on stopping, which carries --sudo-password: not the
// TUI's P, not a literal RUNID. With no password, with a wrong one, and
// under --yes (no prompt to quit from).
func TestPlainSudoAdviceIsPlainMode(t *testing.T) {
	cases := []struct {
		name, pw string
		yes      bool
		want     string // the advice line; %s is the resume command
	}{
		{"no password", "", false,
			"-- plain mode cannot ask for the sudo password: quit (q), then continue with: %s, which asks for it once and keeps it in memory only"},
		{"wrong password", "Wrong-pw-4471", false,
			"-- sudo did not accept the password given; plain mode cannot ask again: quit (q), then continue with: %s, which asks for it (retrying sends the same one)"},
		{"--yes", "", true,
			"-- plain mode cannot ask for the sudo password: the sudo steps left need it too; continue with: %s, which asks for it once and keeps it in memory only"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts, password := sudoOptions(t)
			opts.SudoPassword = []byte(c.pw)
			var b strings.Builder
			code := RunPlain(context.Background(), opts, PlainOptions{In: strings.NewReader("q\n"), Out: &b, Yes: c.yes})
			out := b.String()
			if code != ExitIncomplete && !(c.yes && code == ExitFailed) { // --yes signs the step off failed
				t.Fatalf("exit %d, want %d:\n%s", code, ExitIncomplete, out)
			}
			_, resume, ok := strings.Cut(out, "Continue with: ")
			resume, _, _ = strings.Cut(resume, "\n")
			if !ok || !strings.HasPrefix(resume, "golive resume ") || !strings.Contains(resume, " --plain") || !strings.HasSuffix(resume, " --sudo-password") {
				t.Fatalf("resume command %q:\n%s", resume, out)
			}
			want := strings.Replace(c.want, "%s", resume, 1)
			lines := strings.Split(out, "\n")
			found := false
			for _, l := range lines {
				found = found || l == want
			}
			if !found {
				t.Errorf("no line\n%s\nin:\n%s", want, out)
			}
			for _, bad := range []string{"press P", "RUNID", "in the TUI", password} {
				if strings.Contains(out, bad) {
					t.Errorf("plain output says %q:\n%s", bad, out)
				}
			}
			if !refusalLine.MatchString(out) {
				t.Errorf("the attempt line does not say why sudo refused, and on which host:\n%s", out)
			}
		})
	}
}
