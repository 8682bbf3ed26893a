package runbook

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// contLines is a Django migrate as sshexec delivers it: a line's start
// sent on its own after a quiet second, its rest (Cont) later. The batch
// opens with a rest (its start was in the batch before), and one rest
// comes after another stream's line.
func contLines(t0 time.Time) []OutputLine {
	return []OutputLine{
		{Time: t0, Stream: StreamStdout, Text: " OK", Offset: 40, Cont: true},
		{Time: t0, Stream: StreamStdout, Text: "  Applying shop.0002_order_total...", Offset: 76},
		{Time: t0.Add(time.Second), Stream: StreamStdout, Text: " OK", Offset: 80, Cont: true},
		{Time: t0.Add(2 * time.Second), Stream: StreamStdout, Text: "  Applying shop.0003_index...", Offset: 110},
		{Time: t0.Add(3 * time.Second), Stream: StreamStderr, Text: "warning: <slow> & \"big\"", Offset: 24},
		{Time: t0.Add(4 * time.Second), Stream: StreamStdout, Text: " OK", Offset: 114, Cont: true},
		{Time: t0.Add(4 * time.Second), Stream: StreamStdout, Text: "done", Offset: 119},
	}
}

// contFlags lists the Cont flags of lines.
func contFlags(lines []OutputLine) []bool {
	f := make([]bool, len(lines))
	for i, l := range lines {
		f[i] = l.Cont
	}
	return f
}

// Cont lines survive Append and a reopen exactly, every one starting a
// run marked "c":true; the record is what encoding/json writes, and the
// hash chain covers the flag: removing or adding one is caught both by
// OpenJournal (over the stored bytes) and by VerifyChain (over the
// decoded events, as golive verify checks a transcript).
func TestJournalKeepsCont(t *testing.T) {
	j, err := CreateJournal(t.TempDir(), "cont")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 21, 5, 0, 0, 0, time.UTC)
	lines := contLines(t0)
	got, err := j.Append(Event{Type: EvOutput, Step: "migrate", Attempt: 1, Lines: lines})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	want := []bool{true, false, true, false, false, true, false}
	if f := contFlags(got[0].Lines); !slices.Equal(f, want) {
		t.Fatalf("Append returned Cont flags %v, want %v", f, want)
	}
	for i, l := range got[0].Lines {
		if l.Text != lines[i].Text || l.Stream != lines[i].Stream {
			t.Fatalf("line %d came back as %+v", i, l)
		}
	}
	if !inRunForm(got[0].Lines) {
		t.Error("lines as Append returns them are not seen as stored already (inRunForm)")
	}
	_, back, err := OpenJournal(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normTimes(back), normTimes(got)) {
		t.Fatalf("reopened output differs from what Append returned:\n%+v\n%+v", back[0].Lines, got[0].Lines)
	}
	if err := VerifyChain(back); err != nil {
		t.Fatal(err)
	}

	raw, err := os.ReadFile(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(raw, []byte(`"c":true`)); n != 3 {
		t.Fatalf(`the record holds "c":true %d times, want 3 (one run per rest):\n%s`, n, raw)
	}
	ev := back[0]
	ev.Hash = ""
	canon, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if rec := raw[:len(raw)-recordTail]; !bytes.Equal(rec, canon[:len(canon)-1]) {
		t.Fatalf("stored record is not encoding/json's:\n got %s\nwant %s", rec, canon)
	}

	edits := map[string][]byte{
		"c removed": bytes.Replace(raw, []byte(`,"c":true`), nil, 1),
		"c added":   bytes.Replace(raw, []byte(`"o":24,"x"`), []byte(`"o":24,"c":true,"x"`), 1),
		"c false":   bytes.Replace(raw, []byte(`"c":true`), []byte(`"c":false`), 1),
	}
	for name, bad := range edits {
		t.Run(name, func(t *testing.T) {
			if bytes.Equal(bad, raw) {
				t.Fatal("the edit changed nothing")
			}
			path := filepath.Join(t.TempDir(), JournalName)
			if err := os.WriteFile(path, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			var ce *ChainError
			if j, _, err := OpenJournal(path); !errors.As(err, &ce) || ce.Line != 1 {
				if err == nil {
					j.Close()
				}
				t.Fatalf("OpenJournal of the edited journal: %v, want a chain error on line 1", err)
			}
			var e Event
			if err := json.Unmarshal(bytes.TrimSpace(bad), &e); err != nil {
				t.Fatal(err)
			}
			if err := VerifyChain([]Event{e}); !errors.As(err, &ce) || ce.Seq != 1 {
				t.Fatalf("VerifyChain of the edited event: %v, want a chain error at seq 1", err)
			}
		})
	}
}

// Journals golive wrote before Cont existed (testdata/v1: one object per
// line; testdata/records: runs; testdata/unconfirmed, whose connection
// events also predate ConnInfo.Unconfirmed) still encode to exactly their stored
// bytes, record by record, so every old hash verifies as it did.
func TestOldJournalsEncodeAsStored(t *testing.T) {
	for _, dir := range []string{"v1", "records", "unconfirmed"} {
		raw, err := os.ReadFile(filepath.Join("testdata", dir, "journal.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte(`"c":`)) {
			t.Fatalf("%s: an old journal with a Cont flag", dir)
		}
		outputs := 0
		for i, rec := range bytes.SplitAfter(raw, []byte("\n")) {
			if len(rec) == 0 {
				continue
			}
			var ev Event
			if err := json.Unmarshal(rec, &ev); err != nil {
				t.Fatalf("%s line %d: %v", dir, i+1, err)
			}
			if ev.Type == EvOutput {
				outputs++
			}
			hash := ev.Hash
			ev.Hash = ""
			var canon []byte
			if c, ok := appendOutputEvent(nil, &ev); ok {
				canon = c
			} else if canon, err = json.Marshal(ev); err != nil {
				t.Fatal(err)
			}
			want := string(canon[:len(canon)-1]) + `,"hash":"` + hash + "\"}\n"
			if string(rec) != want {
				t.Fatalf("%s line %d encodes differently:\n got %s\nwant %s", dir, i+1, want, rec)
			}
		}
		if outputs == 0 {
			t.Fatalf("%s: no output records", dir)
		}
	}
}

// The Cont flag in the transcript's events is part of the hash chain
// golive verify checks: the transcript of a run with Cont lines
// verifies (its stated line counts are the Session's), and flipping one
// flag breaks the chain.
func TestTranscriptVerifiesCont(t *testing.T) {
	s := NewSession(testPlan(), fixedClock())
	evs := run(t, s, migrateWithRests()...)
	var buf bytes.Buffer
	if err := s.WriteJSON(&buf, evs); err != nil {
		t.Fatal(err)
	}
	tr := buf.Bytes()
	if n := bytes.Count(tr, []byte(`"c": true`)); n != 4 {
		t.Fatalf(`transcript holds "c": true %d times, want 4`, n)
	}
	if rep := VerifyTranscript(tr); !rep.OK() {
		t.Fatalf("transcript with Cont lines does not verify: %+v", rep.Checks)
	}
	bad := bytes.Replace(tr, []byte(`"c": true`), []byte(`"c": false`), 1)
	rep := VerifyTranscript(bad)
	if rep.OK() {
		t.Fatal("a transcript with a Cont flag flipped verifies")
	}
	if got := checkNames(rep); got["hash chain"] {
		t.Fatalf("flipped Cont flag: the hash chain still passes: %+v", rep.Checks)
	}
	if !strings.Contains(string(tr), `"x": [`+"\n") {
		t.Fatal("transcript not in the expected indented form")
	}
}
