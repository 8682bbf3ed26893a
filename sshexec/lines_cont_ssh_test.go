package sshexec

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"golive/internal/sshdtest"
)

// djangoPartial is what Django's migrate prints, flushes, and leaves
// sitting while a migration runs.
const djangoPartial = "  Applying app.0001_initial..."

// djangoJob prints djangoPartial, holds until mark exists (the test saw
// the partial: a fixed sleep that a loaded machine outlasts would deliver
// the line whole), writes a line on stderr, then the rest and a line.
func djangoJob(mark string) string {
	return "printf '" + djangoPartial + "'; " + holdUntil(mark) + "; echo warn >&2; printf ' OK\\n'; echo next"
}

// streamCont is the lines of lines that are on stream s.
func streamCont(lines []Line, s Stream) []Line {
	var out []Line
	for _, l := range lines {
		if l.Stream == s {
			out = append(out, l)
		}
	}
	return out
}

// TestSSHCont runs the Django-like job over a real OpenSSH sshd; see
// testCont.
func TestSSHCont(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	root := t.TempDir()
	testCont(t, sshRunner(t, s, root), func() Executor { return sshRunner(t, s, root) })
}

// TestLocalCont runs the same on the local executor, which shares the
// splitter.
func TestLocalCont(t *testing.T) {
	e, fresh := newTestLocal(t)
	defer e.Close()
	testCont(t, e, fresh)
}

// testCont: the rest of a line delivered after a quiet second arrives
// marked Cont, when followed live and when reattached from the partial
// line's Offset; the other stream is never marked; a quick job (its
// output sent back whole) has no quiet second, so no mark.
func testCont(t *testing.T, e Executor, fresh func() Executor) {
	t.Run("Live", func(t *testing.T) {
		mark := filepath.Join(t.TempDir(), "go-on")
		c := newCollector(t, func(l Line) {
			if l.Text == djangoPartial {
				release(t, mark)
			}
		})
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		res, err := e.Run(ctx, Spec{JobID: jobID(t), Script: djangoJob(mark)}, c.ch)
		lines := c.stop()
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("%+v %v", res, err)
		}
		checkCont(t, "stdout", streamCont(lines, Stdout), cl{djangoPartial, false}, cl{" OK", true}, cl{"next", false})
		checkCont(t, "stderr", streamCont(lines, Stderr), cl{"warn", false})
	})
	t.Run("Reattach", func(t *testing.T) {
		mark := filepath.Join(t.TempDir(), "go-on")
		id := jobID(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		c := newCollector(t, func(l Line) {
			if l.Text == djangoPartial {
				cancel() // golive stops following, as on a crash
			}
		})
		if _, err := e.Run(ctx, Spec{JobID: id, Script: djangoJob(mark)}, c.ch); !errors.Is(err, context.Canceled) {
			t.Fatalf("run: %v, want context.Canceled", err)
		}
		first := c.stop()
		checkCont(t, "before", streamCont(first, Stdout), cl{djangoPartial, false})
		from := lastOffsets(first)
		if from.Stdout != int64(len(djangoPartial)) || from.Stderr != 0 {
			t.Fatalf("offsets %+v, want stdout at the partial's end", from)
		}
		// The job still holds: attach, then let it go on.
		e2 := fresh()
		defer e2.Close()
		ctx2, cancel2 := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel2()
		c2 := newCollector(t, nil)
		go func() {
			time.Sleep(300 * time.Millisecond)
			release(t, mark)
		}()
		res, err := e2.Attach(ctx2, id, from, c2.ch)
		rest := c2.stop()
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("attach: %+v %v", res, err)
		}
		checkCont(t, "stdout after reattaching", streamCont(rest, Stdout), cl{" OK", true}, cl{"next", false})
		checkCont(t, "stderr after reattaching", streamCont(rest, Stderr), cl{"warn", false})
	})
	t.Run("QuickJob", func(t *testing.T) {
		res, lines, err := runJob(t, e, Spec{Script: "printf 'a...'; printf ' OK\\n'; printf 'x' >&2; printf tail"})
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("%+v %v", res, err)
		}
		checkCont(t, "stdout", streamCont(lines, Stdout), cl{"a... OK", false}, cl{"tail", false})
		checkCont(t, "stderr", streamCont(lines, Stderr), cl{"x", false})
	})
}
