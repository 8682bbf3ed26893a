package ui

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golive/runbook"
)

// benchOutputCmd prints about mb MB of base64 text in 76-column lines.
func benchOutputCmd(mb int) string {
	return fmt.Sprintf("head -c %d /dev/urandom | base64", mb<<20*3/4)
}

// benchOutputBytes is how many bytes benchOutputCmd(mb) prints, newlines
// included.
func benchOutputBytes(mb int) int64 {
	enc := (int64(mb<<20*3/4) + 2) / 3 * 4
	return enc + (enc+75)/76
}

// benchSizes are the output sizes of the TUI benchmarks: a base of 2 MB,
// then 10x and 100x it (200 MB, the size the targets are stated for).
var benchSizes = []int{2, 20, 200}

// runTUI runs one step printing mb MB in a real tea.Program and returns
// how long it took from the run key to the end of the run. With keys set,
// a "?" is typed every 40-60 ms while the step streams.
func runTUI(b *testing.B, srv *benchServer, mb int, keys bool) (time.Duration, *probeState) {
	b.Helper()
	st := &probeState{}
	// One connection and one journal per run, closed and let go after it,
	// as golive has one of each: kept for the benchmark's cleanup, each
	// run's stayed on the heap (about half a MiB), and at 60 runs the heap
	// was near the soft limit (TuneGC), the collector ran all the time
	// and a press took twice as long at the median.
	ex := srv.dial(b)
	defer ex.Close()
	m, closeJournal := sshBenchModel(b, ex, benchOutputCmd(mb))
	defer closeJournal()
	p, in := benchProgram(m, st)
	ran := make(chan error, 1)
	go func() { _, err := p.Run(); ran <- err }()
	time.Sleep(100 * time.Millisecond) // let the program start reading input
	cpu0, busy0 := processCPU(), machineCPU()
	gc0 := readGC()
	t0 := time.Now()
	if _, err := in.Write([]byte("\r")); err != nil {
		b.Fatal(err)
	}
	stop := make(chan struct{})
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		if !keys {
			return
		}
		for {
			select {
			case <-stop:
				return
			case <-time.After(keyGap(mb)):
			}
			st.mu.Lock()
			busy := st.inFlight && time.Since(st.sent) < lostAfter
			if st.inFlight && !busy {
				st.lost++
				st.toScreen = append(st.toScreen, lostAfter)
			}
			if !busy {
				st.inFlight, st.handled, st.viewed, st.sent = true, false, false, time.Now()
			}
			st.mu.Unlock()
			if !busy {
				_, _ = in.Write([]byte("?"))
			}
		}
	}()
	var err error
	select {
	case err = <-ran:
	case <-time.After(10 * time.Minute):
		p.Kill()
		err = <-ran
	}
	cpu, machine := processCPU()-cpu0, machineCPU()-busy0
	gc := readGC().sub(gc0)
	close(stop)
	in.Close()
	<-sent
	if err != nil {
		b.Fatalf("program: %v", err)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.runErr != nil || st.doneAt.IsZero() {
		b.Fatalf("run: %v (done %v)", st.runErr, st.doneAt)
	}
	st.cpu, st.machine, st.gc = cpu, machine, gc
	if want := benchOutputBytes(mb) / 77; st.lines < want {
		b.Fatalf("%d lines shown, want at least %d", st.lines, want)
	}
	srv.cleanJobs()
	return st.doneAt.Sub(t0), st
}

