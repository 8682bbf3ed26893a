package runbook

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func sampleEvents(n int) []Event {
	t0 := time.Date(2026, 11, 21, 5, 0, 0, 0, time.UTC)
	evs := []Event{{
		Type: EvRunStarted,
		Run: &RunInfo{ID: "r1", RunbookID: "non-docker", Title: "Release", Host: "web1",
			Operator: "ana", Vars: map[string]string{"APP": "shop", "SECRET": "********"}},
	}}
	for i := 0; len(evs) < n; i++ {
		step := fmt.Sprintf("step-%d", i)
		evs = append(evs,
			Event{Type: EvStepStarted, Step: step, Attempt: 1, Start: &StartInfo{Command: "echo <hi> & \"bye\"", Where: "remote"}},
			Event{Type: EvOutput, Step: step, Attempt: 1, Lines: []OutputLine{
				{Time: t0, Stream: StreamStdout, Text: "hello\u2028 \x1b[31mred\x1b[0m", Offset: 12},
				{Time: t0.In(time.FixedZone("x", 3600)), Stream: StreamStderr, Text: "bad utf8 \xff\xfe here"},
			}},
			Event{Type: EvStepExited, Step: step, Attempt: 1, Exit: &ExitInfo{Code: 3, Duration: 1500 * time.Millisecond}},
			Event{Type: EvSignedOff, Step: step, SignOff: &SignOff{Operator: "ana", Time: t0, Verdict: VerdictPassed,
				Evidence: &Evidence{Attempt: 1, Command: "true", ExitCode: 0, OutputSHA256: strings.Repeat("ab", 32)}}},
		)
	}
	return evs[:n]
}

func TestJournalAppendAndReopen(t *testing.T) {
	state := t.TempDir()
	j, err := CreateJournal(state, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	var want []Event
	evs := sampleEvents(10)
	for i := 0; i < len(evs); i += 3 { // batches of different sizes
		end := min(i+3, len(evs))
		got, err := j.Append(evs[i:end]...)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, got...)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if want[0].Seq != 1 || want[9].Seq != 10 || want[0].Prev != "" || want[1].Prev != want[0].Hash {
		t.Fatalf("bad stamping: %+v / %+v", want[0], want[1])
	}
	if want[2].Lines[1].Text != "bad utf8 \ufffd\ufffd here" {
		t.Errorf("invalid UTF-8 not normalised in the returned event: %q", want[2].Lines[1].Text)
	}
	if err := VerifyChain(want); err != nil {
		t.Fatalf("VerifyChain on appended events: %v", err)
	}

	path := filepath.Join(state, "runs", "run-1", JournalName)
	for p, mode := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), mode)
		}
	}

	os.Chmod(path, 0o644) // as a restore from backup might leave it
	j2, got, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("reopened journal left at mode %v", fi.Mode().Perm())
	}
	if !reflect.DeepEqual(normTimes(got), normTimes(want)) {
		t.Fatalf("reopened events differ from appended ones\n got %+v\nwant %+v", got[2], want[2])
	}
	more, err := j2.Append(Event{Type: EvNote, Note: "after reopen"})
	if err != nil {
		t.Fatal(err)
	}
	if more[0].Seq != 11 || more[0].Prev != want[9].Hash {
		t.Fatalf("append after reopen does not continue the chain: %+v", more[0])
	}
	if _, err := CreateJournal(state, "run-1"); err == nil {
		t.Fatal("CreateJournal over an existing run succeeded")
	}
}

// normTimes makes times comparable with DeepEqual (locations differ after a
// JSON round trip, instants do not).
func normTimes(evs []Event) []Event {
	out := make([]Event, len(evs))
	for i, e := range evs {
		e.Time = e.Time.UTC()
		if e.Lines != nil {
			ls := make([]OutputLine, len(e.Lines))
			for k, l := range e.Lines {
				l.Time = l.Time.UTC()
				ls[k] = l
			}
			e.Lines = ls
		}
		if e.SignOff != nil {
			so := *e.SignOff
			so.Time = so.Time.UTC()
			e.SignOff = &so
		}
		out[i] = e
	}
	return out
}

func writeJournal(t *testing.T, n int) (string, []Event) {
	t.Helper()
	j, err := CreateJournal(t.TempDir(), "r")
	if err != nil {
		t.Fatal(err)
	}
	evs, err := j.Append(sampleEvents(n)...)
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	return j.Path(), evs
}

