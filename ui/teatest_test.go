package ui

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"golive/runbook"
	"golive/sshexec"
)

// screenLog accumulates a program's output so that waits never lose a
// match to an earlier read.
type screenLog struct {
	tm   *teatest.TestModel
	acc  []byte
	from int
}

// waitText waits until text appears in the output after the last match.
func (s *screenLog) waitText(t *testing.T, text string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := io.ReadAll(s.tm.Output())
		s.acc = append(s.acc, b...)
		if i := bytes.Index(s.acc[s.from:], []byte(text)); i >= 0 {
			s.from += i + len(text)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q did not appear within 10s; output since the last match:\n%q", text, s.acc[s.from:])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func keys(tm *teatest.TestModel, ks ...string) {
	for _, k := range ks {
		tm.Send(keyMsg(k))
	}
}

// TestFlowWholeReleaseAndExport walks the test runbook from start to
// export in a real Bubble Tea program.
func TestFlowWholeReleaseAndExport(t *testing.T) {
	ex := newFakeExec("web1")
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, "System check identified no issues (0 silenced).")})
	migrating := make(chan struct{})
	ex.on("migrate", &fakeJob{lines: out(sshexec.Stdout, "Applying shop.0042_price... OK"), hold: migrating})
	ex.on("healthz", &fakeJob{lines: out(sshexec.Stdout, "ok")})
	opts := testOpts(t, ex)
	opts.Runbook, opts.Host = "release", "web1"
	opts.OutDir = t.TempDir()
	signed, signedAs := false, ""
	opts.Sign = func(data io.Reader, operator string) ([]byte, string, string, error) {
		signed, signedAs = true, operator
		return []byte("-----BEGIN SSH SIGNATURE-----\nfake\n-----END SSH SIGNATURE-----\n"), "alice namespaces=\"golive-transcript\" ssh-ed25519 AAAA", "SHA256:fake", nil
	}
	tm := teatest.NewTestModel(t, New(opts), teatest.WithInitialTermSize(100, 30),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	sc := &screenLog{tm: tm}
	sc.waitText(t, "signed off")
	keys(tm, "enter")
	sc.waitText(t, "expectations met")
	keys(tm, "p", "enter")
	sc.waitText(t, "fresh dump") // backup, manual
	keys(tm, "p", "enter")
	sc.waitText(t, "Apply migrations")
	keys(tm, "enter")
	sc.waitText(t, "High-risk step")
	tm.Type("migrate")
	keys(tm, "enter")
	sc.waitText(t, "0042_price")
	// The output shows while the step runs (held here until then, as a
	// loaded machine does on its own): sign off once it ended. A p
	// pressed while it runs is no sign-off; a CI run once pressed it
	// then and waited for a step that never moved on.
	close(migrating)
	sc.waitText(t, "expectations met")
	keys(tm, "p", "enter")
	sc.waitText(t, "Public health check")
	keys(tm, "enter")
	sc.waitText(t, "expectations met")
	keys(tm, "p", "enter")
	sc.waitText(t, "Verdict")
	keys(tm, "e")
	sc.waitText(t, "Transcript")
	keys(tm, "q")
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
	o := fm.Outcome()
	if !o.Finished || o.Verdict != runbook.RunPassed {
		t.Fatalf("outcome %+v", o)
	}
	if !signed {
		t.Fatal("transcript not signed")
	}
	if signedAs != "alice" {
		t.Fatalf("signer told the run's operator is %q, want alice", signedAs)
	}
	var md, js string
	for _, f := range o.Files {
		switch {
		case strings.HasSuffix(f, ".md"):
			md = f
		case strings.HasSuffix(f, ".json"):
			js = f
		}
	}
	if !strings.HasPrefix(filepath.Base(js), "golive-test-release-web1-20260102T030405Z") {
		t.Fatalf("json name %q", js)
	}
	mdb, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"migrate", "SHA256:fake", "alice"} {
		if !bytes.Contains(mdb, []byte(want)) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	jb, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := runbook.ReadTranscript(bytes.NewReader(jb))
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.CheckConsistency(); err != nil {
		t.Fatalf("exported transcript inconsistent: %v", err)
	}
	if _, err := os.Stat(js + ".sig"); err != nil {
		t.Fatal(err)
	}
}

