package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"golive/runbook"
	"golive/sshexec"
)

// Plain mode's exit codes.
const (
	// ExitPassed: every step is signed off passed, skipped or not
	// applicable.
	ExitPassed = 0
	// ExitFailed: a step failed, the run stopped at a failure, or golive
	// could not go on: it could not connect to the host of a new run or a
	// resumed one (unreachable, its key not trusted or changed, the login
	// refused), a resume was refused (the journal locked), a journal or
	// executor error. The TUI exits 1 for the same.
	ExitFailed = 1
	// ExitUsage: bad flags or configuration (no runbook, a broken one, no
	// host, operator or required variable); golive tried nothing.
	ExitUsage = 2
	// ExitIncomplete: the run stopped before the end (stdin ended, the
	// operator quit, a manual step under --yes, a signal); it is resumable.
	ExitIncomplete = 3
)

// PlainOptions configure plain mode.
type PlainOptions struct {
	// In carries the operator's answers (sign-offs, notes, typed
	// confirmations, the host-key question), one per line.
	In io.Reader
	// Out receives everything plain mode prints.
	Out io.Writer
	// Yes signs off automatically every step whose expectations pass,
	// marks not-applicable steps n/a and stops at the first failure or
	// manual step.
	Yes bool
	// Timing, when set, receives the timing log: one line per phase of
	// the run (plaintiming.go). golive sets it from $GOLIVE_TIMING.
	Timing io.Writer
	// Began is when the timing log's clock starts (golive: main's
	// start); zero means when RunPlain or ResumePlain is called.
	Began time.Time
	// Ready, when set, is called once by RunPlain when the runbook, host,
	// operator and variables check out, before it connects: what is said
	// there (golive: that the transcript will not be signed) does not come
	// before the error of a run that cannot start.
	Ready func()
}

// RunPlain starts a new release without a TUI and walks it to the end,
// printing output line by line and reading sign-offs from In (or signing
// off automatically with Yes). It asks no questions a flag can answer:
// the runbook, host and variables come from opts (flags, profile,
// defaults). It returns one of the Exit* codes.
func RunPlain(ctx context.Context, opts Options, po PlainOptions) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	p := newPlain(opts, po)
	p.clock.mark("plain", "")
	code := p.begin(ctx)
	if p.rel == nil {
		return code
	}
	defer closeExecutors(p.rel)
	defer p.rel.Journal.Close()
	return p.walk(ctx)
}

// closeExecutors closes rel's executors when plain mode is done with the
// run: the helper shell and any background work on the host (a prune, a
// helper still starting) end with it instead of outliving RunPlain (a
// job left running on the host runs on; resume reattaches to it).
func closeExecutors(rel *Release) {
	if rel.Remote != nil {
		rel.Remote.Close()
	}
	if rel.Local != nil && rel.Local != rel.Remote {
		rel.Local.Close()
	}
}

// ResumePlain continues a run reopened with OpenRun without a TUI: it
// reconnects, prints what was already signed off, reattaches to a step
// that was running and walks on from the first step not signed off.
func ResumePlain(ctx context.Context, opts Options, rel *Release, events []runbook.Event, po PlainOptions) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	p := newPlain(opts, po)
	p.clock.mark("plain", "resume")
	p.resumed = true
	p.from = Offsets(events)
	info := rel.Session.Info()
	p.info("resuming run %s: %s (%s) on %s, operator %s", rel.RunID, info.Title, info.RunbookID, rel.Host, rel.Operator)
	p.guard = rel
	ex, err := p.connect(ctx, rel.Host)
	if err != nil {
		// A refused resume (the host key changed, the host is down) is
		// not a usage error: the run exists and golive cannot go on with
		// it, which the TUI's refusal of the same resume says with 1 too.
		p.info("%s", ErrorText(resumeConnectError(rel, err)))
		return ExitFailed
	}
	if err := checkHostKey(rel, ex); err != nil {
		if ex != nil { // nil for --host local
			ex.Close()
		}
		p.info("%s", ErrorText(err))
		return ExitFailed
	}
	rel.Remote = ex
	if rel.Remote == nil {
		rel.Remote = rel.Local
	}
	sshexec.Prestart(rel.Remote) // the host key checked out: start the helper
	defer closeExecutors(rel)
	p.rel = rel
	if err := p.commitConnected(ex); err != nil {
		p.info("%s", ErrorText(err))
		return ExitFailed
	}
	done, total := rel.Session.Progress()
	p.info("%d of %d steps settled; journal %s", done, total, rel.Journal.Path())
	return p.walk(ctx)
}

