package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"golive/runbook"
)

// oneRunbook is a two-step runbook, id one, for stoppedLocalRun.
const oneRunbook = "id: one\ntitle: One\nsections:\n  - id: main\n    title: Main\n    steps:\n" +
	"      - id: hi\n        title: Hi\n        command: echo hi\n      - id: bye\n        title: Bye\n        command: echo bye\n"

// stoppedLocalRun runs a one-step runbook on --host local in plain mode
// with no input, so that it stops at the first sign-off, and returns the
// run's id and journal. XDG_STATE_HOME is the test's own.
func stoppedLocalRun(t *testing.T) (id, journal string) {
	t.Helper()
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	dir := t.TempDir()
	rb := filepath.Join(dir, "one.yaml")
	if err := os.WriteFile(rb, []byte(oneRunbook), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run("run", "--plain", "--host", "local", "--runbook", rb, "--operator", "op", "--out", dir)
	m := regexp.MustCompile(`-- run ([0-9A-Za-z-]+):`).FindStringSubmatch(stdout)
	if code != 3 || m == nil {
		t.Fatalf("run: exit %d, want 3 (stopped at the sign-off)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	return m[1], filepath.Join(state, "golive", "runs", m[1], runbook.JournalName)
}

// TestStartupErrorsHaveNoLibraryPrefix: a resume and an export whose
// journal does not replay (an event that does not fit the run, appended
// with a sound hash chain) stop before the first step, through dispatch as
// the binary runs, with an error that says which run and what to do, and
// without the library's "runbook: " in front of its words (which read
// "the journal does not replay: runbook: event does not fit the session").
func TestStartupErrorsHaveNoLibraryPrefix(t *testing.T) {
	id, journal := stoppedLocalRun(t)
	j, _, err := runbook.OpenJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	// bye never started: its exit does not fit the session.
	stored, err := j.Append(runbook.Event{Type: runbook.EvStepExited, Step: "bye", Attempt: 1, Exit: &runbook.ExitInfo{}})
	if err != nil {
		t.Fatal(err)
	}
	misfit := fmt.Sprintf(`event seq %d, step.exited of step "bye", which was pending (it had not run), does not fit the run`, stored[0].Seq)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"resume", id, "--plain"},
		{"resume", id[:8]},
		{"export", id, "--out", t.TempDir()},
	} {
		code, stdout, stderr := run(args...)
		if code != 1 {
			t.Errorf("%v: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", args, code, stdout, stderr)
		}
		all := stdout + stderr
		if strings.Contains(all, "runbook: ") || strings.Contains(all, "sshexec: ") {
			t.Errorf("%v: a library prefix reaches the operator:\n%s", args, all)
		}
		t.Logf("%v: exit %d\n%s", args, code, all)
		if !strings.Contains(all, id) || !strings.Contains(all, misfit) ||
			!strings.Contains(all, "start the release again with 'golive run'") {
			t.Errorf("%v: the error does not name the run %s and what is wrong:\n%s", args, id, all)
		}
	}
}

// TestBadFlagsInOperatorWords: a flag golive does not take, a flag
// without its value, and a value a flag refuses are named as the help
// names them (--var, not Go's -var) in words without Go's flag package
// ("flag provided but not defined", "invalid value ... for flag"), exit 2,
// and a refused --var's value is not repeated (it may be a secret's).
func TestBadFlagsInOperatorWords(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run", "--hots", "web1"}, "golive run: unknown flag --hots; the flags it takes are listed above"},
		{[]string{"resume", "--plain", "--var"}, "golive resume: --var needs a value: --var NAME=VALUE"},
		{[]string{"run", "--host"}, "golive run: --host needs a value: --host VALUE"},
		{[]string{"export", "RUN", "--var", "novalue"}, `golive export: --var: want NAME=VALUE, got "novalue"`},
		{[]string{"run", "--var", "db_password=hunter2", "--var", "db_password=hunter3"}, "golive run: --var: db_password is given twice; give each variable once"},
		{[]string{"run", "--plain=maybe"}, `golive run: --plain takes no value ("maybe"): give --plain alone to turn it on, --plain=false to leave it off`},
		{[]string{"show", "non-docker", "---var", "a=b"}, "golive show: ---var is no flag: flags are --name or --name=value"},
	}
	for _, c := range cases {
		code, stdout, stderr := run(c.args...)
		lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
		if code != 2 || stdout != "" || lines[len(lines)-1] != c.want {
			t.Errorf("%v: exit %d, last line\n%s\nwant exit 2 and\n%s", c.args, code, lines[len(lines)-1], c.want)
		}
		if strings.Contains(stderr, "hunter3") || strings.Contains(stderr, "flag provided") || strings.Contains(stderr, "for flag") {
			t.Errorf("%v: Go's words, or the refused value, reach the operator:\n%s", c.args, stderr)
		}
	}
}

