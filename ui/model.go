package ui

import (
	"context"
	"errors"
	"io/fs"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"golive/runbook"
	"golive/sshexec"
)

// state is the screen the model is on.
type state int

const (
	stateChoose  state = iota // pick a runbook
	stateForm                 // variables, host, operator
	stateConnect              // connecting (spinner, host-key and passphrase prompts)
	stateMain                 // walking the steps
	stateSummary              // verdict, failed and skipped steps, export
	stateError                // a broken tool: what happened and what to do
)

func (s state) String() string {
	return [...]string{"choose", "form", "connect", "main", "summary", "error"}[s]
}

// Options configure a Model. cmd_run fills them from flags; tests fill
// them with fakes.
type Options struct {
	// Runbooks holds the built-in runbooks; Runbook names the one to run
	// (a built-in id, or a file path), or is empty to ask.
	Runbooks fs.FS
	Runbook  string
	// DefaultRunbook is the built-in id the chooser starts on.
	DefaultRunbook string
	// Vars are --var values; they override the profile and defaults.
	Vars map[string]string
	// Host is the target (an ~/.ssh/config alias, user@host[:port], or
	// "local"); empty asks in the form.
	Host string
	// Operator signs off; empty asks in the form (prefilled from git).
	Operator        string
	DefaultOperator string
	// OutDir is where transcripts go; empty asks at export (default ".").
	OutDir string
	// ProfilePath is --profile; empty uses the runbook's default profile
	// under $XDG_CONFIG_HOME/golive/profiles.
	ProfilePath string
	// StateDir holds run journals.
	StateDir string
	// Connect dials the host; the Prompter asks the operator. Local runs
	// local steps.
	Connect func(ctx context.Context, host string, p Prompter) (sshexec.Executor, error)
	Local   sshexec.Executor
	// SudoPassword, when set, is masked wherever it appears.
	SudoPassword []byte
	// Sign signs an exported JSON transcript; nil skips signing.
	Sign SignFunc
	// SignAsking, when set, is used by the TUI instead of Sign: it makes
	// a SignFunc that asks for an encrypted key's passphrase with ask
	// (the TUI's passphrase dialog).
	SignAsking func(ask PassphraseFunc) SignFunc
	// SignCheck says, without signing or asking for a passphrase, why
	// no key could sign an export now (nil: one can; an encrypted key
	// can, the TUI asks its passphrase). The TUI's question before
	// quitting unexported runs it (in a tea.Cmd: it reads key files and
	// asks ssh-agent) to say whether e exports signed. Nil: not checked.
	SignCheck func(ctx context.Context) error
	Now       func() time.Time
	Version   string
	// RunID names a new run; empty makes one from the time and random
	// bytes.
	RunID string

	// noTick turns off the header's clock tick (tests).
	noTick bool
}

