package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	tea "charm.land/bubbletea/v2"

	"golive/runbook"
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

// q mid-release asks in words (on screen and in the help bar) and names
// the command that continues the run; quitting leaves an unfinished run,
// exit code 3 as in plain mode.
func TestQuitAsksInWordsAndExitsIncomplete(t *testing.T) {
	m := started(t, newFakeExec("web1"), 80, 24)
	m = press(t, m, "q")
	s := screen(m)
	for _, want := range []string{"Quit? The run stays resumable", "golive resume " + m.rel.RunID, "y quit (the run stays resumable)", "n stay"} {
		if !strings.Contains(s, want) {
			t.Errorf("quit question lacks %q:\n%s", want, s)
		}
	}
	m = press(t, m, "y")
	o := m.Outcome()
	if !m.quitting || o.Finished || o.ExitCode() != ExitIncomplete {
		t.Fatalf("outcome %+v, exit code %d; want unfinished, %d", o, o.ExitCode(), ExitIncomplete)
	}
}

func TestOutcomeExitCodes(t *testing.T) {
	for _, c := range []struct {
		o    Outcome
		want int
	}{
		{Outcome{}, ExitPassed},
		{Outcome{RunID: "r", Finished: true, Verdict: runbook.RunPassed}, ExitPassed},
		{Outcome{RunID: "r", Finished: true, Verdict: runbook.RunFailed}, ExitFailed},
		{Outcome{RunID: "r", Verdict: runbook.RunFailed}, ExitFailed},
		{Outcome{RunID: "r", Verdict: runbook.RunIncomplete}, ExitIncomplete},
		{Outcome{RunID: "r", Err: errors.New("broken")}, ExitFailed},
	} {
		if got := c.o.ExitCode(); got != c.want {
			t.Errorf("%+v: exit code %d, want %d", c.o, got, c.want)
		}
	}
}

// inputLine returns the screen line that holds an input's prompt ("> " or
// "/" after a gutter), trimmed of the box around it.
func inputLine(s, prompt string) string {
	for _, l := range strings.Split(s, "\n") {
		if i := strings.Index(l, prompt); i >= 0 {
			return strings.TrimRight(strings.Trim(strings.TrimSpace(l[i+len(prompt):]), "│"), " ")
		}
	}
	return "<no input line>"
}

// A dialog opens empty and looks empty: the key that opened it is not in
// it, and no placeholder puts a letter under the cursor that reads as a
// typed one ("n" of "note", "s" of "search").
func TestDialogsOpenEmpty(t *testing.T) {
	ex := newFakeExec("web1")
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, "System check identified no issues")})
	m := started(t, ex, 80, 24)
	for _, k := range []string{"s", "n", "f", "a"} {
		m = press(t, m, k)
		if m.dlg.kind == dlgNone {
			t.Fatalf("%s opened no dialog", k)
		}
		if v := m.dlg.input.Value(); v != "" {
			t.Errorf("%s: the dialog opened holding %q", k, v)
		}
		if l := inputLine(screen(m), "> "); l != "" {
			t.Errorf("%s: the dialog's input shows %q before anything was typed:\n%s", k, l, screen(m))
		}
		m = press(t, m, "esc")
	}
	m = press(t, m, "enter") // run check, so that there is output to search
	m = press(t, m, "/")
	if !m.pane.typing || m.pane.input.Value() != "" {
		t.Fatalf("search opened with %q", m.pane.input.Value())
	}
	if l := inputLine(screen(m), "· /"); l != "" {
		t.Errorf("the search input shows %q before anything was typed:\n%s", l, screen(m))
	}
}

// While a dialog has focus every printable key is text, even the ones
// that are commands on the main screen.
func TestDialogTakesEveryPrintableKey(t *testing.T) {
	m := started(t, newFakeExec("web1"), 80, 24)
	m = press(t, m, "s")
	text := "q?S/e RrpfsnxbaGgjkNF"
	m = typeText(t, m, text)
	if m.dlg.kind != dlgSignOff || m.state != stateMain || m.quitting {
		t.Fatalf("a typed key acted as a command: dialog %v state %v", m.dlg.kind, m.state)
	}
	if v := m.dlg.input.Value(); v != text {
		t.Fatalf("note %q, want %q", v, text)
	}
}