// TestStateDirErrorSaysWhatToDo: a state directory golive cannot make
// (a file in the way of its parent) stops run, resume and export before
// anything else with exit 2 (configuration: golive tried nothing; resume
// and export exited 1, run 2), naming the directory and saying what golive
// keeps there and how to give another; it said only "mkdir ...: not a
// directory".
func TestStateDirErrorSaysWhatToDo(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_STATE_HOME", filepath.Join(file, "state"))
	for _, args := range [][]string{
		{"run", "--plain", "--runbook", "non-docker", "--host", "local", "--operator", "op"},
		{"resume"},
		{"export", "20260101T000000Z-abcdef"},
	} {
		code, _, stderr := run(args...)
		if code != 2 || !strings.Contains(stderr, filepath.Join(file, "state", "golive")) ||
			!strings.Contains(stderr, "make it a directory you can write, or set XDG_STATE_HOME to one") {
			t.Errorf("%v: exit %d, stderr %q; want the directory named and what to do", args, code, stderr)
		}
	}
}

// TestUnknownCommandSaysWhatWasMeant: a runbook given where a command
// goes (golive non-docker, golive release.yaml) says how to walk it, and
// a command mistyped by a letter or two names the command; the rest point
// to --help. Exit 2 each.
func TestUnknownCommandSaysWhatWasMeant(t *testing.T) {
	file := filepath.Join(t.TempDir(), "release.yaml")
	if err := os.WriteFile(file, []byte("id: r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ arg, want string }{
		{"non-docker", "to walk that built-in runbook: golive run --runbook non-docker"},
		{"docker.yaml", "to walk that built-in runbook: golive run --runbook docker"},
		{file, "to walk that runbook file: golive run --runbook " + file},
		{"resum", "did you mean 'golive resume'?"},
		{"verfy", "did you mean 'golive verify'?"},
		{"exprot", "did you mean 'golive export'?"},
		{"shwo", "did you mean 'golive show'?"},
		{"deploy", "run 'golive --help' for the list"},
	} {
		code, stdout, stderr := run(c.arg)
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, "golive: unknown command ") || !strings.Contains(stderr, c.want) {
			t.Errorf("golive %s: exit %d, stderr %q; want 2 and %q", c.arg, code, stderr, c.want)
		}
	}
}

// TestResumeRefusesAnotherHostOrRunbook: golive resume RUNID --host web9
// (or --runbook) on a run that began on another host (runbook) exits 2
// and says the run continues only where it began and how to release
// elsewhere; it resumed on the journal's host and ignored the flag, the
// operator believing it was web9. The run's own values are taken.
func TestResumeRefusesAnotherHostOrRunbook(t *testing.T) {
	id, journal := stoppedLocalRun(t)
	before, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--host", "web9"}, "golive resume: --host web9: run " + id + " began on local and continues only there; drop --host (to release to web9, start a new run: golive run --host web9)"},
		{[]string{"--runbook", "docker"}, "golive resume: --runbook docker: run " + id + " walks the runbook one and continues only with it; drop --runbook (to walk docker, start a new run: golive run --runbook docker)"},
	} {
		code, stdout, stderr := run(append([]string{"resume", id, "--plain"}, c.flags...)...)
		if code != 2 || strings.TrimSpace(stderr) != c.want || stdout != "" {
			t.Errorf("resume %v: exit %d\nstdout: %s\nstderr: %s\nwant 2 and %s", c.flags, code, stdout, stderr, c.want)
		}
	}
	if after, _ := os.ReadFile(journal); string(after) != string(before) {
		t.Error("a refused resume wrote to the journal")
	}
	// The run's own host and runbook are no conflict: named by its id, or
	// by a file that declares that id under another name.
	renamed := filepath.Join(t.TempDir(), "release-v2.yaml")
	if err := os.WriteFile(renamed, []byte(oneRunbook), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, rb := range []string{"one", renamed} {
		code, stdout, stderr := run("resume", id, "--plain", "--host", "local", "--runbook", rb)
		if code != 3 || strings.Contains(stderr, "continues only") {
			t.Errorf("resume with the run's own --host and --runbook %s: exit %d, want 3\nstdout: %s\nstderr: %s", rb, code, stdout, stderr)
		}
	}
}

