package ui

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"golive/runbook"
	"golive/sshexec"
)

// TestSudoRefusalSaysCouldNotRun: a sudo step refused for want of a
// password (real sshd, real sudo) fails its expectations saying that it
// could not run and why, as the attempt line does, not "exit code -1"; the
// step's detail says it once, and the exported transcript's attempt and
// sign-off say the same: that sudo needs a password on the host, with no
// UI's advice ("press P", "golive resume RUNID").
func TestSudoRefusalSaysCouldNotRun(t *testing.T) {
	m, _, _ := sudoTUI(t)
	m = runTo(t, m, "enter")
	a := attempts(t, m, "whoroot", 1)[0]
	if !strings.Contains(exitErr(a), sshexec.ErrSudoNeedsPassword.Error()) {
		t.Fatalf("error %q, want sudo's refusal", exitErr(a))
	}
	want := "could not run: " + a.Exit.Error
	if len(a.Failures) == 0 || a.Failures[0] != want || a.ExpectationsMet {
		t.Fatalf("failures %q, want first %q", a.Failures, want)
	}
	s := screen(m)
	if strings.Contains(s, "exit code -1") {
		t.Fatalf("the screen says exit code -1:\n%s", s)
	}
	if !strings.Contains(s, "Attempt 1: could not run: ") || strings.Contains(s, "✗ could not run") {
		t.Fatalf("the detail should say once that the attempt could not run:\n%s", s)
	}

	m = press(t, m, "f", "enter") // signed off failed, no note
	m = press(t, m, "S", "e")
	m = settle(t, m)
	var md, js string
	for _, f := range m.outcome.Files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasSuffix(f, ".md"):
			md = string(b)
		case strings.HasSuffix(f, ".json"):
			js = string(b)
		}
	}
	if md == "" || js == "" {
		t.Fatalf("export wrote %q (screen:\n%s)", m.outcome.Files, screen(m))
	}
	if rep := runbook.VerifyTranscript([]byte(js)); !rep.OK() {
		t.Fatalf("the transcript does not verify: %+v", rep.Checks)
	}
	if strings.Contains(md, "exit code -1") || strings.Contains(js, "exit code -1") {
		t.Fatal("the transcript says exit code -1")
	}
	if !strings.Contains(md, "- could not run after ") || !strings.Contains(md, "Command, run through sudo (as root):") {
		t.Fatalf("the Markdown does not say the step could not run through sudo:\n%s", md)
	}
	// What the reviewer reads says what happened, on which host, and no
	// UI's advice: not the TUI's P, not a resume command with a literal
	// RUNID (the UIs give their own, each in its words).
	if !regexp.MustCompile(`; sudo needs a password on \S*` + regexp.QuoteMeta(m.rel.Host)).MatchString(md) {
		t.Errorf("the Markdown does not say sudo needs a password on %s:\n%s", m.rel.Host, md)
	}
	for _, bad := range []string{"press P", "RUNID", "in the TUI"} {
		if strings.Contains(md, bad) || strings.Contains(js, bad) {
			t.Errorf("the transcript says %q:\n%s", bad, md)
		}
	}
}

// TestPlainTimeoutRounded: a step that outlasts its timeout says so with
// its duration rounded as the exit line rounds it, not to the nanosecond.
func TestPlainTimeoutRounded(t *testing.T) {
	e := newPlainEnv(t, nil)
	e.useRunbook(t, `id: timeout
title: Timeout
version: "1"
sections:
  - id: s
    title: Steps
    steps:
      - id: slow
        title: Outlasts its timeout
        kind: remote
        timeout: 1s
        command: echo waiting; sleep 5
`)
	code, out := e.run(t, "f\n\n", false)
	if code == 0 {
		t.Fatalf("exit 0 after a timeout")
	}
	// golive times the attempt itself, from its start to its end as the
	// host reports it: about the 1s timeout, a few ms either side.
	exit := regexp.MustCompile(`(?m)^-- timed out after (\d{3}ms|\d+(\.\d)?s), expectations NOT met$`).FindStringSubmatch(out)
	if exit == nil {
		t.Fatalf("no rounded exit line:\n%s", out)
	}
	failure := "--   timed out after " + exit[1] + ", expected exit 0\n"
	if !strings.Contains(out, failure) {
		t.Fatalf("the failure does not read %q:\n%s", failure, out)
	}
	tr := e.transcript(t)
	if f := stepOf(t, tr, "slow").Attempts[0].Failures; len(f) != 1 || f[0]+"\n" != strings.TrimPrefix(failure, "--   ") {
		t.Fatalf("the transcript's failures %q", f)
	}
}
