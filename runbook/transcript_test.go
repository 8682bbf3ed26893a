package runbook

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
)

// journaled stands in for the journal: it numbers the events and chains
// them (the real hash is the journal's business; the transcript keeps
// whatever it is given).
func journaled(evs []Event) []Event {
	out := make([]Event, len(evs))
	prev := ""
	for i, e := range evs {
		e.Seq = int64(i + 1)
		e.Prev = prev
		e.Hash = strings.Repeat("0", 56) + strings.Repeat(string("0123456789abcdef"[i%16]), 8)
		prev = e.Hash
		out[i] = e
	}
	return out
}

// realisticSession is realisticRun recorded by a golive before
// DigestRecords (the per-line digest rule): the golden transcripts are
// made from it and must not change.
func realisticSession(t *testing.T) (*Session, []Event) {
	t.Helper()
	s := NewSession(testPlan(), fixedClock())
	return s, journaled(runOldRule(t, s, realisticRun()...))
}

func TestTranscriptMarkdown(t *testing.T) {
	s, _ := realisticSession(t)
	var buf bytes.Buffer
	err := s.WriteMarkdown(&buf, TranscriptOptions{
		JSONDigest:        "9b1f6c3d2e4a5b6c7d8e9f00112233445566778899aabbccddeeff0011223344",
		SignerFingerprint: "SHA256:Yx3pVh0m1cQ2kL7oG5tU9wE4rZ8aB6nD2fJ0sH1iK3M",
		JSONName:          "release-2026-03-14.json",
	})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsRune(buf.Bytes(), 0x1b) {
		t.Error("the Markdown transcript contains an escape character")
	}
	golden.RequireEqual(t, buf.Bytes())
}

func TestTranscriptJSON(t *testing.T) {
	s, evs := realisticSession(t)
	var buf bytes.Buffer
	if err := s.WriteJSON(&buf, evs); err != nil {
		t.Fatal(err)
	}
	golden.RequireEqual(t, buf.Bytes())

	tr, err := ReadTranscript(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.CheckConsistency(); err != nil {
		t.Fatalf("a freshly written transcript is inconsistent: %v", err)
	}
	if len(tr.Events) != len(evs) || tr.Events[3].Hash != evs[3].Hash || tr.Verdict != RunFailed {
		t.Fatalf("events %d, verdict %s", len(tr.Events), tr.Verdict)
	}
	// The transcript replays on its own, without the runbook file.
	re, err := tr.Replay()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range s.StepIDs() {
		if normalize(transcriptStep(s.Plan().Step(id), s.Step(id))) != normalize(transcriptStep(re.Plan().Step(id), re.Step(id))) {
			t.Errorf("step %s differs when replayed from the transcript alone", id)
		}
	}
}

// TestTranscriptInconsistent edits a written transcript the ways a forger
// would and expects CheckConsistency to notice each.
func TestTranscriptInconsistent(t *testing.T) {
	s, evs := realisticSession(t)
	var buf bytes.Buffer
	if err := s.WriteJSON(&buf, evs); err != nil {
		t.Fatal(err)
	}
	edits := []struct {
		name string
		edit func(tr *Transcript)
	}{
		{"verdict", func(tr *Transcript) { tr.Verdict = RunPassed }},
		{"step verdict", func(tr *Transcript) { tr.Steps[8].Verdict = VerdictPassed; tr.Steps[8].SignOff.Verdict = VerdictPassed }},
		{"sign-off note", func(tr *Transcript) { tr.Steps[0].SignOff.Note = "added later" }},
		{"exit code", func(tr *Transcript) { tr.Steps[5].Attempts[0].Exit.Code = 1 }},
		{"evidence digest", func(tr *Transcript) { tr.Steps[5].SignOff.Evidence.OutputSHA256 = "00" }},
		{"operator", func(tr *Transcript) { tr.Run.Operator = "mallory" }},
		{"ended", func(tr *Transcript) { tr.Ended = nil }},
		{"event dropped", func(tr *Transcript) { tr.Events = append(tr.Events[:5:5], tr.Events[6:]...) }},
		{"output changed", func(tr *Transcript) {
			for i := range tr.Events {
				if tr.Events[i].Type == EvOutput && tr.Events[i].Step == "debug-off" {
					tr.Events[i].Lines[1].Text = "DEBUG = False"
				}
			}
		}},
		{"no events", func(tr *Transcript) { tr.Events = nil }},
	}
	for _, tt := range edits {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := ReadTranscript(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			tt.edit(tr)
			if err := tr.CheckConsistency(); err == nil {
				t.Fatal("CheckConsistency accepted an edited transcript")
			}
		})
	}
}

