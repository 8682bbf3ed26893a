package runbook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, it must
// either return a runbook or problems (never both, never neither), and
// every problem must name the file. A runbook it accepts must plan, with
// hostile variable values, without panicking, and its Display must never
// show a secret.
//
//	go test ./runbook -run='^$' -fuzz=FuzzParse -fuzztime=5m
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
