package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	tea "charm.land/bubbletea/v2"

	"golive/runbook"
	"golive/sshexec"
)

// OpenRun reopens an unfinished run from its journal: it replays the
// events into a Session over the same runbook and variables, and returns
// the Release (not yet connected: Remote is nil) and the events. It
// refuses, saying what to do, when the runbook's content changed since the
// run began, or when a secret variable's value is needed and not given
// (--var name=value): the journal never holds secrets.
func OpenRun(opts Options, journalPath string) (*Release, []runbook.Event, error) {
	j, events, err := runbook.OpenJournal(journalPath)
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*Release, []runbook.Event, error) {
		j.Close()
		return nil, nil, err
	}
	if len(events) == 0 || events[0].Type != runbook.EvRunStarted || events[0].Run == nil {
		return fail(fmt.Errorf("%s: the journal does not start with run.started; it cannot be resumed", journalPath))
	}
	info := *events[0].Run
	var set []runbook.VarValue
	for _, e := range events {
		if e.Type == runbook.EvVarSet && e.Var != nil {
			set = append(set, *e.Var)
		}
	}
	plan, err := planFor(opts, info, set)
	if err != nil {
		return fail(err)
	}
	sess, err := runbook.Replay(plan, events)
	if err != nil {
		return fail(journalMisfit(info.ID, journalPath, err))
	}
	op := opts.Operator
	if op == "" {
		op = info.Operator
	}
	rel := &Release{Plan: plan, Session: sess, Journal: j, Local: opts.Local, Redactor: newRedactor(plan),
		Operator: op, Host: info.Host, RunID: info.ID, Auto: info.Auto, Now: opts.Now}
	rel.SetSudoPassword(opts.SudoPassword)
	return rel, events, nil
}

// planFor rebuilds a run's plan: the runbook it was recorded against
// (refused when its content changed), with the variables of run.started,
// then those set during the run (set), then those given now (--var). A
// secret the journal masked must be given again.
func planFor(opts Options, info runbook.RunInfo, set []runbook.VarValue) (*runbook.Plan, error) {
	rb, err := loadRecorded(opts.Runbooks, info)
	if err != nil {
		return nil, err
	}
	if rb.Hash != info.RunbookHash {
		return nil, fmt.Errorf("runbook %s changed since run %s began (content hash %.12s, now %.12s): resuming would mix two runbooks; "+
			"restore the runbook as it was, or start a new run", info.RunbookFile, info.ID, info.RunbookHash, rb.Hash)
	}
	vars := map[string]string{}
	for k, v := range info.Vars {
		vars[k] = v
	}
	for _, v := range set {
		vars[v.Name] = v.Value
	}
	for _, v := range rb.Variables {
		if given, ok := opts.Vars[v.Name]; ok {
			vars[v.Name] = given
		} else if v.Secret && vars[v.Name] == runbook.Mask {
			return nil, &SecretNeededError{Run: info.ID, Name: v.Name}
		}
	}
	plan, err := rb.Plan(vars)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", info.ID, err)
	}
	return plan, nil
}

