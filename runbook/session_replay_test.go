package runbook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// roundTrip passes events through JSON as the journal does.
func roundTrip(t *testing.T, evs []Event) []Event {
	t.Helper()
	b, err := json.Marshal(evs)
	if err != nil {
		t.Fatal(err)
	}
	var out []Event
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func compareSessions(t *testing.T, live, re *Session) {
	t.Helper()
	for _, id := range live.StepIDs() {
		if a, b := live.Step(id), re.Step(id); !reflect.DeepEqual(a, b) {
			t.Errorf("step %s differs after replay:\nlive   %+v\nreplay %+v", id, a, b)
		}
	}
	if a, b := live.Info(), re.Info(); !reflect.DeepEqual(a, b) {
		t.Errorf("info differs: %+v vs %+v", a, b)
	}
	if live.Verdict() != re.Verdict() || live.Next() != re.Next() || !live.Started().Equal(re.Started()) ||
		!live.Ended().Equal(re.Ended()) || live.Applied() != re.Applied() {
		t.Errorf("run state differs after replay")
	}
	if !reflect.DeepEqual(live.HostKeys(), re.HostKeys()) || !reflect.DeepEqual(live.Notes(), re.Notes()) ||
		!reflect.DeepEqual(live.Connections(), re.Connections()) {
		t.Errorf("host keys, notes or connections differ after replay")
	}
}

func TestReplayRebuildsEveryStep(t *testing.T) {
	live := NewSession(testPlan(), fixedClock())
	evs := run(t, live, realisticRun()...)
	if len(evs) < 30 {
		t.Fatalf("scenario has only %d events", len(evs))
	}
	re, err := Replay(testPlan(), roundTrip(t, evs))
	if err != nil {
		t.Fatal(err)
	}
	compareSessions(t, live, re)
	if v := re.Verdict(); v != RunFailed {
		t.Errorf("verdict %s, want failed", v)
	}
	if st := re.Step("migrate-plan"); len(st.Attempts) != 1 || len(st.Attempts[0].Resumed) != 1 || st.Attempts[0].OutputLines != 3 {
		t.Errorf("reattached step: %+v", st.Attempts)
	}
}

// TestReplayEveryPrefix: a journal cut anywhere (a crash) replays, and to
// the same state the live session had at that point.
func TestReplayEveryPrefix(t *testing.T) {
	ops := realisticRun()
	live := NewSession(testPlan(), fixedClock())
	var evs []Event
	for i, o := range ops {
		evs = append(evs, run(t, live, o)...)
		re, err := Replay(testPlan(), roundTrip(t, evs))
		if err != nil {
			t.Fatalf("prefix of %d events: %v", i+1, err)
		}
		compareSessions(t, live, re)
	}
}

func TestApplyRefusesMisfits(t *testing.T) {
	evs := run(t, NewSession(testPlan(), fixedClock()), realisticRun()...)
	find := func(typ EventType, step string) int {
		for i, e := range evs {
			if e.Type == typ && e.Step == step {
				return i
			}
		}
		t.Fatalf("no %s for %s", typ, step)
		return -1
	}
	tamper := func(i int, f func(e *Event)) []Event {
		out := roundTrip(t, evs)
		f(&out[i])
		return out
	}
	rechained := func(evs []Event) []Event { rechain(evs); return evs }
	evsOld := runOldRule(t, NewSession(testPlan(), fixedClock()), realisticRun()...)
	findIn := func(evs []Event, typ EventType, step string) int {
		return slices.IndexFunc(evs, func(e Event) bool { return e.Type == typ && e.Step == step })
	}
	tamperOld := func(i int, f func(e *Event)) []Event {
		out := roundTrip(t, evsOld)
		f(&out[i])
		return out
	}
	signMigrate := find(EvSignedOff, "migrate")
	outMigrate := find(EvOutput, "migrate")
	tests := []struct {
		name string
		evs  []Event
		plan *Plan
		also error
	}{
		{"evidence digest changed", tamper(signMigrate, func(e *Event) { e.SignOff.Evidence.OutputSHA256 = "00" }), nil, nil},
		{"evidence exit changed", tamper(find(EvSignedOff, "debug-off"), func(e *Event) { e.SignOff.Evidence.ExpectationsMet = true }), nil, nil},
		{"evidence removed", tamper(signMigrate, func(e *Event) { e.SignOff.Evidence = nil }), nil, nil},
		// The records digest rests on the hash chain: a changed line
		// with its record and those after rehashed changes the digest.
		{"output line changed, chain rehashed", rechained(tamper(outMigrate, func(e *Event) { e.Lines[0].Text = "nothing to do" })), nil, nil},
		{"output line changed, old rule", tamperOld(findIn(evsOld, EvOutput, "migrate"), func(e *Event) { e.Lines[0].Text = "nothing to do" }), nil, nil},
		{"output hash removed", tamper(outMigrate, func(e *Event) { e.Hash = "" }), nil, nil},
		{"wrong attempt", tamper(outMigrate, func(e *Event) { e.Attempt = 2 }), nil, nil},
		{"verdict changed to passed", tamper(find(EvSignedOff, "debug-off"), func(e *Event) { e.SignOff.Verdict = VerdictPassed; e.SignOff.Note = "" }), nil, ErrNoteRequired},
		{"start dropped", append(roundTrip(t, evs[:outMigrate-1]), evs[outMigrate:]...), nil, ErrWrongState},
		{"unknown type", tamper(outMigrate, func(e *Event) { e.Type = "step.teleported" }), nil, nil},
		{"runbook changed", evs, func() *Plan { p := testPlan(); p.Runbook.Hash = "ffff"; return p }(), ErrRunbookChanged},
		{"first event not run.started", evs[1:], nil, ErrNotBegun},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := tt.plan
			if plan == nil {
				plan = testPlan()
			}
			_, err := Replay(plan, tt.evs)
			if !errors.Is(err, ErrBadEvent) {
				t.Fatalf("Replay = %v, want ErrBadEvent", err)
			}
			if tt.also != nil && !errors.Is(err, tt.also) {
				t.Fatalf("Replay = %v, want it to wrap %v too", err, tt.also)
			}
		})
	}
	// A changed line whose record keeps its hash: the session takes the
	// hash on trust, the chain check (OpenJournal, golive verify) does not.
	changed := tamper(outMigrate, func(e *Event) { e.Lines[0].Text = "nothing to do" })
	if err := VerifyChain(evs); err != nil {
		t.Fatalf("the untouched events do not chain: %v", err)
	}
	var ce *ChainError
	if err := VerifyChain(changed); !errors.As(err, &ce) || ce.Seq != changed[outMigrate].Seq {
		t.Fatalf("VerifyChain of a changed line = %v, want a break at seq %d", err, changed[outMigrate].Seq)
	}
}