// BenchmarkTUIThroughput streams a step printing 2, 20 and 200 MB through
// the whole pipeline as the TUI runs it: sshexec (detached job, pooled
// connection) → redaction → journal (fsync per batch) → Session → output
// ring (sanitized) → pane → View, in a real tea.Program rendering at 160x50
// to a discarded terminal; alternated with `ssh bench 'same command' >
// /dev/null` (the target: golive/ssh >= 0.8 at 200 MB) and with `ssh
// bench 'same command' > FILE` plus an fsync of FILE (information: a
// durable copy, as golive's journal is).
func BenchmarkTUIThroughput(b *testing.B) {
	srv := startBenchServer(b)
	for _, mb := range benchSizes {
		b.Run(fmt.Sprintf("MB=%d", mb), func(b *testing.B) {
			var g, s, sf, upd, view, cpu, machine, sshMachine time.Duration
			views, writes := 0, 0
			var gc gcUse
			var batchUpd []time.Duration
			for i := 0; i < b.N; i++ {
				d, st := runTUI(b, srv, mb, false)
				g += d
				views += st.views
				gc = gc.add(st.gc)
				writes += st.writes
				batchUpd = append(batchUpd, st.batchUpdates...)
				upd += st.inUpdate
				view += st.inView
				cpu += st.cpu
				machine += st.machine
				m0 := machineCPU()
				s += srv.ssh(b, benchOutputCmd(mb))
				sshMachine += machineCPU() - m0
				sf += srv.sshToFile(b, benchOutputCmd(mb))
			}
			mbs := func(d time.Duration) float64 {
				return float64(benchOutputBytes(mb)) * float64(b.N) / d.Seconds() / 1e6
			}
			b.ReportMetric(mbs(g), "golive-MB/s")
			b.ReportMetric(mbs(s), "ssh-MB/s")
			b.ReportMetric(float64(s)/float64(g), "golive/ssh")
			b.ReportMetric(mbs(sf), "ssh-file-MB/s")
			b.ReportMetric(float64(sf)/float64(g), "golive/ssh-file")
			b.ReportMetric(float64(views)/float64(b.N), "views/run")
			b.ReportMetric(float64(writes)/float64(b.N), "screen-writes/run")
			b.ReportMetric(float64(writes)/g.Seconds(), "screen-writes/s")
			b.ReportMetric(cpu.Seconds()*1e3/float64(b.N)/(float64(benchOutputBytes(mb))/1e6), "golive-cpu-ms/MB")
			// The collector's share: cycles, its own CPU (the runtime's
			// estimate: marking and pauses, not write barriers or
			// sweeping) and what the run allocated.
			b.ReportMetric(float64(gc.cycles)/float64(b.N), "gc-cycles/run")
			b.ReportMetric(gc.cpu*1e3/float64(b.N), "gc-cpu-ms/run")
			b.ReportMetric(float64(gc.allocated)/float64(b.N)/(1<<20), "alloc-MiB/run")
			if machine > 0 {
				// How busy the 2 (or n) cores were while golive ran, and
				// what everything but golive took: the host side here.
				b.ReportMetric(machine.Seconds()/g.Seconds()/float64(runtime.NumCPU()), "machine-busy")
				b.ReportMetric((machine-cpu).Seconds()*1e3/float64(b.N)/(float64(benchOutputBytes(mb))/1e6), "others-cpu-ms/MB")
				// Everything the machine spent while ssh ran: client and host.
				b.ReportMetric(sshMachine.Seconds()*1e3/float64(b.N)/(float64(benchOutputBytes(mb))/1e6), "ssh-machine-cpu-ms/MB")
			}
			b.ReportMetric(float64(upd)/float64(g), "update-share")
			if len(batchUpd) > 0 {
				b.ReportMetric(pct(batchUpd, 99), "batch-update-p99-ms")
				b.ReportMetric(pct(batchUpd, 100), "batch-update-max-ms")
			}
			b.ReportMetric(float64(view)/float64(g), "view-share")
		})
	}
}

// keyGap is the random pause between key presses while mb MB stream: 40-60
// ms, or 5-10 ms at 2 MB or less, whose whole step now streams in a few
// tens of milliseconds (presses 40 ms apart would all land after it).
func keyGap(mb int) time.Duration {
	if mb <= 2 {
		return 5*time.Millisecond + rand.N(5*time.Millisecond)
	}
	return 40*time.Millisecond + rand.N(20*time.Millisecond)
}

