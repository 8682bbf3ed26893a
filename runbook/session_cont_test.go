package runbook

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// outLines sends lines exactly as given (Cont flags included).
func outLines(id string, lines ...OutputLine) op {
	return func(s *Session) (Event, error) { return s.Output(id, lines) }
}

// rest is a Cont line: the rest of the stream's line before.
func rest(st Stream, text string) OutputLine {
	return OutputLine{Time: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC), Stream: st, Text: text, Cont: true}
}

// line is an ordinary line.
func line(st Stream, text string) OutputLine {
	return OutputLine{Time: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC), Stream: st, Text: text}
}

// migrateWithRests runs the migrate step as Django prints it: each
// migration's "... OK" arrives after the line's start was delivered on
// its own. 0002's rest comes in the next batch; 0003's after a stderr
// line; the run is interrupted and reattached before 0004's rest.
func migrateWithRests() []op {
	return []op{begin(), startJob("migrate", "job-1", true),
		outLines("migrate", line(StreamStdout, "Running migrations:"),
			line(StreamStdout, "  Applying shop.0001_initial...")),
		outLines("migrate", rest(StreamStdout, " OK"), line(StreamStdout, "  Applying shop.0002_total...")),
		outLines("migrate", rest(StreamStdout, " OK"), line(StreamStdout, "  Applying shop.0003_index\x1b[1m...")),
		outLines("migrate", line(StreamStderr, "warning: table shop_order is big")),
		outLines("migrate", rest(StreamStdout, "\x1b[0m OK"), line(StreamStdout, "  Applying shop.0004_note...")),
		interrupt("migrate"), startJob("migrate", "job-1", true),
		outLines("migrate", rest(StreamStdout, " OK")),
		exit("migrate", 0), sign("migrate", VerdictPassed, ""),
	}
}

// A rest adds no line to the attempt's count; the excerpt holds each
// line joined with its rest, also when another stream's line came
// between; a replay of the journaled events gives the same attempt.
func TestSessionJoinsRests(t *testing.T) {
	s := NewSession(testPlan(), fixedClock())
	evs := run(t, s, migrateWithRests()...)
	a := s.Step("migrate").Last()
	if a.OutputLines != 6 {
		t.Errorf("OutputLines %d, want 6 (a rest is no line of its own)", a.OutputLines)
	}
	var got []string
	for _, l := range a.Excerpt() {
		got = append(got, fmt.Sprintf("%s %v %q", l.Stream, l.Cont, l.Text))
	}
	want := []string{
		`stdout false "Running migrations:"`,
		`stdout false "  Applying shop.0001_initial... OK"`,
		`stdout false "  Applying shop.0002_total... OK"`,
		`stdout false "  Applying shop.0003_index\x1b[1m...\x1b[0m OK"`,
		`stderr false "warning: table shop_order is big"`,
		`stdout false "  Applying shop.0004_note... OK"`,
	}
	if !slices.Equal(got, want) {
		t.Fatalf("excerpt\n got %q\nwant %q", got, want)
	}
	if ev := s.Step("migrate").SignOff.Evidence; ev.OutputLines != 6 {
		t.Errorf("evidence states %d lines, want 6", ev.OutputLines)
	}
	r, err := Replay(testPlan(), evs)
	if err != nil {
		t.Fatal(err)
	}
	if ra := r.Step("migrate").Last(); !reflect.DeepEqual(ra.Excerpt(), a.Excerpt()) || ra.OutputLines != a.OutputLines {
		t.Fatalf("replay gives %d lines %+v", ra.OutputLines, ra.Excerpt())
	}
}

