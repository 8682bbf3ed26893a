// Package bench holds golive's benchmarks against OpenSSH on the same
// loopback host: a real sshd started by the benchmark (internal/sshdtest),
// golive's own path (sshexec's pooled connection, detached jobs, redaction,
// the fsynced journal) on one side and the `ssh` client on the other, timed
// in the same run and interleaved iteration by iteration, so that a machine
// shared with other work slows both sides alike and the ratios stay fair.
//
// The package has no code outside its tests. Run it with
//
//	go test -run '^$' -bench . -benchtime 20x ./bench/
//
// or, for every figure with its target and a pass/miss verdict, with
// scripts/bench. docs/performance.md describes each figure and its method.
//
// Figures reported as custom metrics (b.ReportMetric):
//
//   - BenchmarkStepOverhead: ms per `true` step for golive, for a fresh
//     `ssh` and for a multiplexed `ssh` (ControlMaster), and the ratios.
//   - BenchmarkFiftySteps: the same over a release of 50 steps.
//   - BenchmarkBinaryMemory: the peak RSS of the built golive binary
//     running a step that prints N MB in plain mode, its throughput
//     next to `ssh host cmd > /dev/null`, and its CPU per MB.
//   - BenchmarkBinaryFiftySteps: the built binary over a release of 50
//     steps next to 50 multiplexed `ssh` calls: ms per step and the
//     ratio, peak RSS, golive's and the server's CPU per step, and the
//     binary's own time by phase from its timing log ($GOLIVE_TIMING).
//
// The TUI figures (pipeline throughput into the output pane, key press
// latency while output streams) live in package ui (bench_tui_test.go),
// where the model's internals are visible.
package bench
