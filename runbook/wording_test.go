package runbook

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestExitFailureWording: an attempt golive could not run says why, as
// the UI does, not "exit code -1"; a timed-out one rounds its duration as
// the UI does. legacyExitFailure gives exactly the text the golive before
// the rewording gave for these two, and nothing for the texts that did not
// change.
func TestExitFailureWording(t *testing.T) {
	const sudoErr = "sshexec: job j-1 on local could not be started (the host said: sudo: a password is required); sudo needs a password on this host"
	tests := []struct {
		name   string
		expect []int
		exit   ExitInfo
		want   []string // nil: met
		legacy string
	}{
		{"could not run", nil, ExitInfo{Code: -1, Duration: 53 * time.Millisecond, Error: sudoErr},
			[]string{"could not run: " + sudoErr}, "exit code -1, expected 0"},
		{"could not run, several codes", []int{0, 3}, ExitInfo{Code: -1, Error: "dial tcp: connection refused"},
			[]string{"could not run: dial tcp: connection refused"}, "exit code -1, expected 0 or 3"},
		{"timed out, seconds", nil, ExitInfo{Code: 143, Signal: "TERM", TimedOut: true, Duration: 2009597595},
			[]string{"timed out after 2s, expected exit 0"}, "timed out after 2.009597595s, expected exit 0"},
		{"timed out, tenths", []int{0, 1}, ExitInfo{Code: -1, TimedOut: true, Duration: 2350 * time.Millisecond},
			[]string{"timed out after 2.4s, expected exit 0 or 1"}, "timed out after 2.35s, expected exit 0 or 1"},
		{"timed out, milliseconds", nil, ExitInfo{Code: -1, TimedOut: true, Duration: 850400 * time.Microsecond},
			[]string{"timed out after 850ms, expected exit 0"}, "timed out after 850.4ms, expected exit 0"},
		// Unchanged texts have no older wording.
		{"timed out, round already", nil, ExitInfo{Code: -1, TimedOut: true, Duration: 2 * time.Minute},
			[]string{"timed out after 2m0s, expected exit 0"}, ""},
		{"exit code", nil, ExitInfo{Code: 1, Duration: time.Second}, []string{"exit code 1, expected 0"}, ""},
		{"unknown", nil, ExitInfo{Code: -1, Unknown: true, Error: "connection lost"}, []string{"exit status unknown: connection lost"}, ""},
		{"signal", nil, ExitInfo{Code: -1, Signal: "KILL", Error: "x"}, []string{"killed by signal KILL, expected exit 0"}, ""},
		{"canceled", nil, ExitInfo{Code: -1, Canceled: true, Error: "x"}, []string{"canceled, expected exit 0"}, ""},
		{"met", nil, ExitInfo{Code: 0}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewChecker(Expect{Exit: tt.expect})
			if err != nil {
				t.Fatal(err)
			}
			met, failures := c.Result(tt.exit)
			if met != (tt.want == nil) || !reflect.DeepEqual(failures, tt.want) {
				t.Fatalf("Result = %v %q, want %q", met, failures, tt.want)
			}
			if got := legacyExitFailure(tt.exit, tt.expect); got != tt.legacy {
				t.Fatalf("legacyExitFailure = %q, want %q", got, tt.legacy)
			}
		})
	}
}

// TestSameFailures: the older wording is accepted for the exit failure
// only, and only the very text given as legacy.
func TestSameFailures(t *testing.T) {
	now := []string{"timed out after 2s, expected exit 0", `no output line matched "ok"`}
	const legacy = "timed out after 2.009597595s, expected exit 0"
	for _, c := range []struct {
		recorded []string
		legacy   string
		want     bool
	}{
		{now, legacy, true},
		{[]string{legacy, now[1]}, legacy, true},
		{[]string{legacy, now[1]}, "", false},
		{[]string{"timed out after 2.009597596s, expected exit 0", now[1]}, legacy, false},
		{[]string{"timed out after 2s, expected exit 1", now[1]}, legacy, false},
		{[]string{now[0], legacy}, legacy, false},
		{[]string{legacy}, legacy, false},
		{[]string{legacy, now[1], "extra"}, legacy, false},
	} {
		if got := sameFailures(c.recorded, now, c.legacy); got != c.want {
			t.Errorf("sameFailures(%q, legacy %q) = %v, want %v", c.recorded, c.legacy, got, c.want)
		}
	}
}