// TestOutputBounded: a big output keeps 20 + 200 lines, counts them all,
// and digests them all the documented way, by either rule.
func TestOutputBounded(t *testing.T) {
	for _, old := range []bool{false, true} {
		t.Run(fmt.Sprintf("old rule %v", old), func(t *testing.T) { testOutputBounded(t, old) })
	}
}

func testOutputBounded(t *testing.T, old bool) {
	s := NewSession(testPlan(), fixedClock())
	evs := runRule(t, s, old, begin(), start("debug-off"))
	lineDigest, recordDigest := sha256.New(), sha256.New()
	const n = 10_000
	for i := 0; i < n; i += 100 {
		var lines []OutputLine
		for j := i; j < i+100; j++ {
			l := OutputLine{Stream: StreamStdout, Text: fmt.Sprintf("line %d", j+1)}
			if j%7 == 0 {
				l.Stream = StreamStderr
			}
			if j == 4321 {
				l.Text = "DEBUG = True"
			}
			fmt.Fprintf(lineDigest, "%s %s\n", l.Stream, l.Text)
			lines = append(lines, l)
		}
		evs = append(evs, runRule(t, s, old, func(s *Session) (Event, error) { return s.Output("debug-off", lines) })...)
		fmt.Fprintf(recordDigest, "%s\n", evs[len(evs)-1].Hash)
	}
	run(t, s, exit("debug-off", 0))
	a := s.Step("debug-off").Attempts[0]
	if a.OutputLines != n || len(a.Head) != ExcerptHead || len(a.Tail) != ExcerptTail || a.Omitted != n-ExcerptHead-ExcerptTail {
		t.Fatalf("lines %d head %d tail %d omitted %d", a.OutputLines, len(a.Head), len(a.Tail), a.Omitted)
	}
	if a.Head[0].Text != "line 1" || a.Tail[0].Text != fmt.Sprintf("line %d", n-ExcerptTail+1) || a.Tail[ExcerptTail-1].Text != fmt.Sprintf("line %d", n) {
		t.Fatalf("excerpt order: head %q tail %q..%q", a.Head[0].Text, a.Tail[0].Text, a.Tail[ExcerptTail-1].Text)
	}
	want, other := hex.EncodeToString(recordDigest.Sum(nil)), hex.EncodeToString(lineDigest.Sum(nil))
	if old {
		want, other = other, want
	}
	if a.OutputSHA256 != want || want == other {
		t.Fatalf("digest %s, want %s (the other rule gives %s)", a.OutputSHA256, want, other)
	}
	if a.ExpectationsMet || len(a.Failures) != 1 || a.Failures[0] != `output matched forbidden "DEBUG = True": line 4322` {
		t.Fatalf("failures %q", a.Failures)
	}
	e, err := s.SignOff("debug-off", VerdictFailed, "", "alice", false)
	if err != nil {
		t.Fatal(err)
	}
	if ev := e.SignOff.Evidence; ev == nil || ev.OutputSHA256 != a.OutputSHA256 || ev.OutputLines != n || ev.ExitCode != 0 ||
		ev.Duration != 1500*time.Millisecond || ev.Command != testPlan().Step("debug-off").Script || ev.Attempt != 1 {
		t.Fatalf("evidence %+v", ev)
	}
	if e.SignOff.Time.IsZero() || !e.SignOff.Time.Equal(e.Time) || e.SignOff.Operator != "alice" {
		t.Fatalf("sign-off %+v", e.SignOff)
	}
}