// The export directory dialog starts empty (enter alone means the current
// directory), so a typed absolute path stays absolute.
func TestExportDialogKeepsAbsolutePath(t *testing.T) {
	m := started(t, newFakeExec("web1"), 80, 24)
	m = press(t, m, "S", "e")
	if m.dlg.kind != dlgExport {
		t.Fatal("export did not ask where")
	}
	dir := t.TempDir() + "/gl-out"
	m = typeText(t, m, dir)
	if v := m.dlg.input.Value(); v != dir {
		t.Fatalf("typed %q, the dialog holds %q", dir, v)
	}
	m = press(t, m, "enter")
	if ents, err := os.ReadDir(dir); err != nil || len(ents) < 2 {
		t.Fatalf("export wrote %v (%v); status %q", ents, err, m.status)
	}
}

// A runbook file chosen by a relative path is recorded by its absolute
// path, so that a resume from another directory finds it.
func TestTUIRecordsRunbookFileAbsolute(t *testing.T) {
	opts := testOpts(t, newFakeExec("web1"))
	data, err := os.ReadFile("testdata/sshd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mine.yaml"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	opts.Runbook = "./mine.yaml"
	opts.Host = "local"
	m := New(opts)
	m = drive(t, m, m.Init())
	if m.state != stateMain {
		t.Fatalf("state %v, error %v", m.state, m.errPanel)
	}
	evs := journal(t, m)
	if got := evs[0].Run.RunbookFile; got != filepath.Join(dir, "mine.yaml") {
		t.Fatalf("journal records the runbook as %q, want %q", got, filepath.Join(dir, "mine.yaml"))
	}
}

// longModel is a release of testdata/long.yaml at w x h.
func longModel(t *testing.T, ex *fakeExec, w, h int) Model {
	t.Helper()
	opts := testOpts(t, ex)
	data, err := os.ReadFile("testdata/long.yaml")
	if err != nil {
		t.Fatal(err)
	}
	opts.Runbooks = fstest.MapFS{"long.yaml": {Data: data}}
	opts.Runbook, opts.Host = "long", "web1"
	return startedWith(t, opts, w, h)
}

// At 80x24 nothing of a step is cut unseen: the detail wraps its lines,
// says when there is more, and z shows the whole step (every line of the
// command, why and rollback), scrolled with pgdn.
func TestWholeStepReadableAt80x24(t *testing.T) {
	m := longModel(t, newFakeExec("web1"), 80, 24)
	s := screen(m)
	if !strings.Contains(s, "z shows the whole step") || !strings.Contains(s, "z full step") {
		t.Fatalf("the detail does not say how to see the rest:\n%s", s)
	}
	if !strings.Contains(s, "WHYEND") {
		t.Fatalf("the why is cut:\n%s", s)
	}
	m = press(t, m, "z")
	seen := screen(m)
	for i := 0; i < 10 && !strings.Contains(seen, "ROLLBACKEND"); i++ {
		m = press(t, m, "pgdown")
		seen += screen(m)
	}
	for _, want := range []string{"FIRSTEND", "LASTLINE", "ROLLBACKEND", "echo six", "── lines "} {
		if !strings.Contains(seen, want) {
			t.Errorf("the whole-step view never shows %q:\n%s", want, seen)
		}
	}
	if strings.Contains(seen, "…\n") || strings.Contains(seen, "… │") {
		t.Errorf("the whole-step view cuts a line:\n%s", seen)
	}
	m = press(t, m, "z")
	if m.zoom || !strings.Contains(screen(m), "Output") {
		t.Fatalf("z did not go back to the output:\n%s", screen(m))
	}
}

// A long output line is readable: w wraps it in the pane.
func TestOutputWrapToggle(t *testing.T) {
	ex := newFakeExec("web1")
	long := strings.Repeat("x", 150) + " OUT-END"
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, "no issues", long)})
	m := started(t, ex, 80, 24)
	m = press(t, m, "enter")
	if strings.Contains(screen(m), "OUT-END") {
		t.Fatal("the long line fits already: the test proves nothing")
	}
	if !m.keys.Wrap.Enabled() {
		t.Fatalf("w is not offered for a long line:\n%s", screen(m))
	}
	m = press(t, m, "w")
	if s := screen(m); !strings.Contains(s, "OUT-END") || !strings.Contains(s, "wrapped") {
		t.Fatalf("w did not wrap the long line:\n%s", s)
	}
	m = press(t, m, "w")
	if strings.Contains(screen(m), "OUT-END") {
		t.Fatal("w again did not unwrap")
	}
}