// testdata/wording is a run the golive before the failure rewording
// recorded (golive run --plain --host local, as a user sudo asks a
// password of, both steps signed off failed): step slow timed out, step
// root could not run, and the journal, the sign-offs' evidence and the
// transcript word them the old way.
var wordingFixture = []struct{ step, now, old string }{
	{"slow", "timed out after 1.1s, expected exit 0", "timed out after 1.079892596s, expected exit 0"},
	{"root", "could not run: sshexec: job 20261122T014103Z-54509d-root-1 on local could not be started (the host said: sudo: a password is required); sudo needs a password on this host: in the TUI press P to give it; otherwise provide it with --sudo-password (golive resume RUNID --sudo-password continues a run)",
		"exit code -1, expected 0"},
}

// TestOldWordingReplays: the old run's journal replays against its
// runbook (as resume and export do), its sign-offs keep the text they
// recorded while its attempts are worded anew; its transcript verifies as
// it is, and so does the one this golive exports from its journal.
func TestOldWordingReplays(t *testing.T) {
	plan, journal, tr := fixtureFiles(t, "wording")
	if rep := VerifyTranscript(tr); !rep.OK() {
		t.Fatalf("the old transcript does not verify: %+v", rep.Checks)
	}
	evs := openJournalCopy(t, journal)
	s, err := Replay(plan, evs)
	if err != nil {
		t.Fatalf("the old journal does not replay: %v", err)
	}
	for _, w := range wordingFixture {
		st := s.Step(w.step)
		if f := st.Last().Failures; len(f) != 1 || f[0] != w.now {
			t.Errorf("step %s: the replayed attempt says %q, want %q", w.step, f, w.now)
		}
		if f := st.SignOff.Evidence.Failures; len(f) != 1 || f[0] != w.old {
			t.Errorf("step %s: the replayed sign-off says %q, want what it recorded, %q", w.step, f, w.old)
		}
	}
	var md bytes.Buffer
	if err := s.WriteMarkdown(&md, TranscriptOptions{}); err != nil {
		t.Fatal(err)
	}
	// root's outcome line gives why it could not run, once (not again as
	// an expectation not met); slow's timeout is listed, with the code
	// expected, which its outcome line does not say.
	for _, want := range []string{"- could not run after 54ms (" + strings.TrimPrefix(wordingFixture[1].now, "could not run: ") + "); expectations NOT met",
		"- timed out after 1.1s (killed by signal TERM); expectations NOT met", "Expectation not met: " + wordingFixture[0].now} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("the Markdown of the old journal lacks %q:\n%s", want, md.String())
		}
	}
	if n := strings.Count(md.String(), "the host said: sudo: a password is required"); n != 1 {
		t.Errorf("the Markdown of the old journal gives root's error %d times, want once:\n%s", n, md.String())
	}
	if strings.Contains(md.String(), "exit code -1") {
		t.Errorf("the Markdown of the old journal shows exit code -1:\n%s", md.String())
	}
	var out bytes.Buffer
	if err := s.WriteJSON(&out, evs); err != nil {
		t.Fatalf("export of the old journal: %v", err)
	}
	if rep := VerifyTranscript(out.Bytes()); !rep.OK() {
		t.Fatalf("the old journal's transcript exported now does not verify: %+v", rep.Checks)
	}
	if !strings.Contains(out.String(), wordingFixture[0].now) || !strings.Contains(out.String(), wordingFixture[0].old) {
		t.Fatal("the export has not both the attempt's new text and the sign-off's recorded one")
	}
}

