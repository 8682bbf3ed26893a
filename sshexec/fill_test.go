package sshexec

import (
	"testing"
	"time"
)

// TestFillNeverEndsBeforeItStarts: the host's record of a job's start and
// end is used only as a pair. A sudo job's exit file, made empty at its
// launch, that its wrapper never wrote (killed with it) is older than the
// start; a job without an exit file has no host end at all: the duration
// is then the local clock's, from the confirmation to now, never
// negative (a host clock 10 s ahead made it -10 s).
func TestFillNeverEndsBeforeItStarts(t *testing.T) {
	confirmed := time.Now().Add(-2 * time.Second)
	hostStart := time.Now().Add(10 * time.Second) // a host clock ahead
	for name, a := range map[string]attempt{
		"empty exit file": {exit: []string{"none"}, startedAt: hostStart, endedAt: hostStart.Add(-50 * time.Millisecond)},
		"no exit file":    {exit: []string{"none"}, startedAt: hostStart},
	} {
		res := Result{ExitCode: -1, Started: confirmed}
		a.fill(&res)
		if d := res.Ended.Sub(res.Started); d < 2*time.Second || d > time.Minute {
			t.Errorf("%s: started %v, ended %v: duration %v, want the local ~2s", name, res.Started, res.Ended, d)
		}
		if !res.Unknown {
			t.Errorf("%s: exit status known: %+v", name, res)
		}
	}
	// Both on the host's record: the host's pair, as before.
	a := attempt{exit: []string{"0", "-"}, startedAt: hostStart, endedAt: hostStart.Add(3 * time.Second)}
	res := Result{ExitCode: -1, Started: confirmed}
	a.fill(&res)
	if !res.Started.Equal(hostStart) || res.Ended.Sub(res.Started) != 3*time.Second || res.ExitCode != 0 {
		t.Errorf("host record: %+v", res)
	}
	// A helper's attempt: the confirmation and its local end.
	end := confirmed.Add(40 * time.Millisecond)
	a = attempt{exit: []string{"0", "-"}, endedAt: end}
	res = Result{ExitCode: -1, Started: confirmed}
	a.fill(&res)
	if !res.Started.Equal(confirmed) || !res.Ended.Equal(end) {
		t.Errorf("helper's attempt: %+v", res)
	}
}
