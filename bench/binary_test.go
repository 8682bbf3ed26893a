package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golive/ui"
)

// outputCmd prints about mb MB of base64 text (76-column lines): random
// bytes, so nothing along the way can compress them.
func outputCmd(mb int) string {
	return fmt.Sprintf("head -c %d /dev/urandom | base64", mb<<20*3/4)
}

// outputBytes is how many bytes outputCmd(mb) prints.
func outputBytes(mb int) int64 {
	raw := int64(mb << 20 * 3 / 4)
	enc := (raw + 2) / 3 * 4
	return enc + (enc+75)/76
}

// goliveBinary returns the golive binary to measure: $GOLIVE_BIN (what
// scripts/bench builds), else one built now.
func goliveBinary(b *testing.B) string {
	b.Helper()
	if p := os.Getenv("GOLIVE_BIN"); p != "" {
		return p
	}
	p := filepath.Join(b.TempDir(), "golive")
	c := exec.Command("go", "build", "-o", p, ".")
	c.Dir = ".."
	if out, err := c.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return p
}

// usage is what one child process cost.
type usage struct {
	wall   time.Duration
	maxRSS int64         // bytes
	cpu    time.Duration // user + system: what load on the machine does not inflate much
}

// measure runs c with stdout to /dev/null and returns its wall time and
// peak RSS (rusage ru_maxrss of the child).
func measure(b *testing.B, c *exec.Cmd) usage {
	b.Helper()
	var stderr bytes.Buffer
	c.Stdout, c.Stderr = nil, &stderr // nil: /dev/null
	t0 := time.Now()
	if err := c.Run(); err != nil {
		b.Fatalf("%s: %v\n%s", strings.Join(c.Args, " "), err, stderr.String())
	}
	u := usage{wall: time.Since(t0)}
	if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok {
		u.maxRSS = ru.Maxrss << 10 // Linux reports KiB
		u.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return u
}

// goliveRun is `golive run --plain --yes` of the runbook at rb against
// the bench alias, in a private HOME and XDG dirs, signing the transcript
// with the client key as an operator would. check, called after the run,
// fails the benchmark unless the signed transcript is there, and returns
// the run's timing log ($GOLIVE_TIMING, see ui.PhaseTimes).
func (e *env) goliveRun(b *testing.B, bin, rb string) (c *exec.Cmd, check func() string) {
	home := b.TempDir()
	timing := filepath.Join(home, "timing.log")
	c = exec.Command(bin, "run", "--plain", "--yes", "--host", "bench", "--ssh-config", e.cfg,
		"--identity", e.srv.ClientKeyPath, "--runbook", rb, "--operator", "bench", "--out", home)
	c.Env = append(os.Environ(), "HOME="+home, "XDG_STATE_HOME="+filepath.Join(home, "state"),
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"), "SSH_AUTH_SOCK=", "NO_COLOR=1",
		ui.TimingEnv+"="+timing)
	return c, func() string {
		if sigs, _ := filepath.Glob(filepath.Join(home, "*.json.sig")); len(sigs) != 1 {
			b.Fatalf("no signed transcript in %s after the run", home)
		}
		log, err := os.ReadFile(timing)
		if err != nil && !os.IsNotExist(err) { // absent: a binary older than the log
			b.Fatalf("timing log: %v", err)
		}
		return string(log)
	}
}

// phaseMetrics are the timing log's phases BenchmarkBinaryFiftySteps
// reports, and the name of each metric: per run for the run's phases,
// per step for the step's.
var phaseMetrics = []struct {
	phase, metric string
	perStep       bool
}{
	{"plain", "start-ms", false},       // main's start to plain mode (flags, options)
	{"loaded", "load-ms", false},       // runbook read, validated, planned
	{"connected", "connect-ms", false}, // handshake, host key, auth
	{"opened", "open-ms", false},       // journal created, start journaled
	{"started", "step-start-ms", true}, // print, journal step.started (fsync)
	{"ran", "step-run-ms", true},       // launch, output, exit journaled
	{"signed", "step-sign-ms", true},   // sign-off journaled
	{"finished", "finish-ms", false},   // run.finished journaled
	{"exported", "export-ms", false},   // transcript written and signed
}

// BenchmarkBinaryMemory runs the built golive binary, `golive run --plain
// --yes`, on a one-step runbook whose step prints mb MB, next to `ssh
// bench 'same command' > /dev/null`, alternating. It reports golive's
// peak RSS (target <= 64 MB whatever the output size) and both
// throughputs (the binary's includes connecting, signing off, and
// exporting and signing the transcript).
func BenchmarkBinaryMemory(b *testing.B) {
	e := newEnv(b)
	bin := goliveBinary(b)
	for _, mb := range []int{2, 20, 200} {
		b.Run(fmt.Sprintf("MB=%d", mb), func(b *testing.B) {
			rb := writeRunbook(b, stepsRunbook(1, outputCmd(mb)))
			var g, s usage
			for i := 0; i < b.N; i++ {
				c, check := e.goliveRun(b, bin, rb)
				gu := measure(b, c)
				check()
				su := measure(b, e.ssh(false, outputCmd(mb)))
				g.wall += gu.wall
				s.wall += su.wall
				g.cpu += gu.cpu
				g.maxRSS = max(g.maxRSS, gu.maxRSS)
				s.maxRSS = max(s.maxRSS, su.maxRSS)
				b.StopTimer()
				e.cleanJobs(b)
				b.StartTimer()
			}
			mbs := func(d time.Duration) float64 {
				return float64(outputBytes(mb)) * float64(b.N) / d.Seconds() / 1e6
			}
			b.ReportMetric(float64(g.maxRSS)/(1<<20), "golive-maxrss-MiB")
			b.ReportMetric(float64(s.maxRSS)/(1<<20), "ssh-maxrss-MiB")
			b.ReportMetric(mbs(g.wall), "golive-MB/s")
			b.ReportMetric(mbs(s.wall), "ssh-MB/s")
			b.ReportMetric(float64(s.wall)/float64(g.wall), "golive/ssh-throughput")
			b.ReportMetric(g.cpu.Seconds()*1e3/float64(b.N)/(float64(outputBytes(mb))/1e6), "golive-cpu-ms/MB")
		})
	}
}

// hostCPU is the CPU time (user and system) of the sshd listener's
// descendants that ended and were waited for: once golive's connection is
// closed and reaped, what the server spent on it (sshd, the login shells,
// golive's helper, the jobs). A lower bound: a process orphaned on the
// way (a timeout watchdog's last sleep) is reaped by init and not
// counted. It first waits until no more than conns sshd processes serve
// connections, so that the one just closed is counted.
func (e *env) hostCPU(b *testing.B, conns int) time.Duration {
	b.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if len(e.srv.SessionPIDs()) <= conns {
			break
		}
	}
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", e.srv.ListenerPID()))
	if err != nil {
		b.Fatalf("sshd's CPU: %v", err)
	}
	f := strings.Fields(string(st[bytes.LastIndexByte(st, ')')+2:]))
	// Fields 16 and 17 of stat (cutime, cstime), counted after the
	// command name: 14 and 15 here; in clock ticks (100 a second).
	var ticks int64
	for _, s := range f[13:15] {
		n, _ := strconv.ParseInt(s, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// BenchmarkBinaryFiftySteps runs `golive run --plain --yes` over a
// runbook of 50 steps printing 1000 lines each, next to 50 multiplexed
// `ssh` calls of the same command (master started first): per-step time
// and peak RSS of a whole release, golive's CPU and the server's
// (hostCPU) per step, and where golive's time went, phase by phase
// ($GOLIVE_TIMING).
func BenchmarkBinaryFiftySteps(b *testing.B) {
	e := newEnv(b)
	e.startMaster(b)
	bin := goliveBinary(b)
	const cmd = "seq 1 1000"
	rb := writeRunbook(b, stepsRunbook(50, cmd))
	var g, s usage
	var logs strings.Builder
	var host time.Duration
	for i := 0; i < b.N; i++ {
		c, check := e.goliveRun(b, bin, rb)
		conns := len(e.srv.SessionPIDs()) // the ControlMaster's
		h0 := e.hostCPU(b, conns)
		gu := measure(b, c)
		host += e.hostCPU(b, conns) - h0
		logs.WriteString(check())
		t0 := time.Now()
		for k := 0; k < 50; k++ {
			measure(b, e.ssh(true, cmd))
		}
		s.wall += time.Since(t0)
		g.wall += gu.wall
		g.cpu += gu.cpu
		g.maxRSS = max(g.maxRSS, gu.maxRSS)
		b.StopTimer()
		e.cleanJobs(b)
		b.StartTimer()
	}
	per := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / float64(50*b.N) }
	b.ReportMetric(float64(g.maxRSS)/(1<<20), "golive-maxrss-MiB")
	b.ReportMetric(per(g.wall), "golive-ms/step")
	b.ReportMetric(per(s.wall), "ssh-mux-ms/step")
	b.ReportMetric(per(g.cpu), "golive-cpu-ms/step") // golive's own CPU: steadier than wall time under load
	b.ReportMetric(per(host), "host-cpu-ms/step")    // the server side's: sshd, shells, the jobs
	b.ReportMetric(float64(g.wall)/float64(s.wall), "golive/mux")
	// Where the binary's time went, from its timing log; "rest-ms" is
	// what the log does not cover: the process's start before main and
	// its end after the export (wall time less the last phase's end).
	sums, runs := ui.PhaseTimes(logs.String())
	switch runs {
	case b.N:
	case 0:
		return // $GOLIVE_BIN is older than the timing log
	default:
		b.Fatalf("the timing logs hold %d runs, want %d", runs, b.N)
	}
	covered := 0.0
	for _, m := range phaseMetrics {
		covered += sums[m.phase]
		div := float64(b.N)
		if m.perStep {
			div *= 50
		}
		b.ReportMetric(sums[m.phase]/div, m.metric)
	}
	b.ReportMetric(float64(g.wall)/float64(time.Millisecond)/float64(b.N)-covered/float64(b.N), "rest-ms")
}
