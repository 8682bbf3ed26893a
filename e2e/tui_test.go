package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"golive/runbook"
)

const wait = 15 * time.Second

// TestTUIRelease walks a release the way an operator does, in tmux against
// a real sshd: choose the runbook file, fill the form, accept the unknown
// host key, run steps and watch their output, sign off (passed, a
// high-risk step after typing its id, a skip with a note, a manual step),
// export, quit. Then it checks the transcript and verifies it, and checks
// that no planted secret was ever on the screen or in a file. A second
// session at 160x50 starts from flags, finds the host key it accepted
// recorded, and quits mid-release.
func TestTUIRelease(t *testing.T) {
	requireTools(t)
	srv := newServer(t)
	h := newHome(t)
	srv.sshConfig(t, h, "web1", false)
	rb, err := filepath.Abs("testdata/release.yaml")
	if err != nil {
		t.Fatal(err)
	}

	tm := startTerm(t, h, 80, 24)
	tm.waitFor(wait, "which release?", "A runbook file")
	tm.keys("j", "j", "Enter")
	tm.waitFor(wait, "file:")
	tm.typeText(rb)
	tm.keys("Enter")
	tm.waitFor(wait, "Release: End-to-end release", "host *")
	tm.typeText("web1")
	tm.keys("Tab", "C-u")
	tm.typeText("Ada Lovelace")
	tm.keys("Tab")
	tm.typeText(srv.appDir)
	tm.keys("Tab")
	tm.typeText(plantedVarPass)
	tm.keys("Enter")

	s := tm.waitFor(wait, "Unknown host key")
	fp := ssh.FingerprintSHA256(srv.sshd.HostPublicKey)
	if !strings.Contains(strings.ReplaceAll(s, "\n", ""), "SHA256:") {
		t.Errorf("the host-key prompt shows no fingerprint:\n%s", frame(s))
	}
	tm.typeText("yes")
	tm.keys("Enter")
	tm.waitFor(wait, "host web1", "env-names")

	signOff := func(step, verdictKey, note string) {
		t.Helper()
		tm.keys(verdictKey)
		tm.waitFor(wait, "Sign off "+step)
		if note != "" {
			tm.typeText(note)
		}
		tm.keys("Enter")
		tm.waitFor(wait, step+" signed off")
	}
	runStep := func(step string, shows ...string) string {
		t.Helper()
		tm.keys("Enter")
		return tm.waitFor(wait, append([]string{step + ": exit 0", "expectations met"}, shows...)...)
	}
	runStep("env-names", "DJANGO_SECRET_KEY=********", "API_TOKEN=********")
	signOff("env-names", "p", "")
	runStep("key-file", "BEGIN OPENSSH PRIVATE KEY")
	signOff("key-file", "p", "key present")
	runStep("db-login", "login with")
	signOff("db-login", "p", "")

	tm.keys("Enter")
	tm.waitFor(wait, "High-risk step: migrate")
	tm.typeText("migrate")
	tm.keys("Enter")
	main80 := tm.waitFor(wait, "migrate: exit 0", "migration 5 applied")
	saveScreen(t, "main-80x24.txt", main80)
	signOff("migrate", "p", "")

	tm.keys("s")
	tm.waitFor(wait, "Sign off warm-cache")
	tm.keys("Enter") // a skip needs a note: refused
	tm.waitFor(wait, "note is required")
	tm.typeText("cache warms itself on first request")
	tm.keys("Enter")
	tm.waitFor(wait, "warm-cache signed off")

	tm.waitFor(wait, "The home page loads")
	tm.keys("p")
	tm.waitFor(wait, "Sign off smoke")
	tm.typeText("home page and login checked")
	tm.keys("Enter")
	tm.waitFor(wait, "Release summary", "PASSED")
	tm.keys("e")
	tm.waitFor(wait, "Export the transcript")
	tm.keys("C-u")
	tm.typeText(h.out)
	tm.keys("Enter")
	tm.waitFor(wait, "exported:")
	tm.keys("q")
	end := tm.waitFor(wait, "[golive exited 0]")
	if !strings.Contains(end, "finished: passed") {
		t.Errorf("golive's last words do not say the run passed:\n%s", frame(end))
	}

	files := h.transcripts(t)
	if len(files) != 1 {
		t.Fatalf("want one JSON transcript in %s, found %v", h.out, files)
	}
	checkTUITranscript(t, readTranscript(t, files[0]), fp)
	t.Logf("verify:\n%s", h.verify(t, files[0], "Ada Lovelace"))
	kh, err := os.ReadFile(filepath.Join(h.dir, ".ssh", "known_hosts"))
	if err != nil || !strings.Contains(string(kh), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(srv.sshd.HostPublicKey)))) {
		t.Errorf("the accepted host key is not in ~/.ssh/known_hosts (%v):\n%s", err, kh)
	}

	// The next release: flags answer the form, and the host key is known.
	tm2 := startTerm(t, h, 160, 50, "run", "--runbook", rb, "--host", "web1", "--operator", "Ada Lovelace",
		"--var", "app_dir="+srv.appDir, "--var", "db_password="+plantedVarPass)
	tm2.waitFor(wait, "host web1", "env-names")
	tm2.keys("Enter")
	main160 := tm2.waitFor(wait, "env-names: exit 0", "DJANGO_SECRET_KEY=")
	saveScreen(t, "main-160x50.txt", main160)
	tm2.keys("p")
	tm2.waitFor(wait, "Sign off env-names")
	tm2.keys("Enter")
	tm2.waitFor(wait, "env-names signed off")
	tm2.keys("q")
	tm2.waitFor(wait, "Quit")
	tm2.keys("y")
	end = tm2.waitFor(wait, "[golive exited")
	if !strings.Contains(end, "golive resume") {
		t.Errorf("quitting mid-release does not say how to resume:\n%s", frame(end))
	}
	for _, sc := range tm2.screens {
		if strings.Contains(sc, "Unknown host key") {
			t.Errorf("golive asked again about a host key the operator accepted before:\n%s", frame(sc))
			break
		}
	}

	noSecretsOnScreen(t, append(tm.screens, tm2.screens...))
	n := noSecretsIn(t, h.dir)
	t.Logf("%d screens and %d files checked for planted secrets", len(tm.screens)+len(tm2.screens), n)
}