// The status line under the list is never cut at 80 columns: what to do
// next after a failed check is all there.
func TestStatusLineNotCutAt80(t *testing.T) {
	ex := newFakeExec("web1")
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stderr, "ERROR: broken"), res: sshexec.Result{ExitCode: 1}})
	m := started(t, ex, 80, 24)
	m = press(t, m, "enter")
	s := screen(m)
	want := exitSummary("check", m.rel.Session.Step("check"))
	flat := strings.Join(strings.Fields(s), " ")
	if !strings.Contains(flat, strings.Join(strings.Fields(want), " ")) {
		t.Fatalf("status %q is cut:\n%s", want, s)
	}
	if lines := strings.Split(s, "\n"); len(lines) != 24 {
		t.Fatalf("screen has %d lines, want 24", len(lines))
	}
}

// fakeSignAsking signs only with the passphrase "sekret", which it asks
// for; it records the prompts asked.
func fakeSignAsking(asked *[]string) func(PassphraseFunc) SignFunc {
	return func(ask PassphraseFunc) SignFunc {
		return func(data io.Reader, _ string) ([]byte, string, string, error) {
			if ask == nil {
				return nil, "", "", errors.New("key is encrypted and nothing can ask")
			}
			*asked = append(*asked, "Enter passphrase for key '/home/alice/.ssh/id_ed25519':")
			pw, err := ask((*asked)[len(*asked)-1])
			if err != nil {
				return nil, "", "", err
			}
			if string(pw) != "sekret" {
				return nil, "", "", errors.New("wrong passphrase")
			}
			io.Copy(io.Discard, data)
			return []byte("-----BEGIN SSH SIGNATURE-----\nfake\n-----END SSH SIGNATURE-----\n"), "alice ssh-ed25519 AAAA", "SHA256:fake", nil
		}
	}
}

// Export in the TUI asks for the signing key's passphrase in a masked
// dialog, and signs with it; esc exports unsigned.
func TestExportAsksSigningPassphrase(t *testing.T) {
	var asked []string
	opts := testOpts(t, newFakeExec("web1"))
	opts.Runbook, opts.Host = "release", "web1"
	opts.OutDir = t.TempDir()
	opts.SignAsking = fakeSignAsking(&asked)
	m := New(opts)
	nm, _ := m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m = drive(t, nm.(Model), m.Init())
	m = press(t, m, "S", "e")
	if m.dlg.kind != dlgPassphrase || len(asked) != 1 {
		t.Fatalf("no passphrase dialog (dialog %v, asked %v):\n%s", m.dlg.kind, asked, screen(m))
	}
	if s := screen(m); !strings.Contains(s, "id_ed25519") || !strings.Contains(s, "Sign the transcript") {
		t.Fatalf("the dialog does not name the key:\n%s", s)
	}
	m = typeText(t, m, "sekret")
	if strings.Contains(screen(m), "sekret") {
		t.Fatal("the passphrase is shown")
	}
	m = press(t, m, "enter")
	m = settle(t, m)
	sigs, _ := filepath.Glob(filepath.Join(opts.OutDir, "*.json.sig"))
	if len(sigs) != 1 || !strings.Contains(m.status, ", signed") {
		t.Fatalf("not signed: %v; status %q", sigs, m.status)
	}

	// esc: exported unsigned, and says so.
	dir2 := t.TempDir()
	m.opts.OutDir = dir2
	m = press(t, m, "e")
	if m.dlg.kind != dlgPassphrase {
		t.Fatalf("second export did not ask:\n%s", screen(m))
	}
	m = press(t, m, "esc")
	m = settle(t, m)
	if sigs, _ := filepath.Glob(filepath.Join(dir2, "*.json.sig")); len(sigs) != 0 || !strings.Contains(m.status, "NOT signed") {
		t.Fatalf("esc: sigs %v, status %q", sigs, m.status)
	}
}

