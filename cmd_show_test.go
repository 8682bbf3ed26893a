package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShowRunbookFlag: show names its runbook with --runbook as run does,
// and prints the same plan as with the argument form.
func TestShowRunbookFlag(t *testing.T) {
	for _, id := range []string{"docker", goodFile} {
		code, byArg, errOut := run("show", id)
		if code != 0 {
			t.Fatalf("show %s: exit %d: %s", id, code, errOut)
		}
		code, byFlag, errOut := run("show", "--runbook", id)
		if code != 0 || errOut != "" {
			t.Errorf("show --runbook %s: exit %d: %s", id, code, errOut)
		}
		if byFlag != byArg {
			t.Errorf("show --runbook %s printed another plan than show %s:\n%s\n---\n%s", id, id, byFlag, byArg)
		}
	}
	// Flags before and after it, as with run.
	code, out, errOut := run("show", "--var", "uses_celery=yes", "--runbook="+goodFile, "--var", "domain=shop.example.com")
	if code != 0 || !strings.Contains(out, "shop.example.com") {
		t.Errorf("show --var ... --runbook=FILE --var ...: exit %d: %s%s", code, errOut, out)
	}
	// Both forms at once is one runbook too many, said plainly.
	code, _, errOut = run("show", "--runbook", "docker", "non-docker")
	if code != 2 || !strings.Contains(errOut, "give exactly one runbook (a built-in id or a file, as the argument or with --runbook)") {
		t.Errorf("show --runbook docker non-docker: exit %d: %s", code, errOut)
	}
	code, out, _ = run("show", "--help")
	if code != 0 || !strings.Contains(out, "golive show --runbook RUNBOOK") || !strings.Contains(out, "-runbook string") {
		t.Errorf("show --help does not give the --runbook form:\n%s", out)
	}
}

// TestValidateRunbookFlag: validate takes --runbook as run does: a file or
// a built-in, repeatable, alongside file arguments.
func TestValidateRunbookFlag(t *testing.T) {
	code, out, errOut := run("validate", "--runbook", goodFile)
	if code != 0 || out != goodFile+": ok (6 steps)\n" || errOut != "" {
		t.Errorf("validate --runbook FILE: exit %d: %q %q", code, out, errOut)
	}
	if _, err := os.Stat("docker"); err == nil {
		t.Skip("a file named docker exists here")
	}
	code, out, errOut = run("validate", "--runbook", "docker", goodFile, "--runbook", "runbook/testdata/bad/unknown-key.yaml")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if code != 1 || errOut != "" || len(lines) < 3 || !strings.HasPrefix(lines[0], "docker: ok (") ||
		!strings.Contains(out, "\nrunbook/testdata/bad/unknown-key.yaml:22:9: step \"migrate\": unknown key \"comand\"") ||
		lines[len(lines)-1] != goodFile+": ok (6 steps)" {
		t.Errorf("validate --runbook docker FILE --runbook BAD: exit %d:\n%s%s", code, out, errOut)
	}
	code, out, _ = run("validate", "--runbook", "no-such-runbook")
	if code != 1 || !strings.Contains(out, `no-such-runbook: `) || !strings.Contains(out, `no built-in runbook "no-such-runbook"`) {
		t.Errorf("validate --runbook no-such-runbook: exit %d: %s", code, out)
	}
	code, out, _ = run("validate", "--help")
	if code != 0 || !strings.Contains(out, "golive validate --runbook RUNBOOK") {
		t.Errorf("validate --help does not give the --runbook form:\n%s", out)
	}
}

// TestValidateOneStep: a runbook of one step is "ok (1 step)", not
// "(1 steps)".
func TestValidateOneStep(t *testing.T) {
	p := filepath.Join(t.TempDir(), "one.yaml")
	rb := "id: one\ntitle: One\nsections:\n  - id: main\n    title: Main\n    steps:\n      - id: hi\n        title: Hi\n        command: echo hi\n"
	if err := os.WriteFile(p, []byte(rb), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run("validate", p); code != 0 || out != p+": ok (1 step)\n" {
		t.Errorf("validate of one step: exit %d: %q %q; want %q", code, out, errOut, p+": ok (1 step)\n")
	}
}

// TestValidateMissingFileSaysWhatToDo: validate and show of a runbook path
// that does not exist, or is a directory, name it and say what to give;
// they printed only "read runbook: open nosuch.yaml: no such file or
// directory".
func TestValidateMissingFileSaysWhatToDo(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nosuch.yaml")
	for _, args := range [][]string{{"validate", missing}, {"validate", "--runbook", missing}, {"show", missing}, {"validate", dir}} {
		code, out, errOut := run(args...)
		msg := out + errOut
		if code == 0 || !strings.Contains(msg, args[len(args)-1]) || !strings.Contains(msg, "give the path of a runbook file") {
			t.Errorf("%v: exit %d, output %q; want it to name the path and say what to give", args, code, msg)
		}
	}
}

// TestValidateBuiltinNameSaysUseRunbook: a bare name that is no file but
// names a built-in runbook (docker.yaml, docker, non-docker.yml) says to
// use --runbook with the built-in's id; it said only that the file does
// not exist. A name of no built-in keeps the general advice.
func TestValidateBuiltinNameSaysUseRunbook(t *testing.T) {
	for _, args := range [][]string{
		{"validate", "docker.yaml"}, {"validate", "docker"}, {"validate", "non-docker.yml"}, {"show", "docker.yml"},
	} {
		name := args[len(args)-1]
		if _, err := os.Stat(name); err == nil {
			t.Skipf("a file named %s exists here", name)
		}
		id := strings.TrimSuffix(strings.TrimSuffix(name, ".yaml"), ".yml")
		code, out, errOut := run(args...)
		want := "use --runbook " + id + " (a built-in runbook), or give the path of a file"
		if code != 1 || !strings.Contains(out+errOut, want) {
			t.Errorf("%v: exit %d, output %q; want exit 1 and %q", args, code, out+errOut, want)
		}
	}
	code, out, _ := run("validate", "nosuch-builtin.yaml")
	if code != 1 || strings.Contains(out, "use --runbook") || !strings.Contains(out, "give the path of a runbook file") {
		t.Errorf("validate of a name of no built-in: exit %d, %q", code, out)
	}
}

// TestShowValidateErrorsWithoutLibraryPrefix: a runbook that does not load
// is named, in show and validate, without the library's "runbook: " in
// front of its words, as run, resume and export name it (ui.ErrorText).
func TestShowValidateErrorsWithoutLibraryPrefix(t *testing.T) {
	for _, args := range [][]string{{"show", "nosuch"}, {"validate", "--runbook", "nosuch"}, {"show", "docker", "--var", "bogus=1"}} {
		code, stdout, stderr := run(args...)
		if code != 1 || !strings.Contains(stdout+stderr, "nosuch") && !strings.Contains(stdout+stderr, "bogus") {
			t.Errorf("%v: exit %d, want 1 naming the runbook or variable\nstdout: %s\nstderr: %s", args, code, stdout, stderr)
		}
		if strings.Contains(stdout+stderr, "runbook: ") {
			t.Errorf("%v: the library prefix reaches the operator:\n%s%s", args, stdout, stderr)
		}
	}
}
