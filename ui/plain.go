package ui

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"golive/runbook"
	"golive/sshexec"
)

// Plain mode walks a release without a TUI, for scripts, CI and
// terminals that cannot take one: the same Release (every event journaled
// before it is shown), the same redaction and sanitizing, output line by
// line. What it prints:
//
//	== [12/81] migrate: Apply the migrations (risk: high)   a step's header
//	   why: …  / $ command / [ ] checklist item            what the step is
//	  | text                                                the command's stdout
//	  ! text                                                its stderr
//	-- text                                                 golive's own remarks
//
// Sign-offs are read from In: a verdict line, then a note line.

// plain is one plain-mode walk.
type plain struct {
	opts Options
	po   PlainOptions
	rel  *Release
	in   <-chan string
	// want asks the reader for one more line of In. In is read only while
	// a question waits for its answer, so a passphrase can be read from
	// the same terminal without echo in between (see passphrase).
	want chan<- struct{}
	// asking is true while a line is asked for and not yet answered; eof
	// once In has ended.
	asking, eof bool
	echo        bool
	resumed     bool
	guard       *Release // a resumed run: its host must have the key the run recorded
	from        map[string]sshexec.Offsets
	accepted    []runbook.HostKeyInfo
	section     string
	// noColor drops the colours Sanitize keeps (NO_COLOR is set).
	noColor bool
	// clock writes the timing log (PlainOptions.Timing); nil: none.
	clock *phaseClock
	// manualStop is set when --yes stopped at a manual step: resuming
	// with --yes again would stop there again at once.
	manualStop bool
}

func newPlain(opts Options, po PlainOptions) *plain {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if po.Out == nil {
		po.Out = io.Discard
	}
	p := &plain{opts: opts, po: po, echo: true, noColor: os.Getenv("NO_COLOR") != ""}
	if po.Timing != nil {
		p.clock = newPhaseClock(po.Timing, po.Began)
	}
	if f, ok := po.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.echo = false // the terminal echoes what the operator types
	}
	if po.In != nil {
		lines := make(chan string)
		want := make(chan struct{}, 1)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(po.In)
			sc.Buffer(make([]byte, 0, 4096), 1<<20)
			for range want {
				if !sc.Scan() {
					return
				}
				lines <- sc.Text()
			}
		}()
		p.in, p.want = lines, want
	}
	return p
}

// info prints one of golive's own remarks, "-- " before each of its
// lines: a remark of several lines (a broken runbook's errors, one per
// line) stays apart from a command's output ("  |", "  !") on every line.
func (p *plain) info(format string, args ...any) {
	s := strings.TrimRight(fmt.Sprintf(format, args...), "\n")
	fmt.Fprint(p.po.Out, "-- "+strings.ReplaceAll(s, "\n", "\n-- ")+"\n")
}

// ask prints prompt and reads one line of In. ok is false at the end of
// input; err is set when ctx ended (a signal) first.
func (p *plain) ask(ctx context.Context, prompt string) (line string, ok bool, err error) {
	fmt.Fprint(p.po.Out, prompt)
	if p.in == nil || p.eof {
		fmt.Fprintln(p.po.Out)
		return "", false, nil
	}
	if !p.asking {
		p.asking = true
		p.want <- struct{}{}
	}
	select {
	case l, more := <-p.in:
		p.asking = false
		if !more {
			p.eof = true
			fmt.Fprintln(p.po.Out)
			return "", false, nil
		}
		l = strings.TrimSpace(l)
		if p.echo {
			fmt.Fprintln(p.po.Out, Sanitize(p.redact(l)))
		}
		return l, true, nil
	case <-ctx.Done():
		fmt.Fprintln(p.po.Out)
		return "", false, ctx.Err()
	}
}

func (p *plain) redact(s string) string {
	if p.rel != nil && p.rel.Redactor != nil {
		return p.rel.Redactor.Line(s)
	}
	return s
}

// outcome is how one step's turn ended.
type outcome int

const (
	next         outcome = iota // go on to the next step
	stopped                     // stop, resumable (end of input, quit, manual under --yes)
	stopFailed                  // stop at a failure
	interrupted                 // a signal: the job may still run on the host
	broken                      // golive cannot go on (journal, executor)
	settledNoRun                // the step was signed off without running (a skip at the confirmation)
)

// walk takes every step in order, then finishes the run.
func (p *plain) walk(ctx context.Context) int {
	ids := p.rel.Session.StepIDs()
	for i, id := range ids {
		o, err := p.step(ctx, i, len(ids), id)
		if err != nil {
			p.info("error: %s", ErrorText(err))
		}
		switch o {
		case next:
			continue
		case stopFailed:
			p.info("stopped at a failure: step %s", id)
			p.export()
			p.resumeHint()
			return ExitFailed
		case broken:
			p.resumeHint()
			return ExitFailed
		case interrupted:
			p.info("interrupted")
			p.resumeHint()
			return ExitIncomplete
		default:
			p.resumeHint()
			return ExitIncomplete
		}
	}
	return p.finish()
}

