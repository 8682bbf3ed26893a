package runbook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStartStepNamesTheRecordsRule: a new attempt starts under
// DigestRecords, a reattach keeps its attempt's rule (an older golive's
// none included), and a rule this golive does not know is refused.
func TestStartStepNamesTheRecordsRule(t *testing.T) {
	s := NewSession(testPlan(), fixedClock())
	evs := run(t, s, begin(), startJob("migrate-plan", "job-1", false))
	if got := evs[1].Start.OutputDigest; got != DigestRecords {
		t.Fatalf("new attempt starts with rule %q, want %q", got, DigestRecords)
	}
	evs = run(t, s, interrupt("migrate-plan"), startJob("migrate-plan", "job-1", false))
	if got := evs[1]; got.Attempt != 1 || got.Start.OutputDigest != DigestRecords {
		t.Fatalf("reattach: attempt %d rule %q", got.Attempt, got.Start.OutputDigest)
	}

	old := NewSession(testPlan(), fixedClock())
	runOldRule(t, old, begin(), startJob("migrate-plan", "job-1", false), interrupt("migrate-plan"))
	evs = run(t, old, startJob("migrate-plan", "job-1", false))
	if got := evs[0]; got.Attempt != 1 || got.Start.OutputDigest != "" {
		t.Fatalf("reattach of an old attempt: attempt %d rule %q, want the old rule", got.Attempt, got.Start.OutputDigest)
	}

	s = NewSession(testPlan(), fixedClock())
	run(t, s, begin())
	e, err := s.StartStep("check-deploy", StartInfo{Command: "x", Where: "remote"})
	if err != nil {
		t.Fatal(err)
	}
	e.Start.OutputDigest = "blocks"
	err = s.Apply(e)
	if !errors.Is(err, ErrBadEvent) || !strings.Contains(err.Error(), `"blocks"`) {
		t.Fatalf("unknown rule: Apply = %v", err)
	}
	if st := s.Step("check-deploy"); st.Status != StatusPending || len(st.Attempts) != 0 {
		t.Fatalf("a refused start changed the step: %+v", st)
	}
}

// TestReattachMustKeepItsRule: a reattach event that names another digest
// rule than its attempt started with (not one StartStep makes: a journal
// or transcript edited, or a golive that did not know the rule) is
// refused, naming both rules, and changes nothing; golive verify names it
// even where the chain is whole.
func TestReattachMustKeepItsRule(t *testing.T) {
	for _, rule := range rules {
		t.Run(rule.name, func(t *testing.T) {
			s := NewSession(testPlan(), fixedClock())
			runRule(t, s, rule.old, begin(), startJob("migrate-plan", "job-1", false), interrupt("migrate-plan"))
			e, err := s.StartStep("migrate-plan", StartInfo{Command: "python manage.py migrate --plan", Where: "remote", JobID: "job-1"})
			if err != nil {
				t.Fatal(err)
			}
			want := map[bool]string{true: "", false: DigestRecords}[rule.old]
			if e.Start.OutputDigest != want {
				t.Fatalf("StartStep's reattach names rule %q, want %q", e.Start.OutputDigest, want)
			}
			e.Start.OutputDigest = map[bool]string{true: DigestRecords, false: ""}[rule.old]
			e.Seq = int64(s.Applied() + 1)
			err = s.Apply(e)
			if !errors.Is(err, ErrBadEvent) || !strings.Contains(err.Error(), "the reattach names output digest rule") ||
				!strings.Contains(err.Error(), "none (per line)") {
				t.Fatalf("reattach under the other rule: Apply = %v", err)
			}
			if st := s.Step("migrate-plan"); st.Status != StatusInterrupted || len(st.Attempts[0].Resumed) != 0 {
				t.Fatalf("a refused reattach changed the step: %s, resumed %v", st.Status, st.Attempts[0].Resumed)
			}
		})
	}

	// verify: the records run's migrate-plan reattach edited to name no
	// rule, the chain recomputed.
	data := edit(t, journaledTranscript(t, false), func(tr *Transcript) {
		seen := map[string]bool{}
		for i := range tr.Events {
			if e := &tr.Events[i]; e.Type == EvStepStarted && e.Step == "migrate-plan" {
				if seen[e.Step] {
					e.Start.OutputDigest = ""
					rechain(tr.Events)
					return
				}
				seen[e.Step] = true
			}
		}
		t.Fatal("no reattach of migrate-plan in the run")
	})
	rep := VerifyTranscript(data)
	found := false
	for _, c := range rep.Checks {
		for _, f := range c.Findings {
			found = found || strings.Contains(f, `reattached under output digest rule none (per line), but started under "records"`)
		}
		found = found || (!c.OK && strings.Contains(c.Detail, "reattached under output digest rule"))
	}
	if rep.OK() || !found {
		t.Fatalf("verify of a reattach under the other rule: %+v", rep.Checks)
	}
}

