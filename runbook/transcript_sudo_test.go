package runbook

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// sudoTranscript runs step restart (sudo: true in testRunbook) and step
// check-deploy (no sudo) through a real journal and returns the JSON and
// Markdown transcripts.
func sudoTranscript(t *testing.T) (js, md []byte) {
	t.Helper()
	s, evs := journaledRun(t, begin(),
		start("check-deploy"), out("check-deploy", "System check identified no issues"), exit("check-deploy", 0),
		sign("check-deploy", VerdictPassed, ""),
		start("restart"), exit("restart", 0), sign("restart", VerdictPassed, ""),
	)
	var jb, mb bytes.Buffer
	if err := s.WriteJSON(&jb, evs); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteMarkdown(&mb, TranscriptOptions{}); err != nil {
		t.Fatal(err)
	}
	return jb.Bytes(), mb.Bytes()
}

// TestTranscriptSaysSudo: a reviewer sees which steps ran through sudo.
// The JSON states it on the step (sudo) and on each attempt's start
// (run_as), the Markdown next to the command, and the transcript
// verifies; one edited to drop or add a step's sudo, or to change what an
// attempt's start says, does not.
func TestTranscriptSaysSudo(t *testing.T) {
	js, md := sudoTranscript(t)
	rep := VerifyTranscript(js)
	if !rep.OK() {
		t.Fatalf("the transcript does not verify: %+v", rep.Checks)
	}
	byID := map[string]TranscriptStep{}
	for _, ts := range rep.Transcript.Steps {
		byID[ts.ID] = ts
	}
	restart, check := byID["restart"], byID["check-deploy"]
	switch {
	case !restart.Sudo || check.Sudo:
		t.Fatalf("steps state sudo: restart %v, check-deploy %v", restart.Sudo, check.Sudo)
	case len(restart.Attempts) != 1 || restart.Attempts[0].Start.RunAs != RunAsSudo:
		t.Fatalf("restart's attempts: %+v", restart.Attempts)
	case len(check.Attempts) != 1 || check.Attempts[0].Start.RunAs != RunAsUser:
		t.Fatalf("check-deploy's attempts: %+v", check.Attempts)
	}
	// omitempty: a step without sudo says nothing, as in older transcripts.
	if n := strings.Count(string(js), `"sudo": true`); n != 1 || strings.Contains(string(js), `"sudo": false`) {
		t.Fatalf(`the JSON has "sudo": true %d times, want once, and never false`, n)
	}

	sudoCmd := regexp.MustCompile("(?s)### \\S+ restart: .*?Command, run through sudo \\(as root\\):\n\n```sh\n[^`]*sudo systemctl restart gunicorn\n```")
	plainCmd := regexp.MustCompile("(?s)### \\S+ check-deploy: .*?Command:\n\n```sh\n[^`]*manage.py check --deploy")
	if !sudoCmd.Match(md) || !plainCmd.Match(md) {
		t.Fatalf("the Markdown does not say which command ran through sudo:\n%s", md)
	}
	if n := strings.Count(string(md), "through sudo"); n != 1 {
		t.Fatalf("the Markdown says \"through sudo\" %d times, want once (restart)", n)
	}

	for _, c := range []struct {
		name   string
		change func(tr *Transcript)
	}{
		{"restart's sudo dropped", func(tr *Transcript) { setSudo(tr, "restart", false) }},
		{"sudo added to check-deploy", func(tr *Transcript) { setSudo(tr, "check-deploy", true) }},
		{"restart's start says user, chain made whole", func(tr *Transcript) {
			for i := range tr.Events {
				if e := &tr.Events[i]; e.Type == EvStepStarted && e.Step == "restart" {
					e.Start.RunAs = RunAsUser
				}
			}
			rechain(tr.Events)
		}},
		{"restart's stated attempt says user", func(tr *Transcript) {
			for i := range tr.Steps {
				if ts := &tr.Steps[i]; ts.ID == "restart" {
					ts.Attempts[0].Start.RunAs = RunAsUser
				}
			}
		}},
	} {
		rep := VerifyTranscript(edit(t, js, c.change))
		if got := checkNames(rep); rep.OK() || !got["hash chain"] || got["consistency"] {
			t.Errorf("%s: %+v", c.name, rep.Checks)
		}
	}
}

func setSudo(tr *Transcript, id string, sudo bool) {
	for i := range tr.Steps {
		if tr.Steps[i].ID == id {
			tr.Steps[i].Sudo = sudo
		}
	}
}

// TestReplayRefusesWrongRunAs: a journal whose start says otherwise than
// the runbook's sudo does not replay; one that says nothing (an older
// golive's) does.
func TestReplayRefusesWrongRunAs(t *testing.T) {
	for _, c := range []struct {
		step, as, want string
	}{
		{"restart", RunAsUser, "ran as the login user, but the step runs through sudo"},
		{"check-deploy", RunAsSudo, "ran through sudo, but the step does not use sudo"},
		{"restart", "root", `run_as "root" is unknown`},
		{"restart", "", ""},
		{"restart", RunAsSudo, ""},
	} {
		s := NewSession(testPlan(), fixedClock())
		evs := run(t, s, begin(), start(c.step))
		evs[1].Start.RunAs = c.as
		rechain(evs)
		_, err := Replay(testPlan(), evs)
		if (c.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s started with run_as %q: Replay = %v, want %q", c.step, c.as, err, c.want)
		}
	}
}