// Model is the root Bubble Tea model of a release.
type Model struct {
	opts   Options
	state  state
	prev   state // where the error panel goes back to
	keys   keyMap
	styles *styles // never changed once sealed: shared, not copied with every Update
	help   help.Model
	width  int
	height int

	// Start screens.
	chooser chooser
	form    varForm
	connect connectScreen
	spin    spinner.Model
	rb      *runbook.Runbook
	plan    *runbook.Plan

	// The release, once begun.
	rel      *Release
	selected int      // index into steps
	steps    []string // step ids in plan order
	listWant int      // the step list's width for every id and title whole (listWant)
	outputs  map[string]*ring
	statuses map[string]stepStatus // cache, see refreshStatuses
	// statusBytes is the same in step order, a byte per step: the step
	// list's cache key (view caching). statusesOf and statusesAt are the
	// Session and its Applied count they were computed from.
	statusBytes string
	statusesOf  *runbook.Session
	statusesAt  int
	// paneDirty: output arrived for the shown step since the pane was
	// last refreshed; paneFrom is the first such line.
	paneDirty bool
	paneFrom  int64
	// lastFrame is when output was last shown; refreshPending is set
	// while a paneRefreshMsg is on its way (paceOutput).
	lastFrame      time.Time
	refreshPending bool
	pane           outputPane
	dlg            dialog
	banner         string // connection trouble, "" when the link is fine
	// lostMeans says what the lost link means for the running step (it
	// keeps running on the server, or golive checks whether it started),
	// kept in the banner while golive reconnects.
	lostMeans string
	status    string // one-line remark under the detail (last action)
	statusOK  bool
	// zoom shows the whole step (z) instead of the output; detailOff is
	// how far it is scrolled.
	zoom      bool
	detailOff int
	// summaryOff is how far the summary is scrolled.
	summaryOff int

	// The running step, if any.
	run *activeRun
	// recording counts the events on their way to the journal (record
	// Cmds whose recordedMsg has not come back). The Session applies
	// them only then, so a key that builds another event in between
	// (a second enter or q) would journal the same start or finish
	// twice, which the Session then refuses: such keys wait (busy).
	recording int
	nextRun   int
	quitting  bool
	// quitPending: the operator quit while a step ran; golive quits once
	// it has stopped following the job (onRunDone).
	quitPending bool

	errPanel error
	outcome  Outcome

	// Resuming: the reopened release until it is connected, its events
	// (to restore the panes), and where each step's output stops.
	resuming     *Release
	resumeEvents []runbook.Event
	resumeFrom   map[string]sshexec.Offsets
	exportDir    string
	// signCheck is Options.SignCheck's answer for the question before
	// quitting unexported, once it came.
	signCheck signCheck

	// vc keeps the main screen's renders between frames (viewcache.go);
	// every copy of the Model shares it.
	vc *viewCache
}

// activeRun is the step whose job golive is following.
type activeRun struct {
	id       int
	step     string
	attempt  int
	jobID    string
	exec     sshexec.Executor
	msgs     <-chan tea.Msg
	cancel   context.CancelFunc
	canceled bool // a cancel was requested
	// shownLines is the attempt's line count as of the last frame of
	// output (refreshPane), which the detail shows while it runs;
	// shownOK once there was one.
	shownLines int64
	shownOK    bool
}

// Outcome is how the TUI ended, for the command to report and to pick
// its exit code.
type Outcome struct {
	RunID    string
	Finished bool
	Verdict  runbook.RunVerdict
	// Detached names a job left running on the host (ctrl+c or quit
	// during a step).
	Detached string
	// Files lists exported transcript files.
	Files []string
	// Unsigned says why they are not signed ("" when they are, or when
	// nothing was exported); SignHint says how to sign them.
	Unsigned string
	Err      error
	// SudoPassword: the release ended with a sudo password (from
	// --sudo-password or given with P), so the command that resumes it
	// needs --sudo-password too.
	SudoPassword bool
}

// ExitCode is the exit status golive gives for this outcome, the same as
// plain mode's: ExitUsage when it ends on bad input (a runbook or profile
// that does not load), ExitFailed when golive broke or a step was signed
// off failed, ExitIncomplete when the run stopped before its end (it
// stays resumable), else ExitPassed (also when no run began).
func (o Outcome) ExitCode() int {
	var bad badInput
	switch {
	case errors.As(o.Err, &bad):
		return ExitUsage
	case o.Err != nil, o.Verdict == runbook.RunFailed:
		return ExitFailed
	case o.RunID != "" && !o.Finished:
		return ExitIncomplete
	}
	return ExitPassed
}

// New returns a Model that starts at the runbook chooser, or further on
// when opts already answer the questions.
func New(opts Options) Model {
	st := defaultStyles()
	m := Model{
		opts:    opts,
		keys:    defaultKeyMap(),
		styles:  &st,
		help:    help.New(),
		outputs: map[string]*ring{},
		pane:    newOutputPane(st),
		spin:    spinner.New(spinner.WithSpinner(spinner.Dot)),
		width:   80,
		height:  24,
		vc:      &viewCache{},
	}
	if m.opts.Now == nil {
		m.opts.Now = time.Now
	}
	m.chooser = newChooser(opts.Runbooks, st)
	for i, it := range m.chooser.items {
		if opts.DefaultRunbook != "" && (it.id == opts.DefaultRunbook || it.id == opts.DefaultRunbook+".yaml") {
			m.chooser.cur = i
		}
	}
	m.state = stateChoose
	m.syncKeys() // also lays out
	return m
}

