package runbook

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func cat(parts ...[]op) []op { return slices.Concat(parts...) }

func one(o ...op) []op { return o }

// TestTransitions walks every transition and rule: the setup must be
// accepted, then try is proposed; a refusal must wrap want and leave the
// session unchanged, an acceptance must apply and put step in status.
func TestTransitions(t *testing.T) {
	tests := []struct {
		name   string
		setup  []op
		try    op
		want   error // nil: accepted
		step   string
		status Status
	}{
		// Begin and finish.
		{"nothing before begin", nil, start("check-deploy"), ErrNotBegun, "", ""},
		{"note before begin", nil, note("", "hi"), ErrNotBegun, "", ""},
		{"begin twice", one(begin()), begin(), ErrWrongState, "", ""},
		{"nothing after finish", one(begin(), finish()), start("check-deploy"), ErrFinished, "", ""},
		{"finish while running", one(begin(), start("check-deploy")), finish(), ErrWrongState, "", ""},
		{"finish while interrupted", one(begin(), start("check-deploy"), interrupt("check-deploy")), finish(), nil, "check-deploy", StatusInterrupted},
		{"unknown step", one(begin()), start("nope"), ErrUnknownStep, "", ""},

		// Starting.
		{"pending starts", one(begin()), start("check-deploy"), nil, "check-deploy", StatusRunning},
		{"running cannot start", one(begin(), start("check-deploy")), start("check-deploy"), ErrStepNotRunnable, "check-deploy", StatusRunning},
		{"manual cannot start", one(begin()), start("restore-tested"), ErrStepNotRunnable, "restore-tested", StatusPending},
		{"not applicable cannot start", one(begin()), start("celery-ping"), ErrStepNotRunnable, "celery-ping", StatusPending},
		{"passed cannot start", cat(one(begin()), passRun("check-deploy", "ok")), start("check-deploy"), ErrStepNotRunnable, "check-deploy", StatusSignedOff},
		{"retry after awaiting", one(begin(), start("check-deploy"), exit("check-deploy", 1)), start("check-deploy"), nil, "check-deploy", StatusRunning},
		{"retry after unknown", one(begin(), start("check-deploy"), exitUnknown("check-deploy")), start("check-deploy"), nil, "check-deploy", StatusRunning},
		{"retry after signed off failed", one(begin(), start("check-deploy"), exit("check-deploy", 1), sign("check-deploy", VerdictFailed, "")), start("check-deploy"), nil, "check-deploy", StatusRunning},
		{"skipped cannot start", one(begin(), sign("check-deploy", VerdictSkipped, "done by hand")), start("check-deploy"), ErrStepNotRunnable, "check-deploy", StatusSignedOff},

		// Running.
		{"output while running", one(begin(), start("check-deploy")), out("check-deploy", "ok"), nil, "check-deploy", StatusRunning},
		{"output while pending", one(begin()), out("check-deploy", "ok"), ErrWrongState, "check-deploy", StatusPending},
		{"output after exit", one(begin(), start("check-deploy"), exit("check-deploy", 0)), out("check-deploy", "late"), ErrWrongState, "check-deploy", StatusAwaiting},
		{"exit 0 awaits sign-off", one(begin(), start("check-deploy")), exit("check-deploy", 0), nil, "check-deploy", StatusAwaiting},
		{"exit 1 awaits sign-off", one(begin(), start("check-deploy")), exit("check-deploy", 1), nil, "check-deploy", StatusAwaiting},
		{"unknown exit", one(begin(), start("check-deploy")), exitUnknown("check-deploy"), nil, "check-deploy", StatusUnknown},
		{"exit twice", one(begin(), start("check-deploy"), exit("check-deploy", 0)), exit("check-deploy", 0), ErrWrongState, "check-deploy", StatusAwaiting},
		{"exit while pending", one(begin()), exit("check-deploy", 0), ErrWrongState, "check-deploy", StatusPending},

		// Interrupt and resume.
		{"interrupt running", one(begin(), start("check-deploy")), interrupt("check-deploy"), nil, "check-deploy", StatusInterrupted},
		{"interrupt pending", one(begin()), interrupt("check-deploy"), ErrWrongState, "check-deploy", StatusPending},
		{"interrupt twice", one(begin(), start("check-deploy"), interrupt("check-deploy")), interrupt("check-deploy"), ErrWrongState, "check-deploy", StatusInterrupted},
		{"reattach same job", one(begin(), startJob("migrate", "job-1", true), interrupt("migrate")), startJob("migrate", "job-1", true), nil, "migrate", StatusRunning},
		{"new attempt after interrupt", one(begin(), startJob("check-deploy", "job-1", false), interrupt("check-deploy")), startJob("check-deploy", "job-2", false), nil, "check-deploy", StatusRunning},
		{"exit learned while interrupted", one(begin(), start("check-deploy"), interrupt("check-deploy")), exit("check-deploy", 0), nil, "check-deploy", StatusAwaiting},

		// Signing off.
		{"pass after exit 0", one(begin(), start("check-deploy"), exit("check-deploy", 0)), sign("check-deploy", VerdictPassed, ""), nil, "check-deploy", StatusSignedOff},
		{"sign off running", one(begin(), start("check-deploy")), sign("check-deploy", VerdictFailed, ""), ErrWrongState, "check-deploy", StatusRunning},
		{"sign off twice", cat(one(begin()), passRun("check-deploy", "ok")), sign("check-deploy", VerdictFailed, ""), ErrWrongState, "check-deploy", StatusSignedOff},
		{"pass after exit 1 without note", one(begin(), start("check-deploy"), exit("check-deploy", 1)), sign("check-deploy", VerdictPassed, ""), ErrNoteRequired, "check-deploy", StatusAwaiting},
		{"pass after exit 1 with note", one(begin(), start("check-deploy"), exit("check-deploy", 1)), sign("check-deploy", VerdictPassed, "warning W008 is expected behind the proxy"), nil, "check-deploy", StatusSignedOff},
		{"pass unmet match without note", one(begin(), start("env-present"), out("env-present", "nothing"), exit("env-present", 0)), sign("env-present", VerdictPassed, "  "), ErrNoteRequired, "env-present", StatusAwaiting},
		{"pass unknown without note", one(begin(), start("check-deploy"), exitUnknown("check-deploy")), sign("check-deploy", VerdictPassed, ""), ErrNoteRequired, "check-deploy", StatusUnknown},
		{"pass unknown with note", one(begin(), start("check-deploy"), exitUnknown("check-deploy")), sign("check-deploy", VerdictPassed, "re-ran by hand: exit 0"), nil, "check-deploy", StatusSignedOff},
		{"pass interrupted without note", one(begin(), start("check-deploy"), interrupt("check-deploy")), sign("check-deploy", VerdictPassed, ""), ErrNoteRequired, "check-deploy", StatusInterrupted},
		{"fail interrupted", one(begin(), start("check-deploy"), interrupt("check-deploy")), sign("check-deploy", VerdictFailed, ""), nil, "check-deploy", StatusSignedOff},
		{"pass never run", one(begin()), sign("check-deploy", VerdictPassed, "trust me"), ErrWrongState, "check-deploy", StatusPending},
		{"fail never run", one(begin()), sign("check-deploy", VerdictFailed, ""), nil, "check-deploy", StatusSignedOff},
		{"skip without note", one(begin()), sign("check-deploy", VerdictSkipped, ""), ErrNoteRequired, "check-deploy", StatusPending},
		{"skip with note", one(begin()), sign("check-deploy", VerdictSkipped, "checked in staging"), nil, "check-deploy", StatusSignedOff},
		{"bad verdict", one(begin()), sign("check-deploy", "ok", ""), ErrBadVerdict, "check-deploy", StatusPending},
		{"manual passes", one(begin()), sign("restore-tested", VerdictPassed, ""), nil, "restore-tested", StatusSignedOff},
		{"not applicable only n/a", one(begin()), sign("celery-ping", VerdictPassed, "x"), ErrBadVerdict, "celery-ping", StatusPending},
		{"not applicable n/a", one(begin()), sign("celery-ping", VerdictNotApplicable, ""), nil, "celery-ping", StatusSignedOff},
		{"applicable n/a needs note", one(begin()), sign("check-deploy", VerdictNotApplicable, ""), ErrNoteRequired, "check-deploy", StatusPending},

		// Blocking by a failed high-risk step.
		{"failed migrate blocks restart", one(begin(), start("migrate"), exit("migrate", 1)), start("restart"), ErrBlocked, "restart", StatusPending},
		{"failed migrate blocks sign-off", one(begin(), start("migrate"), exit("migrate", 1)), sign("restart", VerdictSkipped, "x"), ErrBlocked, "restart", StatusPending},
		{"running migrate blocks restart", one(begin(), start("migrate")), start("restart"), ErrBlocked, "restart", StatusPending},
		{"unknown migrate blocks", one(begin(), start("migrate"), exitUnknown("migrate")), start("restart"), ErrBlocked, "restart", StatusPending},
		{"failed migrate does not block earlier", one(begin(), start("migrate"), exit("migrate", 1)), start("check-deploy"), nil, "check-deploy", StatusRunning},
		{"signed failed without note blocks", one(begin(), start("migrate"), exit("migrate", 1), sign("migrate", VerdictFailed, "")), start("restart"), ErrBlocked, "restart", StatusPending},
		{"signed failed with reason releases", one(begin(), start("migrate"), exit("migrate", 1), sign("migrate", VerdictFailed, "lock timeout; applied by DBA")), start("restart"), nil, "restart", StatusRunning},
		{"rollback releases", one(begin(), start("migrate"), exit("migrate", 1), rollback("migrate")), start("restart"), nil, "restart", StatusRunning},
		{"retry after rollback blocks again", one(begin(), start("migrate"), exit("migrate", 1), rollback("migrate"), start("migrate"), exit("migrate", 1)), start("restart"), ErrBlocked, "restart", StatusPending},
		{"passed migrate does not block", cat(one(begin()), passRun("migrate", "OK")), start("restart"), nil, "restart", StatusRunning},
		{"failed medium risk does not block", one(begin(), start("restart"), exit("restart", 1)), start("https-redirect"), nil, "https-redirect", StatusRunning},
		{"rollback of pending step", one(begin()), rollback("migrate"), ErrWrongState, "migrate", StatusPending},
		{"rollback of running step", one(begin(), start("migrate")), rollback("migrate"), ErrWrongState, "migrate", StatusRunning},

		// Notes, variables, host keys, connections.
		{"empty note", one(begin()), note("", " "), ErrNoteRequired, "", ""},
		{"note on unknown step", one(begin()), note("nope", "x"), ErrUnknownStep, "", ""},
		{"step note", one(begin()), note("migrate", "DBA on call"), nil, "migrate", StatusPending},
		{"unknown variable", one(begin()), func(s *Session) (Event, error) { return s.SetVar(VarValue{Name: "nope", Value: "1"}) }, ErrUnknownVariable, "", ""},
		{"set variable", one(begin()), func(s *Session) (Event, error) { return s.SetVar(VarValue{Name: "domain", Value: "example.org"}) }, nil, "", ""},
		{"host key", one(begin()), func(s *Session) (Event, error) {
			return s.HostKeyAccepted(HostKeyInfo{Host: "web1", Type: "ssh-ed25519", Fingerprint: "SHA256:abc"})
		}, nil, "", ""},
		{"bad connection state", one(begin()), func(s *Session) (Event, error) { return s.Connection(ConnInfo{Host: "web1", State: "flaky"}) }, errors.New("any"), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSession(testPlan(), fixedClock())
			run(t, s, tt.setup...)
			before := s.Applied()
			var st StepState
			if tt.step != "" {
				st = s.Step(tt.step)
			}
			e, err := tt.try(s)
			if tt.want != nil {
				if err == nil {
					t.Fatalf("accepted %s, want refusal (%v)", e.Type, tt.want)
				}
				if tt.want.Error() != "any" && !errors.Is(err, tt.want) {
					t.Fatalf("error %q does not wrap %q", err, tt.want)
				}
				if e.Type != "" {
					t.Errorf("refusal returned an event %s", e.Type)
				}
				if s.Applied() != before {
					t.Errorf("refusal changed the session")
				}
			} else {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if e.Hash, err = EventHash(e); err != nil { // as the journal stamps it
					t.Fatal(err)
				}
				if err := s.Apply(e); err != nil {
					t.Fatalf("Apply of the constructor's own event: %v", err)
				}
			}
			if tt.step != "" {
				got := s.Step(tt.step)
				if got.Status != tt.status {
					t.Errorf("status %s, want %s", got.Status, tt.status)
				}
				if tt.want != nil && got.Status != st.Status {
					t.Errorf("status moved from %s on a refusal", st.Status)
				}
			}
		})
	}
}

