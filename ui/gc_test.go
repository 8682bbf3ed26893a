package ui

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestTuneGC: without GOGC/GOMEMLIMIT in the environment TuneGC sets
// both; an operator's own settings are left alone.
func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))

	t.Run("defaults", func(t *testing.T) {
		unsetenv(t, "GOGC")
		unsetenv(t, "GOMEMLIMIT")
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(1 << 40)
		TuneGC()
		if got := debug.SetGCPercent(100); got != gcPercent {
			t.Errorf("GC percent %d, want %d", got, gcPercent)
		}
		if got := debug.SetMemoryLimit(-1); got != memoryLimit {
			t.Errorf("memory limit %d, want %d", got, memoryLimit)
		}
	})
	t.Run("operator's own", func(t *testing.T) {
		t.Setenv("GOGC", "150")
		t.Setenv("GOMEMLIMIT", "1GiB")
		debug.SetGCPercent(150)
		debug.SetMemoryLimit(1 << 30)
		TuneGC()
		if got := debug.SetGCPercent(150); got != 150 {
			t.Errorf("GC percent %d, want the operator's 150", got)
		}
		if got := debug.SetMemoryLimit(-1); got != 1<<30 {
			t.Errorf("memory limit %d, want the operator's 1 GiB", got)
		}
	})
}

// unsetenv removes key for the test and puts it back after.
func unsetenv(t *testing.T, key string) {
	t.Helper()
	t.Setenv(key, "") // restores the old value at the end
	if err := os.Unsetenv(key); err != nil {
		t.Fatal(err)
	}
}
