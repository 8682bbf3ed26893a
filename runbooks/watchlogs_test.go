package runbooks_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golive/runbook"
	"golive/runbooks"
	"golive/sshexec"
)

// This machine (and CI's container) runs no systemd and has no journal,
// so watch-logs' script runs against stand-ins first on PATH: systemctl
// answers `show -p InactiveExitTimestamp|NRestarts --value` from files,
// and journalctl prints a unit's journal from a file, keeping only the
// entries at or after --since @EPOCH as the real one does (without
// --since, the last -n N). Both record their arguments. Nginx's error log
// is a real file followed by the real tail.

// fakeSystemctl says every unit is active (is-active, status) and answers from $GOLIVE_FAKE/UNIT.start (the unit's start as
// systemd prints it in UTC: to the second on line 1, to the microsecond on
// line 2 for --timestamp=us), UNIT.restarts, UNIT.ExecStart and
// UNIT.WorkingDirectory. With $GOLIVE_FAKE/old-systemd it rejects
// --timestamp=, as systemd before 247 does.
const fakeSystemctl = `#!/bin/sh
echo "systemctl $*" >> "$GOLIVE_FAKE/calls"
case $1 in
  status) echo "* $2.service"; echo "     Active: active (running)"; exit 0 ;;
  is-active) echo active; exit 0 ;;
esac
prop= unit= line=1
while [ $# -gt 0 ]; do
  case $1 in
    -p) prop=$2; shift ;;
    --timestamp=us)
      [ -e "$GOLIVE_FAKE/old-systemd" ] && { echo "systemctl: unrecognized option '$1'" >&2; exit 1; }
      line=2 ;;
    -*) ;;
    *) unit=$1 ;;
  esac
  shift
done
case $prop in
  InactiveExitTimestamp)
    if [ -e "$GOLIVE_FAKE/$unit.start" ]; then sed -n "${line}p" "$GOLIVE_FAKE/$unit.start"; else echo; fi ;;
  NRestarts) cat "$GOLIVE_FAKE/$unit.restarts" 2>/dev/null || echo 0 ;;
  ExecStart|WorkingDirectory) cat "$GOLIVE_FAKE/$unit.$prop" 2>/dev/null || echo ;;
  *) exit 1 ;;
esac
`

// fakeJournalctl prints $GOLIVE_FAKE/UNIT.journal ("EPOCH message" lines)
// and, with --follow, waits for new entries until it is stopped.
const fakeJournalctl = `#!/bin/sh
echo "journalctl $*" >> "$GOLIVE_FAKE/calls"
unit= since= lines=10 follow=
while [ $# -gt 0 ]; do
  case $1 in
    -u) unit=$2; shift ;;
    --since) since=${2#@}; shift ;;
    -n) lines=$2; shift ;;
    -f|--follow) follow=1 ;;
    --no-tail) lines=all ;;
  esac
  shift
done
j="$GOLIVE_FAKE/$unit.journal"
if [ -n "$since" ]; then
  awk -v s="$since" -v u="$unit" '$1 >= s+0 { $1 = ""; print u ":" $0 }' "$j"
else
  awk -v u="$unit" '{ $1 = ""; print u ":" $0 }' "$j" | if [ "$lines" = all ]; then cat; else tail -n "$lines"; fi
fi
[ -n "$follow" ] && exec sleep 600
exit 0
`

// watchHost is one fake host for watch-logs.
type watchHost struct {
	dir, nginxLog string
	env           map[string]string
}

// newWatchHost writes the stand-ins, each unit's start (that long ago, at
// .250000 of its second) and its journal: "OFFSET message" entries, the
// offset from the start (-60s: before it, the old process's).
func newWatchHost(t *testing.T, started map[string]time.Duration, journal map[string][]string) *watchHost {
	t.Helper()
	h := &watchHost{dir: t.TempDir()}
	bin := filepath.Join(h.dir, "bin")
	must(t, os.MkdirAll(bin, 0o755))
	must(t, os.WriteFile(filepath.Join(bin, "systemctl"), []byte(fakeSystemctl), 0o755))
	must(t, os.WriteFile(filepath.Join(bin, "journalctl"), []byte(fakeJournalctl), 0o755))
	for unit, ago := range started {
		at := time.Now().Add(-ago).Truncate(time.Second).Add(250 * time.Millisecond).UTC()
		stamp := at.Format("Mon 2006-01-02 15:04:05 UTC") + "\n" + at.Format("Mon 2006-01-02 15:04:05.000000 UTC") + "\n"
		must(t, os.WriteFile(filepath.Join(h.dir, unit+".start"), []byte(stamp), 0o644))
		var b strings.Builder
		for _, e := range journal[unit] {
			off, msg, _ := strings.Cut(e, " ")
			d, err := time.ParseDuration(off)
			must(t, err)
			fmt.Fprintf(&b, "%.6f %s\n", float64(at.Add(d).UnixMicro())/1e6, msg)
		}
		must(t, os.WriteFile(filepath.Join(h.dir, unit+".journal"), []byte(b.String()), 0o644))
	}
	h.nginxLog = filepath.Join(h.dir, "error.log")
	must(t, os.WriteFile(h.nginxLog, []byte("2026/01/01 03:00:00 [error] 812#812: *1 upstream timed out (110: Connection timed out) while reading response header from upstream\n"), 0o644))
	h.env = map[string]string{"PATH": bin + ":/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "GOLIVE_FAKE": h.dir}
	return h
}

// since is the --since argument the step must give journalctl for unit.
func (h *watchHost) since(t *testing.T, unit string, us bool) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(h.dir, unit+".start"))
	must(t, err)
	line := strings.Split(string(b), "\n")[0]
	at, err := time.Parse("Mon 2006-01-02 15:04:05 MST", line)
	must(t, err)
	if us {
		return fmt.Sprintf("--since @%d.250000 ", at.Unix())
	}
	return fmt.Sprintf("--since @%d.000000 ", at.Unix())
}