// Failing a step with nothing to decide moves on to the next step; a
// failed high-risk step keeps the selection for its rollback decision.
func TestFailMovesOnUnlessRollbackPending(t *testing.T) {
	ex := newFakeExec("web1")
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stderr, "ERROR: broken"), res: sshexec.Result{ExitCode: 1}})
	ex.on("migrate", &fakeJob{lines: out(sshexec.Stderr, "lock timeout"), res: sshexec.Result{ExitCode: 1}})
	m := started(t, ex, 80, 24)
	m = press(t, m, "enter", "f")
	m = typeText(t, m, "broken setting")
	m = press(t, m, "enter")
	if got := m.steps[m.selected]; got != "backup" {
		t.Fatalf("after failing check the selection is %s, want backup", got)
	}
	m = sel(m, "migrate")
	m = press(t, m, "enter")
	m = typeText(t, m, "migrate")
	m = press(t, m, "enter", "f", "enter")
	if got := m.steps[m.selected]; got != "migrate" {
		t.Fatalf("after failing migrate the selection is %s, want migrate (rollback next)", got)
	}
}

// The high-risk confirmation shows the command it confirms, and however
// long the command and rollback, its input stays on screen at 80x24.
func TestHighRiskConfirmShowsCommandAndInput(t *testing.T) {
	m := longModel(t, newFakeExec("web1"), 80, 24)
	m = press(t, m, "enter")
	if m.dlg.kind != dlgConfirmRisk {
		t.Fatal("no confirmation")
	}
	s := screen(m)
	for _, want := range []string{"$ echo first", "type longcmd or yes", "│ >"} {
		if !strings.Contains(s, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, s)
		}
	}
	if n := len(strings.Split(s, "\n")); n != 24 {
		t.Fatalf("screen has %d lines", n)
	}
}

// enter on a manual step says what to do, and its pane says nothing runs.
func TestManualStepEnterExplains(t *testing.T) {
	m := started(t, newFakeExec("web1"), 80, 24)
	m = sel(m, "backup")
	if s := screen(m); !strings.Contains(s, "a manual step: nothing runs") {
		t.Fatalf("the pane of a manual step does not say so:\n%s", s)
	}
	m = press(t, m, "enter")
	if !strings.Contains(m.status, "manual step") || m.run != nil {
		t.Fatalf("enter on a manual step: status %q", m.status)
	}
}

// A note on a step reads as its time and text, not a Go struct.
func TestNoteReadsAsText(t *testing.T) {
	m := started(t, newFakeExec("web1"), 80, 24)
	m = press(t, m, "a")
	m = typeText(t, m, "checked by phone")
	m = press(t, m, "enter")
	s := screen(m)
	if !strings.Contains(s, "Note (03:04:05Z): checked by phone") || strings.Contains(s, "{") {
		t.Fatalf("note shown as:\n%s", s)
	}
}

// ? shows every key that works, even at 80 columns with output to scroll.
func TestFullHelpShowsEveryKeyAt80(t *testing.T) {
	ex := newFakeExec("web1")
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, "no issues", strings.Repeat("y", 200))})
	m := started(t, ex, 80, 24)
	m = press(t, m, "enter", "?")
	s := screen(m)
	for _, want := range []string{"retry", "pass", "add note", "full step", "summary", "scroll output up", "wrap lines", "search", "all keys", "quit now"} {
		if !strings.Contains(s, want) {
			t.Errorf("full help lacks %q:\n%s", want, s)
		}
	}
}

