package ui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golive/runbook"
	"golive/sshexec"
)

// plainRunbook has a passing step, a step whose condition is false, a
// high-risk step, a step that fails when fail_check is "yes", and a
// manual step.
const plainRunbook = `id: plaintest
title: Plain mode test
version: "1"
variables:
  - name: greeting
    default: hello
  - name: uses_celery
    default: "false"
  - name: fail_check
    default: "no"
  - name: api_token
    secret: true
    default: planted-plain-token-7731
sections:
  - id: main
    title: Main
    steps:
      - id: say
        title: Say hello
        why: To see output.
        command: |
          echo {{greeting}} world
          echo token {{api_token}}
          echo warning >&2
        expect:
          exit: [0]
          match: ['world']
      - id: celery
        title: Celery answers
        when: uses_celery
        command: echo celery
      - id: migrate
        title: Apply the migrations
        risk: high
        rollback: Restore the backup.
        command: seq 1 3
      - id: check
        title: The check passes
        command: test {{fail_check}} = no && echo fine
      - id: looked
        title: Someone looked at the site
        kind: manual
        checklist:
          - The home page loads
`

// plainEnv is a plain-mode run's surroundings: a runbook file, state and
// output directories and options that run every step on this machine.
type plainEnv struct {
	dir  string
	opts Options
}

func newPlainEnv(t *testing.T, vars map[string]string) plainEnv {
	t.Helper()
	dir := t.TempDir()
	rb := filepath.Join(dir, "plain.yaml")
	if err := os.WriteFile(rb, []byte(plainRunbook), 0o600); err != nil {
		t.Fatal(err)
	}
	local := sshexec.NewLocal(sshexec.LocalOptions{StateDir: filepath.Join(dir, "jobs")})
	return plainEnv{dir: dir, opts: Options{
		Runbook:     rb,
		Vars:        vars,
		Host:        "local",
		Operator:    "alice",
		OutDir:      filepath.Join(dir, "out"),
		ProfilePath: filepath.Join(dir, "profile.yaml"),
		StateDir:    filepath.Join(dir, "state"),
		Local:       local,
	}}
}

// useRunbook writes text as the runbook the next run walks.
func (e *plainEnv) useRunbook(t *testing.T, text string) {
	t.Helper()
	rb := filepath.Join(e.dir, "runbook.yaml")
	if err := os.WriteFile(rb, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	e.opts.Runbook = rb
}

// run runs plain mode with stdin and returns the exit code and output.
func (e plainEnv) run(t *testing.T, stdin string, yes bool) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := RunPlain(context.Background(), e.opts, PlainOptions{In: strings.NewReader(stdin), Out: &out, Yes: yes})
	t.Logf("exit %d, output:\n%s", code, out.String())
	return code, out.String()
}

