package runbook

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// TranscriptOptions adjusts the Markdown transcript.
type TranscriptOptions struct {
	// JSONDigest is the hex SHA-256 of the JSON transcript and
	// SignerFingerprint the SHA256:... fingerprint of the key that signed
	// it; when set they are printed in a Verification section, binding the
	// printed checklist to the signed record.
	JSONDigest        string
	SignerFingerprint string
	// JSONName is the JSON transcript's file name, for the verify hint.
	JSONName string
	// OutputLines is how many of the last output lines each step shows;
	// 0 means 40.
	OutputLines int
}

// WriteMarkdown writes the run as a readable, printable signed-off
// checklist: the run's header (runbook, content hash, hosts, operator,
// times, verdict), then every step under its section with its status box,
// verdict, who and when, note, command, exit, duration, expectations, risk,
// rollback and an output excerpt. Times are UTC RFC 3339; terminal escape
// sequences are stripped. It returns the first write error.
func (s *Session) WriteMarkdown(w io.Writer, opt TranscriptOptions) error {
	if opt.OutputLines <= 0 {
		opt.OutputLines = 40
	}
	bw := bufio.NewWriter(w)
	m := &mdWriter{w: bw, s: s, opt: opt}
	m.header()
	m.summary()
	for si := range s.plan.Runbook.Sections {
		m.section(si + 1)
	}
	m.verification()
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("runbook: write transcript: %w", err)
	}
	return nil
}

type mdWriter struct {
	w   *bufio.Writer
	s   *Session
	opt TranscriptOptions
}

func (m *mdWriter) p(format string, args ...any) { fmt.Fprintf(m.w, format, args...) }

func (m *mdWriter) header() {
	s := m.s
	info := s.Info()
	title := info.Title
	if title == "" {
		title = info.RunbookID
	}
	m.p("# Release transcript: %s\n\n", oneLine(title))
	// The header counts applicable steps only: "3 of 81 settled" would
	// count steps that needed no work as done.
	done, total := 0, 0
	for _, r := range s.steps {
		if r.ps.Applicable {
			total++
			if r.signOff != nil {
				done++
			}
		}
	}
	m.p("| | |\n|---|---|\n")
	m.p("| Runbook | %s |\n", cell(info.RunbookID+fileSuffix(info.RunbookFile)))
	m.p("| Content hash | `sha256:%s` |\n", cell(info.RunbookHash))
	m.p("| Run | %s |\n", cell(info.ID))
	m.p("| Host(s) | %s |\n", cell(strings.Join(m.hosts(info.Host), ", ")))
	m.p("| Operator | %s |\n", cell(info.Operator))
	m.p("| Started | %s |\n", stamp(s.Started()))
	ended := "not finished"
	if !s.Ended().IsZero() {
		ended = stamp(s.Ended())
	}
	m.p("| Ended | %s |\n", ended)
	m.p("| Verdict | **%s** (%d of %d applicable steps signed off) |\n", strings.ToUpper(string(s.Verdict())), done, total)
	if info.Auto {
		m.p("| Sign-offs | automatic (--yes): golive signed off steps by itself |\n")
	} else {
		m.p("| Sign-offs | by the operator, step by step |\n")
	}
	if info.GoliveVersion != "" {
		m.p("| golive | %s |\n", cell(info.GoliveVersion))
	}
	m.p("\n")
	if note := s.FinishNote(); note != "" {
		m.p("Closing note: %s\n\n", oneLine(note))
	}
	if len(info.Vars) > 0 {
		m.p("Variables (secrets masked):\n\n")
		for _, v := range s.plan.Runbook.Variables {
			if val, ok := info.Vars[v.Name]; ok {
				m.p("- `%s` = `%s`\n", v.Name, oneLine(val))
			}
		}
		m.p("\n")
	}
	for _, hk := range s.HostKeys() {
		m.p("Host key accepted for %s: %s `%s`\n\n", oneLine(hk.Host), oneLine(hk.Type), oneLine(hk.Fingerprint))
	}
	for _, c := range s.Connections() {
		m.p("Connection to %s %s%s\n\n", oneLine(c.Host), c.State, detail(c.Detail))
	}
	for _, n := range s.Notes() {
		m.p("Note (%s): %s\n\n", stamp(n.Time), oneLine(n.Text))
	}
}

