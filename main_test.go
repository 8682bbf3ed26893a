package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golive/runbook"
	"golive/runbooks"
)

// run calls dispatch as the binary would and returns its exit code and
// what it printed.
func run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = dispatch(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestListShowsEveryBuiltin(t *testing.T) {
	code, out, errOut := run("list")
	list, err := runbook.List(runbooks.FS)
	wantCode := 0
	if err != nil {
		wantCode = 1 // a broken built-in is reported, not hidden
		if !strings.Contains(errOut, err.Error()) {
			t.Errorf("stderr does not report the broken built-in:\n%s", errOut)
		}
	}
	if code != wantCode {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, wantCode, errOut)
	}
	if !strings.HasPrefix(out, "ID ") {
		t.Errorf("no header:\n%s", out)
	}
	for _, rb := range list {
		line := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(rb.ID) + ` +` +
			regexp.QuoteMeta(strconv.Itoa(rb.StepCount())) + ` +` + regexp.QuoteMeta(rb.Title))
		if !line.MatchString(out) {
			t.Errorf("no line for %s (%d steps):\n%s", rb.ID, rb.StepCount(), out)
		}
	}
}

func TestHelpAndBadFlags(t *testing.T) {
	for _, cmd := range []string{"list", "show", "validate"} {
		code, out, _ := run(cmd, "--help")
		if code != 0 || !strings.Contains(out, "Usage: golive "+cmd) {
			t.Errorf("%s --help: exit %d\n%s", cmd, code, out)
		}
		code, out, errOut := run(cmd, "--bogus")
		if code != 2 || out != "" || !strings.HasSuffix(errOut, "\n\ngolive "+cmd+": unknown flag --bogus; the flags it takes are listed above\n") ||
			!strings.Contains(errOut, "Usage: golive "+cmd) {
			t.Errorf("%s --bogus: exit %d\nstdout: %s\nstderr: %s", cmd, code, out, errOut)
		}
	}
	if code, _, errOut := run("show", "--var", "novalue", "x"); code != 2 || !strings.Contains(errOut, `want NAME=VALUE, got "novalue"`) {
		t.Errorf("show --var novalue: exit %d: %s", code, errOut)
	}
	if code, _, errOut := run("show"); code != 2 || !strings.Contains(errOut, "give exactly one runbook") {
		t.Errorf("show without a runbook: exit %d: %s", code, errOut)
	}
	if code, _, errOut := run("validate"); code != 2 || !strings.Contains(errOut, "give one or more runbook files") {
		t.Errorf("validate without files: exit %d: %s", code, errOut)
	}
	if code, _, errOut := run("list", "extra"); code != 2 || !strings.Contains(errOut, "takes no arguments") {
		t.Errorf("list extra: exit %d: %s", code, errOut)
	}
}

const goodFile = "runbook/testdata/good/release.yaml"

func TestShowFile(t *testing.T) {
	// Flags may come before or after the runbook.
	code, out, errOut := run("show", "--var", "db_password=hunter2", goodFile, "--var", "domain=shop.example.com")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(out, "hunter2") {
		t.Errorf("show printed a secret:\n%s", out)
	}
	rb, err := runbook.LoadFile(goodFile)
	if err != nil {
		t.Fatal(err)
	}
	// Every step, numbered, in order, and every section.
	last := 0
	for i, ss := range rb.Steps() {
		head := strconv.Itoa(i+1) + "/" + strconv.Itoa(rb.StepCount()) + "  " + ss.Step.ID + ": " + ss.Step.Title + "\n"
		at := strings.Index(out, head)
		if at < last {
			t.Errorf("step %q missing or out of order (looked for %q)", ss.Step.ID, head)
		}
		last = at
	}
	for _, want := range []string{
		"== 1. Settings and environment [settings]",
		"== 2. Deploy [deploy]",
		"  db_password = '********' (secret)\n",
		"    kind remote, risk high (typed confirmation), timeout 30m\n",
		"    when: uses_celery && web_server == 'nginx' -> not applicable: uses_celery is false, web_server is \"nginx\"\n",
		"      | curl -sI http://'shop.example.com'/ | grep -i '^location: https://'\n",
		"      | cd '/srv/myapp/current'\n",
		"    expect: exit 0; output matches /is set/; no line matches /MISSING/\n",
		"    expect: exit 0 or 1\n",
		"    rollback: Restore the previous environment file and restart.\n",
		"      [ ] A restore from backup was tested this quarter\n",
		"    kind remote, risk low, timeout 10m, sudo\n",
		"    kind remote, risk low, timeout 10m, no prelude\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	code, out, _ = run("show", goodFile, "--var", "uses_celery=yes")
	if code != 0 || !strings.Contains(out, "-> applies\n") {
		t.Errorf("uses_celery=yes: exit %d, celery step not applicable:\n%s", code, out)
	}
}

func TestShowErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"show", goodFile, "--var", "app_dri=/x"}, "declares no variable app_dri; it declares: app_dir, env_file"},
		{[]string{"show", goodFile, "--var", "app_dir=rel"}, `variable "app_dir": the value "rel" does not match the pattern "^/[^ ]+$"; set it with --var app_dir=VALUE`},
		{[]string{"show", "no-such-runbook"}, `no built-in runbook "no-such-runbook"`},
		{[]string{"show", "missing/file.yaml"}, "missing/file.yaml: no such file or directory"},
		{[]string{"show", "runbook/testdata/bad/unknown-key.yaml"}, `runbook/testdata/bad/unknown-key.yaml:22:9: step "migrate": unknown key "comand" (did you mean "command"?)`},
	}
	for _, tt := range tests {
		code, out, errOut := run(tt.args...)
		if code != 1 || out != "" || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d\nstdout: %s\nstderr: %s\nwant: %s", tt.args, code, out, errOut, tt.want)
		}
	}
}

