package runbook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// journaledTranscript runs the realistic session through a real Journal
// (real hashes, each event applied as the journal returns it) and exports
// the JSON transcript. With old, the run is one an older golive recorded:
// its attempts name no digest rule and digest their lines.
func journaledTranscript(t *testing.T, old bool) []byte {
	t.Helper()
	ops := realisticRun()
	if old {
		ops = oldRuleOps(ops)
	}
	s, stamped := journaledRun(t, ops...)
	var buf bytes.Buffer
	if err := s.WriteJSON(&buf, stamped); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rules names the two digest rules for subtests.
var rules = []struct {
	name string
	old  bool
}{{"records", false}, {"old per-line rule", true}}

// edit decodes a transcript, changes it, and encodes it again.
func edit(t *testing.T, data []byte, change func(tr *Transcript)) []byte {
	t.Helper()
	tr, err := ReadTranscript(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	change(tr)
	out, err := json.MarshalIndent(tr, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rechain recomputes every hash, as someone editing the events without the
// signing key could.
func rechain(evs []Event) {
	prev := ""
	for i := range evs {
		evs[i].Seq = int64(i + 1)
		evs[i].Prev = prev
		evs[i].Hash, _ = EventHash(evs[i])
		prev = evs[i].Hash
	}
}

func checkNames(r *VerifyReport) map[string]bool {
	m := map[string]bool{}
	for _, c := range r.Checks {
		m[c.Name] = c.OK
	}
	return m
}

func TestVerifyTranscriptGood(t *testing.T) {
	for _, rule := range rules {
		t.Run(rule.name, func(t *testing.T) {
			data := journaledTranscript(t, rule.old)
			rep := VerifyTranscript(data)
			for _, c := range rep.Checks {
				if !c.OK {
					t.Errorf("check %s failed: %s %v", c.Name, c.Detail, c.Findings)
				}
			}
			if !rep.OK() || len(rep.Checks) != 4 {
				t.Fatalf("report: %+v", rep.Checks)
			}
			if !strings.Contains(rep.Checks[3].Detail, "sign-offs") {
				t.Errorf("evidence detail: %s", rep.Checks[3].Detail)
			}
			for _, e := range rep.Transcript.Events {
				if e.Type == EvStepStarted && (e.Start.OutputDigest == DigestRecords) == rule.old {
					t.Errorf("seq %d: step %s attempt %d starts with digest rule %q", e.Seq, e.Step, e.Attempt, e.Start.OutputDigest)
				}
			}
			checkDigestsByHand(t, rep.Transcript)
		})
	}
}

// checkDigestsByHand recomputes every attempt's output digest from the
// transcript's events as docs/transcript.md tells a reviewer to (the
// records rule: sha256sum of the output events' hashes, one a line; the
// old rule: of "<stream> <text>" lines) and holds the stated digests and
// sign-off evidence against it.
func checkDigestsByHand(t *testing.T, tr *Transcript) {
	t.Helper()
	type key struct {
		step string
		n    int
	}
	text := map[key]*strings.Builder{}
	records := map[key]bool{}
	for _, e := range tr.Events {
		k := key{e.Step, e.Attempt}
		switch {
		case e.Type == EvStepStarted && text[k] == nil: // a reattach keeps the attempt's rule
			text[k] = &strings.Builder{}
			records[k] = e.Start.OutputDigest == DigestRecords
		case e.Type == EvOutput && records[k]:
			fmt.Fprintf(text[k], "%s\n", e.Hash) // jq -r '.hash'
		case e.Type == EvOutput:
			for _, l := range e.Lines {
				fmt.Fprintf(text[k], "%s %s\n", l.Stream, l.Text)
			}
		}
	}
	digests := 0
	for _, st := range tr.Steps {
		for _, a := range st.Attempts {
			sum := sha256.Sum256([]byte(text[key{st.ID, a.N}].String()))
			if want := hex.EncodeToString(sum[:]); a.OutputSHA256 != want {
				t.Errorf("step %s attempt %d: stated digest %s, by hand %s", st.ID, a.N, a.OutputSHA256, want)
			}
			digests++
		}
		if so := st.SignOff; so != nil && so.Evidence != nil {
			if a := st.Attempts[so.Evidence.Attempt-1]; so.Evidence.OutputSHA256 != a.OutputSHA256 {
				t.Errorf("step %s: the sign-off's digest %s is not its attempt's %s", st.ID, so.Evidence.OutputSHA256, a.OutputSHA256)
			}
		}
	}
	if digests == 0 {
		t.Fatal("no attempt to check")
	}
}

func TestVerifyTranscriptFindsTampering(t *testing.T) {
	for _, rule := range rules {
		t.Run(rule.name, func(t *testing.T) { testVerifyFindsTampering(t, rule.old) })
	}
}

func testVerifyFindsTampering(t *testing.T, old bool) {
	good := journaledTranscript(t, old)
	firstOutput := func(tr *Transcript) *Event {
		for i := range tr.Events {
			if tr.Events[i].Type == EvOutput {
				return &tr.Events[i]
			}
		}
		t.Fatal("no output event")
		return nil
	}
	migrateSignOff := func(tr *Transcript) *Evidence {
		for i := range tr.Events {
			if e := &tr.Events[i]; e.Type == EvSignedOff && e.Step == "migrate" && e.SignOff.Evidence != nil {
				return e.SignOff.Evidence
			}
		}
		t.Fatal("no evidence for migrate")
		return nil
	}
	// otherRule is migrate's digest by the rule it did not start with.
	otherRule := func(tr *Transcript) string {
		a := &attemptLog{digest: sha256.New()}
		if old {
			a.rule = DigestRecords
		}
		for i := range tr.Events {
			if e := &tr.Events[i]; e.Type == EvOutput && e.Step == "migrate" {
				a.add(e)
			}
		}
		return a.sum()
	}
	// An edited line: the per-line digest covers its text, so the
	// evidence no longer matches; the records digest covers the record's
	// hash, which the edit leaves as it was: the hash chain catches it.
	lineFails, linePasses := []string{"hash chain", "evidence"}, []string(nil)
	if !old {
		lineFails, linePasses = []string{"hash chain"}, []string{"evidence", "consistency"}
	}
	cases := []struct {
		name   string
		change func(tr *Transcript)
		fail   []string // checks that must fail
		pass   []string // checks that must pass
	}{
		{"summary status edited", func(tr *Transcript) { tr.Steps[0].Status = StatusPending },
			[]string{"consistency"}, []string{"hash chain", "evidence"}},
		{"verdict edited", func(tr *Transcript) { tr.Verdict = "passed" },
			[]string{"consistency"}, []string{"hash chain"}},
		{"output line edited", func(tr *Transcript) { firstOutput(tr).Lines[0].Text = "all good" },
			lineFails, linePasses},
		{"sign-off digest swapped", func(tr *Transcript) {
			migrateSignOff(tr).OutputSHA256 = tr.Steps[0].Attempts[0].OutputSHA256
		}, []string{"hash chain", "evidence"}, nil},
		{"sign-off digest swapped and chain recomputed", func(tr *Transcript) {
			migrateSignOff(tr).OutputSHA256 = tr.Steps[0].Attempts[0].OutputSHA256
			rechain(tr.Events)
		}, []string{"evidence", "consistency"}, []string{"hash chain"}},
		{"sign-off digest by the other rule, chain recomputed", func(tr *Transcript) {
			migrateSignOff(tr).OutputSHA256 = otherRule(tr)
			rechain(tr.Events)
		}, []string{"evidence", "consistency"}, []string{"hash chain"}},
		{"reattach names the other rule, chain recomputed", func(tr *Transcript) {
			seen := map[attemptKey]bool{}
			for i := range tr.Events {
				e := &tr.Events[i]
				if k := (attemptKey{e.Step, e.Attempt}); e.Type == EvStepStarted {
					if seen[k] { // the reattach of migrate-plan's attempt
						e.Start.OutputDigest = map[bool]string{true: DigestRecords, false: ""}[old]
						rechain(tr.Events)
						return
					}
					seen[k] = true
				}
			}
			t.Fatal("no reattach in the run")
		}, []string{"evidence", "consistency"}, []string{"hash chain"}},
		{"output edited and chain recomputed", func(tr *Transcript) {
			firstOutput(tr).Lines[0].Text = "all good"
			rechain(tr.Events)
		}, []string{"evidence"}, []string{"hash chain"}},
		{"stated digest edited", func(tr *Transcript) { tr.Steps[0].Attempts[0].OutputSHA256 = strings.Repeat("0", 64) },
			[]string{"evidence", "consistency"}, []string{"hash chain"}},
		{"event dropped and chain recomputed", func(tr *Transcript) {
			for i := range tr.Events {
				if tr.Events[i].Type == EvSignedOff {
					tr.Events = append(tr.Events[:i], tr.Events[i+1:]...)
					break
				}
			}
			rechain(tr.Events)
		}, []string{"consistency"}, []string{"hash chain"}},
		{"evidence removed and chain recomputed", func(tr *Transcript) {
			for i := range tr.Events {
				if e := &tr.Events[i]; e.Type == EvSignedOff && e.SignOff.Evidence != nil {
					e.SignOff.Evidence = nil
					break
				}
			}
			rechain(tr.Events)
		}, []string{"evidence"}, []string{"hash chain"}},
		{"first event not run.started", func(tr *Transcript) {
			tr.Events = tr.Events[1:]
			rechain(tr.Events)
		}, []string{"hash chain", "consistency"}, nil},
		{"seq gap", func(tr *Transcript) { tr.Events = append(tr.Events[:2:2], tr.Events[3:]...) },
			[]string{"hash chain"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := VerifyTranscript(edit(t, good, c.change))
			got := checkNames(rep)
			if rep.OK() {
				t.Fatal("tampered transcript verified")
			}
			for _, n := range c.fail {
				if ok, present := got[n]; !present || ok {
					t.Errorf("check %q should fail: %+v", n, rep.Checks)
				}
			}
			for _, n := range c.pass {
				if !got[n] {
					t.Errorf("check %q should pass: %+v", n, rep.Checks)
				}
			}
		})
	}
	if rep := VerifyTranscript([]byte(`{"format":"other/1"}`)); rep.OK() || rep.Transcript != nil {
		t.Fatalf("foreign format: %+v", rep.Checks)
	}
	// The re-encoded good transcript still verifies: the checks are about
	// content, not formatting (the signature covers the bytes).
	if rep := VerifyTranscript(edit(t, good, func(*Transcript) {})); !rep.OK() {
		t.Fatalf("re-encoded transcript: %+v", rep.Checks)
	}
}

// FuzzVerifyTranscript: any input gives a report, never a panic, and a
// report that passes only when every check ran.
func FuzzVerifyTranscript(f *testing.F) {
	f.Add([]byte(`{"format":"golive-transcript/1","events":[]}`))
	f.Add([]byte(`{"format":"golive-transcript/1","steps":[{"id":"a","attempts":[{"n":1}]}],"events":[{"seq":1,"type":"step.output","step":"a","attempt":1}]}`))
	s := NewSession(testPlan(), fixedClock())
	evs := run(f, s, migrateWithRests()...) // Cont lines
	var tr bytes.Buffer
	if err := s.WriteJSON(&tr, evs); err != nil {
		f.Fatal(err)
	}
	f.Add(tr.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		rep := VerifyTranscript(data)
		if rep.OK() && len(rep.Checks) != 4 {
			t.Fatalf("passed with %d checks", len(rep.Checks))
		}
	})
}

// BenchmarkVerifyTranscript measures VerifyTranscript (parse, chain,
// replay, evidence) on a transcript holding 100,000 output lines; MB/s
// counts the transcript's bytes.
func BenchmarkVerifyTranscript(b *testing.B) {
	s := NewSession(testPlan(), fixedClock())
	var evs []Event
	j, err := CreateJournal(b.TempDir(), "big")
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	do := func(e Event, err error) {
		if err != nil {
			b.Fatal(err)
		}
		stored, err := j.Append(e)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Apply(stored[0]); err != nil {
			b.Fatal(err)
		}
		evs = append(evs, stored[0])
	}
	do(s.Begin(RunInfo{ID: "big", Host: "web1", Operator: "ana"}))
	do(s.StartStep("env-present", StartInfo{Command: "x", Where: "remote"}))
	for batch := 0; batch < 500; batch++ {
		lines := make([]OutputLine, 200)
		for i := range lines {
			lines[i] = OutputLine{Stream: StreamStdout, Text: "Copying '/srv/app/static/admin/css/base.css' is set", Offset: int64(batch*200 + i)}
		}
		do(s.Output("env-present", lines))
	}
	do(s.Exit("env-present", ExitInfo{Code: 0}))
	do(s.SignOff("env-present", VerdictPassed, "", "ana", false))
	var buf bytes.Buffer
	if err := s.WriteJSON(&buf, evs); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if rep := VerifyTranscript(buf.Bytes()); !rep.OK() {
			b.Fatalf("%+v", rep.Checks)
		}
	}
}
