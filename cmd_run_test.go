package main

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

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

// TestPlainRunThatCannotConnectExits1: a new plain run that cannot
// connect (the host's key changed, the host unreachable) exits 1, golive
// could not go on, as a resume refused for the same reasons and the TUI
// do; it exited 2, which the exit code table keeps for bad flags and
// configuration (a missing --operator still exits 2). Nothing is
// journaled. Through dispatch, as the binary runs.
func TestPlainRunThatCannotConnectExits1(t *testing.T) {
	home, cfg, rb, _ := signKeyHome(t, signKeyRunbook)
	args := func(host string, more ...string) []string {
		return append([]string{"run", "--plain", "--yes", "--host", host, "--runbook", rb, "--out", filepath.Join(home, "out")}, more...)
	}
	code, stdout, stderr := run(args("web1")...)
	if code != 2 || !strings.Contains(stdout+stderr, "no operator") {
		t.Errorf("no --operator: exit %d, want 2 (bad flags)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	// known_hosts holds another key for web1: its key changed.
	giveHostAnotherKey(t, cfg)
	code, stdout, stderr = run(args("web1", "--operator", "Dana Ops")...)
	if code != 1 || !strings.Contains(stdout+stderr, "IDENTIFICATION HAS CHANGED") {
		t.Errorf("a changed host key: exit %d, want 1 and the refusal\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	// Nothing listens on port 1 of the loopback: the host is unreachable.
	code, stdout, stderr = run(args("deploy@127.0.0.1:1", "--operator", "Dana Ops")...)
	if code != 1 || !strings.Contains(stdout+stderr, "connect deploy@127.0.0.1:1") {
		t.Errorf("an unreachable host: exit %d, want 1 naming the host\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if runs, _ := os.ReadDir(filepath.Join(home, "state", "golive", "runs")); len(runs) != 0 {
		t.Errorf("a run that never connected was journaled: %d runs", len(runs))
	}
}

// giveHostAnotherKey rewrites the known_hosts file the ssh config cfg
// names (UserKnownHostsFile) so that it holds a freshly made key for the
// host it lists: to golive the host's key has changed.
func giveHostAnotherKey(t *testing.T, cfg string) {
	t.Helper()
	cfgText, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	kh := regexp.MustCompile(`(?m)^\s*UserKnownHostsFile (\S+)$`).FindSubmatch(cfgText)
	if kh == nil {
		t.Fatalf("no UserKnownHostsFile in %s:\n%s", cfg, cfgText)
	}
	line, err := os.ReadFile(string(kh[1]))
	if err != nil {
		t.Fatal(err)
	}
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.Fields(string(line))[0]
	if err := os.WriteFile(string(kh[1]), []byte(knownhosts.Line([]string{name}, other)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestFinishedWithoutExportSaysHow: a run finished in the TUI and quit
// from its summary without e leaves no transcript; golive says so as it
// leaves and gives the command that writes it, where it said only that
// the run finished. A run that was exported lists its files instead.
func TestFinishedWithoutExportSaysHow(t *testing.T) {
	o := ui.Outcome{RunID: "20261122T030137Z-53c531", Finished: true, Verdict: "passed"}
	var out, errb bytes.Buffer
	if code := reportOutcome(o, false, &out, &errb); code != ui.ExitPassed {
		t.Errorf("exit %d, want %d", code, ui.ExitPassed)
	}
	if !strings.Contains(out.String(), "no transcript was written") || !strings.Contains(out.String(), "golive export 20261122T030137Z-53c531") {
		t.Errorf("finished, not exported: output\n%s\nwant it to say no transcript was written and give 'golive export RUNID'", out.String())
	}
	o.Files = []string{"/tmp/x/golive-mini-web1-20261122T030130Z.json"}
	out.Reset()
	reportOutcome(o, false, &out, &errb)
	if strings.Contains(out.String(), "no transcript") || !strings.Contains(out.String(), "wrote /tmp/x/") {
		t.Errorf("finished and exported: output\n%s\nwant the file, no export hint", out.String())
	}
}