func TestShowBuiltins(t *testing.T) {
	names, _ := filepath.Glob("runbooks/*.yaml")
	for _, name := range names {
		id := strings.TrimSuffix(filepath.Base(name), ".yaml")
		rb, err := runbook.Load(runbooks.FS, id)
		if err != nil {
			continue // TestListShowsEveryBuiltin and runbook's tests report it
		}
		code, out, errOut := run("show", id)
		if code != 0 {
			t.Errorf("show %s: exit %d: %s", id, code, errOut)
			continue
		}
		for _, ss := range rb.Steps() {
			if !strings.Contains(out, "  "+ss.Step.ID+": ") {
				t.Errorf("show %s lacks step %s", id, ss.Step.ID)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	code, out, _ := run("validate", goodFile)
	if code != 0 || out != goodFile+": ok (6 steps)\n" {
		t.Errorf("good file: exit %d: %q", code, out)
	}
	bad, _ := filepath.Glob("runbook/testdata/bad/*.yaml")
	if len(bad) == 0 {
		t.Fatal("no bad files")
	}
	for _, f := range bad {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, line := range strings.Split(string(data), "\n") {
			if w, ok := strings.CutPrefix(line, "# want: "); ok {
				if w[0] >= '0' && w[0] <= '9' {
					want = append(want, f+":"+w)
				} else {
					want = append(want, f+": "+w)
				}
			}
		}
		code, out, errOut := run("validate", f)
		if code != 1 || errOut != "" {
			t.Errorf("%s: exit %d, stderr %q", f, code, errOut)
		}
		if got := strings.TrimSuffix(out, "\n"); got != strings.Join(want, "\n") {
			t.Errorf("%s:\n%s\nwant:\n%s", f, got, strings.Join(want, "\n"))
		}
	}
	// Several files: each reported, exit 1 when any is bad.
	code, out, _ = run("validate", goodFile, bad[0], "no/such.yaml")
	if code != 1 || !strings.HasPrefix(out, goodFile+": ok (6 steps)\n"+bad[0]+":") ||
		!strings.Contains(out, "no/such.yaml: read runbook: open no/such.yaml: no such file or directory") {
		t.Errorf("several files: exit %d:\n%s", code, out)
	}
}

func TestShowBuiltinByFileName(t *testing.T) {
	// No docker.yaml in this directory: the name means the built-in.
	if _, err := os.Stat("docker.yaml"); err == nil {
		t.Skip("a docker.yaml exists here")
	}
	code, out, errOut := run("show", "docker.yaml")
	if code != 0 || !strings.HasPrefix(out, "docker: ") {
		t.Errorf("show docker.yaml: exit %d: %s", code, errOut)
	}
}

// TestRunAndResumeFlags: run and resume answer --help like the other
// commands (usage on stdout, exit 0) and end a bad flag's report with the
// problem, which a 24-line terminal still shows under run's long usage.
func TestRunAndResumeFlags(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	for _, cmd := range []string{"run", "resume", "list", "show", "validate", "verify", "export"} {
		if cmd == "run" || cmd == "resume" {
			code, out, errOut := run(cmd, "--help")
			if code != 0 || !strings.HasPrefix(out, "Usage: golive "+cmd) || !strings.Contains(out, "-runbook") || errOut != "" {
				t.Errorf("%s --help: exit %d\nstdout: %s\nstderr: %s", cmd, code, out, errOut)
			}
		}
		code, out, errOut := run(cmd, "--bogus")
		lines := strings.Split(strings.TrimRight(errOut, "\n"), "\n")
		want := "golive " + cmd + ": unknown flag --bogus; the flags it takes are listed above"
		if code != 2 || out != "" || lines[len(lines)-1] != want || !strings.Contains(errOut, "Usage: golive "+cmd) {
			t.Errorf("%s --bogus: exit %d, want 2 and last line %q\nstdout: %s\nstderr: %s", cmd, code, want, out, errOut)
		}
	}
	if code, _, errOut := run("resume", "one", "two"); code != 2 || !strings.Contains(errOut, "at most one run id") {
		t.Errorf("resume one two: exit %d: %s", code, errOut)
	}
	if code, _, errOut := run("run", "extra"); code != 2 || !strings.Contains(errOut, `unexpected argument "extra"`) {
		t.Errorf("run extra: exit %d: %s", code, errOut)
	}
}

// TestResumeShortPrefix: a run id's start too short to be taken as a
// prefix says to give more of it, not that there is no such run.
func TestResumeShortPrefix(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	id := "20260101T000000Z-abcdef"
	dir := filepath.Join(state, "golive", "runs", id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, runbook.JournalName), []byte("garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run("resume", "2026", "--plain")
	if code != 2 || !strings.Contains(errOut, `give at least 6 characters of the run id ("2026" is the start of `+id+")") {
		t.Errorf("resume 2026: exit %d: %s", code, errOut)
	}
	code, _, errOut = run("resume", "2027", "--plain")
	if code != 2 || !strings.Contains(errOut, `no unfinished run "2027"`) {
		t.Errorf("resume 2027: exit %d: %s", code, errOut)
	}
}
