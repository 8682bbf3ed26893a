package runbooks_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Gunicorn run as seed 004 runs it, with --error-logfile, writes its boot
// failures and tracebacks to that file, not to the journal: gunicorn-status
// and watch-logs read only the journal and passed a release whose every
// worker failed to boot. With gunicorn_error_log they read the file too,
// from the unit's latest (re)start as they read the journal. These tests
// run against the same stand-ins for systemctl and journalctl as
// watchlogs_test.go, and a real Gunicorn writing a real error log.

// wsgiApps writes three WSGI modules to a new directory: good serves,
// oldbug and newbug raise at import, so that no worker of theirs boots.
func wsgiApps(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range map[string]string{
		"good.py":   "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n",
		"oldbug.py": "raise RuntimeError(\"the old code's bug\")\n",
		"newbug.py": "raise RuntimeError(\"the release's bug\")\n",
	} {
		must(t, os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644))
	}
	return dir
}

// runGunicorn runs Debian's Gunicorn on MODULE:app from dir with its error
// log in errLog, in the time zone tz (a POSIX TZ, so that its stamps carry
// that offset without tzdata). A module that does not boot makes Gunicorn
// give up: runGunicorn waits for that. Otherwise it waits until a worker
// booted and returns a func that stops Gunicorn (the test's end does too).
func runGunicorn(t *testing.T, dir, module, errLog, tz string) (stop func()) {
	t.Helper()
	cmd := exec.Command(djangoPython, "-m", "gunicorn", "--chdir", dir, "--bind", "127.0.0.1:0", "--workers", "1",
		"--access-logfile", filepath.Join(dir, "access.log"), "--error-logfile", errLog, module+":app")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "TZ=" + tz}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := os.Create(filepath.Join(dir, module+".out"))
	must(t, err)
	cmd.Stdout, cmd.Stderr = out, out
	// Only what this Gunicorn writes counts: the file may hold an earlier one's.
	var before int64
	if fi, err := os.Stat(errLog); err == nil {
		before = fi.Size()
	}
	must(t, cmd.Start())
	var once sync.Once
	stop = func() { once.Do(func() { stopGroup(cmd); _ = out.Close() }) }
	t.Cleanup(stop)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(errLog)
		log := string(b[min(before, int64(len(b))):])
		if module != "good" && strings.Contains(log, "Reason: Worker failed to boot.") {
			stop()
			return stop
		}
		if module == "good" && strings.Contains(log, "Booting worker with pid") {
			return stop
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	b, _ := os.ReadFile(errLog)
	o, _ := os.ReadFile(out.Name())
	t.Fatalf("gunicorn %s:app did not boot or give up within 30s\nerror log:\n%s\noutput:\n%s", module, b, o)
	return nil
}

// nextSecond waits until the next second has begun: Gunicorn's stamps are
// whole seconds, and a line stamped in the restart's second counts as the
// restart's.
func nextSecond() {
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
}

// TestGunicornErrorLogSinceTheRestart: Gunicorn logs a boot failure to its
// error log. One from before the unit's restart (the old code's) must not
// fail gunicorn-status or watch-logs; one after it must, with the
// traceback shown. app-logs, before the release, shows the file's last
// lines whatever they hold.
func TestGunicornErrorLogSinceTheRestart(t *testing.T) {
	if !hasGunicorn(t) {
		t.Skip("gunicorn not installed (apt-get install -y gunicorn)")
	}
	t.Parallel()
	for _, c := range []struct {
		name, before, after, tz string
		pass                    bool
		want, old               string
	}{
		// Stamps east and west of UTC: the step turns them into UTC.
		{name: "an old boot failure, a good restart", before: "oldbug", after: "good", tz: "IST-5:30", pass: true,
			want: "[INFO] Booting worker with pid", old: "the old code's bug"},
		{name: "a good run, then a boot failure", before: "good", after: "newbug", tz: "EST+5",
			want: "RuntimeError: the release's bug"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := wsgiApps(t)
			errLog := filepath.Join(dir, "error.log")
			runGunicorn(t, dir, c.before, errLog, c.tz)()
			nextSecond()
			h := newWatchHost(t, map[string]time.Duration{"gunicorn": 0}, nil)
			runGunicorn(t, dir, c.after, errLog, c.tz)
			vars := map[string]string{"gunicorn_error_log": errLog}
			for _, step := range []string{"gunicorn-status", "watch-logs"} {
				res, calls := h.run(t, step, vars)
				out := res.output()
				if res.met != c.pass || !strings.Contains(out, c.want) || (c.old != "" && strings.Contains(out, c.old)) ||
					!strings.Contains(out, "gunicorn: error log "+errLog+" since its last (re)start") {
					t.Errorf("%s: met=%v, want %v, showing %q (and not %q) from %s since the restart\nfailures: %q\noutput:\n%s\ncalls:\n%s",
						step, res.met, c.pass, c.want, c.old, errLog, res.failures, out, calls)
				}
				if !c.pass && !strings.Contains(out, "Worker failed to boot") {
					t.Errorf("%s: Gunicorn's 'Worker failed to boot' is not shown:\n%s", step, out)
				}
			}
			res, _ := h.run(t, "app-logs", vars)
			if out := res.output(); !res.met || !strings.Contains(out, c.want) {
				t.Errorf("app-logs: met=%v, want it to pass showing %q\nfailures: %q\noutput:\n%s", res.met, c.want, res.failures, out)
			}
		})
	}
}

