package ui

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"golive/runbook"
	"golive/sshexec"
)

// TestExportRefusesChangedOutputRecord: an output record of a signed-off
// step changed in the journal, its hash kept, is refused by the export,
// naming the journal's line: the export must not sign output the journal's
// hash chain does not vouch for. Under the records rule the sign-off's
// digest is over the records' hashes, so replaying the changed journal
// alone no longer notices the change.
func TestExportRefusesChangedOutputRecord(t *testing.T) {
	ex := newFakeExec("web1")
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, "System check identified no issues"), res: sshexec.Result{ExitCode: 0}})
	m := started(t, ex, 100, 30)
	m = press(t, m, "enter")
	m = settle(t, m)
	m = press(t, m, "p", "enter")
	if v := m.rel.Session.Step("check").Verdict; v != runbook.VerdictPassed {
		t.Fatalf("check signed off %q, want passed", v)
	}
	opts, path := m.opts, m.rel.Journal.Path()
	m.rel.Journal.Close()

	// Unchanged, the journal exports.
	if _, err := ExportRun(opts, path, t.TempDir(), nil); err != nil {
		t.Fatalf("export of the unchanged journal: %v", err)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	changed := 0
	for i, l := range lines {
		if bytes.Contains(l, []byte(`"step.output"`)) && bytes.Contains(l, []byte("System check")) {
			lines[i] = bytes.Replace(l, []byte("System check"), []byte("Systen check"), 1)
			changed = i + 1
			break
		}
	}
	if changed == 0 {
		t.Fatalf("no output record with the check's line in the journal:\n%s", data)
	}
	if err := os.WriteFile(path, bytes.Join(lines, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = ExportRun(opts, path, t.TempDir(), nil)
	if err == nil {
		t.Fatalf("export of a journal whose line %d was changed (hash kept) succeeded", changed)
	}
	if want := path + ":"; !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "changed") {
		t.Fatalf("export error %q does not name %s<line> or say the record was changed", err, path)
	}
}