// The Markdown transcript prints a rest on its line ("Applying ... OK"),
// also when a stderr line came between; escapes split between a line's
// start and its rest are stripped whole.
func TestMarkdownJoinsRests(t *testing.T) {
	s := NewSession(testPlan(), fixedClock())
	run(t, s, migrateWithRests()...)
	var buf bytes.Buffer
	if err := s.WriteMarkdown(&buf, TranscriptOptions{}); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{
		"Output, 6 lines (`!` marks stderr, `#` golive's remarks):\n",
		"\n  Running migrations:\n" +
			"    Applying shop.0001_initial... OK\n" +
			"    Applying shop.0002_total... OK\n" +
			"    Applying shop.0003_index... OK\n" +
			"! warning: table shop_order is big\n" +
			"    Applying shop.0004_note... OK\n```\n",
	} {
		if !strings.Contains(md, want) {
			t.Fatalf("Markdown transcript lacks %q:\n%s", want, md)
		}
	}
	if strings.ContainsRune(md, 0x1b) || strings.Contains(md, "[0m") {
		t.Fatal("an escape split between a line and its rest reached the transcript")
	}
}

// When lines were left out of the excerpt, a rest whose line may be one
// of them is not put on an older line of its stream shown above them.
func TestMarkdownRestAfterOmitted(t *testing.T) {
	s := NewSession(testPlan(), fixedClock())
	batch := []OutputLine{line(StreamStderr, "E1 whole"), line(StreamStderr, "E2 begun...")}
	for i := range ExcerptTail + 50 {
		batch = append(batch, line(StreamStdout, fmt.Sprintf("line %d", i)))
	}
	run(t, s, begin(), startJob("migrate", "job-1", true), outLines("migrate", batch[:1]...),
		outLines("migrate", batch[1:]...), outLines("migrate", rest(StreamStderr, " done")), exit("migrate", 0))
	if a := s.Step("migrate").Last(); a.Omitted == 0 {
		t.Fatal("nothing omitted: the test does not test")
	}
	var buf bytes.Buffer
	if err := s.WriteMarkdown(&buf, TranscriptOptions{OutputLines: 1000}); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	if !strings.Contains(md, "\n! E1 whole\n") || !strings.Contains(md, "\n!… done\n") {
		t.Fatalf("the rest of an omitted line is not shown on its own:\n%s", md)
	}
}

// The excerpt joins and outputText marks as the Markdown transcript
// shows: a rest on the last line of its stream, also across another
// stream's lines; on its own after "…" when it is the first line of its
// stream; an ordinary line that starts with "…" keeps the space after its
// mark.
func TestOutputText(t *testing.T) {
	s := NewSession(testPlan(), fixedClock())
	run(t, s, begin(), startJob("migrate", "job-1", true), outLines("migrate",
		rest(StreamStderr, "tail of an earlier line"),
		rest(StreamStderr, " and more"),
		line(StreamStdout, "…not a rest"),
		rest(StreamInfo, "reconnected"),
		line(StreamInfo, "note"), rest(StreamInfo, " (2)"), rest(StreamInfo, " (3)"),
		line(StreamStdout, "Applying x..."), line(StreamStderr, "warning"), rest(StreamStdout, " OK"),
	), exit("migrate", 0))
	got := outputText(s.Step("migrate").Last().Excerpt())
	want := []string{"!…tail of an earlier line and more", "  …not a rest", "#…reconnected", "# note (2) (3)",
		"  Applying x... OK", "! warning"}
	if !slices.Equal(got, want) {
		t.Fatalf("outputText\n got %q\nwant %q", got, want)
	}
	if !isRest(got[0]) || isRest(got[1]) || isRest(got[3]) {
		t.Fatal("isRest misreads the marks")
	}
}