// begin loads the runbook, settles the variables, connects and journals
// the run's start. It leaves p.rel nil and returns an exit code when the
// release cannot start.
func (p *plain) begin(ctx context.Context) int {
	o := p.opts
	if o.Runbook == "" {
		p.info("plain mode needs --runbook (non-docker, docker, or a runbook file): it asks no questions a flag can answer")
		return ExitUsage
	}
	// loadRunbook records a file by its absolute path, as the TUI does.
	loaded, _ := loadRunbook(o.Runbooks, o.Runbook, o.ProfilePath)().(runbookLoadedMsg)
	if loaded.err != nil || loaded.rb == nil {
		p.info("%s", ErrorText(loaded.err))
		return ExitUsage
	}
	rb := loaded.rb
	form := newVarForm(rb, o, loaded.profile)
	host, operator, vars := form.values(o)
	var problems []string
	if host == "" {
		problems = append(problems, "no host: give --host (an ~/.ssh/config alias, user@host[:port], or local)")
	}
	if operator == "" {
		problems = append(problems, "no operator: give --operator NAME (recorded with every sign-off)")
	}
	plan, err := rb.Plan(vars)
	if err != nil {
		problems = append(problems, varProblems(err)...)
	}
	if len(problems) > 0 {
		for _, pr := range problems {
			p.info("%s", pr)
		}
		return ExitUsage
	}
	p.clock.mark("loaded", "")
	if p.po.Ready != nil {
		p.po.Ready()
	}
	ex, err := p.connect(ctx, host)
	if err != nil {
		// The flags were good and golive tried: the host is down, its key
		// is not trusted or changed, the login was refused. Not a usage
		// error; 1, as a resume refused for the same reasons and the TUI.
		p.info("%s", ErrorText(err))
		return ExitFailed
	}
	if ex == nil {
		ex = o.Local
	}
	// The helper starts while the journal is created: the first step
	// then does not wait for its session and login shell.
	sshexec.Prestart(ex)
	rel := &Release{Plan: plan, Session: runbook.NewSession(plan, o.Now), Remote: ex, Local: o.Local,
		Redactor: newRedactor(plan), Operator: operator, Host: host, RunID: newRunID(o.Now()), Auto: p.po.Yes, Now: o.Now}
	rel.SetSudoPassword(o.SudoPassword)
	beginEv, err := rel.Session.Begin(runbook.RunInfo{ID: rel.RunID, Host: host, Operator: operator,
		Auto: p.po.Yes, Vars: plan.MaskedVars(), GoliveVersion: o.Version})
	if err != nil {
		p.info("%s", ErrorText(err))
		return ExitUsage
	}
	if err := rel.open(o.StateDir, beginEv, ex, p.accepted); err != nil {
		p.info("%s", ErrorText(err))
		return ExitFailed
	}
	p.rel = rel
	p.clock.mark("opened", "")
	// Saved once the release has started, so the next one needs no
	// typing; secret values are never saved.
	if err := SaveProfile(profileFile(o.ProfilePath, rb.ID), rb, Profile{Host: host, Operator: operator, Vars: plan.Vars}); err != nil {
		p.info("%s", profileNotSaved(err))
	}
	mode := "sign-offs from stdin"
	if p.po.Yes {
		mode = "automatic sign-offs (--yes)"
	}
	p.info("run %s: %s (%s) on %s, operator %s, %s", rel.RunID, rb.Title, rb.ID, host, operator, mode)
	p.info("journal %s", rel.Journal.Path())
	return ExitPassed
}