// TestSudoPasswordWithoutTerminal: --sudo-password with no terminal to
// ask on (a script, cron: the process has no controlling terminal) stops
// with exit 2 before anything runs, saying to run on a terminal or
// without the flag and how the run goes on then; it said only "no
// terminal to ask on: open /dev/tty: ...". The test binary runs itself in
// a new session, which has no controlling terminal.
func TestSudoPasswordWithoutTerminal(t *testing.T) {
	if os.Getenv("GOLIVE_TEST_NO_TTY") == "1" {
		var out, errb strings.Builder
		code := dispatch([]string{"run", "--plain", "--runbook", "non-docker", "--host", "local", "--operator", "op", "--sudo-password"}, &out, &errb)
		os.Stderr.WriteString(errb.String())
		os.Exit(code)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSudoPasswordWithoutTerminal$")
	cmd.Env = append(os.Environ(), "GOLIVE_TEST_NO_TTY=1", "XDG_STATE_HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("exit %v, want 2\nstderr:\n%s", err, stderr.String())
	}
	want := "golive run: --sudo-password: no terminal to ask on: "
	advice := "; run golive on a terminal, or without --sudo-password (a sudo step then stops for want of it; 'golive resume RUNID --sudo-password' on a terminal goes on)"
	if s := strings.TrimSpace(stderr.String()); !strings.HasPrefix(s, want) || !strings.HasSuffix(s, advice) {
		t.Errorf("stderr:\n%s\nwant it to begin %q and end %q", s, want, advice)
	}
}

// TestResumeWithoutSecretExits2: a resume of a run whose runbook has a
// secret variable, which the journal does not keep, given without it,
// exits 2 (the flags lack a value, as a new run's missing variable does)
// and says which --var to give; it exited 1, which says golive tried and
// failed. With the value it resumes.
func TestResumeWithoutSecretExits2(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir := t.TempDir()
	rb := filepath.Join(dir, "secret.yaml")
	const secretRunbook = "id: secret\ntitle: Secret\nvariables:\n  - name: tok\n    secret: true\n    required: true\n" +
		"sections:\n  - id: main\n    title: Main\n    steps:\n      - id: hi\n        title: Hi\n        command: echo {{tok}} | wc -c\n"
	if err := os.WriteFile(rb, []byte(secretRunbook), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run("run", "--plain", "--host", "local", "--runbook", rb, "--operator", "op", "--out", dir, "--var", "tok=hunter2")
	m := regexp.MustCompile(`-- run ([0-9A-Za-z-]+):`).FindStringSubmatch(stdout)
	if code != 3 || m == nil {
		t.Fatalf("run: exit %d, want 3 (stopped at the sign-off)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = run("resume", m[1], "--plain")
	want := "golive resume: run " + m[1] + " needs the secret variable tok, which the journal does not keep: give it again with --var tok=VALUE"
	if code != 2 || strings.TrimSpace(stderr) != want {
		t.Errorf("resume without the secret: exit %d\nstdout: %s\nstderr: %s\nwant 2 and %s", code, stdout, stderr, want)
	}
	code, stdout, stderr = run("resume", m[1], "--plain", "--var", "tok=hunter2")
	if code != 3 || strings.Contains(stdout+stderr, "hunter2") {
		t.Errorf("resume with the secret: exit %d, want 3 and the secret nowhere\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
}
