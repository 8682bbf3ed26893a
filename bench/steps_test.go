package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golive/internal/sshdtest"
	"golive/runbook"
	"golive/sshexec"
	"golive/ui"
)

// env is one sshd on 127.0.0.1 with two ssh_config files for it: alias
// "bench" for plain `ssh` (a fresh connection each time) and golive, and
// alias "benchmux" for OpenSSH multiplexing (ControlMaster auto,
// ControlPersist, the ControlPath in a private temp dir).
type env struct {
	srv    *sshdtest.Server
	cfg    string // ssh_config with Host bench
	muxCfg string // ssh_config with Host benchmux
	jobs   string // XDG_STATE_HOME of the server side: golive's job files
}

// newEnv starts sshd. Jobs golive runs on the "server" keep their output
// files under a temp dir (sshd's SetEnv XDG_STATE_HOME), removed at the
// end, so 200 MB runs do not pile up in the real home directory.
func newEnv(b *testing.B) *env {
	b.Helper()
	jobs := b.TempDir()
	srv := sshdtest.Start(b, sshdtest.Config("SetEnv HOME="+jobs+" XDG_STATE_HOME="+jobs, "MaxStartups 100:30:200"))
	cm, err := os.MkdirTemp("", "golive-cm") // short: a socket path has a ~100-byte limit
	if err != nil {
		b.Fatal(err)
	}
	e := &env{srv: srv, jobs: jobs}
	e.cfg = srv.WriteSSHConfig("bench", "BatchMode yes")
	e.muxCfg = srv.WriteSSHConfig("benchmux", "BatchMode yes", "ControlMaster auto",
		"ControlPath "+filepath.Join(cm, "%C"), "ControlPersist 600")
	b.Cleanup(func() {
		_ = exec.Command("ssh", "-F", e.muxCfg, "-O", "exit", "benchmux").Run()
		os.RemoveAll(cm)
	})
	return e
}

// ssh returns `ssh -F cfg alias cmd`.
func (e *env) ssh(mux bool, cmd string) *exec.Cmd {
	if mux {
		return exec.Command("ssh", "-F", e.muxCfg, "benchmux", cmd)
	}
	return exec.Command("ssh", "-F", e.cfg, "bench", cmd)
}

// startMaster starts the multiplexing master (before any timing) and
// checks that it answers.
func (e *env) startMaster(b *testing.B) {
	b.Helper()
	if out, err := e.ssh(true, "true").CombinedOutput(); err != nil {
		b.Fatalf("start ControlMaster: %v\n%s", err, out)
	}
	if out, err := exec.Command("ssh", "-F", e.muxCfg, "-O", "check", "benchmux").CombinedOutput(); err != nil {
		b.Fatalf("ControlMaster not running: %v\n%s", err, out)
	}
}

// dial connects golive's SSH client through the same ssh_config (host key
// checked against the known_hosts it names, key from IdentityFile).
func (e *env) dial(b *testing.B) sshexec.Executor {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := sshexec.Dial(ctx, sshexec.Options{Host: "bench", ConfigFile: e.cfg, AgentSocket: "none"})
	if err != nil {
		b.Fatalf("dial: %v", err)
	}
	ex := c.Executor()
	b.Cleanup(func() { ex.Close() })
	return ex
}

// cleanJobs removes the job directories golive left on the "server".
func (e *env) cleanJobs(b *testing.B) {
	b.Helper()
	dir := filepath.Join(e.jobs, "golive", "jobs")
	ents, _ := os.ReadDir(dir)
	for _, d := range ents {
		os.RemoveAll(filepath.Join(dir, d.Name()))
	}
}

// stepsRunbook is a runbook of n remote steps running cmd, without a
// prelude.
func stepsRunbook(n int, cmd string) string {
	var s strings.Builder
	s.WriteString("id: bench\ntitle: Benchmark\ndescription: Steps for the benchmarks.\nversion: \"1\"\nsections:\n  - id: s\n    title: Steps\n    steps:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&s, "      - id: step-%d\n        title: Step %d\n        kind: remote\n        command: %q\n", i, i, cmd)
	}
	return s.String()
}

// writeRunbook writes text to a runbook file in a temp dir.
func writeRunbook(b *testing.B, text string) string {
	b.Helper()
	p := filepath.Join(b.TempDir(), "bench.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		b.Fatal(err)
	}
	return p
}

// newRelease begins a release of the runbook text on ex, with its journal
// in a temp state dir, as `golive run` does.
func newRelease(b *testing.B, ex sshexec.Executor, text string) *ui.Release {
	b.Helper()
	rb, err := runbook.LoadFile(writeRunbook(b, text))
	if err != nil {
		b.Fatal(err)
	}
	plan, err := rb.Plan(nil)
	if err != nil {
		b.Fatal(err)
	}
	runID := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	rel := &ui.Release{Plan: plan, Session: runbook.NewSession(plan, time.Now), Remote: ex,
		Redactor: runbook.NewRedactor(plan.Secrets()), Operator: "bench", Host: "bench", RunID: runID}
	j, err := runbook.CreateJournal(b.TempDir(), runID)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { j.Close() })
	rel.Journal = j
	if err := rel.Commit(rel.Session.Begin(runbook.RunInfo{ID: runID, Host: "bench", Operator: "bench"})); err != nil {
		b.Fatal(err)
	}
	return rel
}

