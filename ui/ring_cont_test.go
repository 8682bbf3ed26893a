package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"golive/runbook"
)

func stdout(text string) runbook.OutputLine {
	return runbook.OutputLine{Stream: runbook.StreamStdout, Text: text}
}

func rest(s runbook.Stream, text string) runbook.OutputLine {
	return runbook.OutputLine{Stream: s, Text: text, Cont: true}
}

func heldTexts(r *ring) []string {
	var out []string
	for i := range r.len() {
		out = append(out, r.at(i).text)
	}
	return out
}

// The rest of a line delivered in part goes on that line, in the same
// batch or a later one, before or after the line was shown, and is no line
// of its own.
func TestRingJoinsTheRestOfALine(t *testing.T) {
	r := newRing()
	r.add([]runbook.OutputLine{stdout("Operations to perform:"), stdout("  Applying app.0001_initial...")})
	if got := r.at(1).text; got != "  Applying app.0001_initial..." { // shown while the migration runs
		t.Fatalf("partial line shown as %q", got)
	}
	r.add([]runbook.OutputLine{rest(runbook.StreamStdout, " OK"), stdout("  Applying app.0002_x..."), rest(runbook.StreamStdout, "..."), rest(runbook.StreamStdout, " OK\t(1.2s)")})
	want := []string{"Operations to perform:", "  Applying app.0001_initial... OK", "  Applying app.0002_x...... OK  (1.2s)"} // the tab stop counts the whole line
	if got := heldTexts(r); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("held %q, want %q", got, want)
	}
	if r.total != 3 || r.lines != 3 {
		t.Fatalf("total %d lines %d, want 3 3", r.total, r.lines)
	}
}

// A rest goes on its stream's newest line even when another stream's
// line came between (stdout and stderr are followed apart, so they race);
// a rest whose beginning the ring never saw (a resumed step) is a line of
// its own, marked as the rest of a line.
func TestRingJoinsTheRestAcrossOtherStreams(t *testing.T) {
	r := newRing()
	r.add([]runbook.OutputLine{rest(runbook.StreamStdout, " OK (resumed)")})
	r.add([]runbook.OutputLine{stdout("  Applying app.0003..."),
		{Stream: runbook.StreamStderr, Text: "warning: slow"}, rest(runbook.StreamStdout, " OK"),
		{Stream: runbook.StreamInfo, Text: "reconnected"}, rest(runbook.StreamStderr, " later")})
	want := []string{contMark + " OK (resumed)", "  Applying app.0003... OK", "warning: slow later", "reconnected"}
	if got := heldTexts(r); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("held %q, want %q", got, want)
	}
	if r.total != 4 || r.stderr != 1 || r.lines != 3 {
		t.Fatalf("total %d stderr %d lines %d, want 4 1 3", r.total, r.stderr, r.lines)
	}
}

// A batch larger than the ring: a rest whose beginning falls off unseen
// is marked; one whose beginning is held joins it; neither is counted
// twice.
func TestRingJoinsAcrossDroppedLines(t *testing.T) {
	r := newRing()
	var batch []runbook.OutputLine
	batch = append(batch, stdout("dropped..."), rest(runbook.StreamStdout, " gone too"))
	for range ringLines - 1 {
		batch = append(batch, stdout("x"))
	}
	batch = append(batch, stdout("last..."))
	r.add(batch)
	r.add([]runbook.OutputLine{rest(runbook.StreamStdout, " done")})
	if r.total != int64(ringLines)+1 {
		t.Fatalf("total %d, want %d", r.total, ringLines+1)
	}
	if got := r.at(r.len() - 1).text; got != "last... done" {
		t.Fatalf("newest line %q", got)
	}
	// The rest of a line dropped in the same batch is dropped with it.
	r2 := newRing()
	batch = []runbook.OutputLine{stdout("a..."), rest(runbook.StreamStdout, " ok")}
	for range ringLines {
		batch = append(batch, stdout("y"))
	}
	batch[len(batch)-ringLines] = rest(runbook.StreamStdout, " rest of y")
	r2.add(batch)
	if got := r2.at(0).text; got != contMark+" rest of y" {
		t.Fatalf("oldest held line %q: a rest whose beginning fell off must be marked", got)
	}
}

// A line cut for display takes no rest; a join that makes a line too long
// cuts it.
func TestRingJoinKeepsLinesBounded(t *testing.T) {
	r := newRing()
	long := strings.Repeat("x", maxShownBytes-10)
	r.add([]runbook.OutputLine{stdout(long)})
	r.add([]runbook.OutputLine{rest(runbook.StreamStdout, strings.Repeat("y", 100))})
	got := r.at(0).text
	if len(got) > maxShownBytes || !strings.HasPrefix(got, "xxx") {
		t.Fatalf("joined long line: %d bytes", len(got))
	}
	r.add([]runbook.OutputLine{rest(runbook.StreamStdout, "zzz")})
	if again := r.at(0).text; again != got {
		t.Fatal("a line cut for display changed with a later rest")
	}
	if r.total != 1 {
		t.Fatalf("total %d", r.total)
	}
}

// A search finds what the rest of a line brought, once: the line it went
// on is searched again, not counted twice.
func TestPaneSearchFindsAJoinedRest(t *testing.T) {
	k := defaultKeyMap()
	r := newRing()
	p := newOutputPane(defaultStyles())
	p.setSize(80, 8)
	p.show("s", r)
	r.add([]runbook.OutputLine{stdout("  Applying app.0001... OK"), stdout("  Applying app.0002...")})
	p.appended(r, 0)
	p.startSearch()
	for _, c := range "ok" {
		p, _ = p.updateInput(tea.KeyPressMsg{Code: c, Text: string(c)}, k)
	}
	p, _ = p.updateInput(tea.KeyPressMsg{Code: tea.KeyEnter}, k)
	if len(p.matches) != 1 {
		t.Fatalf("%d matches, want 1", len(p.matches))
	}
	from := r.total
	r.add([]runbook.OutputLine{{Stream: runbook.StreamStderr, Text: "a warning"}})
	p.appended(r, from)
	from = r.total
	r.add([]runbook.OutputLine{rest(runbook.StreamStdout, " OK")})
	p.appended(r, from)
	if len(p.matches) != 2 || p.matches[1] != 1 {
		t.Fatalf("matches %v after the rest, want [0 1]", p.matches)
	}
	from = r.total
	r.add([]runbook.OutputLine{stdout("done")})
	p.appended(r, from)
	if len(p.matches) != 2 {
		t.Fatalf("matches %v after a line without the query", p.matches)
	}
	if v := ansi.Strip(p.view()); !strings.Contains(v, "Applying app.0002... OK") || !strings.Contains(v, "of 2") {
		t.Fatalf("view:\n%s", v)
	}
}
