package ui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"golive/internal/sshdtest"
	"golive/runbook"
	"golive/sshexec"
)

// Benchmarks of the TUI against a real sshd (bench_tui_test.go). This
// file sets them up: the server, a release of one step, and a probe that
// wraps the real Model in a real tea.Program and timestamps what happens.

// benchServer is an sshd whose sessions get a private HOME (so the
// machine's shell start-up files, identical for golive and ssh, stay out
// of the figures) and an ssh_config alias "bench" for it.
type benchServer struct {
	srv  *sshdtest.Server
	cfg  string
	jobs string
}

func startBenchServer(b *testing.B) *benchServer {
	b.Helper()
	jobs := b.TempDir()
	srv := sshdtest.Start(b, sshdtest.Config("SetEnv HOME="+jobs+" XDG_STATE_HOME="+jobs))
	return &benchServer{srv: srv, jobs: jobs, cfg: srv.WriteSSHConfig("bench", "BatchMode yes")}
}

// dial connects golive's client through the alias.
func (s *benchServer) dial(b *testing.B) sshexec.Executor {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := sshexec.Dial(ctx, sshexec.Options{Host: "bench", ConfigFile: s.cfg, AgentSocket: "none"})
	if err != nil {
		b.Fatalf("dial: %v", err)
	}
	return c.Executor()
}

// ssh runs `ssh -F cfg bench cmd` with stdout to /dev/null.
func (s *benchServer) ssh(b *testing.B, cmd string) time.Duration {
	b.Helper()
	c := exec.Command("ssh", "-F", s.cfg, "bench", cmd)
	var stderr strings.Builder
	c.Stderr = &stderr // Stdout nil: /dev/null
	t0 := time.Now()
	if err := c.Run(); err != nil {
		b.Fatalf("ssh: %v\n%s", err, stderr.String())
	}
	return time.Since(t0)
}

// sshToFile runs `ssh -F cfg bench cmd > FILE` and fsyncs FILE: what an
// operator keeping a durable copy of the output would do, for comparison
// with golive, which journals every line (fsync) before showing it.
func (s *benchServer) sshToFile(b *testing.B, cmd string) time.Duration {
	b.Helper()
	f, err := os.Create(filepath.Join(b.TempDir(), "out"))
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	c := exec.Command("ssh", "-F", s.cfg, "bench", cmd)
	var stderr strings.Builder
	c.Stdout, c.Stderr = f, &stderr
	t0 := time.Now()
	if err := c.Run(); err != nil {
		b.Fatalf("ssh: %v\n%s", err, stderr.String())
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	return time.Since(t0)
}

// cleanJobs removes the job files golive left on the server.
func (s *benchServer) cleanJobs() {
	dir := filepath.Join(s.jobs, "golive", "jobs")
	ents, _ := os.ReadDir(dir)
	for _, d := range ents {
		os.RemoveAll(filepath.Join(dir, d.Name()))
	}
}

// sshBenchModel returns the main screen of a new release whose one step runs
// cmd on ex, as New and begin build it after the start screens.
func sshBenchModel(b *testing.B, ex sshexec.Executor, cmd string) (Model, func()) {
	b.Helper()
	text := fmt.Sprintf("id: bench\ntitle: Benchmark\ndescription: One step.\nversion: \"1\"\nsections:\n  - id: s\n    title: Steps\n    steps:\n      - id: stream\n        title: Stream output\n        kind: remote\n        command: %q\n", cmd)
	p := filepath.Join(b.TempDir(), "bench.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		b.Fatal(err)
	}
	rb, err := runbook.LoadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	plan, err := rb.Plan(nil)
	if err != nil {
		b.Fatal(err)
	}
	runID := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	rel := &Release{Plan: plan, Session: runbook.NewSession(plan, time.Now), Remote: ex,
		Redactor: runbook.NewRedactor(plan.Secrets()), Operator: "bench", Host: "bench", RunID: runID}
	// GOLIVE_BENCH_JOURNAL_DIR puts the journal elsewhere (a tmpfs, to
	// see what the disk costs); by default it is on the temp dir's disk.
	jdir := b.TempDir()
	if d := os.Getenv("GOLIVE_BENCH_JOURNAL_DIR"); d != "" {
		jdir = filepath.Join(d, runID)
		b.Cleanup(func() { os.RemoveAll(jdir) })
	}
	j, err := runbook.CreateJournal(jdir, runID)
	if err != nil {
		b.Fatal(err)
	}
	rel.Journal = j
	if err := rel.Commit(rel.Session.Begin(runbook.RunInfo{ID: runID, Host: "bench", Operator: "bench"})); err != nil {
		b.Fatal(err)
	}
	// As the TUI does once the host key checks out (beginRelease): the
	// helper starts while the operator reads the step.
	sshexec.Prestart(ex)
	m := New(Options{StateDir: b.TempDir(), Now: time.Now, DefaultOperator: "bench"})
	return m.begin(rel), func() { j.Close() }
}

// probeState is what a probe records; the program's goroutines (Update
// and View on one, the renderer's flushes on another) and the key sender
// share it.
type probeState struct {
	mu       sync.Mutex
	sent     time.Time // when the last probe key was written to the input
	inFlight bool      // that key has not reached the screen yet
	handled  bool      // Update handled it
	viewed   bool      // and a View after that rendered it
	// presses counts the probe keys Update handled; the Views after the
	// latest one end in that press's mark (pressMark), and the screen
	// shows the press once a write to the terminal holds the mark.
	presses  int
	toView   []time.Duration
	toScreen []time.Duration
	// lost counts probe keys that did not reach the screen within
	// lostAfter, given up for the next one; each is also a toScreen of
	// lostAfter, a miss, not left out.
	lost   int
	doneAt time.Time
	lines  int64
	runErr error
	views  int
	// writes counts the renderer's writes to the terminal: about one per
	// frame that differs from the one before (the renderer skips the
	// others).
	writes int
	// inUpdate and inView are the time spent in the Model's Update and
	// View: the program's one goroutine, which every batch goes through.
	inUpdate, inView time.Duration
	// batchUpdates are the Update times of the messages of output: what
	// a key press may wait behind.
	batchUpdates []time.Duration
	// cpu is the test process's CPU time (user + system, all its
	// threads) from the run key to the end of the run: golive's own cost,
	// which load from other work on the machine does not inflate the way
	// it does wall time.
	cpu time.Duration
	// machine is the CPU time the whole machine spent during the run
	// (every process: golive, sshd, the command, the kernel), from
	// /proc/stat; zero where there is none.
	machine time.Duration
	// gc is what the collector did from the run key to the end of the run.
	gc gcUse
}

// probe wraps the real Model. A "?" key press (help toggle: a visible
// change) is timed from its write to the program's input to the first
// View after its Update, and to the renderer's first write to the
// terminal that shows that View. Each View ends its last line with the
// mark of the latest press Update handled (pressMark), a letter found
// nowhere else on the screen, so a write shows the press's frame when it
// holds that press's mark: the first write after the View may be a flush
// of an older frame that was under way (the renderer takes each View
// under the lock its flushes hold). The end of the run quits the program. It is a pointer, so
// that it adds no copy of the Model to each Update's (the program keeps
// the Model the real one returns, as it does without the probe).
type probe struct {
	m  Model
	st *probeState
}

func (p *probe) Init() tea.Cmd { return p.m.Init() }

func (p *probe) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	t0 := time.Now()
	nm, cmd := p.m.Update(msg)
	p.m = nm.(Model)
	d := time.Since(t0)
	p.st.mu.Lock()
	p.st.inUpdate += d
	if _, ok := msg.(runEventsMsg); ok {
		p.st.batchUpdates = append(p.st.batchUpdates, d)
	}
	p.st.mu.Unlock()
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if msg.String() == "?" {
			p.st.mu.Lock()
			p.st.presses++
			p.st.handled, p.st.viewed = p.st.inFlight, false
			p.st.mu.Unlock()
		}
	case runDoneMsg:
		p.st.mu.Lock()
		p.st.doneAt = time.Now()
		p.st.runErr = msg.err
		if r := p.m.outputs["stream"]; r != nil {
			p.st.lines = r.total
		}
		p.st.mu.Unlock()
		return p, tea.Quit
	}
	return p, cmd
}