// resume resumes the one unfinished run in plain mode, with the secret
// api_token given again (a resume asks for secrets anew) and stdin, and
// returns the exit code and output.
func (e plainEnv) resume(t *testing.T, stdin string) (int, string) {
	t.Helper()
	runs, err := runbook.ListRuns(e.opts.StateDir)
	if err != nil || len(runs) != 1 {
		t.Fatalf("unfinished runs: %v, %v; want the one run", runs, err)
	}
	opts := e.opts
	opts.Vars = map[string]string{"api_token": "planted-plain-token-7731"}
	rel, events, err := OpenRun(opts, runs[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	defer rel.Journal.Close()
	var out bytes.Buffer
	code := ResumePlain(context.Background(), opts, rel, events, PlainOptions{In: strings.NewReader(stdin), Out: &out})
	t.Logf("resume: exit %d, output:\n%s", code, out.String())
	return code, out.String()
}

// transcript reads the one JSON transcript in the output directory.
func (e plainEnv) transcript(t *testing.T) *runbook.Transcript {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(e.opts.OutDir, "*.json"))
	if len(files) != 1 {
		t.Fatalf("want one JSON transcript in %s, found %v", e.opts.OutDir, files)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := runbook.ReadTranscript(f)
	if err != nil {
		t.Fatalf("read %s: %v", files[0], err)
	}
	if err := tr.CheckConsistency(); err != nil {
		t.Fatalf("transcript %s is not consistent: %v", files[0], err)
	}
	return tr
}

func stepOf(t *testing.T, tr *runbook.Transcript, id string) runbook.TranscriptStep {
	t.Helper()
	for _, s := range tr.Steps {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no step %q in the transcript", id)
	return runbook.TranscriptStep{}
}

func TestPlainYesStopsAtFirstFailure(t *testing.T) {
	e := newPlainEnv(t, map[string]string{"fail_check": "yes"})
	code, out := e.run(t, "", true)
	if code != ExitFailed {
		t.Fatalf("exit %d, want %d (a step failed)", code, ExitFailed)
	}
	for _, want := range []string{
		"== [1/5] say: Say hello (risk: low)",
		"  | hello world",
		"  ! warning",
		"-- not applicable (uses_celery is false): signed off n/a",
		"high-risk step migrate runs without a typed confirmation (--yes)",
		"== [4/5] check: The check passes (risk: low)",
		"expectations NOT met",
		"signed off failed (automatic)",
		"stopped at a failure: step check",
		"golive resume ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, "looked") && strings.Contains(out, "[5/5]") {
		t.Errorf("went on past the failure to the manual step")
	}
	if strings.Contains(out, "planted-plain-token") {
		t.Errorf("the secret variable's value reached the output")
	}
	tr := e.transcript(t)
	if !tr.Run.Auto {
		t.Errorf("transcript run.auto is false; the sign-offs were automatic")
	}
	want := map[string]runbook.Verdict{"say": runbook.VerdictPassed, "celery": runbook.VerdictNotApplicable,
		"migrate": runbook.VerdictPassed, "check": runbook.VerdictFailed, "looked": ""}
	for id, v := range want {
		st := stepOf(t, tr, id)
		if st.Verdict != v {
			t.Errorf("step %s: verdict %q, want %q", id, st.Verdict, v)
		}
		if st.SignOff != nil && (!st.SignOff.Auto || st.SignOff.Operator != "alice") {
			t.Errorf("step %s: sign-off %+v, want automatic by alice", id, *st.SignOff)
		}
	}
	if tr.Verdict != runbook.RunFailed {
		t.Errorf("run verdict %q, want failed", tr.Verdict)
	}
}

func TestPlainStdinSignOffsWithNotes(t *testing.T) {
	e := newPlainEnv(t, nil)
	stdin := strings.Join([]string{
		"p", "", // say: passed, no note
		"nope", "migrate", // migrate: a wrong confirmation, then the id
		"s", "", "already checked by the load balancer", // migrate: skipped needs a note; the first is empty
		"x", "p", "looks fine", // check: an unknown key, then passed with a note
		"p", "home page loads", // looked (manual)
	}, "\n") + "\n"
	code, out := e.run(t, stdin, false)
	if code != ExitPassed {
		t.Fatalf("exit %d, want %d", code, ExitPassed)
	}
	for _, want := range []string{
		"that is not the step id; type migrate to run it",
		"a note is required here",
		"   [ ] The home page loads",
		"-- wrote " + e.opts.OutDir,
		"finished: passed (5 of 5 steps settled)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if !strings.Contains(out, `-- a note is required here: say why step "migrate" is skipped`) || strings.Contains(out, "runbook: ") {
		t.Errorf("the refused empty note should say once, without the library's prefix, why a note is needed")
	}
	tr := e.transcript(t)
	if tr.Run.Auto {
		t.Errorf("run.auto is set, but the operator signed off")
	}
	notes := map[string]string{"say": "", "migrate": "already checked by the load balancer", "check": "looks fine", "looked": "home page loads"}
	for id, note := range notes {
		st := stepOf(t, tr, id)
		if st.SignOff == nil || st.SignOff.Note != note || st.SignOff.Auto {
			t.Errorf("step %s: sign-off %+v, want note %q and not automatic", id, st.SignOff, note)
		}
	}
	if st := stepOf(t, tr, "migrate"); st.Verdict != runbook.VerdictSkipped || len(st.Attempts) != 1 || !st.Attempts[0].Start.Confirmed {
		t.Errorf("migrate: verdict %q, attempts %+v; want skipped after one confirmed attempt", st.Verdict, st.Attempts)
	}
}

func TestPlainEOFStopsResumable(t *testing.T) {
	e := newPlainEnv(t, nil)
	code, out := e.run(t, "p\n\n", false) // say passed; input ends at migrate's confirmation
	if code != ExitIncomplete {
		t.Fatalf("exit %d, want %d (stopped, resumable)", code, ExitIncomplete)
	}
	if !strings.Contains(out, "Continue with: golive resume ") {
		t.Errorf("output does not say how to resume")
	}
	runs, err := runbook.ListRuns(e.opts.StateDir)
	if err != nil || len(runs) != 1 {
		t.Fatalf("unfinished runs: %v, %v; want the one run", runs, err)
	}
	if files, _ := filepath.Glob(filepath.Join(e.opts.OutDir, "*")); len(files) != 0 {
		t.Errorf("an incomplete run wrote a transcript: %v", files)
	}

	// Resume it with the secret variable given again, and finish it.
	code, res := e.resume(t, "s\nthe DBA runs the migrations\np\n\np\nok\n") // skip migrate at its confirmation
	if code != ExitPassed {
		t.Fatalf("resume exit %d, want %d", code, ExitPassed)
	}
	if !strings.Contains(res, "== [1/5] say: Say hello: signed off passed by alice") {
		t.Errorf("resume does not print the earlier sign-off")
	}
	tr := e.transcript(t)
	if tr.Verdict != runbook.RunPassed || tr.SignedOff != 5 {
		t.Errorf("verdict %q with %d settled, want passed with 5", tr.Verdict, tr.SignedOff)
	}
	if st := stepOf(t, tr, "migrate"); st.Verdict != runbook.VerdictSkipped || len(st.Attempts) != 0 || st.SignOff.Note != "the DBA runs the migrations" {
		t.Errorf("migrate: verdict %q after %d attempts; want skipped at the confirmation, never run", st.Verdict, len(st.Attempts))
	}
	if n := len(stepOf(t, tr, "say").Attempts); n != 1 {
		t.Errorf("say ran %d times, want once (resume must not rerun signed-off steps)", n)
	}
}

func TestPlainUsageErrors(t *testing.T) {
	e := newPlainEnv(t, map[string]string{"nosuch": "x"})
	code, out := e.run(t, "", true)
	if code != ExitUsage || !strings.Contains(out, "nosuch") {
		t.Errorf("unknown variable: exit %d, output %q; want %d naming it", code, out, ExitUsage)
	}
	e = newPlainEnv(t, nil)
	e.opts.Host = ""
	if code, out := e.run(t, "", true); code != ExitUsage || !strings.Contains(out, "--host") {
		t.Errorf("no host: exit %d, output %q; want %d asking for --host", code, out, ExitUsage)
	}
	e.opts.Runbook = filepath.Join(e.dir, "missing.yaml")
	e.opts.Host = "local"
	if code, _ := e.run(t, "", true); code != ExitUsage {
		t.Errorf("missing runbook: exit %d, want %d", code, ExitUsage)
	}
}

// TestPlainExportFailureSaysHowToExport: when the transcript cannot be
// written at the end, plain mode says how to write it once that is fixed.
func TestPlainExportFailureSaysHowToExport(t *testing.T) {
	e := newPlainEnv(t, nil)
	e.useRunbook(t, "id: one\ntitle: One\nsections:\n  - id: s\n    title: S\n    steps:\n      - id: a\n        title: A\n        kind: local\n        command: echo hi\n")
	e.opts.OutDir = filepath.Join(e.dir, "runbook.yaml", "out") // under a file
	code, out := e.run(t, "", true)
	if code != ExitFailed || !strings.Contains(out, "-- transcript not written: ") ||
		!regexp.MustCompile(`-- write it with: golive export \S+ --out DIR`).MatchString(out) {
		t.Errorf("exit %d, want %d, the failure and how to export:\n%s", code, ExitFailed, out)
	}
}

func TestPlainSanitizesOutput(t *testing.T) {
	t.Setenv("NO_COLOR", "") // colours stay: only they may
	e := newPlainEnv(t, nil)
	const book = `id: escapes
title: Escapes
version: "1"
sections:
  - id: main
    title: Main
    steps:
      - id: hostile
        title: Output that talks to the terminal
        command: |
          printf '\033[2J\033[Hcleared \033]0;evil title\007 \033]52;c;ZXZpbA==\007 \033[31mred\033[0m\n'
          printf 'DB_PASSWORD=hunter2hunter2\n' >&2
`
	e.useRunbook(t, book)
	code, out := e.run(t, "", true)
	if code != ExitPassed {
		t.Fatalf("exit %d, want %d", code, ExitPassed)
	}
	for _, bad := range []string{"\x1b[2J", "\x1b[H", "\x1b]", "\a", "hunter2"} {
		if strings.Contains(out, bad) {
			t.Errorf("plain output holds %q", bad)
		}
	}
	for _, want := range []string{"  | cleared", "\x1b[31mred\x1b[0m", "  ! DB_PASSWORD=********"} {
		if !strings.Contains(out, want) {
			t.Errorf("plain output lacks %q", want)
		}
	}
}

func TestPlainNoColor(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	e := newPlainEnv(t, nil)
	const book = `id: colour
title: Colour
version: "1"
sections:
  - id: main
    title: Main
    steps:
      - id: red
        title: Red output
        command: printf '\033[31mred\033[0m text\n'
`
	e.useRunbook(t, book)
	code, out := e.run(t, "", true)
	if code != ExitPassed || strings.Contains(out, "\x1b") || !strings.Contains(out, "  | red text") {
		t.Errorf("exit %d, output %q; want the colour dropped under NO_COLOR", code, out)
	}
}

func TestPlainRecordsRunbookFileAbsolute(t *testing.T) {
	e := newPlainEnv(t, nil)
	t.Chdir(e.dir)
	e.opts.Runbook = "plain.yaml" // relative to the current directory
	if code, _ := e.run(t, "", false); code != ExitIncomplete {
		t.Fatalf("exit %d, want %d", code, ExitIncomplete)
	}
	runs, err := runbook.ListRuns(e.opts.StateDir)
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs %v, %v", runs, err)
	}
	t.Chdir(t.TempDir()) // resume from elsewhere
	opts := e.opts
	opts.Vars = map[string]string{"api_token": "planted-plain-token-7731"}
	rel, _, err := OpenRun(opts, runs[0].Path)
	if err != nil {
		t.Fatalf("resume from another directory: %v", err)
	}
	rel.Journal.Close()
	if f := rel.Session.Info().RunbookFile; !filepath.IsAbs(f) {
		t.Errorf("the run records runbook file %q, not an absolute path", f)
	}
}