// summary lists every step with its box on one line each: the checklist
// at a glance, before the details.
func (m *mdWriter) summary() {
	m.p("## Checklist\n\n")
	for _, r := range m.s.steps {
		st := m.s.Step(r.ps.Step.ID)
		b, word := box(st, r.ps.Applicable)
		line := fmt.Sprintf("- %s %s: %s (%s", b, r.ps.Step.ID, oneLine(r.ps.Step.Title), word)
		switch {
		case st.SignOff != nil && st.SignOff.Auto:
			line += ", automatic"
		case st.SignOff != nil:
			line += ", by " + oneLine(st.SignOff.Operator)
		}
		m.p("%s)\n", line)
	}
	m.p("\n")
}

// hosts lists the run's host and every other host a step ran on.
func (m *mdWriter) hosts(first string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(h string) {
		if h != "" && !seen[h] {
			seen[h] = true
			out = append(out, oneLine(h))
		}
	}
	add(first)
	for _, r := range m.s.steps {
		for _, a := range r.attempts {
			add(a.Start.Host)
		}
	}
	return out
}

func (m *mdWriter) section(n int) {
	sec := &m.s.plan.Runbook.Sections[n-1]
	m.p("## %d. %s\n\n", n, oneLine(sec.Title))
	for _, r := range m.s.steps {
		if r.ps.Section == sec || (r.ps.Section != nil && r.ps.Section.ID == sec.ID) {
			m.step(r)
		}
	}
}

// box returns a step's status box and its verdict word.
func box(st StepState, applicable bool) (string, string) {
	switch {
	case st.SignOff != nil:
		switch st.Verdict {
		case VerdictPassed:
			return "[x]", "passed"
		case VerdictFailed:
			return "[!]", "FAILED"
		case VerdictSkipped:
			return "[-]", "skipped"
		}
		return "[n/a]", "not applicable"
	case !applicable:
		return "[n/a]", "not applicable"
	}
	return "[ ]", "not signed off, " + strings.ReplaceAll(string(st.Status), "_", " ")
}

func (m *mdWriter) step(r *stepRec) {
	step := r.ps.Step
	st := m.s.Step(step.ID)
	b, word := box(st, r.ps.Applicable)
	m.p("### %s %s: %s\n\n", b, step.ID, oneLine(step.Title))
	if so := st.SignOff; so != nil {
		m.p("**%s**, signed off %s at %s.", word, signer(so), stamp(so.Time))
	} else {
		m.p("**%s**.", word)
	}
	if !r.ps.Applicable && r.ps.Reason != "" {
		m.p(" Condition false: %s.", oneLine(r.ps.Reason))
	}
	m.p("\n\n")
	if step.Why != "" {
		m.p("_%s_\n\n", oneLine(step.Why))
	}
	// One bullet list of facts, then the command and output blocks.
	var facts []string
	if so := st.SignOff; so != nil && so.Note != "" {
		facts = append(facts, "Note: "+oneLine(so.Note))
	}
	for _, n := range st.Notes {
		facts = append(facts, fmt.Sprintf("Note (%s): %s", stamp(n.Time), oneLine(n.Text)))
	}
	a := st.Last()
	if step.Risk == RiskHigh {
		confirmed := "not run"
		if a != nil {
			confirmed = "NOT confirmed"
			if a.Start.Confirmed {
				confirmed = "confirmed by typing before it ran"
			}
		}
		facts = append(facts, "Risk: **high**, "+confirmed)
	}
	if st.Rollback {
		facts = append(facts, "Rollback chosen"+detail(st.RollbackNote))
		if step.Rollback != "" {
			facts = append(facts, "Rollback advice: "+oneLine(step.Rollback))
		}
	}
	earlier := st.SignOffs
	if st.SignOff != nil {
		earlier = earlier[:len(earlier)-1]
	}
	for _, so := range earlier {
		facts = append(facts, fmt.Sprintf("Earlier sign-off: %s %s at %s%s", so.Verdict, signer(&so), stamp(so.Time), detail(so.Note)))
	}
	for _, prev := range st.Attempts[:max(len(st.Attempts)-1, 0)] {
		facts = append(facts, fmt.Sprintf("Attempt %d: %s", prev.N, outcome(&prev)))
	}
	if a != nil {
		facts = append(facts, attemptFacts(a, len(st.Attempts) > 1)...)
	}
	for _, f := range facts {
		m.p("- %s\n", f)
	}
	if len(facts) > 0 {
		m.p("\n")
	}
	if a != nil {
		m.attempt(a, step.Sudo)
	}
	if len(step.Checklist) > 0 {
		mark := "[ ]"
		if st.Verdict == VerdictPassed {
			mark = "[x]"
		}
		m.p("Checklist:\n\n")
		for _, item := range step.Checklist {
			m.p("- %s %s\n", mark, oneLine(item))
		}
		m.p("\n")
	}
}