// run runs a step of the non-docker runbook for h, without sudo (which
// would reset PATH and lose the stand-ins), and returns what it printed
// and the stand-ins' calls.
func (h *watchHost) run(t *testing.T, step string, extra map[string]string) (stepResult, string) {
	t.Helper()
	vars := map[string]string{"nginx_error_log": h.nginxLog, "log_watch_seconds": "2"}
	for k, v := range extra {
		vars[k] = v
	}
	rb, err := runbook.Load(runbooks.FS, "non-docker")
	must(t, err)
	plan, err := rb.Plan(vars)
	must(t, err)
	local := sshexec.NewLocal(sshexec.LocalOptions{StateDir: t.TempDir()})
	t.Cleanup(func() { _ = local.Close() })
	res := execRunner{label: "local", exec: local, env: h.env}.run(t, asUser(plan.Step(step)))
	calls, _ := os.ReadFile(filepath.Join(h.dir, "calls"))
	return res, string(calls)
}

// appendWhile appends line to the Nginx error log every 200 ms until
// ctx is done: whenever tail starts following, the next one is new.
func (h *watchHost) appendWhile(ctx context.Context, line string) {
	go func() {
		for ctx.Err() == nil {
			if f, err := os.OpenFile(h.nginxLog, os.O_APPEND|os.O_WRONLY, 0); err == nil {
				_, _ = f.WriteString(line + "\n")
				_ = f.Close()
			}
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
}

// TestWatchLogsOnlySinceTheRestart: watch-logs showed the last 50 journal
// lines and the last 50 of Nginx's error log, so the old code's traceback
// from before the restart, or yesterday's upstream timeout, failed a good
// release. Now each unit's journal starts at that unit's own (re)start
// and the error log at the step's start; a new error still fails it.
func TestWatchLogsOnlySinceTheRestart(t *testing.T) {
	t.Parallel()
	started := map[string]time.Duration{"gunicorn": 20 * time.Second, "celery": 8 * time.Second}
	good := map[string][]string{
		"gunicorn": {"-60s Traceback (most recent call last):", "-60s ValueError: the old code's bug", "+1s [INFO] Booting worker with pid: 4242"},
		// Logged after Gunicorn's restart but before Celery's: one --since
		// for both units would show it.
		"celery": {"-5s CRITICAL the old worker lost its broker", "+1s celery@web1 ready."},
	}
	crashed := map[string][]string{"gunicorn": append(good["gunicorn"], "+3s Traceback (most recent call last):", "+3s KeyError: 'price'"),
		"celery": good["celery"]}
	celery := map[string]string{"uses_celery": "true"}
	for _, c := range []struct {
		name    string
		journal map[string][]string
		setup   func(h *watchHost)
		pass    bool
		want    string
	}{
		{name: "old errors only", journal: good, pass: true, want: "celery: celery@web1 ready."},
		{name: "a new traceback", journal: crashed, want: "gunicorn: Traceback"},
		{name: "a new Nginx error", journal: good, want: "connect() failed (111: Connection refused)"},
		{name: "systemd before 247", journal: good, pass: true, want: "gunicorn: [INFO] Booting worker",
			setup: func(h *watchHost) { must(t, os.WriteFile(filepath.Join(h.dir, "old-systemd"), nil, 0o644)) }},
		{name: "a unit that never started", journal: good, want: "celery: NO START TIME (empty)",
			setup: func(h *watchHost) { must(t, os.Remove(filepath.Join(h.dir, "celery.start"))) }},
		{name: "a crash loop", journal: good, want: "gunicorn: SYSTEMD RESTARTED IT 3 TIMES",
			setup: func(h *watchHost) {
				must(t, os.WriteFile(filepath.Join(h.dir, "gunicorn.restarts"), []byte("3\n"), 0o644))
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newWatchHost(t, started, c.journal)
			if c.setup != nil {
				c.setup(h)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if c.name == "a new Nginx error" {
				h.appendWhile(ctx, "2026/01/01 03:00:01 [error] 812#812: *7 connect() failed (111: Connection refused) while connecting to upstream")
			}
			res, calls := h.run(t, "watch-logs", celery)
			cancel()
			out := res.output()
			t.Logf("output:\n%s", out)
			if res.met != c.pass || !strings.Contains(out, c.want) {
				t.Fatalf("met=%v, want %v with %q\nfailures: %q\noutput:\n%s\ncalls:\n%s", res.met, c.pass, c.want, res.failures, out, calls)
			}
			for _, old := range []string{"the old code's bug", "the old worker lost its broker", "812#812: *1 upstream timed out"} {
				if strings.Contains(out, old) {
					t.Errorf("the output shows %q, logged before the restart or the step:\n%s", old, out)
				}
			}
			us := c.name != "systemd before 247" // the old one prints whole seconds
			for _, unit := range []string{"gunicorn", "celery"} {
				if c.name == "a unit that never started" && unit == "celery" {
					if strings.Contains(calls, "journalctl -u celery") {
						t.Errorf("followed the journal of a unit with no start time:\n%s", calls)
					}
					continue
				}
				want := "journalctl -u " + unit + " " + h.since(t, unit, us) + "--follow --no-tail"
				if !strings.Contains(calls, want) {
					t.Errorf("no call %q:\n%s", want, calls)
				}
			}
		})
	}
}

// TestUnitChecksReadTheJournalSinceTheRestart: the checks right after a
// restart (Gunicorn, Celery beat, the ASGI server) read the unit's
// journal of the last 2, 10 or 5 minutes, so the traceback the old code
// logged just before the restart (often what the release fixes) failed
// them. They read it from the unit's (re)start; a new traceback fails.
func TestUnitChecksReadTheJournalSinceTheRestart(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"uses_celery": "true", "uses_beat": "true", "uses_asgi": "true"}
	for _, c := range []struct{ step, unit string }{
		{"gunicorn-status", "gunicorn"},
		{"beat-running", "celerybeat"},
		{"asgi-active", "asgi"},
	} {
		for _, crash := range []bool{false, true} {
			journal := []string{"-30s Traceback (most recent call last):", "-30s ZeroDivisionError: the bug this release fixes", "+1s started fine"}
			if crash {
				journal = append(journal, "+2s Traceback (most recent call last):", "+2s KeyError: 'price'")
			}
			h := newWatchHost(t, map[string]time.Duration{c.unit: 10 * time.Second}, map[string][]string{c.unit: journal})
			res, calls := h.run(t, c.step, vars)
			out := res.output()
			if res.met == crash || !strings.Contains(out, c.unit+": started fine") || strings.Contains(out, "the bug this release fixes") {
				t.Errorf("%s (a new traceback: %v): met=%v\nfailures: %q\noutput:\n%s\ncalls:\n%s", c.step, crash, res.met, res.failures, out, calls)
			}
			if want := "journalctl -u " + c.unit + " " + h.since(t, c.unit, true) + "--no-pager"; !strings.Contains(calls, want) {
				t.Errorf("%s: no call %q:\n%s", c.step, want, calls)
			}
		}
	}
}

// TestWatchLogsFollowsTheASGIUnit: with uses_asgi the ASGI server's unit
// is one of the release's processes: watch-logs follows its journal from
// its (re)start like Gunicorn's, and a traceback there fails the step
// (one from before the restart does not).
func TestWatchLogsFollowsTheASGIUnit(t *testing.T) {
	t.Parallel()
	for _, crash := range []bool{false, true} {
		t.Run(fmt.Sprintf("new traceback=%v", crash), func(t *testing.T) {
			t.Parallel()
			journal := map[string][]string{
				"gunicorn": {"+1s [INFO] Booting worker with pid: 4242"},
				"asgi":     {"-30s Traceback (most recent call last):", "-30s ValueError: the old code's bug", "+1s Application startup complete."},
			}
			if crash {
				journal["asgi"] = append(journal["asgi"], "+2s Traceback (most recent call last):", "+2s KeyError: 'room'")
			}
			h := newWatchHost(t, map[string]time.Duration{"gunicorn": 20 * time.Second, "asgi": 10 * time.Second}, journal)
			res, calls := h.run(t, "watch-logs", map[string]string{"uses_asgi": "true"})
			out := res.output()
			want := "journalctl -u asgi " + h.since(t, "asgi", true) + "--follow --no-tail"
			if res.met == crash || !strings.Contains(out, "asgi: Application startup complete.") ||
				strings.Contains(out, "the old code's bug") || !strings.Contains(calls, want) {
				t.Errorf("met=%v, want %v, the ASGI unit's journal since its start (%q)\nfailures: %q\noutput:\n%s\ncalls:\n%s",
					res.met, !crash, want, res.failures, out, calls)
			}
		})
	}
}
