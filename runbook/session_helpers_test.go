package runbook

import (
	"fmt"
	"testing"
	"time"
)

// testRunbook is a small but realistic release runbook, built by hand so
// the session tests do not depend on the parser.
func testRunbook() *Runbook {
	return &Runbook{
		ID:      "test-release",
		Title:   "Test release",
		Version: "1",
		File:    "test-release.yaml",
		Hash:    "3f2a9c0d5e6b7a8190aabbccddeeff00112233445566778899aabbccddeeff00",
		Prelude: "cd {{app_dir}} || exit 90\n. {{app_dir}}/../venv/bin/activate\n",
		Variables: []Variable{
			{Name: "app_dir", Default: "/srv/app"},
			{Name: "domain", Default: "example.com"},
			{Name: "uses_celery", Default: "false"},
			{Name: "db_password", Secret: true},
		},
		Sections: []Section{
			{ID: "pre", Title: "Before the release", Steps: []Step{
				{ID: "env-present", Title: "Required environment variables are set", Kind: KindRemote,
					Why:     "The app refuses to start without them.",
					Command: "printenv DJANGO_SECRET_KEY >/dev/null && echo DJANGO_SECRET_KEY is set",
					Expect:  Expect{Match: []string{"is set"}, NotMatch: []string{"MISSING"}}, Risk: RiskLow},
				{ID: "check-deploy", Title: "Django deployment checks pass", Kind: KindRemote,
					Command: "python manage.py check --deploy --fail-level WARNING", Risk: RiskLow},
				{ID: "restore-tested", Title: "A restore from backup was tested", Kind: KindManual,
					Checklist: []string{"A restore was tested this quarter", "The rollback owner is named"}, Risk: RiskLow},
				{ID: "celery-ping", Title: "Celery workers answer", Kind: KindRemote,
					Command: "celery -A app inspect ping", When: "uses_celery", Risk: RiskLow},
			}},
			{ID: "deploy", Title: "Deployment", Steps: []Step{
				{ID: "migrate-plan", Title: "Review the migration plan", Kind: KindRemote,
					Command: "python manage.py migrate --plan", Risk: RiskLow},
				{ID: "migrate", Title: "Apply migrations", Kind: KindRemote,
					Command: "python manage.py migrate --noinput", Risk: RiskHigh,
					Rollback: "Restore the database from the pre-release backup."},
				{ID: "restart", Title: "Restart the app server", Kind: KindRemote,
					Command: "sudo systemctl restart gunicorn", Risk: RiskMedium, Sudo: true},
			}},
			{ID: "smoke", Title: "Smoke tests", Steps: []Step{
				{ID: "https-redirect", Title: "HTTP redirects to HTTPS", Kind: KindLocal,
					Command: "curl -sI http://example.com/", Expect: Expect{Match: []string{`^HTTP/\S+ 30[18]`}}},
				{ID: "debug-off", Title: "DEBUG is off", Kind: KindRemote,
					Command: "python manage.py diffsettings", Expect: Expect{NotMatch: []string{`DEBUG = True`}}},
			}},
		},
	}
}

// testPlan binds testRunbook the way Plan would: uses_celery is false, so
// celery-ping is not applicable.
func testPlan() *Plan {
	p, err := testRunbook().Plan(map[string]string{"db_password": "hunter2"})
	if err != nil {
		panic(err) // the test runbook is fixed; this cannot happen unless Plan breaks
	}
	return p
}

// fixedClock ticks one second per call from 2026-03-14 09:00:00 UTC, so
// every run of a test stamps the same times.
func fixedClock() func() time.Time {
	t := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	return func() time.Time {
		t = t.Add(time.Second)
		return t
	}
}

// op proposes one event to a session.
type op func(s *Session) (Event, error)

func begin() op {
	return func(s *Session) (Event, error) {
		return s.Begin(RunInfo{ID: "run-1", Host: "web1.example.com", Operator: "alice"})
	}
}

func start(id string) op { return startJob(id, "", false) }

