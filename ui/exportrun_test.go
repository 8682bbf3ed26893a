package ui

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"golive/runbook"
	"golive/sshexec"
)

// readExported reads and checks the JSON transcript an export wrote.
func readExported(t *testing.T, ex RunExport) *runbook.Transcript {
	t.Helper()
	f, err := os.Open(ex.JSON)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := runbook.ReadTranscript(f)
	if err != nil {
		t.Fatalf("read %s: %v", ex.JSON, err)
	}
	if err := tr.CheckConsistency(); err != nil {
		t.Fatalf("transcript %s is not consistent: %v", ex.JSON, err)
	}
	if err := runbook.VerifyChain(tr.Events); err != nil {
		t.Fatalf("transcript %s: %v", ex.JSON, err)
	}
	return tr
}

// TestExportRunHalfWrittenLastRecord: a journal another golive holds,
// whose last record is half written (no newline yet), exports every whole
// record, says the run is live, and leaves the journal as it was; once the
// record is whole it is exported too.
func TestExportRunHalfWrittenLastRecord(t *testing.T) {
	ex := newFakeExec("web1")
	ex.on("manage.py check", &fakeJob{lines: out(sshexec.Stdout, "no issues"), res: sshexec.Result{ExitCode: 0}})
	m := started(t, ex, 100, 30)
	m = press(t, m, "enter") // check runs
	m = settle(t, m)
	opts, full := m.opts, m.rel.Journal.Path()
	m.rel.Journal.Close()
	data, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	lines = lines[:len(lines)-1] // the empty piece after the last newline
	if len(lines) < 4 {
		t.Fatalf("journal has %d records", len(lines))
	}
	last := lines[len(lines)-1]

	// The live run's journal: every record but the last, then half of it;
	// locked as golive locks it.
	path := filepath.Join(t.TempDir(), runbook.JournalName)
	head := bytes.Join(lines[:len(lines)-1], nil)
	if err := os.WriteFile(path, append(append([]byte{}, head...), last[:len(last)/2]...), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := syscall.Flock(int(w.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}

	outDir := t.TempDir()
	got, err := ExportRun(opts, path, outDir, nil)
	if err != nil {
		t.Fatalf("export of a live journal with a half-written last record: %v", err)
	}
	if !got.Live || !got.Torn || got.Finished || got.Events != len(lines)-1 {
		t.Fatalf("export: live %v torn %v finished %v, %d events; want live, torn, unfinished, %d events", got.Live, got.Torn, got.Finished, got.Events, len(lines)-1)
	}
	if tr := readExported(t, got); len(tr.Events) != len(lines)-1 {
		t.Fatalf("transcript has %d events, want %d", len(tr.Events), len(lines)-1)
	}
	if now, _ := os.ReadFile(path); len(now) != len(head)+len(last)/2 {
		t.Fatalf("export changed the journal: %d bytes, was %d", len(now), len(head)+len(last)/2)
	}

	// The writer finishes the record.
	if _, err := w.Write(last[len(last)/2:]); err != nil {
		t.Fatal(err)
	}
	got, err = ExportRun(opts, path, t.TempDir(), nil)
	if err != nil || got.Torn || got.Events != len(lines) {
		t.Fatalf("export once whole: %+v, %v; want %d events", got, err, len(lines))
	}
	readExported(t, got)

	// A machine crash can leave the file grown but its new bytes zero
	// (here with a newline among them): a torn tail for the export as for
	// OpenJournal, not damage.
	zeros := make([]byte, 4096)
	zeros[2048] = '\n'
	if _, err := w.Write(zeros); err != nil {
		t.Fatal(err)
	}
	got, err = ExportRun(opts, path, t.TempDir(), nil)
	if err != nil || !got.Torn || got.Events != len(lines) {
		t.Fatalf("export with a zero-filled tail: %+v, %v; want torn, %d events", got, err, len(lines))
	}
	readExported(t, got)

	// Unlocked (the writer gone), the run is no longer live.
	w.Close()
	if got, err = ExportRun(opts, path, t.TempDir(), nil); err != nil || got.Live {
		t.Fatalf("export of a closed journal: live %v, %v", got.Live, err)
	}
}

// TestExportRunWhileWriterAppends exports again and again while the
// release appends big records to its journal: every export succeeds, is
// consistent, and holds at least what the one before held.
func TestExportRunWhileWriterAppends(t *testing.T) {
	ex := newFakeExec("web1")
	m := started(t, ex, 100, 30)
	rel := m.rel
	defer rel.Journal.Close()
	const notes = 150
	note := strings.Repeat("a long note to make records span pages ", 2000) // ~80 KB a record
	var wg sync.WaitGroup
	wg.Add(1)
	var werr error
	go func() {
		defer wg.Done()
		for i := 0; i < notes; i++ {
			if werr = rel.Commit(rel.Session.AddNote("check", note)); werr != nil {
				return
			}
		}
	}()
	exports, prev := 0, 0
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		got, err := ExportRun(m.opts, rel.Journal.Path(), t.TempDir(), nil)
		if err != nil {
			t.Fatalf("export %d while the journal is written: %v", exports+1, err)
		}
		if !got.Live {
			t.Fatalf("export %d: the run is open in this process, yet not live", exports+1)
		}
		if got.Events < prev {
			t.Fatalf("export %d has %d events, fewer than the %d before", exports+1, got.Events, prev)
		}
		readExported(t, got)
		prev = got.Events
		exports++
	}
	if werr != nil {
		t.Fatal(werr)
	}
	if int64(prev) != rel.Journal.LastSeq() {
		t.Fatalf("the last export has %d events, the journal %d", prev, rel.Journal.LastSeq())
	}
	t.Logf("%d exports while %d records of %d KB were appended", exports, notes, len(note)/1024)
}
