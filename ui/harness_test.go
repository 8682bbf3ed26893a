package ui

import (
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"charm.land/bubbles/v2/cursor"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"golive/runbook"
	"golive/sshexec"
)

// fakeJob is what the fake executor does for a script containing its key.
type fakeJob struct {
	lines []sshexec.Line
	res   sshexec.Result
	err   error
	// hold, when set, keeps the job running until it is closed or the
	// job is canceled.
	hold chan struct{}
	// unlaunched: the host never confirms the start. Otherwise play
	// sends NoticeLaunched first, as sshexec does, unless lines hold it.
	unlaunched bool
	// launch, when set, holds that NoticeLaunched back until it is
	// closed: a host whose login shell is slow.
	launch chan struct{}
}

// fakeExec implements sshexec.Executor without a host: each job is looked
// up by a substring of its script.
type fakeExec struct {
	mu       sync.Mutex
	host     string
	jobs     map[string]*fakeJob
	specs    []sshexec.Spec
	attached []string
	canceled []string
	forgot   []string
	cancelFn func(jobID string) error
	running  map[string]chan struct{}
}

func newFakeExec(host string) *fakeExec {
	return &fakeExec{host: host, jobs: map[string]*fakeJob{}, running: map[string]chan struct{}{}}
}

func (f *fakeExec) on(key string, j *fakeJob) { f.mu.Lock(); f.jobs[key] = j; f.mu.Unlock() }

func (f *fakeExec) find(script string) *fakeJob {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, j := range f.jobs {
		if strings.Contains(script, k) {
			return j
		}
	}
	return &fakeJob{}
}

func (f *fakeExec) Run(ctx context.Context, spec sshexec.Spec, out chan<- []sshexec.Line) (sshexec.Result, error) {
	f.mu.Lock()
	f.specs = append(f.specs, spec)
	stop := make(chan struct{})
	f.running[spec.JobID] = stop
	f.mu.Unlock()
	return f.play(ctx, f.find(spec.Script), stop, out)
}

func (f *fakeExec) play(ctx context.Context, j *fakeJob, stop chan struct{}, out chan<- []sshexec.Line) (sshexec.Result, error) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if j.launch != nil {
		held.Add(1)
		select {
		case <-j.launch:
			held.Add(-1)
		case <-ctx.Done():
			held.Add(-1)
			return sshexec.Result{}, ctx.Err()
		}
	}
	if !j.unlaunched && !slices.ContainsFunc(j.lines, func(l sshexec.Line) bool { return l.Kind == sshexec.NoticeLaunched }) {
		select {
		case out <- notice(sshexec.NoticeLaunched, "job started on the host"):
		case <-ctx.Done():
			return sshexec.Result{}, ctx.Err()
		}
	}
	// As sshexec sends them: each run of one stream's lines is a batch
	// of its own (a copy: the receiver owns it), a notice a batch of one.
	for i := 0; i < len(j.lines); {
		k := i + 1
		for k < len(j.lines) && j.lines[k].Stream == j.lines[i].Stream && j.lines[i].Stream != sshexec.Notice {
			k++
		}
		select {
		case out <- append([]sshexec.Line(nil), j.lines[i:k]...):
		case <-ctx.Done():
			return sshexec.Result{}, ctx.Err()
		}
		i = k
	}
	if j.hold != nil {
		held.Add(1)
		defer held.Add(-1)
		select {
		case <-j.hold:
		case <-stop:
			return sshexec.Result{ExitCode: -1, Signal: "TERM", Canceled: true, Started: start, Ended: start.Add(time.Second)}, nil
		case <-ctx.Done():
			return sshexec.Result{}, ctx.Err()
		}
	}
	res := j.res
	if res.Started.IsZero() {
		res.Started, res.Ended = start, start.Add(1500*time.Millisecond)
	}
	return res, j.err
}

func (f *fakeExec) Attach(ctx context.Context, jobID string, from sshexec.Offsets, out chan<- []sshexec.Line) (sshexec.Result, error) {
	f.mu.Lock()
	f.attached = append(f.attached, jobID)
	stop := make(chan struct{})
	f.running[jobID] = stop
	j := f.jobs["attach:"+jobID]
	f.mu.Unlock()
	if j == nil {
		return sshexec.Result{}, sshexec.ErrNoJob
	}
	return f.play(ctx, j, stop, out)
}

// Forget records that the job's directory would be removed.
func (f *fakeExec) Forget(ctx context.Context, jobID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forgot = append(f.forgot, jobID)
	return nil
}

func (f *fakeExec) Cancel(ctx context.Context, jobID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.canceled = append(f.canceled, jobID)
	if f.cancelFn != nil {
		if err := f.cancelFn(jobID); err != nil {
			return err
		}
	}
	if c := f.running[jobID]; c != nil {
		close(c)
		delete(f.running, jobID)
	}
	return nil
}

func (f *fakeExec) Host() string { return f.host }
func (f *fakeExec) Close() error { return nil }

// out builds fake output lines with offsets.
func out(stream sshexec.Stream, texts ...string) []sshexec.Line {
	var ls []sshexec.Line
	var off int64
	for _, t := range texts {
		off += int64(len(t) + 1)
		ls = append(ls, sshexec.Line{Stream: stream, Text: t, Offset: off, Time: time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC)})
	}
	return ls
}

// notice is one notice of kind k, as sshexec sends it.
func notice(k sshexec.NoticeKind, text string) []sshexec.Line {
	ls := out(sshexec.Notice, text)
	ls[0].Kind = k
	return ls
}