// BenchmarkTUIKeyLatency types "?" (the help toggle, which changes the
// screen) every 40-60 ms (5-10 ms at 2 MB, see keyGap) while a step prints
// 2, 20 or 200 MB at full rate, and times each press from its write to the program's input to
// the renderer's next write to the terminal after the View that shows it
// (screen), and to that View (view). Target: p99 screen <= 50 ms.
func BenchmarkTUIKeyLatency(b *testing.B) {
	srv := startBenchServer(b)
	for _, mb := range benchSizes {
		b.Run(fmt.Sprintf("MB=%d", mb), func(b *testing.B) {
			var toView, toScreen []time.Duration
			lost := 0
			for i := 0; i < b.N; i++ {
				_, st := runTUI(b, srv, mb, true)
				toView = append(toView, st.toView...)
				toScreen = append(toScreen, st.toScreen...)
				lost += st.lost
			}
			if len(toScreen) == 0 {
				b.Fatal("no key press reached the screen")
			}
			b.ReportMetric(pct(toScreen, 50), "p50-ms")
			b.ReportMetric(pct(toScreen, 99), "p99-ms")
			b.ReportMetric(pct(toScreen, 100), "max-ms")
			b.ReportMetric(pct(toView, 99), "p99-view-ms")
			b.ReportMetric(float64(len(toScreen)), "presses")
			b.ReportMetric(float64(lost), "lost-presses")
		})
	}
}

// machineCPU is the CPU time all cores of the machine spent busy so far
// (/proc/stat: user, nice, system, irq, softirq, steal), or zero where
// there is no /proc/stat.
func machineCPU() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

// gcUse is what the collector did in a process so far: cycles, its CPU
// in seconds (the runtime's estimate) and the bytes allocated on the heap.
type gcUse struct {
	cycles, allocated uint64
	cpu               float64
}

// readGC reads the test process's gcUse: golive's, during a run.
func readGC() gcUse {
	s := []metrics.Sample{
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/gc/heap/allocs:bytes"},
		{Name: "/cpu/classes/gc/total:cpu-seconds"},
	}
	metrics.Read(s)
	return gcUse{cycles: s[0].Value.Uint64(), allocated: s[1].Value.Uint64(), cpu: s[2].Value.Float64()}
}

func (g gcUse) sub(o gcUse) gcUse {
	return gcUse{cycles: g.cycles - o.cycles, allocated: g.allocated - o.allocated, cpu: g.cpu - o.cpu}
}

func (g gcUse) add(o gcUse) gcUse {
	return gcUse{cycles: g.cycles + o.cycles, allocated: g.allocated + o.allocated, cpu: g.cpu + o.cpu}
}

// processCPU is this process's CPU time so far, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pct is the p-th percentile of ds in milliseconds (nearest rank).
func pct(ds []time.Duration, p float64) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	i = min(max(i, 0), len(s)-1)
	return float64(s[i]) / float64(time.Millisecond)
}

// BenchmarkPlainPrint prints a batch of 2,000 base64-like lines to
// /dev/null as plain mode does (NO_COLOR set): MB/s of output text.
func BenchmarkPlainPrint(b *testing.B) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer null.Close()
	p := &plain{po: PlainOptions{Out: null}, noColor: true}
	lines := make([]runbook.OutputLine, 2000)
	size := 0
	for i := range lines {
		lines[i] = runbook.OutputLine{Stream: runbook.StreamStdout, Text: "QmVuY2htYXJrIGxpbmUgb2YgYmFzZTY0IHRleHQsIHNldmVudHktc2l4IGNvbHVtbnMgd2lkZS4u"}
		size += len(lines[i].Text) + 1
	}
	evs := []runbook.Event{{Type: runbook.EvOutput, Lines: lines}}
	b.SetBytes(int64(size))
	for b.Loop() {
		p.print(evs)
	}
}
