package main

import (
	"bytes"
	"strings"
	"testing"

	"golive/ui"
)

// TestResumeHintCarriesSudoPassword: when the TUI stops a run that was
// given a sudo password, the resume command golive prints carries
// --sudo-password (copied without it, the next sudo step would stop for
// want of the password); a run without one gets the plain command.
func TestResumeHintCarriesSudoPassword(t *testing.T) {
	o := ui.Outcome{RunID: "20261121T213659Z-4df5d6", Detached: "migrate"}
	for _, sudo := range []bool{true, false} {
		var out, errb bytes.Buffer
		if code := reportOutcome(o, sudo, &out, &errb); code != ui.ExitIncomplete {
			t.Errorf("sudo %v: exit %d, want %d", sudo, code, ui.ExitIncomplete)
		}
		want := "golive resume 20261121T213659Z-4df5d6"
		if sudo {
			want += " --sudo-password"
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 2 || !strings.HasSuffix(lines[0], "Continue with: "+want) || !strings.Contains(lines[1], "'"+want+"' reattaches") {
			t.Errorf("sudo %v: output\n%s\nwant both lines to give %q", sudo, out.String(), want)
		}
		if !sudo && strings.Contains(out.String(), "--sudo-password") {
			t.Errorf("no sudo password, yet:\n%s", out.String())
		}
	}
}
