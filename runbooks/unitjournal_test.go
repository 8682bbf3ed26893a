package runbooks_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestUnitChecksSeeALongTraceback: beat-running and asgi-active show the
// last lines of the unit's journal since its (re)start, and a traceback
// there fails them. A Python traceback is often longer than those last
// lines (a Celery task's or Django's, 30 frames and more), and the lines
// logged after it push its first line, "Traceback (most recent call
// last):", the only one the check looks for, out of them: the step passed
// over a crash. Each must fail whenever the journal since the restart
// holds a traceback, however long, and however much came after it.
func TestUnitChecksSeeALongTraceback(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"uses_celery": "true", "uses_beat": "true", "uses_asgi": "true"}
	for _, c := range []struct{ step, unit string }{
		{"beat-running", "celerybeat"},
		{"asgi-active", "asgi"},
	} {
		for _, crash := range []bool{false, true} {
			journal := []string{"-30s Traceback (most recent call last):", "-30s ZeroDivisionError: the old code's", "+1s started fine"}
			if crash {
				journal = append(journal, "+2s Traceback (most recent call last):")
				for i := 0; i < 30; i++ {
					journal = append(journal, fmt.Sprintf("+2s   File \"/srv/app/app/tasks.py\", line %d, in step%d", 10+i, i))
				}
				journal = append(journal, "+2s KeyError: 'price'")
			}
			for i := 0; i < 5; i++ {
				journal = append(journal, fmt.Sprintf("+%ds still serving %d", 3+i, i))
			}
			h := newWatchHost(t, map[string]time.Duration{c.unit: 20 * time.Second}, map[string][]string{c.unit: journal})
			res, calls := h.run(t, c.step, vars)
			out := res.output()
			if res.met == crash || !strings.Contains(out, c.unit+": still serving 4") || strings.Contains(out, "the old code's") {
				t.Errorf("%s (a long new traceback: %v): met=%v\nfailures: %q\noutput:\n%s\ncalls:\n%s", c.step, crash, res.met, res.failures, out, calls)
			}
			if n := strings.Count(out, "\n"); n > 80 {
				t.Errorf("%s: %d lines of output, want the journal's end and the traceback's start, not all of it:\n%s", c.step, n, out)
			}
		}
	}
}
