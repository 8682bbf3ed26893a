package ui

import (
	"strings"
	"testing"
)

// TestFormErrorSaysFixTheField: a value the form refuses (it does not
// match the variable's pattern) tells the operator in the form to correct
// that field, not to "set it with --var app_dir=VALUE", a flag of a
// command already running; the file and line of the variable stay.
func TestFormErrorSaysFixTheField(t *testing.T) {
	opts := testOpts(t, newFakeExec("web1"))
	opts.Runbook, opts.Host = "release", "web1"
	opts.Vars = map[string]string{"app_dir": "relative/path"}
	m := resize(New(opts), 100, 30)
	m = drive(t, m, m.Init())
	m = press(t, m, "enter")
	if m.state != stateForm {
		t.Fatalf("state %v, want the form", m.state)
	}
	e := m.form.err
	if strings.Contains(e, "--var") || !strings.Contains(e, "fix it in the app_dir field above") || !strings.Contains(e, "release.yaml:") {
		t.Errorf("form error %q: want it to name the file and line and say to fix it in the app_dir field above, no --var", e)
	}
}