// Outcome reports how the model ended; read it from the final model.
func (m Model) Outcome() Outcome {
	o := m.outcome
	o.SudoPassword = m.rel != nil && len(m.rel.SudoPassword) > 0
	return o
}

// Init loads the runbook named by the options, if any.
func (m Model) Init() tea.Cmd {
	if m.resuming != nil {
		return m.resumeCmd()
	}
	if m.opts.Runbook != "" {
		return loadRunbook(m.opts.Runbooks, m.opts.Runbook, m.opts.ProfilePath)
	}
	return nil
}

// Update handles global keys and app messages, passes the rest to the
// screen that owns them, and batches their commands (STYLE §4).
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case tea.KeyPressMsg:
		if key.Matches(msg, m.keys.ForceQuit) {
			return m.forceQuit()
		}
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		if m.state != stateConnect {
			cmd = nil
		}
		return m, cmd
	}
	switch m.state {
	case stateChoose, stateForm, stateConnect:
		return m.updateStart(msg)
	case stateError:
		if k, ok := msg.(tea.KeyPressMsg); ok {
			if key.Matches(k, m.keys.Quit) || m.resuming != nil {
				// A resume has nothing to go back to.
				m.quitting = true
				return m, tea.Quit
			}
			if m.rel == nil || m.prev >= stateMain {
				m.state = m.prev
			}
			m.errPanel, m.outcome.Err = nil, nil
			m.syncKeys()
			return m, nil
		}
		return m.behindPanel(msg)
	}
	return m.updateRelease(msg)
}

// behindPanel goes on with the release while the error panel shows: a
// running step's output and its end, a journaled event, a refresh. Were
// they dropped, the step would look running for ever once the panel is
// gone, and its output would stop being journaled (the run waits for the
// UI to take what it sent). The panel stays until a key; what the release
// moved on to (the summary, say) shows after it. Keys are the panel's.
func (m Model) behindPanel(msg tea.Msg) (tea.Model, tea.Cmd) {
	if m.rel == nil {
		return m, nil
	}
	shown := m.errPanel
	nm, cmd := m.updateRelease(msg)
	m = nm.(Model)
	if m.state != stateError { // moved on: behind the panel
		m.prev, m.state = m.state, stateError
		m.errPanel, m.outcome.Err = shown, shown
		m.syncKeys()
	}
	return m, cmd
}

// fail shows a broken tool's error panel.
func (m Model) fail(err error) Model {
	if m.state != stateError {
		m.prev = m.state
	}
	m.state = stateError
	m.errPanel = err
	m.outcome.Err = err // quitting from here exits non-zero
	m.syncKeys()
	return m
}

// forceQuit leaves at once. Everything shown is already journaled; a
// running job keeps running on the host and the run stays resumable.
func (m Model) forceQuit() (tea.Model, tea.Cmd) {
	m.quitting = true
	if m.rel != nil {
		m.outcome.RunID = m.rel.RunID
		m.outcome.Verdict = m.rel.Session.Verdict()
		m.outcome.Finished = m.rel.Session.Finished()
	}
	if m.run != nil {
		m.outcome.Detached = m.run.step
		m.run.cancel()
	}
	return m, tea.Quit
}

// layout sizes the children after a resize.
func (m *Model) layout() {
	m.help.SetWidth(m.width - m.styles.Footer.GetHorizontalFrameSize())
	_, _, detailW, outH := m.mainGeometry()
	m.pane.setSize(detailW, outH)
	m.form.setWidth(m.width)
}

// describe renders a Session refusal for an inline message, in words an
// operator can act on.
func describe(err error) string {
	if errors.Is(err, runbook.ErrNoteRequired) {
		return "a note is required here: say why, then press enter"
	}
	return ErrorText(err)
}