func TestJournalTornLastRecord(t *testing.T) {
	for _, tail := range []string{"half", "zeros"} {
		t.Run(tail, func(t *testing.T) {
			path, evs := writeJournal(t, 5)
			good, _ := os.ReadFile(path)
			lines := bytes.SplitAfter(good, []byte("\n"))
			// Simulate a crash during the write of record 5: keep 4 whole
			// records and part of the fifth (or zeros, as a file system may
			// leave when the size reached the disk but the data did not).
			torn := bytes.Join(lines[:4], nil)
			if tail == "half" {
				torn = append(torn, lines[4][:len(lines[4])/2]...)
			} else {
				torn = append(torn, make([]byte, 300)...)
				torn = append(torn, '\n', 0, 0)
			}
			if err := os.WriteFile(path, torn, 0o600); err != nil {
				t.Fatal(err)
			}
			j, got, err := OpenJournal(path)
			if err != nil {
				t.Fatalf("OpenJournal with a torn last record: %v", err)
			}
			if len(got) != 4 || got[3].Hash != evs[3].Hash {
				t.Fatalf("got %d events, want the 4 whole ones", len(got))
			}
			if fi, _ := os.Stat(path); fi.Size() != int64(len(bytes.Join(lines[:4], nil))) {
				t.Fatalf("torn record not cut: size %d", fi.Size())
			}
			again, err := j.Append(Event{Type: EvNote, Note: "continued"})
			if err != nil {
				t.Fatal(err)
			}
			j.Close()
			if again[0].Seq != 5 || again[0].Prev != evs[3].Hash {
				t.Fatalf("append after cut: seq %d prev %s", again[0].Seq, again[0].Prev)
			}
			j3, all, err := OpenJournal(path)
			if err != nil {
				t.Fatal(err)
			}
			j3.Close()
			if err := VerifyChain(all); err != nil || len(all) != 5 {
				t.Fatalf("chain after cut and append: %d events, %v", len(all), err)
			}
		})
	}
}

// Flipping any byte of any record but the last (whose damage may look like a
// torn write) must be reported, with the right line.
func TestJournalCorruptionReported(t *testing.T) {
	path, _ := writeJournal(t, 4)
	good, _ := os.ReadFile(path)
	lines := bytes.SplitAfter(good, []byte("\n"))
	lastStart := len(good) - len(lines[3])
	for pos := 0; pos < lastStart; pos++ {
		bad := bytes.Clone(good)
		bad[pos] ^= 0x20
		if bad[pos] == good[pos] {
			continue
		}
		// A fresh file each time: truncating one in place makes ext4 flush
		// it on close, which made this test crawl.
		path := fmt.Sprintf("%s.%d", path, pos)
		if err := os.WriteFile(path, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		wantLine := bytes.Count(good[:pos], []byte("\n")) + 1
		j, _, err := OpenJournal(path)
		os.Remove(path)
		if err == nil {
			j.Close()
			t.Fatalf("byte %d (line %d, %q) flipped: OpenJournal succeeded", pos, wantLine, good[pos])
		}
		var ce *ChainError
		if !errors.As(err, &ce) {
			t.Fatalf("byte %d: error %v is not a *ChainError", pos, err)
		}
		// A changed hash is only noticed by the next record's prev.
		if ce.Line != wantLine && ce.Line != wantLine+1 {
			t.Fatalf("byte %d on line %d: reported line %d: %v", pos, wantLine, ce.Line, err)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("%s:%d:", path, ce.Line)) {
			t.Fatalf("error does not name file:line: %v", err)
		}
	}
}

func TestVerifyChainNamesFirstBadSeq(t *testing.T) {
	_, evs := writeJournal(t, 6)
	if err := VerifyChain(evs); err != nil {
		t.Fatal(err)
	}
	cases := map[string]func([]Event) []Event{
		"changed": func(e []Event) []Event { e[3].Note = "edited"; return e },
		"removed": func(e []Event) []Event { return append(e[:3:3], e[4:]...) },
		"swapped": func(e []Event) []Event { e[3], e[4] = e[4], e[3]; return e },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			evs := mutate(append([]Event(nil), evs...))
			var ce *ChainError
			if err := VerifyChain(evs); !errors.As(err, &ce) || ce.Seq != 4 {
				t.Fatalf("want a chain error at seq 4, got %v", err)
			}
		})
	}
}

func TestJournalConcurrentAppends(t *testing.T) {
	j, err := CreateJournal(t.TempDir(), "conc")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if _, err := j.Append(Event{Type: EvNote, Note: fmt.Sprint(g, i)}, Event{Type: EvNote, Note: "b"}); err != nil {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	j.Close()
	j2, evs, err := OpenJournal(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	j2.Close()
	if len(evs) != 8*20*2 {
		t.Fatalf("got %d events, want %d", len(evs), 8*20*2)
	}
	for i := 0; i < len(evs); i += 2 { // one Append's events stay together
		if evs[i+1].Note != "b" {
			t.Fatalf("batch split at seq %d", evs[i].Seq)
		}
	}
}

func TestJournalLockedAndClosed(t *testing.T) {
	path, _ := writeJournal(t, 2)
	j, _, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := OpenJournal(path); !errors.Is(err, ErrJournalLocked) {
		t.Fatalf("second open: %v, want ErrJournalLocked", err)
	}
	j.Close()
	if _, err := j.Append(Event{Type: EvNote}); !errors.Is(err, ErrJournalClosed) {
		t.Fatalf("append after close: %v", err)
	}
	if _, err := CreateJournal(t.TempDir(), "../evil"); err == nil {
		t.Fatal("run id with a path separator accepted")
	}
}