// step takes one step: shows it, runs it (or reattaches to it), and gets
// its sign-off.
func (p *plain) step(ctx context.Context, i, n int, id string) (outcome, error) {
	s := p.rel.Session
	ps := p.rel.Plan.Step(id)
	if ps == nil {
		return broken, fmt.Errorf("step %q is in the session but not in the plan", id)
	}
	st := s.Step(id)
	if st.SignOff != nil {
		if !(p.resumed && st.Verdict == runbook.VerdictFailed) {
			p.settled(i, n, ps, st)
			return next, nil
		}
		p.settled(i, n, ps, st)
		if o, retry, err := p.retryFailed(ctx, id); !retry {
			return o, err
		}
		st = s.Step(id)
	}
	p.header(i, n, ps)
	if !ps.Applicable {
		err := p.rel.Commit(s.SignOff(id, runbook.VerdictNotApplicable, "not applicable: "+ps.Reason, "", true))
		if err != nil {
			return broken, err
		}
		p.info("not applicable (%s): signed off n/a", ps.Reason)
		return next, nil
	}
	if ps.Step.Kind == runbook.KindManual {
		if p.po.Yes {
			p.info("step %s is manual: a human must check it and sign it off; --yes signs off only steps a command verifies", id)
			p.info("sign it off with: golive resume %s --plain (without --yes), or in the TUI", p.rel.RunID)
			p.manualStop = true
			return stopped, nil
		}
		return p.signOff(ctx, id)
	}
	var o outcome
	var err error
	switch st.Status {
	case runbook.StatusRunning, runbook.StatusInterrupted:
		o, err = p.reattach(ctx, id)
	case runbook.StatusAwaiting, runbook.StatusUnknown:
		if a := st.Last(); a != nil && a.Exit != nil && !neverStarted(a) {
			p.info("attempt %d already ran: %s", a.N, exitWords(a.Exit))
			p.sudoAdvice(a)
		}
	default:
		o, err = p.run(ctx, id)
	}
	if o == settledNoRun {
		return next, err
	}
	if o != next || err != nil {
		return o, err
	}
	return p.signOff(ctx, id)
}

// sectionHeader prints the step's section title when a new section
// begins.
func (p *plain) sectionHeader(ps *runbook.PlannedStep) {
	if ps.Section != nil && ps.Section.Title != p.section {
		p.section = ps.Section.Title
		fmt.Fprintf(p.po.Out, "\n# %s\n", Sanitize(p.section))
	}
}

// settled prints a step that was signed off before (a resumed run).
func (p *plain) settled(i, n int, ps *runbook.PlannedStep, st runbook.StepState) {
	p.sectionHeader(ps)
	so := st.SignOff
	how := "signed off " + string(so.Verdict) + " by " + so.Operator
	if so.Auto {
		how += " (automatic)"
	}
	if so.Note != "" {
		how += ": " + so.Note
	}
	fmt.Fprintf(p.po.Out, "== [%d/%d] %s: %s: %s\n", i+1, n, ps.Step.ID, Sanitize(ps.Step.Title), Sanitize(how))
}

// retryFailed asks whether to retry a step a resumed run had failed;
// --yes retries it (the failure is why the run is resumed).
func (p *plain) retryFailed(ctx context.Context, id string) (outcome, bool, error) {
	if p.rel.Plan.Step(id).Step.Kind == runbook.KindManual {
		p.info("a manual step has nothing to run again; its sign-off stands")
		return next, false, nil
	}
	if p.po.Yes {
		p.info("retrying %s (--yes)", id)
		return next, true, nil
	}
	for {
		a, ok, err := p.ask(ctx, "step "+id+" was signed off failed: [r]etry [c]ontinue [q]uit: ")
		switch {
		case err != nil:
			return interrupted, false, nil
		case !ok:
			p.info("end of input")
			return stopped, false, nil
		}
		switch strings.ToLower(a) {
		case "r", "retry":
			return next, true, nil
		case "c", "continue":
			return next, false, nil
		case "q", "quit":
			return stopped, false, nil
		}
		p.info("type r, c or q")
	}
}

// header prints the step's header, what it checks and why, and what it
// will run (or its checklist).
func (p *plain) header(i, n int, ps *runbook.PlannedStep) {
	st := ps.Step
	out := p.po.Out
	p.sectionHeader(ps)
	risk := st.Risk
	if risk == "" {
		risk = runbook.RiskLow
	}
	fmt.Fprintf(out, "== [%d/%d] %s: %s (risk: %s)\n", i+1, n, st.ID, Sanitize(st.Title), risk)
	if st.Why != "" {
		fmt.Fprintf(out, "   why: %s\n", Sanitize(strings.Join(strings.Fields(st.Why), " ")))
	}
	switch st.Kind {
	case runbook.KindManual:
		for _, c := range st.Checklist {
			fmt.Fprintf(out, "   [ ] %s\n", Sanitize(c))
		}
	default:
		where := p.rel.Host
		if st.Kind == runbook.KindLocal {
			where = "local"
		}
		if st.Sudo {
			where += ", as root"
		}
		fmt.Fprintf(out, "   on %s:\n", Sanitize(where))
		for _, l := range strings.Split(strings.TrimRight(p.redact(ps.Display), "\n"), "\n") {
			fmt.Fprintf(out, "   $ %s\n", Sanitize(l))
		}
	}
	if st.Rollback != "" && st.Risk == runbook.RiskHigh {
		fmt.Fprintf(out, "   rollback: %s\n", Sanitize(strings.Join(strings.Fields(st.Rollback), " ")))
	}
}