func signer(so *SignOff) string {
	if so.Auto {
		return "automatically (--yes)"
	}
	return "by " + oneLine(so.Operator)
}

// attemptFacts lists how an attempt went, for the step's bullet list.
func attemptFacts(a *Attempt, numbered bool) []string {
	label := ""
	if numbered {
		label = fmt.Sprintf("Attempt %d: ", a.N)
	}
	facts := []string{label + outcome(a)}
	where := "Started " + stamp(a.Started)
	switch {
	case a.Start.Where == string(KindLocal):
		where += " on the operator's machine"
	case a.Start.Host != "":
		where += " on " + oneLine(a.Start.Host)
	}
	facts = append(facts, where)
	if wait, ok := a.LaunchWait(); ok && wait >= time.Second {
		// Worth a line only when the host made golive wait: a slow login
		// shell delays the job, and the exit's duration is the job's own.
		facts = append(facts, fmt.Sprintf("The host confirmed the job started %s, %s after golive asked", stamp(a.Launched), duration(wait)))
	}
	if a.InterruptNote != "" {
		f := "Interrupted: " + oneLine(a.InterruptNote)
		for _, t := range a.Resumed {
			f += "; reattached " + stamp(t)
		}
		facts = append(facts, f)
	}
	said := StatedByOutcome(a.Exit)
	for _, f := range a.Failures {
		if f == said && said != "" {
			continue // the outcome line gave it, error and all
		}
		facts = append(facts, "Expectation not met: "+oneLine(f))
	}
	return facts
}

// attempt writes the attempt's command, saying whether it ran through
// sudo, and the end of its output.
func (m *mdWriter) attempt(a *Attempt, sudo bool) {
	if sudo {
		m.p("Command, run through sudo (as root):\n\n")
	} else {
		m.p("Command:\n\n")
	}
	// Split before stripping: stripANSI drops newlines with the other
	// control characters.
	cmd := strings.Split(strings.TrimRight(a.Start.Command, "\n"), "\n")
	for i := range cmd {
		cmd[i] = stripANSI(cmd[i])
	}
	fenced(m.w, "sh", cmd)
	m.p("\n")
	lines := a.Excerpt()
	if len(lines) == 0 {
		m.p("No output.\n\n")
		return
	}
	text := outputText(lines)
	if len(text) > m.opt.OutputLines {
		text = text[len(text)-m.opt.OutputLines:]
	}
	legend := "(`!` marks stderr, `#` golive's remarks)"
	if slices.ContainsFunc(text, isRest) {
		legend = "(`!` marks stderr, `#` golive's remarks, `…` the rest of a line begun earlier)"
	}
	if int64(len(text)) < a.OutputLines {
		m.p("Output, last %d of %d lines %s:\n\n", len(text), a.OutputLines, legend)
	} else {
		m.p("Output, %s %s:\n\n", plural(a.OutputLines, "line"), legend)
	}
	fenced(m.w, "", text)
	m.p("\nOutput SHA-256 `%s`%s\n\n", a.OutputSHA256, digestRule(a.Start.OutputDigest))
}