// TestApplyOutputNeedsJournalHash: under DigestRecords an output event the
// journal did not stamp cannot be digested, so Apply refuses it, naming
// the event, and changes nothing; the old rule does not need the hash.
func TestApplyOutputNeedsJournalHash(t *testing.T) {
	for _, rule := range rules {
		t.Run(rule.name, func(t *testing.T) {
			s := NewSession(testPlan(), fixedClock())
			runRule(t, s, rule.old, begin(), start("check-deploy"))
			e, err := s.Output("check-deploy", []OutputLine{{Stream: StreamStdout, Text: "System check identified no issues"}})
			if err != nil {
				t.Fatal(err)
			}
			e.Seq = 3
			before := s.Applied()
			err = s.Apply(e)
			if rule.old {
				if err != nil {
					t.Fatalf("old rule: Apply without a hash = %v", err)
				}
				return
			}
			if !errors.Is(err, ErrBadEvent) || !strings.Contains(err.Error(), "event 3 (step.output)") ||
				!strings.Contains(err.Error(), "journal the event first") {
				t.Fatalf("Apply without a hash = %v", err)
			}
			if a := s.Step("check-deploy").Last(); s.Applied() != before || a.OutputLines != 0 {
				t.Fatalf("a refused output changed the session: %d lines", a.OutputLines)
			}
		})
	}
}