func (p *probe) View() tea.View {
	t0 := time.Now()
	v := p.m.View()
	p.st.mu.Lock()
	p.st.inView += time.Since(t0)
	p.st.views++
	if p.st.inFlight && p.st.handled && !p.st.viewed {
		p.st.viewed = true
		p.st.toView = append(p.st.toView, time.Since(p.st.sent))
	}
	mark := pressMark(p.st.presses)
	p.st.mu.Unlock()
	if body, nl := strings.CutSuffix(v.Content, "\n"); nl {
		v.Content = body + mark + "\n"
	} else {
		v.Content += mark
	}
	return v
}

// pressMark is the mark of press n: one of nine Greek letters, which
// neither base64 output nor golive's screens hold, so that two presses in
// a row have different marks.
func pressMark(n int) string {
	return string([]rune("αβγδεζηθι")[n%9])
}

// lostAfter is how long a probe key may take to reach the screen before
// the key sender gives up on it and counts it lost.
const lostAfter = 5 * time.Second

// screenWriter is the program's terminal: it discards the bytes and
// times the first write that shows the frame of a probe key.
type screenWriter struct{ st *probeState }

func (w screenWriter) Write(b []byte) (int, error) {
	w.st.mu.Lock()
	w.st.writes++
	if w.st.inFlight && w.st.viewed && bytes.Contains(b, []byte(pressMark(w.st.presses))) {
		w.st.inFlight = false
		w.st.toScreen = append(w.st.toScreen, time.Since(w.st.sent))
	}
	w.st.mu.Unlock()
	return len(b), nil
}

// benchProgram is a real tea.Program over the probe at 160x50 and
// golive's FrameRate, reading keys from the returned pipe.
func benchProgram(m Model, st *probeState) (*tea.Program, *io.PipeWriter) {
	TuneGC() // as the binary does at start-up
	pr, pw := io.Pipe()
	p := tea.NewProgram(&probe{m: m, st: st}, tea.WithInput(pr), tea.WithOutput(screenWriter{st}),
		tea.WithWindowSize(160, 50), tea.WithoutSignalHandler(), tea.WithFPS(FrameRate))
	return p, pw
}