// testClock is a pinned clock that moves only when told.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time { return c.t }

// testOpts returns Options over the test runbook, a fake executor and a
// journal in a temp dir.
func testOpts(t *testing.T, ex *fakeExec) Options {
	t.Helper()
	data, err := os.ReadFile("testdata/release.yaml")
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	return Options{
		Runbooks: fstest.MapFS{"release.yaml": {Data: data}},
		StateDir: t.TempDir(),
		Connect: func(ctx context.Context, host string, p Prompter) (sshexec.Executor, error) {
			return ex, nil
		},
		Local:           ex,
		DefaultOperator: "alice",
		Now:             clock.now,
		Version:         "test",
		RunID:           "20260102T030405Z-test",
		noTick:          true,
	}
}

// parked holds commands that did not return quickly (a held job's next
// message): settle waits for them.
var parked = map[*testing.T][]chan tea.Msg{}

// drive runs cmd and feeds what it returns back into the model, until
// nothing is left to do; it returns the model. A command still blocked
// after a moment is parked (see settle). Spinner ticks are dropped (they
// would tick forever).
func drive(t *testing.T, m Model, cmd tea.Cmd) Model {
	t.Helper()
	queue := []tea.Cmd{cmd}
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 10000 {
			t.Fatal("drive: too many messages")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		ch := make(chan tea.Msg, 1)
		go func() { ch <- c() }()
		msg, ok := await(m, ch)
		if !ok {
			parked[t] = append(parked[t], ch)
			continue
		}
		if b, ok := msg.(tea.BatchMsg); ok {
			queue = append(queue, b...)
			continue
		}
		var next tea.Cmd
		m, next = feed(m, msg)
		queue = append(queue, next)
	}
	return m
}

// held counts fake jobs waiting on their hold channel.
var held atomic.Int32

// await waits for a command's message. It gives up quickly only when the
// command may legitimately block (a held job, an open prompt); otherwise
// it waits long, so a loaded machine does not make tests flaky.
func await(m Model, ch chan tea.Msg) (tea.Msg, bool) {
	start := time.Now()
	for {
		select {
		case msg := <-ch:
			return msg, true
		case <-time.After(10 * time.Millisecond):
		}
		mayBlock := held.Load() > 0 || m.connect.hostKey != nil || m.connect.passphrase != nil || m.dlg.kind == dlgPassphrase
		waited := time.Since(start)
		if (mayBlock && waited > 300*time.Millisecond) || waited > 15*time.Second {
			return nil, false
		}
	}
}

// feed passes one message to Update, expanding batches.
func feed(m Model, msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case nil, spinner.TickMsg, tea.QuitMsg, cursor.BlinkMsg:
		return m, nil
	case tea.BatchMsg:
		return m, func() tea.Msg { return msg }
	}
	nm, next := m.Update(msg)
	return nm.(Model), next
}

// settle waits for parked commands to return (a held job released) and
// drives what they bring.
func settle(t *testing.T, m Model) Model {
	t.Helper()
	for len(parked[t]) > 0 {
		ch := parked[t][0]
		parked[t] = parked[t][1:]
		select {
		case msg := <-ch:
			var next tea.Cmd
			m, next = feed(m, msg)
			m = drive(t, m, next)
		case <-time.After(5 * time.Second):
			t.Fatal("settle: a parked command did not return within 5s")
		}
	}
	return m
}

// press sends a key and drives what it starts.
func press(t *testing.T, m Model, keys ...string) Model {
	t.Helper()
	for _, k := range keys {
		nm, cmd := m.Update(keyMsg(k))
		m = drive(t, nm.(Model), cmd)
	}
	return m
}

// typeText types text into whatever has focus.
func typeText(t *testing.T, m Model, text string) Model {
	t.Helper()
	for _, r := range text {
		nm, cmd := m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
		m = drive(t, nm.(Model), cmd)
	}
	return m
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	case "ctrl+x":
		return tea.KeyPressMsg{Code: 'x', Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// started returns a model on the main screen of a fresh release of the
// test runbook (flags answer every question), sized w x h.
func started(t *testing.T, ex *fakeExec, w, h int) Model {
	t.Helper()
	opts := testOpts(t, ex)
	opts.Runbook = "release"
	opts.Host = "web1"
	return startedWith(t, opts, w, h)
}

// startedWith returns a model of opts on the main screen, sized w x h.
func startedWith(t *testing.T, opts Options, w, h int) Model {
	t.Helper()
	m := New(opts)
	nm, _ := m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m = drive(t, nm.(Model), m.Init())
	if m.state != stateMain {
		t.Fatalf("state %v, want main; error: %v", m.state, m.errPanel)
	}
	return m
}

// sel selects a step as j/k would.
func sel(m Model, id string) Model {
	m.selectStep(id)
	m.showSelected()
	m.syncKeys()
	return m
}

// screen is the model's view without escapes.
func screen(m Model) string { return ansi.Strip(m.View().Content) }

// journal reads back every event the model's release journaled.
func journal(t *testing.T, m Model) []runbook.Event {
	t.Helper()
	evs, err := readJournalEvents(m.rel.Journal.Path())
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// readJournalEvents reads every event of a journal file, through
// journalEvents (the reader Export uses).
func readJournalEvents(path string) ([]runbook.Event, error) {
	var evs []runbook.Event
	for e, err := range journalEvents(path) {
		if err != nil {
			return nil, err
		}
		evs = append(evs, e)
	}
	return evs, nil
}