// outputText renders the excerpt's lines for the transcript, each after a
// mark of its stream. The excerpt has already put each rest of a line
// (Cont) on its stream's last line ("  Applying app.0002_x... OK"), also
// across another stream's lines, as the terminal UI and the expectations
// read it (keep); a Cont line still in it had no line of its stream
// before it there (its line was omitted, or came before the run), so it
// is shown with "…" after the mark (restMark), so that it never reads as
// a line the command began. Escapes are stripped from the joined text, so
// that one split between the two parts goes too.
func outputText(lines []OutputLine) []string {
	text := make([]string, len(lines))
	for i, l := range lines {
		mark := " "
		switch l.Stream {
		case StreamStderr:
			mark = "!"
		case StreamInfo:
			mark = "#"
		}
		sep := " "
		if l.Cont {
			sep = restMark
		}
		text[i] = mark + sep + stripANSI(l.Text)
	}
	return text
}

// restMark stands between the stream's mark and the text of a Cont line
// shown on its own, where every other line has a space: no output can
// make a line look like one.
const restMark = "…"

// isRest reports whether a line outputText wrote is a Cont line on its own.
func isRest(line string) bool {
	return len(line) > 1 && strings.HasPrefix(line[1:], restMark)
}

// digestRule says what an attempt's output digest covers, when it is not
// every line (docs/transcript.md, "The output digest"): a reviewer
// recomputing it by hand needs to know.
func digestRule(rule string) string {
	if rule == DigestRecords {
		return ", over the hashes of the attempt's step.output records in journal order (docs/transcript.md)"
	}
	return ""
}

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// outcome sums up how an attempt ended: exit, duration, expectations. A
// timed-out or canceled attempt reads as the screen words it ("timed out
// after 2s"), then the signal that stopped it.
func outcome(a *Attempt) string {
	var b strings.Builder
	x := a.Exit
	switch {
	case x == nil && a.Interrupted:
		b.WriteString("interrupted, no exit status")
	case x == nil:
		b.WriteString("running, no exit status yet")
	case x.Unknown:
		fmt.Fprintf(&b, "exit status UNKNOWN after %s", duration(x.Duration))
	case x.TimedOut, x.Canceled:
		what := "timed out"
		if !x.TimedOut {
			what = "canceled"
		}
		fmt.Fprintf(&b, "%s after %s", what, duration(x.Duration))
		if x.Signal != "" {
			fmt.Fprintf(&b, " (killed by signal %s)", x.Signal)
		}
		if x.TimedOut && x.Canceled {
			b.WriteString(" (canceled)")
		}
	case x.Signal != "":
		fmt.Fprintf(&b, "killed by signal %s after %s", x.Signal, duration(x.Duration))
	case x.Error != "" && x.Code < 0:
		fmt.Fprintf(&b, "could not run after %s", duration(x.Duration)) // the error follows; -1 is no exit code
	default:
		fmt.Fprintf(&b, "exit code %d after %s", x.Code, duration(x.Duration))
	}
	if x != nil {
		if x.Error != "" {
			fmt.Fprintf(&b, " (%s)", oneLine(x.Error))
		}
		if a.ExpectationsMet {
			b.WriteString("; expectations met")
		} else {
			b.WriteString("; expectations NOT met")
		}
	}
	return b.String()
}

func (m *mdWriter) verification() {
	if m.opt.JSONDigest == "" && m.opt.SignerFingerprint == "" {
		return
	}
	m.p("## Verification\n\n")
	name := m.opt.JSONName
	if name == "" {
		name = "the JSON transcript"
	}
	if m.opt.JSONDigest != "" {
		m.p("- SHA-256 of %s: `%s`\n", oneLine(name), oneLine(m.opt.JSONDigest))
	}
	if m.opt.SignerFingerprint != "" {
		m.p("- Signed by the key `%s` (namespace `golive-transcript`)\n", oneLine(m.opt.SignerFingerprint))
	}
	if m.opt.JSONName == "" {
		name = "TRANSCRIPT.json"
	}
	m.p("- Check it with `golive verify %s`; this printed checklist is only a view of that record.\n\n", oneLine(name))
}
