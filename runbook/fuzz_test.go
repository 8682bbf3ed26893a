package runbook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, it must
// either return a runbook or problems (never both, never neither), and
// every problem must name the file. A runbook it accepts must plan, with
// hostile variable values, without panicking, and its Display must never
// show a secret.
//
//	go test ./runbook -run='^$' -fuzz=FuzzParse -fuzztime=5m
//
// Byte-level mutations mostly break the YAML; FuzzFields reaches deeper.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"testdata/good", "testdata/bad"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rb, err := Parse("fuzz.yaml", data)
		if (rb == nil) == (err == nil) {
			t.Fatalf("Parse returned runbook %v and error %v", rb != nil, err)
		}
		if err != nil {
			errs, ok := err.(Errors)
			if !ok || len(errs) == 0 {
				t.Fatalf("error is %T %v", err, err)
			}
			for _, p := range errs {
				if p.File != "fuzz.yaml" || !strings.HasPrefix(p.Error(), "fuzz.yaml") {
					t.Fatalf("problem without the file: %q", p.Error())
				}
			}
			return
		}
		const secret = "S3CR3T'$(x)"
		vars := map[string]string{}
		for _, v := range rb.Variables {
			vars[v.Name] = "x'; touch /tmp/pwned #"
			if v.Secret {
				vars[v.Name] = secret
			}
		}
		plan, err := rb.Plan(vars)
		if err != nil {
			return // a pattern may refuse the value
		}
		for _, ps := range plan.Steps {
			if strings.Contains(ps.Display, secret) {
				t.Fatalf("Display shows the secret: %q", ps.Display)
			}
		}
		_ = plan.MaskedVars()
	})
}

// FuzzCondition: ParseCondition never panics; what it accepts evaluates
// without error against values for all its names, and what it rejects
// carries an offset inside the expression.
func FuzzCondition(f *testing.F) {
	for _, s := range []string{"a", "!a && (b || c == 'x')", "a != \"y\"", "((a)", "a & b", "'x", strings.Repeat("!", 70) + "a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		c, err := ParseCondition(expr)
		if err != nil {
			ce, ok := err.(*ConditionError)
			if !ok || ce.Offset < 0 || ce.Offset > len(expr) {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		vars := map[string]string{}
		for _, n := range c.Names() {
			if expr[n.Offset:n.Offset+len(n.Name)] != n.Name {
				t.Fatalf("name %q not at offset %d", n.Name, n.Offset)
			}
			vars[n.Name] = "yes"
		}
		if _, err := c.Eval(vars); err != nil {
			t.Fatal(err)
		}
		_ = c.Explain(vars, nil)
	})
}

// FuzzTemplate: scanning and rendering any command text never panics,
// placeholders lie inside the text, and rendering with safe values changes
// only the placeholders.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"echo {{a}}", "cat <<EOF\n{{a}}\nEOF", `"$(x {{a}})" '{{b}}' # {{c}}`, "{{a", "{{.X}} {{ a }}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		phs, _ := scanTemplate(text)
		_ = unsafePlaceholders(text, phs)
		vals := map[string]string{}
		last := 0
		for _, ph := range phs {
			if ph.start < last || ph.end > len(text) || text[ph.start:ph.start+2] != "{{" || text[ph.end-2:ph.end] != "}}" {
				t.Fatalf("bad placeholder %+v in %q", ph, text)
			}
			last = ph.end
			vals[ph.name] = "v"
		}
		out := render(text, vals)
		if len(phs) == 0 && out != text {
			t.Fatalf("render changed text without placeholders: %q -> %q", text, out)
		}
	})
}

// FuzzFields puts arbitrary text into the fields of an otherwise valid
// runbook, always as well-formed YAML, so that the fuzzer reaches
// validation, conditions, templates and Plan rather than the YAML parser.
// Whatever Parse accepts must plan without panicking, and no Display may
// show the secret.
func FuzzFields(f *testing.F) {
	f.Add("migrate", "echo {{app_dir}}", "uses_celery", "^/.*$", "/srv", "2m", "low")
	f.Add("a-b", "cat <<EOF\n{{app_dir}}\nEOF", "!uses_celery || app_dir == 'x'", "", "", "", "high")
	f.Add("x", `echo "$(echo {{token}})" {{ app_dir }}`, "(uses_celery", "[", "a", "10", "hihg")
	f.Fuzz(func(t *testing.T, id, command, when, pattern, def, timeout, risk string) {
		step := map[string]any{"id": id, "title": "T", "command": command}
		if when != "" {
			step["when"] = when
		}
		if timeout != "" {
			step["timeout"] = timeout
		}
		if risk != "" {
			step["risk"] = risk
		}
		doc := map[string]any{
			"id": "fuzz", "title": "Fuzz", "prelude": "cd {{app_dir}}",
			"variables": []any{
				map[string]any{"name": "app_dir", "default": def, "pattern": pattern},
				map[string]any{"name": "uses_celery", "default": "no"},
				map[string]any{"name": "token", "secret": true},
			},
			"sections": []any{map[string]any{"id": "s", "title": "S", "steps": []any{step}}},
		}
		data, err := yaml.Marshal(doc)
		if err != nil {
			return
		}
		rb, err := Parse("fuzz.yaml", data)
		if err != nil {
			for _, p := range err.(Errors) {
				if p.Line < 0 || p.Col < 0 || p.Line > strings.Count(string(data), "\n")+1 {
					t.Fatalf("problem outside the file: %v", p)
				}
			}
			return
		}
		const secret = "tok3n'\"$(x)"
		plan, err := rb.Plan(map[string]string{"token": secret})
		if err != nil {
			return
		}
		for _, ps := range plan.Steps {
			if strings.Contains(ps.Display, secret) {
				t.Fatalf("Display shows the secret: %q", ps.Display)
			}
		}
	})
}