func TestWriteJSONRefusesForeignEvents(t *testing.T) {
	s, evs := realisticSession(t)
	err := s.WriteJSON(&bytes.Buffer{}, evs[:len(evs)-3])
	if err == nil {
		t.Fatal("WriteJSON accepted a journal that is not the session's")
	}
	evs[10].Type = "bogus"
	if err := s.WriteJSON(&bytes.Buffer{}, evs); !errors.Is(err, ErrBadEvent) {
		t.Fatalf("WriteJSON = %v, want ErrBadEvent", err)
	}
}

func TestReadTranscriptRejects(t *testing.T) {
	for _, in := range []string{"", "{", `{"format":"other/1"}`, `{"format":"golive-transcript/1"} {}`, `[]`} {
		if _, err := ReadTranscript(strings.NewReader(in)); err == nil {
			t.Errorf("ReadTranscript(%q) accepted", in)
		}
	}
}

func TestStripANSI(t *testing.T) {
	tests := map[string]string{
		"plain":                          "plain",
		"\x1b[31mred\x1b[0m":             "red",
		"\x1b]0;title\x07after":          "after",
		"\x1b]8;;http://x\x1b\\link":     "link",
		"a\rb\x00c\x7fd\u009be":          "abcde",
		"tab\tkept":                      "tab\tkept",
		"\x1b(Bcharset":                  "charset",
		"trailing\x1b":                   "trailing",
		"\x1b[38;5;196;1mbold":           "bold",
		"unterminated \x1b]0;forever...": "unterminated ",
	}
	for in, want := range tests {
		if got := stripANSI(in); got != want {
			t.Errorf("stripANSI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFenceOutlastsBackticks(t *testing.T) {
	var b bytes.Buffer
	fenced(&b, "", []string{"```", "a ```` b"})
	if !strings.HasPrefix(b.String(), "`````\n") || !strings.HasSuffix(b.String(), "\n`````\n") {
		t.Fatalf("fence %q", b.String())
	}
}

// TestTranscriptMarkdownUnfinished: an automatic run that stopped after a
// failed migration whose rollback was chosen, with a step retried after a
// failed sign-off and one still interrupted when exported.
func TestTranscriptMarkdownUnfinished(t *testing.T) {
	s := NewSession(testPlan(), fixedClock())
	auto := func(id string, v Verdict, note string) op {
		return func(s *Session) (Event, error) { return s.SignOff(id, v, note, "golive", true) }
	}
	evs := journaled(runOldRule(t, s,
		func(s *Session) (Event, error) {
			return s.Begin(RunInfo{ID: "run-2", Host: "web2.example.com", Operator: "ci-bot", Auto: true, GoliveVersion: "v0.9.0"})
		},
		start("env-present"), out("env-present", "DJANGO_SECRET_KEY is MISSING"), exit("env-present", 1),
		auto("env-present", VerdictFailed, ""),
		start("env-present"), out("env-present", "DJANGO_SECRET_KEY is set"), exit("env-present", 0),
		auto("env-present", VerdictPassed, ""),
		start("migrate"), out("migrate", "!django.db.utils.OperationalError: could not obtain lock on relation \"shop_order\""),
		exit("migrate", 1),
		rollback("migrate"),
		auto("migrate", VerdictFailed, ""),
		startJob("debug-off", "job-9", false), out("debug-off", "DEBUG = False"),
		interrupt("debug-off"),
	))
	if s.BlockedBy("restart") != "" {
		t.Fatal("the rollback should have released the block")
	}
	var buf bytes.Buffer
	if err := s.WriteMarkdown(&buf, TranscriptOptions{}); err != nil {
		t.Fatal(err)
	}
	golden.RequireEqual(t, buf.Bytes())

	var js bytes.Buffer
	if err := s.WriteJSON(&js, evs); err != nil {
		t.Fatal(err)
	}
	tr, err := ReadTranscript(&js)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.CheckConsistency(); err != nil {
		t.Fatal(err)
	}
	if tr.Ended != nil || tr.Verdict != RunFailed || len(tr.Steps[0].EarlierSignOffs) != 1 || !tr.Steps[5].RollbackChosen {
		t.Fatalf("ended %v verdict %s earlier %d rollback %v", tr.Ended, tr.Verdict, len(tr.Steps[0].EarlierSignOffs), tr.Steps[5].RollbackChosen)
	}
}

// TestReadTranscriptSaysWhatItIs: a file that is not a whole JSON
// transcript gets an error that says what it most likely is and what to
// give instead: an empty file, one cut short, the Markdown transcript.
func TestReadTranscriptSaysWhatItIs(t *testing.T) {
	for in, want := range map[string]string{
		"":                                 "the file is empty: give the .json transcript",
		`{"format":"golive-transcript/1",`: "the file ends in the middle of the transcript",
		`{"format":"golive-tr`:             "the file ends in the middle of the transcript",
		"# Release transcript\n":           "this is no JSON transcript: give the .json file golive wrote (not the .md)",
		`[]`:                               "this is no JSON transcript",
	} {
		_, err := ReadTranscript(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadTranscript(%q) = %v, want an error saying %q", in, err, want)
		}
	}
}
