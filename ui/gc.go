package ui

import (
	"os"
	"runtime/debug"
)

// Garbage collection while a step streams. Output is most of what golive
// allocates (a string per line, a batch per journal write), almost all of
// it short-lived, over a live heap of a few MiB: with Go's default
// (GOGC=100) the collector runs every few MiB of output and, with its
// write barriers, took a fifth of golive's CPU at 200 MB. Letting the heap
// grow to five times the live data makes collections rarer; a soft memory
// limit keeps the total bounded all the same (docs/performance.md).
const (
	gcPercent   = 400
	memoryLimit = 32 << 20
)

// TuneGC sets the collector for streaming: GOGC 400 under a soft limit of
// 32 MiB. An operator's own GOGC or GOMEMLIMIT in the environment wins.
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
