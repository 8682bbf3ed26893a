//go:build !linux

package runbook

import "os"

// dropCached does nothing where golive has no portable way to advise the
// kernel; journals are correct without it.
func dropCached(f *os.File, off, n int64) {}