func startJob(id, job string, confirmed bool) op {
	return func(s *Session) (Event, error) {
		cmd, where, host := "true", "remote", "web1.example.com"
		if ps := s.Plan().Step(id); ps != nil {
			cmd = ps.Display
			if ps.Step.Kind == KindLocal {
				where, host = "local", ""
			}
		}
		return s.StartStep(id, StartInfo{Command: cmd, Where: where,
			Host: host, JobID: job, Confirmed: confirmed})
	}
}

// out sends lines on stdout, or on stderr when a line starts with "!".
func out(id string, lines ...string) op {
	return func(s *Session) (Event, error) {
		var ls []OutputLine
		for i, l := range lines {
			st := StreamStdout
			if len(l) > 0 && l[0] == '!' {
				st, l = StreamStderr, l[1:]
			}
			ls = append(ls, OutputLine{Time: time.Date(2026, 3, 14, 9, 0, 0, i, time.UTC), Stream: st, Text: l})
		}
		return s.Output(id, ls)
	}
}

func exit(id string, code int) op {
	return func(s *Session) (Event, error) {
		return s.Exit(id, ExitInfo{Code: code, Duration: 1500 * time.Millisecond})
	}
}

func exitUnknown(id string) op {
	return func(s *Session) (Event, error) {
		return s.Exit(id, ExitInfo{Code: -1, Unknown: true, Duration: 4 * time.Second, Error: "connection lost; the job's exit file is gone"})
	}
}

func interrupt(id string) op {
	return func(s *Session) (Event, error) { return s.Interrupt(id, "golive was stopped") }
}

func sign(id string, v Verdict, note string) op {
	return func(s *Session) (Event, error) { return s.SignOff(id, v, note, "alice", false) }
}

func rollback(id string) op {
	return func(s *Session) (Event, error) { return s.ChooseRollback(id, "restoring the backup") }
}

func note(id, text string) op {
	return func(s *Session) (Event, error) { return s.AddNote(id, text) }
}

func finish() op {
	return func(s *Session) (Event, error) { return s.Finish("") }
}

// run applies ops in order and returns the events, failing the test on the
// first refusal. Each event is chained as the journal chains it (seq from
// 1, prev, hash: EventHash) before it is applied, so that new attempts
// digest their output by DigestRecords as in a journaled run.
func run(t testing.TB, s *Session, ops ...op) []Event {
	t.Helper()
	return runRule(t, s, false, ops...)
}

// runOldRule is run for a session recorded by a golive before
// DigestRecords: its step.started events name no digest rule, so every
// attempt digests its lines. The golden transcripts are such runs.
func runOldRule(t testing.TB, s *Session, ops ...op) []Event {
	t.Helper()
	return runRule(t, s, true, ops...)
}

func runRule(t testing.TB, s *Session, old bool, ops ...op) []Event {
	t.Helper()
	var evs []Event
	prev := ""
	for i, o := range ops {
		e, err := o(s)
		if old {
			e, err = oldRule(e, err)
		}
		if err != nil {
			t.Fatalf("op %d: %v", i, err)
		}
		e.Seq = int64(len(evs) + 1)
		e.Prev = prev
		if e.Hash, err = EventHash(e); err != nil {
			t.Fatalf("op %d: %v", i, err)
		}
		if err := s.Apply(e); err != nil {
			t.Fatalf("op %d: %v", i, err)
		}
		prev = e.Hash
		evs = append(evs, e)
	}
	return evs
}

// oldRule turns a constructor's step.started event into one an older
// golive recorded: no OutputDigest, the per-line rule, and no RunAs. It
// passes any other event (and a refusal) through.
func oldRule(e Event, err error) (Event, error) {
	if err == nil && e.Start != nil {
		st := *e.Start
		st.OutputDigest, st.RunAs = "", ""
		e.Start = &st
	}
	return e, err
}

// oldRuleOps wraps ops so that the step.started events they propose are
// an older golive's (oldRule).
func oldRuleOps(ops []op) []op {
	out := make([]op, len(ops))
	for i, o := range ops {
		out[i] = func(s *Session) (Event, error) { return oldRule(o(s)) }
	}
	return out
}

