package bench

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkStepOverhead times a `true` step three ways, interleaved step
// by step so that load from other work on the machine hits all three:
//
//   - golive: runStep on the pooled sshexec connection (journal fsync of
//     step.started, the detached launch, the follower sessions, redaction,
//     step.exited journaled and applied);
//   - ssh-fresh: `ssh -F cfg bench true`, a new connection each time;
//   - ssh-mux: `ssh -F cfg benchmux true` through a ControlMaster started
//     before timing.
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
			var tGolive, tFresh, tMux time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				rel := newRelease(b, ex, stepsRunbook(k, "true"))
				b.StartTimer()
				for s := 1; s <= k; s++ {
					// Rotate the order so none of the three always
					// runs right after another.
					for r := 0; r < 3; r++ {
						switch (s + i + r) % 3 {
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
			b.ReportMetric(ms(tFresh), "ssh-fresh-ms/step")
			b.ReportMetric(ms(tMux), "ssh-mux-ms/step")
			b.ReportMetric(float64(tGolive)/float64(tMux), "golive/mux")
			b.ReportMetric(float64(tFresh)/float64(tGolive), "fresh/golive")
		})
	}
}