// gunicornStamp is how Gunicorn stamps a line logged at, in zone.
func gunicornStamp(at time.Time, zone *time.Location) string {
	return at.In(zone).Format("[2006-01-02 15:04:05 -0700]")
}

// TestGunicornErrorLogMissingRotatedOrUnstamped: the file may not exist
// (a wrong path, or not written yet), may have been rotated since the
// restart, or may hold lines without Gunicorn's stamps. Each case is said,
// a missing file fails the checks after the restart, and what the file
// holds is never skipped over in silence.
func TestGunicornErrorLogMissingRotatedOrUnstamped(t *testing.T) {
	t.Parallel()
	zone := time.FixedZone("", 2*3600)
	for _, c := range []struct {
		name  string
		write func(h *watchHost, log string, start time.Time)
		// appear is written to the log while watch-logs follows it.
		appear string
		pass   bool
		want   string
		not    string
	}{
		{name: "missing", want: "gunicorn: ERROR LOG NOT FOUND: "},
		{name: "rotated since the restart", pass: false, want: "all of it: its first line is after the (re)start",
			write: func(h *watchHost, log string, start time.Time) {
				must(t, os.WriteFile(log, []byte(gunicornStamp(start.Add(5*time.Second), zone)+" [12] [ERROR] Exception in worker process\n"+
					"Traceback (most recent call last):\nKeyError: 'price'\n"), 0o644))
			}},
		{name: "unstamped", want: "carry no time stamp", not: "line 9 of 60",
			write: func(h *watchHost, log string, start time.Time) {
				var b strings.Builder
				for i := 1; i <= 60; i++ {
					fmt.Fprintf(&b, "line %d of 60\n", i)
				}
				b.WriteString("Traceback (most recent call last):\n")
				must(t, os.WriteFile(log, []byte(b.String()), 0o644))
			}},
		{name: "nothing since the restart", pass: true, want: "nothing written to it since its last (re)start", not: "the old code's bug",
			write: func(h *watchHost, log string, start time.Time) {
				must(t, os.WriteFile(log, []byte(gunicornStamp(start.Add(-time.Minute), zone)+" [12] [ERROR] Exception in worker process\n"+
					"Traceback (most recent call last):\nValueError: the old code's bug\n"), 0o644))
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newWatchHost(t, map[string]time.Duration{"gunicorn": 10 * time.Second}, nil)
			log := filepath.Join(h.dir, "gunicorn-error.log")
			if c.write != nil {
				b, err := os.ReadFile(filepath.Join(h.dir, "gunicorn.start"))
				must(t, err)
				start, err := time.Parse("Mon 2006-01-02 15:04:05.000000 MST", strings.Split(string(b), "\n")[1])
				must(t, err)
				c.write(h, log, start)
			}
			vars := map[string]string{"gunicorn_error_log": log}
			for _, step := range []string{"gunicorn-status", "watch-logs"} {
				res, calls := h.run(t, step, vars)
				out := res.output()
				if res.met != c.pass || !strings.Contains(out, c.want) || (c.not != "" && strings.Contains(out, c.not)) {
					t.Errorf("%s: met=%v, want %v with %q (and not %q)\nfailures: %q\noutput:\n%s\ncalls:\n%s",
						step, res.met, c.pass, c.want, c.not, res.failures, out, calls)
				}
			}
		})
	}
}

