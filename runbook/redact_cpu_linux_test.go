package runbook

import (
	"runtime"
	"syscall"
	"time"
)

// threadCPU returns the CPU time the calling OS thread has used, and a
// function that unlocks the goroutine from it. On a shared machine the
// redaction benchmarks report it next to wall time: another process's load
// stretches wall time, not the CPU time redaction needs.
func threadCPU() (func() time.Duration, func()) {
	runtime.LockOSThread()
	read := func() time.Duration {
		var ru syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_THREAD, &ru) != nil {
			return 0
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return read, runtime.UnlockOSThread
}