// runJournal proposes each op's event to a real journal and applies the
// event the journal returns (seq, prev, hash stamped, fsynced), as the UI
// does; it returns those events.
func runJournal(t testing.TB, s *Session, j *Journal, ops ...op) []Event {
	t.Helper()
	var evs []Event
	for i, o := range ops {
		e, err := o(s)
		if err != nil {
			t.Fatalf("op %d: %v", i, err)
		}
		stored, err := j.Append(e)
		if err != nil {
			t.Fatalf("op %d: journal: %v", i, err)
		}
		if err := s.Apply(stored[0]); err != nil {
			t.Fatalf("op %d: %v", i, err)
		}
		evs = append(evs, stored...)
	}
	return evs
}

// journaledRun runs ops on a new session of testPlan through a real
// journal, as golive does, and returns the session and the events as the
// journal stored them.
func journaledRun(t *testing.T, ops ...op) (*Session, []Event) {
	t.Helper()
	s := NewSession(testPlan(), fixedClock())
	j, err := CreateJournal(t.TempDir(), "run-1")
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	return s, runJournal(t, s, j, ops...)
}

// passRun runs a step and passes it.
func passRun(id string, lines ...string) []op {
	return []op{start(id), out(id, lines...), exit(id, 0), sign(id, VerdictPassed, "")}
}

// realisticRun is a whole release with one of everything: passed, failed,
// skipped with a note, not applicable, manual with a checklist, a
// high-risk step confirmed, an unknown exit passed with a note, and a step
// interrupted then reattached.
func realisticRun() []op {
	hostKey := func(s *Session) (Event, error) {
		return s.HostKeyAccepted(HostKeyInfo{Host: "web1.example.com", Type: "ssh-ed25519",
			Fingerprint: "SHA256:n2Qp0yC5Zq1nJYbq0pUe4b1M7mC0f3uVfKq1s5V7XyQ"})
	}
	conn := func(state, detail string) op {
		return func(s *Session) (Event, error) {
			return s.Connection(ConnInfo{Host: "web1.example.com", State: state, Detail: detail})
		}
	}
	return cat(
		one(begin(), hostKey),
		passRun("env-present", "DJANGO_SECRET_KEY is set", "DATABASE_URL is set"),
		one(start("check-deploy"), out("check-deploy", "!System check identified some issues:"),
			conn("lost", "read: connection reset by peer"), exitUnknown("check-deploy"), conn("restored", ""),
			sign("check-deploy", VerdictPassed, "re-ran by hand after the reconnect: no issues")),
		one(sign("restore-tested", VerdictPassed, "")),
		one(sign("celery-ping", VerdictNotApplicable, "")),
		one(startJob("migrate-plan", "job-7f3a", false), out("migrate-plan", "Planned operations:", "shop.0042_order_note"),
			interrupt("migrate-plan"), startJob("migrate-plan", "job-7f3a", false),
			out("migrate-plan", "    Add field note to order"), exit("migrate-plan", 0), sign("migrate-plan", VerdictPassed, "")),
		one(startJob("migrate", "job-8b21", true), out("migrate", migrationLines()...), exit("migrate", 0),
			sign("migrate", VerdictPassed, "")),
		one(note("restart", "the platform restarts gunicorn on deploy"),
			sign("restart", VerdictSkipped, "restarted by the platform's deploy hook")),
		one(start("https-redirect"), out("https-redirect", "!curl: (6) Could not resolve host: example.com"), exit("https-redirect", 6)),
		passRun("https-redirect", "HTTP/1.1 301 Moved Permanently", "Location: https://example.com/"),
		one(start("debug-off"), out("debug-off", "ALLOWED_HOSTS = ['example.com']", "DEBUG = True  ###", "\x1b[31mSECURE_SSL_REDIRECT = True\x1b[0m"),
			exit("debug-off", 0), sign("debug-off", VerdictFailed, "settings_prod not loaded; ticket OPS-142")),
		one(note("", "release 2026.03.14 stopped at the DEBUG check"), finish()),
	)
}

// migrationLines is a migrate run long enough to be cut in the excerpt.
func migrationLines() []string {
	lines := []string{"Operations to perform:", "  Apply all migrations: admin, auth, shop", "Running migrations:"}
	for i := 1; i <= 45; i++ {
		lines = append(lines, fmt.Sprintf("  Applying shop.%04d_auto... OK", i))
	}
	return lines
}