// TestResumedOldRunKeepsItsRule: a run an older golive recorded (no digest
// rule) and left with a step interrupted is resumed by this golive: the
// reattached attempt goes on digesting its lines, a new attempt digests
// its records' hashes, and the journal replays, exports and verifies.
func TestResumedOldRunKeepsItsRule(t *testing.T) {
	dir := t.TempDir()
	s := NewSession(testPlan(), fixedClock())
	j, err := CreateJournal(dir, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	runJournal(t, s, j, oldRuleOps([]op{begin(),
		start("env-present"), out("env-present", "DJANGO_SECRET_KEY is set"),
		exit("env-present", 0), sign("env-present", VerdictPassed, ""),
		startJob("migrate-plan", "job-7", false), out("migrate-plan", "Planned operations:"), interrupt("migrate-plan"),
	})...)
	j.Close()

	// The new golive: open the journal, replay, reattach, go on.
	j, evs, err := OpenJournal(filepath.Join(RunDir(dir, "run-1"), JournalName))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	s, err = Replay(testPlan(), evs)
	if err != nil {
		t.Fatal(err)
	}
	evs = append(evs, runJournal(t, s, j,
		startJob("migrate-plan", "job-7", false), out("migrate-plan", "shop.0042_order_note"), exit("migrate-plan", 0),
		sign("migrate-plan", VerdictPassed, ""),
		start("check-deploy"), out("check-deploy", "System check identified no issues"), exit("check-deploy", 0),
		sign("check-deploy", VerdictPassed, ""),
	)...)

	lines := sha256.Sum256([]byte("stdout Planned operations:\nstdout shop.0042_order_note\n"))
	if a := s.Step("migrate-plan").Last(); a.Start.OutputDigest != "" || a.OutputSHA256 != hex.EncodeToString(lines[:]) {
		t.Fatalf("reattached old attempt: rule %q digest %s, want the per-line digest", a.Start.OutputDigest, a.OutputSHA256)
	}
	var hashes bytes.Buffer
	for _, e := range evs {
		if e.Type == EvOutput && e.Step == "check-deploy" {
			fmt.Fprintf(&hashes, "%s\n", e.Hash)
		}
	}
	records := sha256.Sum256(hashes.Bytes())
	if a := s.Step("check-deploy").Last(); a.Start.OutputDigest != DigestRecords || a.OutputSHA256 != hex.EncodeToString(records[:]) {
		t.Fatalf("new attempt: rule %q digest %s, want the records digest", a.Start.OutputDigest, a.OutputSHA256)
	}

	re, err := Replay(testPlan(), evs)
	if err != nil {
		t.Fatal(err)
	}
	compareSessions(t, s, re)
	var buf bytes.Buffer
	if err := s.WriteJSON(&buf, evs); err != nil {
		t.Fatal(err)
	}
	rep := VerifyTranscript(buf.Bytes())
	if !rep.OK() {
		t.Fatalf("resumed run does not verify: %+v", rep.Checks)
	}
	checkDigestsByHand(t, rep.Transcript)
}

// TestRecordsFixture: testdata/records is a run golive recorded under
// DigestRecords (golive run --plain --yes --host local on its
// runbook.yaml: one step's output in three records, one in one). Its
// journal replays against the runbook to the transcript's digests, its
// transcript verifies, the digests recompute by hand as the docs say, and
// a line changed in the journal or the transcript breaks the hash chain.
func TestRecordsFixture(t *testing.T) {
	plan, src, tr := fixtureFiles(t, "records")
	rep := VerifyTranscript(tr)
	if !rep.OK() {
		t.Fatalf("the fixture transcript does not verify: %+v", rep.Checks)
	}
	checkDigestsByHand(t, rep.Transcript)

	evs := openJournalCopy(t, src)
	s, err := Replay(plan, evs)
	if err != nil {
		t.Fatal(err)
	}
	records := 0
	for _, ts := range rep.Transcript.Steps {
		a := s.Step(ts.ID).Last()
		if a == nil || a.Start.OutputDigest != DigestRecords || a.OutputSHA256 != ts.Attempts[0].OutputSHA256 || a.OutputLines != ts.Attempts[0].OutputLines {
			t.Fatalf("step %s: the journal replays to %+v, the transcript states %+v", ts.ID, a, ts.Attempts)
		}
		var hashes bytes.Buffer // jq -r 'select(.type == "step.output" and .step == ...) | .hash' journal.jsonl
		for _, e := range evs {
			if e.Type == EvOutput && e.Step == ts.ID {
				fmt.Fprintf(&hashes, "%s\n", e.Hash)
				records++
			}
		}
		if sum := sha256.Sum256(hashes.Bytes()); hex.EncodeToString(sum[:]) != a.OutputSHA256 {
			t.Errorf("step %s: the journal's output hashes digest to %x, the attempt states %s", ts.ID, sum, a.OutputSHA256)
		}
	}
	if records != 4 {
		t.Fatalf("%d output records, the fixture has 4", records)
	}
	// The Markdown says what the digest covers, so that a reviewer can
	// recompute it; attempts of the old rule say nothing more (goldens).
	var md bytes.Buffer
	if err := s.WriteMarkdown(&md, TranscriptOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(md.String(), "over the hashes of the attempt's step.output records"); n != len(rep.Transcript.Steps) {
		t.Errorf("the Markdown names the records rule %d times for %d attempts:\n%s", n, len(rep.Transcript.Steps), md.String())
	}

	// One line changed: "world" becomes "WORLD".
	changed := bytes.Replace(src, []byte(`"hello","world"`), []byte(`"hello","WORLD"`), 1)
	path := filepath.Join(t.TempDir(), JournalName)
	if err := os.WriteFile(path, changed, 0o600); err != nil || bytes.Equal(changed, src) {
		t.Fatalf("tampering failed: %v", err)
	}
	var ce *ChainError
	if _, _, err := OpenJournal(path); !errors.As(err, &ce) || ce.Line != 9 || !strings.Contains(err.Error(), "changed") {
		t.Fatalf("OpenJournal of a changed line = %v, want a chain error at line 9", err)
	}
	rep = VerifyTranscript(bytes.Replace(tr, []byte(`"world"`), []byte(`"WORLD"`), 1))
	if got := checkNames(rep); rep.OK() || got["hash chain"] || !got["evidence"] {
		t.Fatalf("transcript with a changed line: %+v", rep.Checks)
	}
}

// fixtureFiles reads the recorded run in testdata/NAME: its runbook's
// plan, its journal and its transcript, as an older golive wrote them.
func fixtureFiles(t *testing.T, name string) (plan *Plan, journal, transcript []byte) {
	t.Helper()
	dir := filepath.Join("testdata", name)
	rb, err := LoadFile(filepath.Join(dir, "runbook.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if plan, err = rb.Plan(nil); err != nil {
		t.Fatal(err)
	}
	if journal, err = os.ReadFile(filepath.Join(dir, "journal.jsonl")); err != nil {
		t.Fatal(err)
	}
	if transcript, err = os.ReadFile(filepath.Join(dir, "transcript.json")); err != nil {
		t.Fatal(err)
	}
	return plan, journal, transcript
}

// openJournalCopy opens a copy of a journal's bytes and returns its
// events (the chain checked by OpenJournal).
func openJournalCopy(t *testing.T, src []byte) []Event {
	t.Helper()
	_, j, evs := copyJournal(t, src)
	j.Close()
	return evs
}

// copyJournal writes src to a journal file of its own and opens it, as
// resume does: it returns the file's path, the journal, open for more
// events (closed when the test ends), and the events read.
func copyJournal(t *testing.T, src []byte) (string, *Journal, []Event) {
	t.Helper()
	path := filepath.Join(t.TempDir(), JournalName)
	if err := os.WriteFile(path, src, 0o600); err != nil {
		t.Fatal(err)
	}
	j, evs, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return path, j, evs
}
