package runbook

import "testing"

// TestNextAfter: after a step, the first applicable open step below it;
// none below (the last open step signed off) goes back to the first open
// step from the top; a step not in the plan is Next.
func TestNextAfter(t *testing.T) {
	s := NewSession(testPlan(), fixedClock())
	run(t, s, begin())
	// Ahead of env-present and check-deploy, which stay open.
	run(t, s, sign("restore-tested", VerdictPassed, ""))
	if n := s.NextAfter("restore-tested"); n != "migrate-plan" {
		t.Fatalf("NextAfter(restore-tested) = %q, want migrate-plan (the next open step below; celery-ping is not applicable)", n)
	}
	for _, id := range []string{"migrate-plan", "migrate", "restart"} {
		run(t, s, passRun(id, "ok")...)
	}
	run(t, s, passRun("https-redirect", "HTTP/1.1 301 Moved Permanently")...)
	run(t, s, start("debug-off"), out("debug-off", "DEBUG = False"), exit("debug-off", 0), sign("debug-off", VerdictPassed, ""))
	if n := s.NextAfter("debug-off"); n != "env-present" {
		t.Fatalf("NextAfter(debug-off) with only earlier steps open = %q, want env-present", n)
	}
	if n, want := s.NextAfter("no-such-step"), s.Next(); n != want {
		t.Fatalf("NextAfter(unknown) = %q, want Next %q", n, want)
	}
}
