package runbook

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// hostile values: each must reach the command as one word, unchanged.
var hostileValues = []string{
	`x'; touch PWNED #`,
	`$(touch PWNED)`,
	"`touch PWNED`",
	"a\ntouch PWNED\n",
	`"; touch PWNED; echo "`,
	`\'; touch PWNED; \`,
	`'`,
	`''`,
	`'\''`,
	`&& touch PWNED`,
	`| touch PWNED`,
	`> PWNED`,
	`*`,
	`~`,
	`$HOME ${HOME} $0`,
	"",
	" leading and trailing ",
	"tab\there",
	"\x01\x7f",
	"ünïcödé ✓",
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `''`},
		{"abc", `'abc'`},
		{"a'b", `'a'\''b'`},
		{"'", `''\'''`},
		{"a b", `'a b'`},
		{`$x`, `'$x'`},
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

const injectRunbook = `id: inject
title: Injection
variables:
  - name: v
  - name: dir
prelude: |
  cd {{dir}}
sections:
  - id: s
    title: S
    steps:
      - id: echo
        title: Echo the value back
        command: printf %s {{v}}
      - id: touch-nothing
        title: Use the value in a larger command
        command: |
          echo start {{v}} end >/dev/null; echo $(printf %s {{v}}) >/dev/null; x={{v}}
          printf %s "$x"
      - id: subst
        title: Inside $( ) within double quotes the value is still one word
        command: printf %s "$(printf %s {{v}})"
`

// TestRenderedValuesAreHarmless runs rendered commands with sh -c: no value
// may create a file, and printf %s {{v}} must print the value byte for byte.
func TestRenderedValuesAreHarmless(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	rb, err := Parse("inject.yaml", []byte(injectRunbook))
	if err != nil {
		t.Fatal(err)
	}
	for _, val := range hostileValues {
		dir := t.TempDir()
		plan, err := rb.Plan(map[string]string{"v": val, "dir": dir})
		if err != nil {
			t.Fatalf("Plan(%q): %v", val, err)
		}
		for _, id := range []string{"echo", "touch-nothing", "subst"} {
			ps := plan.Step(id)
			cmd := exec.Command(sh, "-c", ps.Script)
			cmd.Dir = t.TempDir() // the prelude must cd into dir
			out, err := cmd.Output()
			if err != nil {
				t.Errorf("value %q, step %s: %v\nscript:\n%s", val, id, err, ps.Script)
			}
			if id == "echo" && string(out) != val {
				t.Errorf("value %q: printf printed %q\nscript:\n%s", val, out, ps.Script)
			}
			// $( ) drops trailing newlines, and only those.
			if id == "subst" && string(out) != strings.TrimRight(val, "\n") {
				t.Errorf("value %q: $( ) printed %q\nscript:\n%s", val, out, ps.Script)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				t.Errorf("value %q, step %s: created %s\nscript:\n%s", val, id, e.Name(), ps.Script)
			}
		}
	}
	// The fuzz-style check: every hostile value, and the test's own sanity:
	// an unquoted substitution of the first value does create the file.
	dir := t.TempDir()
	naive := "cd " + dir + "\nprintf %s " + "'" + hostileValues[0] + "'"
	_ = exec.Command(sh, "-c", naive).Run()
	if _, err := os.Stat(filepath.Join(dir, "PWNED")); err != nil {
		t.Fatalf("the test cannot fail: naive quoting did not create the file (%v)", err)
	}
}

