package runbook

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestParseGood(t *testing.T) {
	data, err := os.ReadFile("testdata/good/release.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rb, err := Parse("release.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if rb.File != "release.yaml" || rb.Hash != hex.EncodeToString(sum[:]) {
		t.Errorf("File, Hash = %q, %q", rb.File, rb.Hash)
	}
	if rb.ID != "release" || rb.Version != "3" || !strings.HasPrefix(rb.Description, "A test runbook") {
		t.Errorf("header: %q %q %q", rb.ID, rb.Version, rb.Description)
	}
	if !strings.HasPrefix(rb.Prelude, "cd {{app_dir}}\n") {
		t.Errorf("prelude %q", rb.Prelude)
	}
	app := rb.Variable("app_dir")
	if app == nil || app.Default != "/srv/myapp/current" || !app.Required || app.Pattern != "^/[^ ]+$" || app.Line != 8 {
		t.Errorf("app_dir = %+v", app)
	}
	if pw := rb.Variable("db_password"); pw == nil || !pw.Secret || pw.Required {
		t.Errorf("db_password = %+v", pw)
	}
	if got := len(rb.Sections); got != 2 || rb.Sections[1].ID != "deploy" || rb.Sections[1].Line != 58 {
		t.Fatalf("sections: %d, %+v", got, rb.Sections)
	}
	if rb.StepCount() != 6 {
		t.Errorf("StepCount = %d", rb.StepCount())
	}

	env := rb.Step("env-present")
	want := Expect{Exit: []int{0}, Match: []string{"is set"}, NotMatch: []string{"MISSING"}}
	if !reflect.DeepEqual(env.Expect, want) {
		t.Errorf("expect = %+v", env.Expect)
	}
	if env.Kind != KindRemote || env.Risk != RiskLow || env.Timeout != 2*time.Minute || env.Sudo || env.NoPrelude ||
		env.Rollback == "" || env.Why == "" || env.Line != 35 {
		t.Errorf("env-present = %+v", env)
	}
	manual := rb.Step("restore-tested")
	if manual.Kind != KindManual || len(manual.Checklist) != 2 || manual.Command != "" {
		t.Errorf("restore-tested = %+v", manual)
	}
	migrate := rb.Step("migrate")
	if migrate.Kind != KindRemote || migrate.Risk != RiskHigh || migrate.Timeout != 30*time.Minute ||
		!reflect.DeepEqual(migrate.Expect.Exit, []int{0}) {
		t.Errorf("migrate (defaults, exit as int) = %+v", migrate)
	}
	if c := rb.Step("celery-ping"); c.When != "uses_celery && web_server == 'nginx'" || !c.Sudo || c.Timeout != 0 {
		t.Errorf("celery-ping = %+v", c)
	}
	if c := rb.Step("container-names"); !c.NoPrelude {
		t.Errorf("container-names: prelude: false not honoured")
	}
	if c := rb.Step("https-redirect"); c.Kind != KindLocal || !reflect.DeepEqual(c.Expect.Exit, []int{0, 1}) {
		t.Errorf("https-redirect = %+v", c)
	}
}

// TestGoodFiles parses and plans every file in testdata/good.
func TestGoodFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/good/*.yaml")
	if len(files) == 0 {
		t.Fatal("no testdata/good files")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			rb := mustParseFile(t, f)
			if _, err := rb.Plan(nil); err != nil {
				t.Errorf("Plan: %v", err)
			}
		})
	}
}

func TestParseReturnsErrors(t *testing.T) {
	_, err := Parse("x.yaml", []byte("id: x\ntitle: T\nsections: []\n"))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 1 {
		t.Fatalf("err = %v", err)
	}
	if got := err.Error(); got != "x.yaml: the runbook has no steps; add sections with steps; see docs/runbook-format.md" {
		t.Errorf("Error() = %q", got)
	}
}

func TestProblemsSortedByLine(t *testing.T) {
	// Variables are checked after sections are read, but their problems
	// must still come out in file order.
	src := "id: x\ntitle: T\nsections:\n  - id: s\n    title: S\n    steps:\n      - id: a\n        title: A\n" +
		"        command: echo {{nope}}\nvariables:\n  - name: Bad\n"
	_, err := Parse("x.yaml", []byte(src))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 2 {
		t.Fatalf("err = %v", err)
	}
	if errs[0].Line != 9 || errs[1].Line != 11 {
		t.Errorf("order: %v", err)
	}
}

func TestLoad(t *testing.T) {
	good, _ := os.ReadFile("testdata/good/release.yaml")
	fsys := fstest.MapFS{
		"release.yaml": {Data: good},
		"broken.yaml":  {Data: []byte("id: broken\n")},
	}
	rb, err := Load(fsys, "release")
	if err != nil || rb.ID != "release" || rb.File != "release.yaml" {
		t.Fatalf("Load(release) = %v, %v", rb, err)
	}
	if _, err := Load(fsys, "release.yaml"); err != nil {
		t.Errorf("Load(release.yaml): %v", err)
	}
	_, err = Load(fsys, "nope")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "there are: broken, release") {
		t.Errorf("Load(nope) = %v", err)
	}
	if strings.HasSuffix(err.Error(), "not found") {
		t.Errorf("Load(nope) = %q: the sentence ends in the sentinel's words again", err)
	}
	if _, err := Load(fsys, "../etc/passwd"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Load(../etc/passwd) = %v", err)
	}
	list, err := List(fsys)
	if len(list) != 1 || list[0].ID != "release" || err == nil || !strings.Contains(err.Error(), "broken.yaml") {
		t.Errorf("List = %v, %v", list, err)
	}
	if _, err := LoadFile("testdata/good/release.yaml"); err != nil {
		t.Errorf("LoadFile: %v", err)
	}
	if _, err := LoadFile("testdata/nope.yaml"); err == nil || !strings.Contains(err.Error(), "testdata/nope.yaml") {
		t.Errorf("LoadFile(missing) = %v", err)
	}
}

func TestParseRefusesHugeFiles(t *testing.T) {
	data := []byte("id: x\ndescription: " + strings.Repeat("a", MaxFileSize) + "\n")
	_, err := Parse("big.yaml", data)
	if err == nil || !strings.HasPrefix(err.Error(), "big.yaml: the file is 4194324 bytes; a runbook may have at most 4194304") {
		t.Errorf("err = %v", err)
	}
}
