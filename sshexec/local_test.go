package sshexec

import (
	"testing"
)

func newTestLocal(t *testing.T) (Executor, func() Executor) {
	dir := t.TempDir()
	fresh := func() Executor { return NewLocal(LocalOptions{StateDir: dir}) }
	return fresh(), fresh
}

func TestLocal(t *testing.T) {
	e, fresh := newTestLocal(t)
	defer e.Close()
	if e.Host() != "local" {
		t.Errorf("Host() = %q", e.Host())
	}
	t.Run("OrderAndExit", func(t *testing.T) { testOrderAndExit(t, e) })
	t.Run("Signal", func(t *testing.T) { testSignal(t, e) })
	t.Run("Env", func(t *testing.T) { testEnv(t, e) })
	t.Run("ProgressAndBytes", func(t *testing.T) { testProgressAndBytes(t, e) })
	t.Run("JobIDOnce", func(t *testing.T) { testJobIDOnce(t, e) })
	t.Run("Timeout", func(t *testing.T) { testTimeout(t, e) })
	t.Run("Cancel", func(t *testing.T) { testCancel(t, e) })
	t.Run("Attach", func(t *testing.T) { testAttach(t, e, fresh) })
	t.Run("BigOutput", func(t *testing.T) { testBigOutput(t, e) })
}
