package ui

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

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

// BenchmarkReadEvents reads a 63 MB journal of output records the way
// an export does (readEvents: decode, then check each record's hash).
func BenchmarkReadEvents(b *testing.B) {
	j, err := runbook.CreateJournal(b.TempDir(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2026, 11, 21, 5, 0, 0, 0, time.UTC)
	lines := make([]runbook.OutputLine, 2000)
	for i := range lines {
		lines[i] = runbook.OutputLine{Stream: runbook.StreamStdout, Text: fmt.Sprintf("%076d", i*7919), Time: t0, Offset: int64(i * 77)}
	}
	const records = 400
	for i := 0; i < records; i++ {
		if _, err := j.AppendLazy(runbook.Event{Type: runbook.EvOutput, Time: t0, Step: "s", Attempt: 1, Lines: lines}); err != nil {
			b.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(j.Path())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	for b.Loop() {
		n := 0
		for _, err := range readEvents(j.Path(), nil) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != records {
			b.Fatalf("read %d records, wrote %d", n, records)
		}
	}
}