// TestWatchLogsFollowsAnErrorLogThatAppears: a file missing when the
// step starts is followed from its first line once Gunicorn creates it.
func TestWatchLogsFollowsAnErrorLogThatAppears(t *testing.T) {
	t.Parallel()
	h := newWatchHost(t, map[string]time.Duration{"gunicorn": 10 * time.Second}, nil)
	log := filepath.Join(h.dir, "gunicorn-error.log")
	go func() {
		time.Sleep(500 * time.Millisecond)
		_ = os.WriteFile(log, []byte(gunicornStamp(time.Now(), time.UTC)+" [12] [ERROR] Exception in worker process\nTraceback (most recent call last):\nKeyError: 'late'\n"), 0o644)
	}()
	res, calls := h.run(t, "watch-logs", map[string]string{"gunicorn_error_log": log, "log_watch_seconds": "4"})
	out := res.output()
	if res.met || !strings.Contains(out, "ERROR LOG NOT FOUND") || !strings.Contains(out, "KeyError: 'late'") {
		t.Errorf("met=%v, want a failure saying the file was missing and showing what it got\nfailures: %q\noutput:\n%s\ncalls:\n%s",
			res.met, res.failures, out, calls)
	}
}

// TestAppLogsFindsGunicornsErrorLog: before the release, app-logs reads
// where the unit's Gunicorn writes its errors (--error-logfile on its
// command line, or errorlog in its config file). A file the runbook is not
// told of, or told wrong, fails the step and names the file to set.
func TestAppLogsFindsGunicornsErrorLog(t *testing.T) {
	t.Parallel()
	unit := func(args string) string {
		return "{ path=/srv/myapp/venv/bin/gunicorn ; argv[]=/srv/myapp/venv/bin/gunicorn config.wsgi:application --workers 3 " + args +
			" ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }\n"
	}
	for _, c := range []struct {
		name, args, conf string
		wd               string // before the working directory in systemctl show's answer
		set              string // gunicorn_error_log, %LOG% standing for the file the unit names
		pass             bool
		want             string
	}{
		{name: "the seed's command line, not told", args: "--access-logfile /var/log/gunicorn/access.log --error-logfile %LOG%",
			want: "gunicorn: GUNICORN WRITES ITS ERRORS TO %LOG%, NOT THE JOURNAL: set gunicorn_error_log"},
		{name: "the seed's command line, told", args: "--error-logfile %LOG%", set: "%LOG%", pass: true, want: "[INFO] Booting worker with pid: 4242"},
		{name: "told another file", args: "--log-file=%LOG%", set: "/var/log/gunicorn/other.log",
			want: "gunicorn: ERROR LOG MISMATCH: Gunicorn writes its errors to %LOG%, not to /var/log/gunicorn/other.log"},
		{name: "stderr", args: "--error-logfile -", pass: true, want: "gunicorn: Gunicorn logs to the journal"},
		{name: "a config file, not told", args: "-c gunicorn.conf.py", conf: "workers = 3\nerrorlog = 'error.log'\n",
			want: "GUNICORN WRITES ITS ERRORS TO %LOG%, NOT THE JOURNAL"},
		{name: "a config file, told", args: "--config gunicorn.conf.py", conf: "errorlog = \"error.log\"\n", set: "%LOG%", pass: true,
			want: "gunicorn: error log %LOG%, its last 100 lines:"},
		// WorkingDirectory=-/srv/app: systemctl show prints it as !/srv/app.
		{name: "a config file, a working directory that may be missing", wd: "!", conf: "errorlog = 'error.log'\n",
			want: "GUNICORN WRITES ITS ERRORS TO %LOG%, NOT THE JOURNAL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newWatchHost(t, map[string]time.Duration{"gunicorn": 10 * time.Second}, nil)
			log := filepath.Join(h.dir, "error.log")
			must(t, os.WriteFile(log, []byte("[2026-01-01 03:00:00 +0000] [4242] [INFO] Booting worker with pid: 4242\n"), 0o644))
			must(t, os.WriteFile(filepath.Join(h.dir, "gunicorn.ExecStart"), []byte(unit(strings.ReplaceAll(c.args, "%LOG%", log))), 0o644))
			must(t, os.WriteFile(filepath.Join(h.dir, "gunicorn.WorkingDirectory"), []byte(c.wd+h.dir+"\n"), 0o644))
			if c.conf != "" {
				must(t, os.WriteFile(filepath.Join(h.dir, "gunicorn.conf.py"), []byte(c.conf), 0o644))
			}
			res, calls := h.run(t, "app-logs", map[string]string{"gunicorn_error_log": strings.ReplaceAll(c.set, "%LOG%", log)})
			out := res.output()
			if want := strings.ReplaceAll(c.want, "%LOG%", log); res.met != c.pass || !strings.Contains(out, want) {
				t.Errorf("met=%v, want %v with %q\nfailures: %q\noutput:\n%s\ncalls:\n%s", res.met, c.pass, want, res.failures, out, calls)
			}
		})
	}
}