// loadRecorded loads the runbook a run was recorded against: a built-in
// one by id, or the file it named.
func loadRecorded(fsys fs.FS, info runbook.RunInfo) (*runbook.Runbook, error) {
	if fsys != nil {
		if _, err := fs.Stat(fsys, info.RunbookFile); err == nil && !filepath.IsAbs(info.RunbookFile) {
			return runbook.Load(fsys, info.RunbookFile)
		}
	}
	rb, err := runbook.LoadFile(info.RunbookFile)
	if err != nil && fsys != nil {
		if rb2, err2 := runbook.Load(fsys, info.RunbookID); err2 == nil {
			return rb2, nil
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("run %s was walked with the runbook file %s, which is gone (%w): put it back as it was (content hash %.12s) to resume, or start a new run",
			info.ID, info.RunbookFile, fs.ErrNotExist, info.RunbookHash)
	}
	return rb, err
}

// neverStarted reports whether the attempt's job was lost before it ran:
// golive stopped between journaling the start and launching the job, so
// the host has no such job and nothing ran. Plain mode and the TUI both
// offer to run such a step again (plain --yes does it at once). An
// attempt whose start the host confirmed (step.launched) ran, whatever a
// reattach found later (its directory pruned or removed): its end is
// unknown, and running it again is the operator's call, asked.
func neverStarted(a *runbook.Attempt) bool {
	return a != nil && a.Exit != nil && a.Exit.Unknown && a.OutputLines == 0 && a.Launched.IsZero() &&
		strings.Contains(a.Exit.Error, sshexec.ErrNoJob.Error())
}

// neverStartedWords says what happened to such an attempt.
const neverStartedWords = "never started on the host (golive stopped before launching its job): nothing ran"

// NewResume returns a Model that reconnects to a reopened run's host,
// shows every sign-off and all output from the journal, and reattaches to
// a step that was running.
func NewResume(opts Options, rel *Release, events []runbook.Event) Model {
	opts.Host, opts.Operator = rel.Host, rel.Operator
	m := New(opts)
	m.resuming = rel
	m.resumeEvents = events
	m.plan = rel.Plan
	m.state = stateConnect
	return m
}

// startConnectMsg asks Update to start connecting (Init cannot change the
// model).
type startConnectMsg struct{}

func (m Model) resumeCmd() tea.Cmd {
	return func() tea.Msg { return startConnectMsg{} }
}

// resumeRelease opens the main screen of a reopened run on a connected
// executor: restores the output panes and reattaches to a running step.
func (m Model) resumeRelease(ex sshexec.Executor) (tea.Model, tea.Cmd) {
	rel := m.resuming
	if err := checkHostKey(rel, ex); err != nil {
		return m.fail(err), closeExecutor(ex)
	}
	connected, err := connectedEvents(rel, ex, m.connect.accepted)
	if err != nil {
		return m.fail(err), closeExecutor(ex)
	}
	m.resuming = nil
	rel.Remote = ex
	if rel.Remote == nil {
		rel.Remote = rel.Local
	}
	m = m.begin(rel)
	seen := map[string]int{}
	for _, e := range m.resumeEvents {
		switch e.Type {
		case runbook.EvStepStarted:
			if seen[e.Step] != e.Attempt { // a reattach does not start a new attempt
				seen[e.Step] = e.Attempt
				m.ring(e.Step).add([]runbook.OutputLine{attemptBanner(e)})
			}
		case runbook.EvOutput:
			m.ring(e.Step).add(e.Lines)
		}
	}
	m.pane.refresh() // the shown ring was filled behind the pane's back
	m.pane.follow()
	m.resumeFrom = Offsets(m.resumeEvents)
	m.resumeEvents = nil
	cmds := []tea.Cmd{m.tick(), prestart(rel.Remote)}
	if len(connected) > 0 {
		cmds = append(cmds, m.record(nextNone, connected...))
	}
	reattaching := false
	for _, id := range m.steps {
		st := rel.Session.Step(id)
		last := st.Last()
		if last == nil || last.Exit != nil || (st.Status != runbook.StatusRunning && st.Status != runbook.StatusInterrupted) {
			continue
		}
		m.selectStep(id)
		reattaching = true
		if st.Status == runbook.StatusRunning {
			// golive stopped without saying so (a crash, ctrl+c):
			// journal that first, then reattach (nextReattach).
			ev, err := rel.Session.Interrupt(id, "golive stopped while the step ran; resumed")
			if err != nil {
				return m.fail(err), nil
			}
			cmds = append(cmds, m.record(nextReattach, ev))
			break
		}
		ev, err := rel.Session.StartStep(id, last.Start)
		if err != nil {
			return m.fail(fmt.Errorf("reattach %s: %w", id, err)), nil
		}
		cmds = append(cmds, m.record(nextAttach, ev))
		break // one step runs at a time
	}
	m.showSelected()
	m.status, m.statusOK = fmt.Sprintf("resumed run %s", rel.RunID), true
	if !reattaching {
		if next := rel.Session.Next(); next != "" && neverStarted(rel.Session.Step(next).Last()) {
			// An earlier resume found the step's job never started.
			m.selectStep(next)
			m.showSelected()
			m.status, m.statusOK = fmt.Sprintf("resumed run %s; %s", rel.RunID, exitSummary(next, rel.Session.Step(next))), false
		}
	}
	m.syncKeys()
	return m, tea.Batch(cmds...)
}

// prestart starts ex's helper off the UI goroutine (sshexec.Prestart): a
// resumed run's next step then finds it ready.
func prestart(ex sshexec.Executor) tea.Cmd {
	return func() tea.Msg {
		sshexec.Prestart(ex)
		return nil
	}
}

// SecretNeededError: a resume needs the value of a secret variable, which
// the journal does not keep, and it was not given. Like a required
// variable missing from a new run, it is the operator's to give: golive
// tried nothing.
type SecretNeededError struct {
	Run, Name string
}

func (e *SecretNeededError) Error() string {
	return fmt.Sprintf("run %s needs the secret variable %s, which the journal does not keep: give it again with --var %s=VALUE", e.Run, e.Name, e.Name)
}