// checkTUITranscript checks what the transcript says about the walk.
func checkTUITranscript(t *testing.T, tr *runbook.Transcript, fingerprint string) {
	t.Helper()
	if tr.Verdict != runbook.RunPassed || tr.Run.Operator != "Ada Lovelace" || tr.Run.Host != "web1" || tr.Run.Auto {
		t.Errorf("run: verdict %q, operator %q, host %q, auto %v; want passed by Ada Lovelace on web1, not automatic",
			tr.Verdict, tr.Run.Operator, tr.Run.Host, tr.Run.Auto)
	}
	want := []struct {
		step string
		v    runbook.Verdict
		note string
	}{
		{"env-names", runbook.VerdictPassed, ""},
		{"key-file", runbook.VerdictPassed, "key present"},
		{"db-login", runbook.VerdictPassed, ""},
		{"migrate", runbook.VerdictPassed, ""},
		{"warm-cache", runbook.VerdictSkipped, "cache warms itself on first request"},
		{"smoke", runbook.VerdictPassed, "home page and login checked"},
	}
	for _, w := range want {
		st := stepOf(t, tr, w.step)
		if st.SignOff == nil || st.Verdict != w.v || st.SignOff.Note != w.note || st.SignOff.Operator != "Ada Lovelace" || st.SignOff.Auto {
			t.Errorf("step %s: verdict %q, sign-off %+v; want %s by Ada Lovelace with note %q", w.step, st.Verdict, st.SignOff, w.v, w.note)
		}
	}
	if st := stepOf(t, tr, "env-names"); !strings.Contains(st.Command, "env | grep DJANGO | sort") {
		t.Errorf("env-names: the transcript's command is %q", st.Command)
	}
	if st := stepOf(t, tr, "migrate"); len(st.Attempts) != 1 || !st.Attempts[0].Start.Confirmed {
		t.Errorf("migrate: attempts %+v; want one, confirmed by typing", st.Attempts)
	}
	if st := stepOf(t, tr, "warm-cache"); len(st.Attempts) != 0 {
		t.Errorf("warm-cache was skipped without running, but has %d attempts", len(st.Attempts))
	}
	out := map[string][]string{}
	accepted := false
	for _, e := range tr.Events {
		switch e.Type {
		case runbook.EvOutput:
			for _, l := range e.Lines {
				out[e.Step] = append(out[e.Step], string(l.Stream)+" "+l.Text)
			}
		case runbook.EvHostKeyAccepted:
			accepted = accepted || e.HostKey.Fingerprint == fingerprint
		}
	}
	if !accepted {
		t.Errorf("the transcript does not record accepting host key %s", fingerprint)
	}
	for step, lines := range map[string][]string{
		"migrate":   {"stdout migration 1 applied", "stdout migration 5 applied"},
		"db-login":  {"stdout login with ********", "stderr checked"},
		"env-names": {"stdout DJANGO_SETTINGS_MODULE=shop.settings.production"},
		"key-file":  {"stdout -----BEGIN OPENSSH PRIVATE KEY-----"},
	} {
		got := strings.Join(out[step], "\n")
		for _, l := range lines {
			if !strings.Contains(got, l) {
				t.Errorf("step %s: the transcript's output lacks %q; it has:\n%s", step, l, got)
			}
		}
	}
}