// TestOldWordingResumes: the old run, cut where step root had exited but
// was not signed off, is resumed by this golive: root's sign-off records
// the new text, a retry runs, and the whole journal replays, exports and
// verifies, slow's sign-off still in the old words.
func TestOldWordingResumes(t *testing.T) {
	plan, journal, _ := fixtureFiles(t, "wording")
	lines := bytes.SplitAfter(journal, []byte("\n"))
	cut := bytes.Join(lines[:8], nil) // up to seq 8, root's exit
	_, j, evs := copyJournal(t, cut)
	s, err := Replay(plan, evs)
	if err != nil {
		t.Fatalf("the cut journal does not replay: %v", err)
	}
	evs = append(evs, runJournal(t, s, j,
		sign("root", VerdictFailed, "needs the sudo password"),
		func(s *Session) (Event, error) {
			return s.StartStep("root", StartInfo{Command: "id -u", Where: "remote", Host: "local", JobID: "j-root-2"})
		},
		func(s *Session) (Event, error) {
			return s.Exit("root", ExitInfo{Code: -1, Duration: 40 * time.Millisecond, Error: "sudo refused again"})
		},
		sign("root", VerdictFailed, "still no password"),
		finish(),
	)...)
	root := s.Step("root")
	if got := root.SignOffs[0].Evidence.Failures; len(got) != 1 || got[0] != wordingFixture[1].now {
		t.Errorf("root's first sign-off after the resume says %q, want %q", got, wordingFixture[1].now)
	}
	if got := root.SignOff.Evidence.Failures; len(got) != 1 || got[0] != "could not run: sudo refused again" {
		t.Errorf("root's retry signed off with %q", got)
	}
	if got := s.Step("slow").SignOff.Evidence.Failures; got[0] != wordingFixture[0].old {
		t.Errorf("slow's sign-off says %q, want its recorded %q", got, wordingFixture[0].old)
	}
	re, err := Replay(plan, evs)
	if err != nil {
		t.Fatalf("the resumed journal does not replay: %v", err)
	}
	compareSessions(t, s, re)
	var out bytes.Buffer
	if err := s.WriteJSON(&out, evs); err != nil {
		t.Fatal(err)
	}
	if rep := VerifyTranscript(out.Bytes()); !rep.OK() {
		t.Fatalf("the resumed run does not verify: %+v", rep.Checks)
	}
}

// TestOldWordingTampered: the old words are accepted for exactly the exit
// they describe. A sign-off whose old text names another duration or exit
// code, or another expected code, or whose new text differs, does not
// replay, and a transcript holding one (its chain made whole again) does
// not verify; nor does one whose stated attempt says another duration.
func TestOldWordingTampered(t *testing.T) {
	plan, journal, tr := fixtureFiles(t, "wording")
	for _, c := range []struct{ step, from, to string }{
		{"slow", "1.079892596s", "1.079892597s"},
		{"slow", "1.079892596s", "1.2s"}, // another exit's new words
		{"slow", "expected exit 0", "expected exit 143"},
		{"root", "exit code -1", "exit code -2"},
		{"root", "expected 0", "expected 0 or 1"},
		{"root", "exit code -1, expected 0", "could not run: sudo: a password is required"},
	} {
		evs := openJournalCopy(t, journal)
		var tampered string
		for i := range evs {
			if e := &evs[i]; e.Type == EvSignedOff && e.Step == c.step {
				f := &e.SignOff.Evidence.Failures[0]
				*f = strings.Replace(*f, c.from, c.to, 1)
				tampered = *f
			}
		}
		rechain(evs) // verify_test.go: the chain made whole again
		_, err := Replay(plan, evs)
		if err == nil || !strings.Contains(err.Error(), "evidence does not match") {
			t.Errorf("%s signed off with %q: Replay = %v, want the evidence refused", c.step, tampered, err)
		}

		// The same in a transcript, stated step and event alike.
		var doc Transcript
		if err := json.Unmarshal(tr, &doc); err != nil {
			t.Fatal(err)
		}
		for i := range doc.Events {
			if e := &doc.Events[i]; e.Type == EvSignedOff && e.Step == c.step {
				e.SignOff.Evidence.Failures = []string{tampered}
			}
		}
		for i := range doc.Steps {
			if ts := &doc.Steps[i]; ts.ID == c.step {
				ts.SignOff.Evidence.Failures = []string{tampered}
			}
		}
		rechain(doc.Events)
		data, err := json.Marshal(&doc)
		if err != nil {
			t.Fatal(err)
		}
		rep := VerifyTranscript(data)
		if got := checkNames(rep); rep.OK() || !got["hash chain"] || got["consistency"] {
			t.Errorf("transcript with %s signed off %q: %+v", c.step, tampered, rep.Checks)
		}
	}

	// A stated attempt's old text is held against its exit as well.
	// (The text is in slow's stated sign-off, its stated attempt, then its sign-off event.)
	old := []byte(wordingFixture[0].old)
	at := bytes.Index(tr, old)
	at += len(old) + bytes.Index(tr[at+len(old):], old)
	if n := bytes.Count(tr, old); n != 3 || !bytes.HasPrefix(tr[at:], old) {
		t.Fatal("the stated attempt of step slow was not found")
	}
	stated := append(append(bytes.Clone(tr[:at]), "timed out after 1.079892599s, expected exit 0"...), tr[at+len(old):]...)
	rep := VerifyTranscript(stated)
	if got := checkNames(rep); rep.OK() || !got["hash chain"] || got["consistency"] {
		t.Errorf("transcript whose attempt states another duration: %+v", rep.Checks)
	}
}

