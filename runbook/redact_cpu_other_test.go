//go:build !linux

package runbook

import "time"

// threadCPU is not measured outside Linux: it reads zero.
func threadCPU() (func() time.Duration, func()) {
	return func() time.Duration { return 0 }, func() {}
}