// runStep is golive's whole path for one step, as plain mode walks it:
// journal step.started (fsync), run the job detached on the host through
// RunJob (redaction, output journaled in batches), apply every event to
// the Session, journal and apply step.exited. It returns the output lines
// seen.
func runStep(ctx context.Context, rel *ui.Release, step string) (int64, error) {
	ev, err := rel.StartEvent(step, true)
	if err != nil {
		return 0, err
	}
	stored, err := rel.Record(ev)
	if err != nil {
		return 0, err
	}
	if err := rel.Apply(stored...); err != nil {
		return 0, err
	}
	j, err := rel.JobFor(stored[0])
	if err != nil {
		return 0, err
	}
	var applyErr error
	var lines int64
	exit, _, err := rel.RunJob(ctx, j, func(evs []runbook.Event) {
		for _, e := range evs {
			lines += int64(len(e.Lines))
		}
		if applyErr == nil {
			applyErr = rel.Apply(evs...)
		}
	})
	if err != nil {
		return lines, err
	}
	if applyErr != nil {
		return lines, applyErr
	}
	if exit == nil {
		return lines, fmt.Errorf("step %s: no exit event", step)
	}
	if err := rel.Apply(*exit); err != nil {
		return lines, err
	}
	if exit.Exit.Code != 0 || exit.Exit.Unknown {
		return lines, fmt.Errorf("step %s: exit %+v", step, *exit.Exit)
	}
	return lines, nil
}

// BenchmarkStepOverhead times a `true` step three ways, interleaved step
// by step so that load from other work on the machine hits all three:
//
//   - golive: runStep on the pooled sshexec connection (journal fsync of
//     step.started, the detached launch, the follower sessions, redaction,
//     step.exited journaled and applied);
//   - ssh-fresh: `ssh -F cfg bench true`, a new connection each time;
//   - ssh-mux: `ssh -F cfg benchmux true` through a ControlMaster started
//     before timing;
//   - sshexec: the executor's Run alone (no journal, no Session), to tell
//     golive's bookkeeping from the detached job's cost (information).
//
// steps=1 begins a new release per iteration and runs its first step;
// steps=50 walks a release of 50 steps per iteration (scale: a longer
// journal and session). Metrics are ms per step and the two ratios the
// targets are stated in: golive/mux (target <= 1.5) and fresh/golive
// (target >= 10).
func BenchmarkStepOverhead(b *testing.B) {
	e := newEnv(b)
	e.startMaster(b)
	ex := e.dial(b)
	for _, k := range []int{1, 50} {
		b.Run(fmt.Sprintf("steps=%d", k), func(b *testing.B) {
			ctx := context.Background()
			var tGolive, tFresh, tMux, tBare time.Duration
			bare := make(chan []sshexec.Line, 16)
			defer close(bare)
			go func() {
				for range bare { // each Run's NoticeLaunched
				}
			}()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				rel := newRelease(b, ex, stepsRunbook(k, "true"))
				b.StartTimer()
				for s := 1; s <= k; s++ {
					// Rotate the order so none of the three always
					// runs right after another.
					for r := 0; r < 4; r++ {
						switch (s + i + r) % 4 {
						case 0:
							t0 := time.Now()
							if _, err := runStep(ctx, rel, fmt.Sprintf("step-%d", s)); err != nil {
								b.Fatal(err)
							}
							tGolive += time.Since(t0)
						case 1:
							t0 := time.Now()
							if out, err := e.ssh(false, "true").CombinedOutput(); err != nil {
								b.Fatalf("ssh: %v\n%s", err, out)
							}
							tFresh += time.Since(t0)
						case 2:
							t0 := time.Now()
							if out, err := e.ssh(true, "true").CombinedOutput(); err != nil {
								b.Fatalf("ssh (mux): %v\n%s", err, out)
							}
							tMux += time.Since(t0)
						case 3:
							// sshexec alone, without the Release's
							// journal and Session: where the time goes.
							t0 := time.Now()
							id := fmt.Sprintf("bare-%d-%d-%d", time.Now().UnixNano(), i, s)
							res, err := ex.Run(ctx, sshexec.Spec{JobID: id, Script: "true"}, bare)
							if err != nil || res.ExitCode != 0 {
								b.Fatalf("sshexec run: %+v %v", res, err)
							}
							tBare += time.Since(t0)
						}
					}
				}
				b.StopTimer()
				e.cleanJobs(b)
				b.StartTimer()
			}
			n := float64(b.N * k)
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / n }
			b.ReportMetric(ms(tGolive), "golive-ms/step")
			b.ReportMetric(ms(tBare), "sshexec-ms/step")
			b.ReportMetric(ms(tFresh), "ssh-fresh-ms/step")
			b.ReportMetric(ms(tMux), "ssh-mux-ms/step")
			b.ReportMetric(float64(tGolive)/float64(tMux), "golive/mux")
			b.ReportMetric(float64(tFresh)/float64(tGolive), "fresh/golive")
		})
	}
}
