package ui

import (
	"strings"
	"testing"

	"golive/runbook"
	"golive/sshexec"
)

// The rest of a line delivered in part (a migration's " OK" after its
// "Applying ..." line) reads as one line on screen, and the journal keeps
// it marked as the rest, so a replay (resume) joins it the same way.
func TestRunShowsTheRestOfALineOnIt(t *testing.T) {
	ex := newFakeExec("web1")
	lines := out(sshexec.Stdout, "Operations to perform:", "  Applying app.0001_initial...")
	end := lines[len(lines)-1].Offset
	lines = append(lines, sshexec.Line{Stream: sshexec.Stdout, Text: " OK", Cont: true, Offset: end + 4, Time: lines[0].Time})
	lines = append(lines, sshexec.Line{Stream: sshexec.Stdout, Text: "  Applying app.0002_more...", Offset: end + 31, Time: lines[0].Time})
	lines = append(lines, sshexec.Line{Stream: sshexec.Stdout, Text: " OK", Cont: true, Offset: end + 35, Time: lines[0].Time})
	ex.on("manage.py check", &fakeJob{lines: lines})
	m := started(t, ex, 100, 30)
	m = press(t, m, "enter")
	s := screen(m)
	for _, want := range []string{"  Applying app.0001_initial... OK", "  Applying app.0002_more... OK"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, contMark+" OK") {
		t.Errorf("screen marks a rest that follows its line:\n%s", s)
	}
	var got []runbook.OutputLine
	for _, e := range journal(t, m) {
		if e.Type == runbook.EvOutput {
			got = append(got, e.Lines...)
		}
	}
	if len(got) != 5 || got[2].Text != " OK" || !got[2].Cont || got[1].Cont || got[3].Cont || !got[4].Cont {
		t.Fatalf("journaled lines %+v", got)
	}
	// A model rebuilt from the journal (resume) shows the same.
	r := newRing()
	r.add(got)
	if r.len() != 3 || r.at(1).text != "  Applying app.0001_initial... OK" {
		t.Fatalf("replayed ring: %q", heldTexts(r))
	}
}