func TestPlanScriptsAndDisplay(t *testing.T) {
	rb := mustParseFile(t, "testdata/good/release.yaml")
	plan, err := rb.Plan(map[string]string{"db_password": "hunter2'x", "domain": "shop.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	env := plan.Step("env-present")
	wantPrelude := "cd '/srv/myapp/current'\nset -a; . '/srv/myapp/.env'; set +a\n. '/srv/myapp/venv'/bin/activate\n"
	if !strings.HasPrefix(env.Script, wantPrelude) || !strings.Contains(env.Script, `printenv "$v"`) {
		t.Errorf("env-present script:\n%s", env.Script)
	}
	if got := plan.Step("restore-tested"); got.Script != "" || got.Display != "" || !got.Applicable {
		t.Errorf("manual step: %+v", got)
	}
	if got := plan.Step("container-names").Script; got != "docker ps --format '{{.Names}} {{json .State}}'" {
		t.Errorf("prelude: false or Go template not kept: %q", got)
	}
	if got := plan.Step("https-redirect").Script; got != "curl -sI http://'shop.example.com'/ | grep -i '^location: https://'\n" {
		t.Errorf("local step (no prelude): %q", got)
	}
	celery := plan.Step("celery-ping")
	if celery.Applicable || celery.Reason != `uses_celery is false, web_server is "nginx"` {
		t.Errorf("celery-ping: applicable=%v reason=%q", celery.Applicable, celery.Reason)
	}
	if plan.Step("nope") != nil {
		t.Error("Step(nope) is not nil")
	}
	if got := plan.Secrets(); len(got) != 1 || got[0] != "hunter2'x" {
		t.Errorf("Secrets() = %q", got)
	}
	if got := plan.MaskedVars()["db_password"]; got != Mask {
		t.Errorf("MaskedVars db_password = %q", got)
	}
	if got := plan.MaskedVars()["domain"]; got != "shop.example.com" {
		t.Errorf("MaskedVars domain = %q", got)
	}
}

func TestDisplayNeverShowsSecrets(t *testing.T) {
	src := `id: s
title: S
variables:
  - name: token
    secret: true
  - name: url
prelude: export TOKEN={{token}}
sections:
  - id: a
    title: A
    steps:
      - id: call
        title: Call
        command: |
          curl -H "Authorization: Bearer "{{token}} {{url}}
`
	rb, err := Parse("s.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	secret := "t0k'en$(x)"
	// url embeds the secret too: Display must mask it there as well.
	plan, err := rb.Plan(map[string]string{"token": secret, "url": "https://h/?t=" + secret})
	if err != nil {
		t.Fatal(err)
	}
	ps := plan.Step("call")
	if !strings.Contains(ps.Script, Quote(secret)) {
		t.Errorf("Script lacks the real value:\n%s", ps.Script)
	}
	if strings.Contains(ps.Display, secret) || strings.Contains(ps.Display, "t0k") {
		t.Errorf("Display shows the secret:\n%s", ps.Display)
	}
	want := "export TOKEN='********'\ncurl -H \"Authorization: Bearer \"'********' 'https://h/?t=********'\n"
	if ps.Display != want {
		t.Errorf("Display:\n%s\nwant:\n%s", ps.Display, want)
	}
}

func TestPlanErrors(t *testing.T) {
	rb := mustParseFile(t, "testdata/good/release.yaml")
	tests := []struct {
		name string
		vars map[string]string
		want []string
		not  string
	}{
		{"unknown", map[string]string{"app_dri": "/x", "zzz": "1"},
			[]string{"declares no variable app_dri, zzz", "it declares: app_dir, env_file"}, ""},
		{"required", map[string]string{"app_dir": ""},
			[]string{`testdata/good/release.yaml:8: variable "app_dir" is required and has no value; set it with --var app_dir=VALUE`}, ""},
		{"pattern", map[string]string{"app_dir": "relative/path"},
			[]string{`testdata/good/release.yaml:8: variable "app_dir": the value "relative/path" does not match the pattern "^/[^ ]+$"; set it with --var app_dir=VALUE`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rb.Plan(tt.vars)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
			// An undeclared name is found by its type, not its words.
			var ue *UndeclaredVarError
			if got := errors.As(err, &ue); got != (tt.name == "unknown") {
				t.Errorf("errors.As(UndeclaredVarError) = %v for %q", got, err)
			} else if got && strings.Join(ue.Names, " ") != "app_dri zzz" {
				t.Errorf("undeclared names %q, want app_dri zzz", ue.Names)
			}
		})
	}
}

func TestPlanSecretPatternErrorHidesValue(t *testing.T) {
	src := "id: s\ntitle: S\nvariables:\n  - name: pw\n    secret: true\n    pattern: '[a-z]+'\n" +
		"sections:\n  - id: a\n    title: A\n    steps:\n      - id: b\n        title: B\n        command: echo {{pw}}\n"
	rb, err := Parse("s.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	_, err = rb.Plan(map[string]string{"pw": "SECRET123"})
	if err == nil || strings.Contains(err.Error(), "SECRET123") || !strings.Contains(err.Error(), `"pw"`) {
		t.Errorf("error = %v", err)
	}
}

func mustParseFile(t *testing.T, path string) *Runbook {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := Parse(path, data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rb
}