func TestBlockedByNamesTheStep(t *testing.T) {
	s := NewSession(testPlan(), fixedClock())
	run(t, s, begin(), start("migrate"), out("migrate", "!django.db.utils.OperationalError: lock timeout"), exit("migrate", 1))
	if got := s.BlockedBy("restart"); got != "migrate" {
		t.Errorf("BlockedBy(restart) = %q, want migrate", got)
	}
	if got := s.BlockedBy("migrate-plan"); got != "" {
		t.Errorf("BlockedBy(migrate-plan) = %q, want none", got)
	}
	err := s.CanStart("debug-off")
	if !errors.Is(err, ErrBlocked) || !strings.Contains(err.Error(), `"migrate"`) {
		t.Errorf("CanStart(debug-off) = %v, want ErrBlocked naming migrate", err)
	}
	if err := s.CanStart("migrate"); err != nil {
		t.Errorf("the failed step itself may retry: %v", err)
	}
	if err := s.CanStart("restore-tested"); !errors.Is(err, ErrStepNotRunnable) {
		t.Errorf("CanStart(manual) = %v", err)
	}
}

func TestNextProgressVerdict(t *testing.T) {
	s := NewSession(testPlan(), fixedClock())
	run(t, s, begin())
	if n := s.Next(); n != "env-present" {
		t.Fatalf("Next = %q", n)
	}
	if done, total := s.Progress(); done != 1 || total != 9 {
		t.Fatalf("Progress = %d/%d, want 1/9 (celery-ping is not applicable)", done, total)
	}
	run(t, s, passRun("env-present", "DJANGO_SECRET_KEY is set")...)
	run(t, s, passRun("check-deploy", "System check identified no issues (0 silenced).")...)
	run(t, s, sign("restore-tested", VerdictPassed, ""))
	if n := s.Next(); n != "migrate-plan" {
		t.Fatalf("Next skips the not-applicable step: got %q", n)
	}
	if v := s.Verdict(); v != RunIncomplete {
		t.Fatalf("Verdict = %s", v)
	}
	for _, id := range []string{"migrate-plan", "migrate", "restart"} {
		run(t, s, passRun(id, "ok")...)
	}
	run(t, s, passRun("https-redirect", "HTTP/1.1 301 Moved Permanently")...)
	run(t, s, start("debug-off"), out("debug-off", "DEBUG = False"), exit("debug-off", 0))
	if v := s.Verdict(); v != RunIncomplete {
		t.Fatalf("Verdict with one step awaiting = %s", v)
	}
	run(t, s, sign("debug-off", VerdictPassed, ""))
	if n := s.Next(); n != "" {
		t.Fatalf("Next when done = %q", n)
	}
	if done, total := s.Progress(); done != 9 || total != 9 {
		t.Fatalf("Progress = %d/%d", done, total)
	}
	if v := s.Verdict(); v != RunPassed {
		t.Fatalf("Verdict = %s", v)
	}
	if err := s.CanStart("check-deploy"); !errors.Is(err, ErrStepNotRunnable) {
		t.Fatal("a passed step can start again")
	}
}

func TestVerdictFailed(t *testing.T) {
	s := NewSession(testPlan(), fixedClock())
	run(t, s, begin(), start("check-deploy"), exit("check-deploy", 1), sign("check-deploy", VerdictFailed, ""))
	if v := s.Verdict(); v != RunFailed {
		t.Fatalf("Verdict = %s, want failed", v)
	}
	// A retry that passes clears the failure.
	run(t, s, passRun("check-deploy", "ok")...)
	if v := s.Verdict(); v != RunIncomplete {
		t.Fatalf("Verdict after a passing retry = %s, want incomplete", v)
	}
	st := s.Step("check-deploy")
	if len(st.Attempts) != 2 || len(st.SignOffs) != 2 || st.Verdict != VerdictPassed {
		t.Fatalf("attempts %d, sign-offs %d, verdict %s", len(st.Attempts), len(st.SignOffs), st.Verdict)
	}
}
