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
// by ~19 MiB, which cut the TUI's CPU for 200 MB by 9-14%. Since output
// buffers are reused, x/crypto/ssh's packets and the line text are most of
// the garbage (~510 MB per 200 MB), and 44 MiB (heap goal 33 instead of 29
// MiB over ~12 MiB live) cut golive's CPU at 200 MB by another 6% (4.66 ->
// 4.37 ms/MB, six alternated pairs) for a peak RSS of ~55 MiB (TUI, signed
// export included; 50 at 40 MiB) and ~51 MiB (plain; 47), under the 64 MiB
// target. 48 MiB put the plain binary at 54-57 MiB: too close.
const (
	gcPercent   = 400
	memoryLimit = 44 << 20
)

// TuneGC sets the collector for streaming: GOGC 400 under a soft limit of
// 44 MiB. An operator's own GOGC or GOMEMLIMIT in the environment wins.
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