// TestGunicornErrorLogOfGigabytes: the checks after the restart read the
// error log through awk to find the restart, from its first byte: a log of
// gigabytes took a minute or more (gunicorn-status has one), and from 2 GiB
// on mawk, Debian's awk, printed the offset as 2.14748e+09, which ended the
// script at $((...)) with "arithmetic expression: expecting EOF". They read
// the file's end, and more of it only while all of that is after the restart.
func TestGunicornErrorLogOfGigabytes(t *testing.T) {
	t.Parallel()
	zone := time.FixedZone("", -3*3600)
	for _, c := range []struct {
		name string
		// since writes what Gunicorn logged after the restart at start.
		since func(b *strings.Builder, start time.Time)
		pass  bool
		want  string
	}{
		{name: "a boot failure just after the restart", want: "KeyError: 'price'",
			since: func(b *strings.Builder, start time.Time) {
				b.WriteString(gunicornStamp(start.Add(2*time.Second), zone) + " [99] [ERROR] Exception in worker process\n" +
					"Traceback (most recent call last):\nKeyError: 'price'\n")
			}},
		{name: "3 MiB logged since a good restart", pass: true, want: "GET /products/29999",
			since: func(b *strings.Builder, start time.Time) {
				for i := 0; i < 30000; i++ {
					fmt.Fprintf(b, "%s [99] [DEBUG] GET /products/%d\n", gunicornStamp(start.Add(3*time.Second), zone), i)
				}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newWatchHost(t, map[string]time.Duration{"gunicorn": 10 * time.Second}, nil)
			b, err := os.ReadFile(filepath.Join(h.dir, "gunicorn.start"))
			must(t, err)
			start, err := time.Parse("Mon 2006-01-02 15:04:05.000000 MST", strings.Split(string(b), "\n")[1])
			must(t, err)
			// 3 GiB of older lines: a hole, which takes no disk, with a line end
			// every MiB, so that reading it through costs time, not memory.
			log := filepath.Join(h.dir, "gunicorn-error.log")
			f, err := os.Create(log)
			must(t, err)
			const hole = 3 << 30
			for off := int64(1<<20 - 1); off < hole; off += 1 << 20 {
				_, err := f.WriteAt([]byte("\n"), off)
				must(t, err)
			}
			first := gunicornStamp(start.Add(time.Second), zone) + " [99] [INFO] Booting worker with pid: 99"
			var tail strings.Builder
			tail.WriteString(gunicornStamp(start.Add(-time.Minute), zone) + " [12] [ERROR] Exception in worker process\n" +
				"Traceback (most recent call last):\nValueError: the old code's bug\n" + first + "\n")
			c.since(&tail, start)
			_, err = f.WriteAt([]byte(tail.String()), hole)
			must(t, err)
			must(t, f.Close())
			for _, step := range []string{"gunicorn-status", "watch-logs"} {
				began := time.Now()
				res, calls := h.run(t, step, map[string]string{"gunicorn_error_log": log})
				out := res.output()
				if res.met != c.pass || !strings.Contains(out, "gunicorn: error log "+log+" since its last (re)start") ||
					!strings.Contains("\n"+out+"\n", "\n"+first+"\n") || !strings.Contains(out, c.want) || strings.Contains(out, "the old code's bug") {
					t.Errorf("%s: met=%v, want %v, showing from the whole line %q on, %q among them, and not the old code's bug\nfailures: %q\noutput (its end):\n%s\ncalls:\n%s",
						step, res.met, c.pass, first, c.want, res.failures, out[max(0, len(out)-3000):], calls)
				}
				// watch-logs follows for 2s; a file read through takes longer.
				if took := time.Since(began); took > 15*time.Second {
					t.Errorf("%s took %v: it read the error log through", step, took)
				}
			}
		})
	}
}
