package ui

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Plain mode's timing log: when PlainOptions.Timing is set (golive sets
// it from $GOLIVE_TIMING), every phase of the run writes one line there,
//
//	<ms since PlainOptions.Began> <ms since the previous phase> <phase> [detail]
//
// so that where a release's time goes can be measured on a real host
// without a profiler and without a word on the operator's screen. The
// phases: plain (RunPlain entered), loaded (runbook read and planned),
// connected, opened (journal created, start and host key journaled), and
// per step started (step.started journaled), ran (the job's end known and
// journaled), signed (sign-off journaled); then finished (run.finished
// journaled) and exported (transcript written and signed).

// TimingEnv names the environment variable holding the file plain mode
// appends its timing log to (see PlainOptions.Timing).
const TimingEnv = "GOLIVE_TIMING"

// OpenTiming opens the timing log $GOLIVE_TIMING names for appending. It
// returns nil when the variable is unset or the file cannot be opened (a
// log the operator asked for must never stop a release: the error is
// returned for a warning).
func OpenTiming() (io.WriteCloser, error) {
	path := os.Getenv(TimingEnv)
	if path == "" {
		return nil, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", TimingEnv, err)
	}
	return f, nil
}

// phaseClock writes the timing log; its zero value (no writer) does
// nothing.
type phaseClock struct {
	w     io.Writer
	began time.Time
	last  time.Time
	buf   []byte
}

func newPhaseClock(w io.Writer, began time.Time) *phaseClock {
	if began.IsZero() {
		began = time.Now()
	}
	return &phaseClock{w: w, began: began, last: began}
}

// mark records that phase ended now.
func (c *phaseClock) mark(phase, detail string) {
	if c == nil || c.w == nil {
		return
	}
	now := time.Now()
	b := c.buf[:0]
	b = strconv.AppendFloat(b, ms(now.Sub(c.began)), 'f', 3, 64)
	b = append(b, ' ')
	b = strconv.AppendFloat(b, ms(now.Sub(c.last)), 'f', 3, 64)
	b = append(b, ' ')
	b = append(b, phase...)
	if detail != "" {
		b = append(b, ' ')
		b = append(b, detail...)
	}
	b = append(b, '\n')
	_, _ = c.w.Write(b)
	c.buf, c.last = b, now
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// PhaseTimes sums a timing log (what plain mode wrote to
// PlainOptions.Timing, one run or several) by phase: the milliseconds
// spent in each phase, over every step for the per-step phases, and the
// number of runs it holds. Lines it cannot read are skipped.
func PhaseTimes(log string) (sums map[string]float64, runs int) {
	sums = map[string]float64{}
	for _, l := range strings.Split(log, "\n") {
		f := strings.Fields(l)
		if len(f) < 3 {
			continue
		}
		d, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		if f[2] == "plain" {
			runs++ // the first line of a run: its delta is the time since Began
		}
		sums[f[2]] += d
	}
	return sums, runs
}
