package ui

import (
	"os"
	"runtime/debug"
)

// Garbage collection while a step streams. Output is most of what golive
// allocates (a string per line, a batch per journal write), almost all of
// it short-lived, over a live heap of about 10-15 MiB (lines in flight,
// the SSH channel's buffer, the renderer's cells): with Go's default
// (GOGC=100) the collector runs every few MiB of output and, with its
// write barriers, took a fifth of golive's CPU at 200 MB. Letting the heap
// grow to five times the live data makes collections rarer; a soft memory
// limit keeps the total bounded all the same (docs/performance.md). The
// limit is what binds while a step streams: at 32 MiB the heap could grow
// by ~11 MiB between collections (about 100 of them at 200 MB); at 40 MiB
// by ~19 MiB, which cut the TUI's CPU for 200 MB by 9-14% for a peak RSS
// of ~50 MiB (TUI) and ~48 MiB (plain), under the 64 MiB target.
const (
	gcPercent   = 400
	memoryLimit = 40 << 20
)

// TuneGC sets the collector for streaming: GOGC 400 under a soft limit of
// 40 MiB. An operator's own GOGC or GOMEMLIMIT in the environment wins.
// main calls it once at start-up; the benchmarks call it too, so that they
// measure what the binary does.
func TuneGC() {
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(gcPercent)
	}
	if _, ok := os.LookupEnv("GOMEMLIMIT"); !ok {
		debug.SetMemoryLimit(memoryLimit)
	}
}
