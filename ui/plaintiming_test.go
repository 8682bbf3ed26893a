package ui

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestPlainTimingLog: with PlainOptions.Timing set, a plain run writes
// one line per phase, in order, with times that add up, and nothing of
// it reaches the operator's output.
func TestPlainTimingLog(t *testing.T) {
	e := newPlainEnv(t, map[string]string{"fail_check": "yes"})
	var log, out bytes.Buffer
	began := time.Now().Add(-5 * time.Millisecond)
	code := RunPlain(context.Background(), e.opts, PlainOptions{In: strings.NewReader(""), Out: &out, Yes: true, Timing: &log, Began: began})
	if code != ExitFailed {
		t.Fatalf("exit %d, want %d (the check step fails)\n%s", code, ExitFailed, out.String())
	}
	var phases []string
	last, sum := 0.0, 0.0
	for _, l := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		f := strings.Fields(l)
		if len(f) < 3 {
			t.Fatalf("timing line %q: want <ms> <delta ms> <phase> [detail]", l)
		}
		at, err1 := strconv.ParseFloat(f[0], 64)
		d, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil || at < last || d < 0 {
			t.Fatalf("timing line %q: bad or decreasing times (previous at %.3f)", l, last)
		}
		last, sum = at, sum+d
		phases = append(phases, strings.Join(f[2:], " "))
	}
	want := []string{"plain", "loaded", "opened",
		"started say", "ran say", "signed say",
		"started migrate", "ran migrate", "signed migrate",
		"started check", "ran check", "signed check", "exported"}
	if strings.Join(phases, "|") != strings.Join(want, "|") {
		t.Errorf("phases\n%q\nwant\n%q", phases, want)
	}
	if phases[0] == "plain" && last < 5 {
		t.Errorf("the last phase ends %.3f ms after Began, which was 5 ms before the run", last)
	}
	if d := sum - last; d > 0.01 || d < -0.01 {
		t.Errorf("the deltas add up to %.3f ms, the last phase ends at %.3f", sum, last)
	}
	if strings.Contains(out.String(), "started say") || strings.Contains(out.String(), "loaded") {
		t.Errorf("the timing log reached the operator's output:\n%s", out.String())
	}
	sums, runs := PhaseTimes(log.String() + log.String())
	if runs != 2 {
		t.Errorf("PhaseTimes of two logs: %d runs, want 2", runs)
	}
	total := 0.0
	for _, v := range sums {
		total += v
	}
	if d := total - 2*sum; d > 0.01 || d < -0.01 {
		t.Errorf("PhaseTimes sums to %.3f ms, want %.3f", total, 2*sum)
	}
}

// TestPhaseTimes sums a hand-written log by phase and skips lines it
// cannot read.
func TestPhaseTimes(t *testing.T) {
	log := "1.5 1.5 plain\n3 1.5 loaded\nnoise\n4 1 started s1\n9 5 ran s1\n10 1 started s2\n12 2 ran s2\nx y ran\n"
	sums, runs := PhaseTimes(log)
	if runs != 1 {
		t.Errorf("runs %d, want 1", runs)
	}
	want := map[string]float64{"plain": 1.5, "loaded": 1.5, "started": 2, "ran": 7}
	for k, v := range want {
		if sums[k] != v {
			t.Errorf("%s: %v ms, want %v", k, sums[k], v)
		}
	}
	if len(sums) != len(want) {
		t.Errorf("phases %v, want only %v", sums, want)
	}
}