// An expectation reads a line and its rest as one line, as if it had come
// whole: a pattern matching only the start no longer counts, one
// matching the whole line does, at that line's number; a rest after
// another stream's line still completes its own stream's line.
func TestCheckerJoinsRests(t *testing.T) {
	c, err := NewChecker(Expect{Match: []string{`^  Applying shop\.0002_x\.\.\. OK$`},
		NotMatch: []string{`\.\.\.$`, `FAILED`}})
	if err != nil {
		t.Fatal(err)
	}
	c.Output([]OutputLine{line(StreamStdout, "Running migrations:"), line(StreamStdout, "  Applying shop.0002_x...")})
	if met, _ := c.Result(ExitInfo{}); met {
		t.Fatal("met before the line's rest came")
	}
	c.Output([]OutputLine{line(StreamStderr, "note"), line(StreamInfo, "reconnected"), rest(StreamStdout, " OK")})
	if met, f := c.Result(ExitInfo{}); !met || c.Lines() != 3 {
		t.Fatalf("after the rest: met %v %q, %d lines (want met, 3 lines)", met, f, c.Lines())
	}
	c.Output([]OutputLine{line(StreamStdout, "  Applying shop.0003_y..."), rest(StreamStdout, " FAIL"), rest(StreamStdout, "ED")})
	met, f := c.Result(ExitInfo{})
	if met || !slices.Equal(f, []string{`output matched forbidden "FAILED": line 4`}) {
		t.Fatalf("a forbidden word split over two rests: met %v %q", met, f)
	}
	// A rest with no line of its stream before it is checked as a line.
	c2, _ := NewChecker(Expect{Match: []string{"^ OK$"}})
	c2.Output([]OutputLine{rest(StreamStdout, " OK")})
	if met, f := c2.Result(ExitInfo{}); !met || c2.Lines() != 1 {
		t.Fatalf("a first rest: met %v %q", met, f)
	}
}

// keep's excerpt is, for any output cut into any batches, what reading
// the lines one at a time gives: a rest joined to its stream's last line
// while the excerpt holds that line (in the Tail ring, or in Head when
// nothing was omitted), else kept on its own, still Cont; the first
// ExcerptHead such lines, the last ExcerptTail after them, and the count
// of those between, whether a batch fills the ring or not.
func TestExcerptJoinsRests(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	streams := []Stream{StreamStdout, StreamStdout, StreamStdout, StreamStderr, StreamInfo}
	for trial := range 300 {
		streams := streams
		a := newAttempt(1, StartInfo{}, time.Time{}, &Checker{})
		var all []OutputLine
		n := rng.IntN(900)
		contEvery := 2 + rng.IntN(30)
		if trial%3 == 0 { // stderr rare: its last line is often only in Head, or omitted
			streams = append(slices.Repeat([]Stream{StreamStdout}, 300), StreamStderr)
		}
		for i := 0; i < n; {
			size := 1 + rng.IntN(40)
			if rng.IntN(6) == 0 {
				size = ExcerptTail + rng.IntN(300)
			}
			var batch []OutputLine
			for ; size > 0 && i < n; size-- {
				batch = append(batch, OutputLine{Stream: streams[rng.IntN(len(streams))],
					Text: fmt.Sprintf("<%d>", i), Cont: rng.IntN(contEvery) == 0})
				i++
			}
			all = append(all, batch...)
			a.add(batch, "")
		}
		var rows []OutputLine // the lines read one at a time
		for _, l := range all {
			if l.Cont {
				r := len(rows) - 1
				for r >= 0 && rows[r].Stream != l.Stream {
					r--
				}
				omitted := len(rows) - ExcerptHead - ExcerptTail
				if r >= 0 && (omitted <= 0 || r >= len(rows)-ExcerptTail) {
					rows[r].Text += l.Text
					continue
				}
			}
			rows = append(rows, l)
		}
		head := rows[:min(len(rows), ExcerptHead)]
		tail := rows[len(head):]
		omitted := max(0, len(tail)-ExcerptTail)
		tail = tail[omitted:]
		got := a.snapshot()
		texts := func(ls []OutputLine) []string {
			var s []string
			for _, l := range ls {
				s = append(s, fmt.Sprintf("%s/%v/%s", l.Stream, l.Cont, l.Text))
			}
			return s
		}
		if !slices.Equal(texts(got.Head), texts(head)) || !slices.Equal(texts(got.Tail), texts(tail)) || got.Omitted != int64(omitted) {
			t.Fatalf("trial %d (%d lines): excerpt\n head %q\n want %q\n tail %q\n want %q\n omitted %d, want %d",
				trial, len(all), texts(got.Head), texts(head), texts(got.Tail), texts(tail), got.Omitted, omitted)
		}
		conts := 0
		for _, l := range all {
			if l.Cont {
				conts++
			}
		}
		if got.OutputLines != int64(len(all)-conts) {
			t.Fatalf("trial %d: OutputLines %d, want %d", trial, got.OutputLines, len(all)-conts)
		}
	}
}
