package runbook

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golive/runbooks"
)

// TestBadFiles parses each file in testdata/bad and compares the problems
// with the file's own "# want: LINE:COL: message" lines, exactly and in
// order. A want without a position is a problem with the whole file.
func TestBadFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/bad/*.yaml")
	if len(files) < 20 {
		t.Fatalf("only %d testdata/bad files", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, line := range strings.Split(string(data), "\n") {
				if w, ok := strings.CutPrefix(line, "# want: "); ok {
					want = append(want, w)
				}
			}
			if len(want) == 0 {
				t.Fatal("no '# want:' lines")
			}
			base := filepath.Base(f)
			rb, err := Parse(base, data)
			if rb != nil || err == nil {
				t.Fatalf("Parse accepted a bad file")
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, not Errors: %v", err, err)
			}
			var got []string
			for _, p := range errs {
				if p.File != base {
					t.Errorf("problem names file %q", p.File)
				}
				got = append(got, strings.TrimSpace(strings.TrimPrefix(p.Error(), base+":")))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if err.Error() != joinLines(errs) {
				t.Errorf("Errors.Error() does not join the problems")
			}
		})
	}
}

func joinLines(errs Errors) string {
	var s []string
	for _, p := range errs {
		s = append(s, p.Error())
	}
	return strings.Join(s, "\n")
}

// TestBuiltinRunbooks parses, validates and plans every built-in runbook
// with its defaults (and a value for each required variable without one).
func TestBuiltinRunbooks(t *testing.T) {
	names, err := fs.Glob(runbooks.FS, "*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("no built-in runbooks (%v)", err)
	}
	seen := map[string]bool{}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			data, err := fs.ReadFile(runbooks.FS, name)
			if err != nil {
				t.Fatal(err)
			}
			// Until the real runbooks land, runbooks/ holds placeholders
			// ("title: placeholder", no steps) that cannot pass.
			if strings.Contains(string(data), "title: placeholder") {
				t.Skip("still a placeholder")
			}
			rb, err := Load(runbooks.FS, name)
			if err != nil {
				t.Fatalf("\n%v", err)
			}
			if seen[rb.ID] {
				t.Errorf("two built-in runbooks have id %q", rb.ID)
			}
			seen[rb.ID] = true
			if rb.File != rb.ID+".yaml" {
				t.Errorf("%s has id %q: name the file after the id", rb.File, rb.ID)
			}
			vars := map[string]string{}
			for _, v := range rb.Variables {
				if v.Required && v.Default == "" {
					vars[v.Name] = "x"
				}
			}
			if _, err := rb.Plan(vars); err != nil {
				t.Errorf("Plan with defaults: %v", err)
			}
		})
	}
	if _, err := fs.Stat(runbooks.FS, runbooks.Default+".yaml"); err != nil {
		t.Errorf("the default runbook %q is not built in", runbooks.Default)
	}
}

func TestProblemError(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "r.yaml", Line: 14, Col: 9, Step: "migrate", Msg: `unknown key "comand"`, Hint: `did you mean "command"?`},
			`r.yaml:14:9: step "migrate": unknown key "comand" (did you mean "command"?)`},
		{Problem{File: "r.yaml", Line: 3, Msg: "YAML syntax: x", Hint: "fix it"}, "r.yaml:3: YAML syntax: x; fix it"},
		{Problem{File: "r.yaml", Msg: "the file is empty"}, "r.yaml: the file is empty"},
	}
	for _, tt := range tests {
		if got := tt.p.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct {
		in    string
		known []string
		want  string
	}{
		{"comand", stepKeys, "command"},
		{"titel", stepKeys, "title"},
		{"Command", stepKeys, "command"},
		{"colour", stepKeys, ""},
		{"x", stepKeys, ""},
		{"notmatch", expectKeys, "not_match"},
		{"not-match", expectKeys, "not_match"},
		{"exitcode", expectKeys, "exit"},
		{"remtoe", []string{"remote", "local", "manual"}, "remote"},
		{"nmae", variableKeys, "name"},
		{"hihg", []string{"low", "medium", "high"}, "high"},
		{"sude", stepKeys, "sudo"},
	}
	for _, tt := range tests {
		if got := suggest(tt.in, tt.known); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTooManyProblemsAreCut(t *testing.T) {
	var b strings.Builder
	b.WriteString("id: x\ntitle: T\nsections:\n  - id: s\n    title: S\n    steps:\n")
	for i := 0; i < 150; i++ {
		b.WriteString("      - id: a\n        title: A\n        command: echo\n")
	}
	_, err := Parse("x.yaml", []byte(b.String()))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != maxProblems+1 {
		t.Fatalf("got %d problems", len(errs))
	}
	if last := errs[len(errs)-1].Error(); last != "x.yaml: and 49 more problems; fix these first" {
		t.Errorf("last = %q", last)
	}
}