// TestFlowChooseFormAndHostKey starts from nothing: chooser, form, an
// unknown host key answered "yes" by typing.
func TestFlowChooseFormAndHostKey(t *testing.T) {
	ex := newFakeExec("web1")
	opts := testOpts(t, ex)
	opts.Connect = func(ctx context.Context, host string, p Prompter) (sshexec.Executor, error) {
		ok, err := p.ConfirmHostKey(ctx, HostKeyQuestion{Host: host, KeyType: "ED25519", Fingerprint: "SHA256:abcdefg",
			Message: "The authenticity of host '" + host + "' can't be established.\nED25519 key fingerprint is SHA256:abcdefg.\nAre you sure you want to continue connecting (yes/no)?"})
		if err != nil || !ok {
			return nil, context.Canceled
		}
		return ex, nil
	}
	tm := teatest.NewTestModel(t, New(opts), teatest.WithInitialTermSize(100, 30),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	sc := &screenLog{tm: tm}
	sc.waitText(t, "which release")
	keys(tm, "enter")
	sc.waitText(t, "app_dir")
	tm.Type("db.example")
	keys(tm, "enter")
	sc.waitText(t, "authenticity")
	tm.Type("maybe")
	keys(tm, "enter")
	sc.waitText(t, "Please")
	tm.Type("yes")
	keys(tm, "enter")
	sc.waitText(t, "signed off")
	keys(tm, "ctrl+c")
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
	if fm.rel == nil || fm.rel.Host != "db.example" {
		t.Fatal("release not started on the typed host")
	}
	if hk := fm.rel.Session.HostKeys(); len(hk) != 1 || hk[0].Fingerprint != "SHA256:abcdefg" {
		t.Fatalf("host keys %+v", hk)
	}
	// The profile remembers the answers for next time (no secrets).
	p, err := LoadProfile(profileFile("", "test-release"))
	if err != nil || p.Host != "db.example" || p.Operator != "alice" || p.Vars["app_dir"] != "/srv/app" {
		t.Fatalf("profile %+v, %v", p, err)
	}
	if _, ok := p.Vars["db_password"]; ok {
		t.Fatal("a secret variable reached the profile")
	}
}

// Note: wait for single words. The renderer skips over cells that already
// hold the right character, so "two words" may reach the output as
// "two\x1b[Cwords".

// TestFlowCancelAndResize cancels a running step in a real program and
// resizes the terminal while it runs.
func TestFlowCancelAndResize(t *testing.T) {
	ex := newFakeExec("web1")
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, "checking"), hold: make(chan struct{})})
	opts := testOpts(t, ex)
	opts.Runbook, opts.Host = "release", "web1"
	tm := teatest.NewTestModel(t, New(opts), teatest.WithInitialTermSize(80, 24),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	sc := &screenLog{tm: tm}
	sc.waitText(t, "pending")
	keys(tm, "enter")
	sc.waitText(t, "checking")
	tm.Send(tea.WindowSizeMsg{Width: 160, Height: 50})
	sc.waitText(t, "Django") // the list shows titles when wide
	keys(tm, "x")
	sc.waitText(t, "TERM")
	keys(tm, "y")
	sc.waitText(t, "canceled")
	keys(tm, "q", "y")
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
	a := fm.rel.Session.Step("check").Last()
	if a == nil || a.Exit == nil || !a.Exit.Canceled || len(ex.canceled) != 1 {
		t.Fatalf("attempt %+v, canceled %v", a, ex.canceled)
	}
	if fm.width != 160 || fm.height != 50 {
		t.Fatalf("size %dx%d", fm.width, fm.height)
	}
}