func TestSecretsMasked(t *testing.T) {
	s := NewSession(testPlan(), fixedClock())
	evs := run(t, s, begin(), start("check-deploy"),
		out("check-deploy", "DATABASE_URL=postgres://app:hunter2@db/app", "!password is hunter2"),
		func(s *Session) (Event, error) { return s.SetVar(VarValue{Name: "db_password", Value: "s3cret-2"}) },
		out("check-deploy", "new password s3cret-2 works"),
		func(s *Session) (Event, error) {
			return s.Exit("check-deploy", ExitInfo{Code: 1, Error: "auth failed for s3cret-2"})
		},
		sign("check-deploy", VerdictFailed, "hunter2 was rotated to s3cret-2"),
		note("", "tell the DBA about hunter2"),
		finish())
	b, _ := json.Marshal(evs)
	for _, secret := range []string{"hunter2", "s3cret-2"} {
		if contains(b, secret) {
			t.Errorf("secret %q in the events: %s", secret, b)
		}
	}
	if v := s.Info().Vars["db_password"]; v != Mask {
		t.Errorf("db_password = %q", v)
	}
	if st := s.Step("check-deploy"); st.Attempts[0].OutputLines != 3 || !strings.Contains(st.Attempts[0].Head[2].Text, Mask) {
		t.Errorf("output after SetVar not masked: %+v", st.Attempts[0].Head)
	}
	s2 := NewSession(testPlan(), fixedClock())
	e, err := s2.Begin(RunInfo{ID: "r", Vars: map[string]string{"db_password": "hunter2", "app_dir": "/srv/hunter2/app"}})
	if err != nil || e.Run.Vars["db_password"] != Mask || strings.Contains(e.Run.Vars["app_dir"], "hunter2") {
		t.Errorf("Begin kept a secret: %v %v", e.Run.Vars, err)
	}
	if v := s.Info().Vars["domain"]; v != "example.com" {
		t.Errorf("domain = %q", v)
	}
}

func contains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }

// BenchmarkSessionOutput measures building and applying one output event
// of 100 lines: the per-batch cost of a streaming step. A stand-in hash
// takes the journal's place (hashing records is the journal's cost).
func BenchmarkSessionOutput(b *testing.B) {
	s := NewSession(testPlan(), fixedClock())
	run(b, s, begin(), start("debug-off"))
	lines := make([]OutputLine, 100)
	for i := range lines {
		lines[i] = OutputLine{Stream: StreamStdout, Text: fmt.Sprintf("  Applying shop.%04d_auto... OK", i)}
	}
	stand := strings.Repeat("5e", sha256.Size)
	b.ReportAllocs()
	for b.Loop() {
		e, err := s.Output("debug-off", lines)
		if err != nil {
			b.Fatal(err)
		}
		e.Hash = stand
		if err := s.Apply(e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReplay100kLines measures rebuilding a session (resume, verify)
// from a journal holding one step's 100,000 output lines in 1,000 events.
func BenchmarkReplay100kLines(b *testing.B) {
	s := NewSession(testPlan(), fixedClock())
	ops := []op{begin(), start("debug-off")}
	for i := 0; i < 1000; i++ {
		lines := make([]OutputLine, 100)
		for j := range lines {
			lines[j] = OutputLine{Stream: StreamStdout, Text: fmt.Sprintf("line %d of batch %d: collecting static files", j, i)}
		}
		ops = append(ops, func(s *Session) (Event, error) { return s.Output("debug-off", lines) })
	}
	evs := run(b, s, append(ops, exit("debug-off", 0))...)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Replay(testPlan(), evs); err != nil {
			b.Fatal(err)
		}
	}
}