// A host given by flag that cannot be reached can be fixed in the form:
// the form always has the host field, prefilled.
func TestBadFlagHostFixableInForm(t *testing.T) {
	ex := newFakeExec("web1")
	opts := testOpts(t, ex)
	opts.Runbook, opts.Host = "release", "web9"
	opts.Connect = func(ctx context.Context, host string, p Prompter) (sshexec.Executor, error) {
		if host != "web1" {
			return nil, errors.New("dial tcp: no such host")
		}
		return ex, nil
	}
	m := New(opts)
	nm, _ := m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m = drive(t, nm.(Model), m.Init())
	if m.state != stateError {
		t.Fatalf("state %v, want the error panel", m.state)
	}
	m = press(t, m, "x")
	if m.state != stateForm || !strings.Contains(screen(m), "web9") {
		t.Fatalf("back in the form without the host field (state %v):\n%s", m.state, screen(m))
	}
	for i := 0; i < 4; i++ { // clear the field
		m = press(t, m, "backspace")
	}
	m = typeText(t, m, "web1")
	m = press(t, m, "enter")
	if m.state != stateMain || m.rel.Host != "web1" {
		t.Fatalf("state %v, err %v", m.state, m.errPanel)
	}
}

// The chooser's path input shows its example whole (a textinput without a
// width shows only its first cell).
func TestChooserPathShowsExample(t *testing.T) {
	m := resize(New(testOpts(t, newFakeExec("web1"))), 80, 24)
	m = press(t, m, "down", "enter")
	if s := screen(m); !strings.Contains(s, "path/to/runbook.yaml") {
		t.Fatalf("the path input hides its example:\n%s", s)
	}
}

// manyStepsModel is a release of a runbook with n remote steps, at w x h.
func manyStepsModel(t *testing.T, n, w, h int) Model {
	t.Helper()
	var b strings.Builder
	b.WriteString("id: many\ntitle: Many steps\ndescription: d\nversion: \"1\"\nsections:\n  - id: s\n    title: S\n    steps:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "      - id: step%02d\n        title: Step %d\n        command: echo %d\n", i, i, i)
	}
	opts := testOpts(t, newFakeExec("web1"))
	opts.Runbooks = fstest.MapFS{"many.yaml": {Data: []byte(b.String())}}
	opts.Runbook, opts.Host = "many", "web1"
	return startedWith(t, opts, w, h)
}

// A summary longer than the screen scrolls, and the export dialog opens
// where it is seen, not below the lists.
func TestLongSummaryScrollsAndShowsExportDialog(t *testing.T) {
	m := manyStepsModel(t, 30, 80, 24)
	for i := 1; i <= 30; i++ {
		m = press(t, m, "s")
		m = typeText(t, m, "not today")
		m = press(t, m, "enter")
	}
	if m.state != stateSummary {
		t.Fatalf("state %v after skipping every step", m.state)
	}
	s := screen(m)
	if !strings.Contains(s, "pgup/pgdn") || strings.Contains(s, "- step30:") {
		t.Fatalf("a long summary does not say it scrolls:\n%s", s)
	}
	m = press(t, m, "pgdown", "pgdown", "pgdown")
	if s := screen(m); !strings.Contains(s, "- step30:") {
		t.Fatalf("pgdn does not reach the end:\n%s", s)
	}
	m = press(t, m, "e")
	if s := screen(m); m.dlg.kind != dlgExport || !strings.Contains(s, "Export the transcript") || !strings.Contains(s, "│ >") {
		t.Fatalf("the export dialog is not on screen:\n%s", s)
	}
}

// A failed high-risk step shows its rollback and that it blocks the rest
// in the detail's first lines, at 80x24, before why and command.
func TestFailedHighRiskShowsRollbackFirst(t *testing.T) {
	ex := newFakeExec("web1")
	ex.on("migrate", &fakeJob{lines: out(sshexec.Stderr, "lock timeout"), res: sshexec.Result{ExitCode: 1}})
	m := started(t, ex, 80, 24)
	m = sel(m, "migrate")
	m = press(t, m, "enter")
	m = typeText(t, m, "migrate")
	m = press(t, m, "enter", "f", "enter")
	s := screen(m)
	for _, want := range []string{"Rollback: Restore the backup", "blocked until you choose"} {
		if !strings.Contains(s, want) {
			t.Errorf("failed migrate's detail lacks %q:\n%s", want, s)
		}
	}
	if strings.Index(s, "Rollback:") > strings.Index(s, "The new code needs") {
		t.Errorf("the rollback comes after the why:\n%s", s)
	}
}