// commitConnected journals the host keys accepted while connecting and
// the key the connection verified.
func (p *plain) commitConnected(ex sshexec.Executor) error {
	evs, err := connectedEvents(p.rel, ex, p.accepted)
	if err != nil {
		return err
	}
	for _, ev := range evs {
		if err := p.rel.Commit(ev, nil); err != nil {
			return err
		}
	}
	return nil
}

// connect dials host, answering the connection's questions on In.
func (p *plain) connect(ctx context.Context, host string) (sshexec.Executor, error) {
	if host == "local" {
		return p.opts.Local, nil
	}
	if p.opts.Connect == nil {
		return nil, errors.New("golive was built without a way to connect")
	}
	p.info("connecting to %s…", host)
	var pr sshexec.Prompter = plainPrompter{p: p}
	if p.guard != nil {
		pr = resumeGuard{Prompter: pr, rel: p.guard}
	}
	ex, err := p.opts.Connect(ctx, host, pr)
	if err != nil {
		return nil, connectError(host, err)
	}
	p.info("connected to %s", host)
	p.clock.mark("connected", host)
	return ex, nil
}

// plainPrompter asks a connection's questions on plain mode's streams.
// An unknown host key is never trusted without a typed yes, --yes or not:
// at the end of input the answer is no.
type plainPrompter struct{ p *plain }

// ConfirmHostKey asks whether to trust an unknown host key.
func (pp plainPrompter) ConfirmHostKey(ctx context.Context, q HostKeyQuestion) (bool, error) {
	p := pp.p
	text := q.Message
	if text == "" {
		text = "The authenticity of host '" + q.Host + "' can't be established.\n" +
			q.KeyType + " key fingerprint is " + q.Fingerprint + "."
	}
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if strings.HasPrefix(l, "Are you sure") {
			continue // asked below, with the answers plain mode takes
		}
		p.info("%s", Sanitize(l))
	}
	if q.KnownHostsFile != "" {
		p.info("yes records the key in %s", q.KnownHostsFile)
	}
	for {
		a, ok, err := p.ask(ctx, "Are you sure you want to continue connecting (yes/no/[fingerprint])? ")
		if err != nil {
			return false, err
		}
		if !ok {
			p.info("no answer (end of input): the host key is not trusted")
			// Nobody refused the key: nobody was there to confirm it.
			return false, fmt.Errorf("end of input: %w", sshexec.ErrNoAnswer)
		}
		switch {
		case strings.EqualFold(a, "yes") || a == q.Fingerprint:
			pp.p.accepted = append(pp.p.accepted, runbook.HostKeyInfo{Host: q.Host, Type: q.KeyType, Fingerprint: q.Fingerprint})
			return true, nil
		case strings.EqualFold(a, "no"):
			return false, nil
		}
		p.info("please type 'yes', 'no' or the fingerprint")
	}
}

// Passphrase asks for a key's passphrase on the terminal, without echo;
// with no terminal the key is skipped.
func (pp plainPrompter) Passphrase(ctx context.Context, q PassphraseQuestion) ([]byte, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("%s needs a passphrase and there is no terminal to ask on: load it into ssh-agent first", q.KeyFile)
	}
	defer tty.Close()
	text := q.Message
	if text == "" {
		text = "Enter passphrase for key '" + q.KeyFile + "': "
	}
	fmt.Fprint(tty, text)
	pw, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	if err != nil {
		return nil, fmt.Errorf("read passphrase for %s: %w", q.KeyFile, err)
	}
	return pw, nil
}