// TestMarkdownSaysAFailureOnce: the Markdown's outcome line of an attempt
// golive could not run (sudo wanted a password) gives the error, and so
// did the "Expectation not met" under it: the error read twice. Now a
// failure the outcome line says in full (could not run, exit status
// unknown: the error) is left out of the list; every other failure, an
// older golive's text and an output expectation beside an error included,
// is still listed.
func TestMarkdownSaysAFailureOnce(t *testing.T) {
	const sudoErr = "sshexec: job j-1 on local could not be started (the host said: sudo: a password is required)"
	tests := []struct {
		name    string
		match   []string
		exit    ExitInfo
		old     []string // the failures an older golive recorded, instead of Result's
		outcome string   // the outcome line starts so
		gone    string   // the failure the outcome line says, left out ("" none)
	}{
		{name: "could not run", exit: ExitInfo{Code: -1, Duration: 54 * time.Millisecond, Error: sudoErr},
			outcome: "could not run after 54ms (" + sudoErr + "); expectations NOT met", gone: "could not run: " + sudoErr},
		{name: "could not run, an output expectation", match: []string{"hello"}, exit: ExitInfo{Code: -1, Error: sudoErr},
			outcome: "could not run after 0s (" + sudoErr + ")", gone: "could not run: " + sudoErr},
		{name: "unknown", exit: ExitInfo{Code: -1, Unknown: true, Duration: time.Second, Error: "connection lost"},
			outcome: "exit status UNKNOWN after 1s (connection lost)", gone: "exit status unknown: connection lost"},
		{name: "the older wording", exit: ExitInfo{Code: -1, Duration: 54 * time.Millisecond, Error: sudoErr},
			old: []string{"exit code -1, expected 0"}, outcome: "could not run after 54ms (" + sudoErr + ")"},
		{name: "timed out", exit: ExitInfo{Code: 143, Signal: "TERM", TimedOut: true, Duration: 2009597595},
			outcome: "timed out after 2s (killed by signal TERM); expectations NOT met"},
		{name: "timed out, no signal", exit: ExitInfo{Code: -1, TimedOut: true, Duration: 2350 * time.Millisecond},
			outcome: "timed out after 2.4s; expectations NOT met"},
		{name: "exit code", exit: ExitInfo{Code: 1, Duration: time.Second, Error: "exit status 1"}, outcome: "exit code 1 after 1s"},
		{name: "signal", exit: ExitInfo{Code: -1, Signal: "KILL", Error: "signal: killed"}, outcome: "killed by signal KILL after 0s (signal: killed)"},
		{name: "canceled", exit: ExitInfo{Code: 143, Signal: "TERM", Canceled: true}, outcome: "canceled after 0s (killed by signal TERM); expectations NOT met"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewChecker(Expect{Match: tt.match})
			if err != nil {
				t.Fatal(err)
			}
			met, failures := c.Result(tt.exit)
			if tt.old != nil {
				failures = tt.old
			}
			exit := tt.exit
			a := &Attempt{N: 1, Exit: &exit, ExpectationsMet: met, Failures: failures}
			facts := attemptFacts(a, false)
			text := strings.Join(facts, "\n")
			if !strings.HasPrefix(facts[0], tt.outcome) {
				t.Errorf("outcome %q, want it to start %q", facts[0], tt.outcome)
			}
			if n := strings.Count(text, exit.Error); exit.Error != "" && tt.gone != "" && n != 1 {
				t.Errorf("the error %q reads %d times:\n%s", exit.Error, n, text)
			}
			for _, f := range failures {
				listed := strings.Contains(text, "Expectation not met: "+f)
				if listed == (f == tt.gone) {
					t.Errorf("failure %q listed: %v, want %v:\n%s", f, listed, f != tt.gone, text)
				}
			}
		})
	}
}
