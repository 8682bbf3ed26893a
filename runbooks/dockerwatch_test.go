package runbooks_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golive/runbook"
	"golive/runbooks"
	"golive/sshexec"
)

// This machine (and CI's container) has no Docker, so the docker
// runbook's watch-logs runs against a stand-in `docker` first on PATH. It
// records its arguments and answers from files, as the real one would:
//   - compose ps [-a] -q SERVICE: the container ids in $GOLIVE_FAKE/SERVICE.ids
//     (the running ones), with -a also those in SERVICE.stopped (stopped
//     containers and one-off ones, which compose lists only with --all);
//   - inspect -f FORMAT ID: FORMAT with {{.State.StartedAt}}, {{.RestartCount}},
//     {{.Name}} and {{index .Config.Labels "com.docker.compose.oneoff"}} filled
//     in from $GOLIVE_FAKE/ID.{started,restarts,name,oneoff}
//     (any other field is refused, so the runbook's braces must reach it);
//   - compose logs [--since T] [--tail=N] [-f] SERVICE...: the "EPOCH message"
//     lines of $GOLIVE_FAKE/SERVICE.log at or after T (an RFC 3339 time or a
//     relative "1m", as docker takes them), the last N of them, prefixed
//     "SERVICE-1  | " as compose does;
//     with --follow it then waits until stopped, unless SERVICE.exited exists
//     (the container stopped, so compose's follower ends).
const fakeDocker = `#!/bin/sh
echo "docker $*" >> "$GOLIVE_FAKE/calls"
[ -n "$COMPOSE_FILE" ] && [ -n "$COMPOSE_PROJECT_NAME" ] || { echo "fake docker: no COMPOSE_FILE/COMPOSE_PROJECT_NAME" >&2; exit 2; }
case "$1 $2" in
  "compose ps")
    shift 2; all=; [ "$1" = -a ] && { all=1; shift; }
    [ "$1" = -q ] || { echo "fake docker: ps without -q" >&2; exit 2; }
    cat "$GOLIVE_FAKE/$2.ids" 2>/dev/null; [ -n "$all" ] && cat "$GOLIVE_FAKE/$2.stopped" 2>/dev/null; exit 0 ;;
  "inspect -f")
    f=$3 id=$4
    out=$(printf '%s\n' "$f" | sed -e "s|{{.State.StartedAt}}|$(cat "$GOLIVE_FAKE/$id.started")|" \
      -e "s|{{.RestartCount}}|$(cat "$GOLIVE_FAKE/$id.restarts" 2>/dev/null || echo 0)|" \
      -e "s|{{.Name}}|/$(cat "$GOLIVE_FAKE/$id.name")|" \
      -e "s|{{index .Config.Labels \"com.docker.compose.oneoff\"}}|$(cat "$GOLIVE_FAKE/$id.oneoff")|")
    case $out in *"{{"*|*"}}"*) echo "fake docker: template: can't evaluate $out" >&2; exit 1 ;; esac
    echo "$out"; exit 0 ;;
  "compose logs") shift 2 ;;
  *) echo "fake docker: '$*' is not simulated" >&2; exit 2 ;;
esac
since= follow= svcs= exited= tail=
while [ $# -gt 0 ]; do
  case $1 in
    --since) since=$2; shift ;;
    --tail=*) tail=${1#--tail=} ;;
    -f|--follow) follow=1 ;;
    --no-color) ;;
    -*) echo "fake docker: logs flag $1 is not simulated" >&2; exit 2 ;;
    *) svcs="$svcs $1" ;;
  esac
  shift
done
case $since in
  "") from=0 ;;
  *[0-9]m) from=$(( $(date +%s) - ${since%m} * 60 )) ;;
  *) from=$(date -u -d "$since" +%s.%6N) || exit 1 ;;
esac
for s in $svcs; do
  awk -v s="$from" -v p="$s-1  | " '$1 >= s+0 { $1 = ""; sub(/^ /, ""); print p $0 }' "$GOLIVE_FAKE/$s.log" 2>/dev/null |
    if [ -n "$tail" ]; then tail -n "$tail"; else cat; fi
  [ -e "$GOLIVE_FAKE/$s.exited" ] && exited=1
done
[ -n "$follow" ] && [ -z "$exited" ] && exec sleep 600
exit 0
`

// dockerWatch is one fake Docker host: containers, their starts and logs.
type dockerWatch struct {
	dir  string
	now  time.Time
	env  map[string]string
	runs map[string]string // container id -> its StartedAt
}

// container is one container of a service: its id, how long ago it
// started, how often Docker restarted it, whether it has stopped since and
// whether it is a one-off container (docker compose run).
type container struct {
	id       string
	ago      time.Duration
	restarts int
	stopped  bool
	oneoff   bool
}

// newDockerWatch writes the stand-in, the containers of each service and
// each service's log: "AGO message" lines (a negative AGO is after now,
// after the step's start).
func newDockerWatch(t *testing.T, services map[string][]container, logs map[string][]string) *dockerWatch {
	t.Helper()
	h := &dockerWatch{dir: t.TempDir(), now: time.Now(), runs: map[string]string{}}
	bin := filepath.Join(h.dir, "bin")
	must(t, os.MkdirAll(bin, 0o755))
	must(t, os.WriteFile(filepath.Join(bin, "docker"), []byte(fakeDocker), 0o755))
	for svc, cs := range services {
		var ids, stopped strings.Builder
		for i, c := range cs {
			started := h.now.Add(-c.ago).Truncate(time.Second).Add(250 * time.Millisecond).UTC().Format(time.RFC3339Nano)
			h.runs[c.id] = started
			if c.stopped || c.oneoff {
				fmt.Fprintln(&stopped, c.id)
			} else {
				fmt.Fprintln(&ids, c.id)
			}
			must(t, os.WriteFile(filepath.Join(h.dir, c.id+".started"), []byte(started), 0o644))
			must(t, os.WriteFile(filepath.Join(h.dir, c.id+".restarts"), []byte(fmt.Sprint(c.restarts)), 0o644))
			must(t, os.WriteFile(filepath.Join(h.dir, c.id+".name"), []byte(fmt.Sprintf("myapp-%s-%d", svc, i+1)), 0o644))
			must(t, os.WriteFile(filepath.Join(h.dir, c.id+".oneoff"), []byte(map[bool]string{false: "False", true: "True"}[c.oneoff]), 0o644))
		}
		must(t, os.WriteFile(filepath.Join(h.dir, svc+".ids"), []byte(ids.String()), 0o644))
		must(t, os.WriteFile(filepath.Join(h.dir, svc+".stopped"), []byte(stopped.String()), 0o644))
	}
	for svc, lines := range logs {
		var b strings.Builder
		for _, l := range lines {
			ago, msg, _ := strings.Cut(l, " ")
			d, err := time.ParseDuration(ago)
			must(t, err)
			fmt.Fprintf(&b, "%.6f %s\n", float64(h.now.Add(-d).UnixMicro())/1e6, msg)
		}
		must(t, os.WriteFile(filepath.Join(h.dir, svc+".log"), []byte(b.String()), 0o644))
	}
	h.env = map[string]string{"PATH": bin + ":/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "GOLIVE_FAKE": h.dir}
	return h
}

// run runs the docker runbook's watch-logs on h with Celery and the proxy
// in Compose (and the extra variables), and returns what it printed and
// the stand-in's calls.
func (h *dockerWatch) run(t *testing.T, extra map[string]string) (stepResult, string) {
	t.Helper()
	return h.runStep(t, "watch-logs", extra)
}

// runStep runs step of the docker runbook on h as run does.
func (h *dockerWatch) runStep(t *testing.T, step string, extra map[string]string) (stepResult, string) {
	t.Helper()
	rb, err := runbook.Load(runbooks.FS, "docker")
	must(t, err)
	vars := map[string]string{"project_dir": h.dir, "log_watch_seconds": "2",
		"uses_celery": "true", "proxy_in_compose": "true"}
	for k, v := range extra {
		vars[k] = v
	}
	plan, err := rb.Plan(vars)
	must(t, err)
	local := sshexec.NewLocal(sshexec.LocalOptions{StateDir: t.TempDir()})
	t.Cleanup(func() { _ = local.Close() })
	res := execRunner{label: "local", exec: local, env: h.env}.run(t, plan.Step(step))
	calls, _ := os.ReadFile(filepath.Join(h.dir, "calls"))
	return res, string(calls)
}

// TestDockerWatchLogsSinceTheContainersStart: watch-logs read `docker
// compose logs --since 1m`, so a traceback the new container logged two
// minutes before the step passed unseen, and the step did not say since
// when it looked. Each service is followed from its container's start
// (the earliest of a scaled service's), which the step prints, and the
// proxy from the step's start; a restart loop, a missing container or a
// follower that ends early fail it.
func TestDockerWatchLogsSinceTheContainersStart(t *testing.T) {
	t.Parallel()
	services := map[string][]container{
		"web":    {{id: "c0web1", ago: 3 * time.Minute}},
		"worker": {{id: "c0wrk1", ago: 20 * time.Second}},
		"nginx":  {{id: "c0ngx1", ago: 24 * time.Hour}},
	}
	good := map[string][]string{
		// Before the container's start: the old process's, kept by Docker
		// across a `docker compose restart`.
		"web":    {"4m Traceback (most recent call last):", "4m ValueError: the old code's bug", "179s [INFO] Booting worker with pid: 4242"},
		"worker": {"30s CRITICAL the old worker lost its broker", "19s celery@web1 ready."},
		"nginx":  {"1h 2026/01/01 03:00:00 [error] 812#812: *1 upstream timed out (110: Connection timed out)"},
	}
	with := func(svc string, lines ...string) map[string][]string {
		m := map[string][]string{}
		for k, v := range good {
			m[k] = v
		}
		m[svc] = append(append([]string{}, good[svc]...), lines...)
		return m
	}
	scaled := map[string][]container{"web": {{id: "c0web1", ago: 30 * time.Second}, {id: "c0web2", ago: 150 * time.Second}},
		"worker": services["worker"], "nginx": services["nginx"]}
	for _, c := range []struct {
		name     string
		services map[string][]container
		logs     map[string][]string
		setup    func(h *dockerWatch)
		pass     bool
		want     string
	}{
		{name: "old errors only", pass: true, want: "web-1  | [INFO] Booting worker with pid: 4242"},
		{name: "a traceback two minutes ago", logs: with("web", "2m Traceback (most recent call last):", "2m KeyError: 'price'"),
			want: "web-1  | KeyError: 'price'"},
		{name: "a scaled service", services: scaled, logs: with("web", "140s Worker failed to boot."),
			want: "web-1  | Worker failed to boot."},
		{name: "a new proxy error", logs: with("nginx", "-3s 2026/01/01 03:00:01 [error] 812#812: *7 connect() failed (111: Connection refused)"),
			want: "nginx-1  | 2026/01/01 03:00:01 [error]"},
		{name: "a restart loop", services: map[string][]container{"web": {{id: "c0web1", ago: 5 * time.Second, restarts: 4}},
			"worker": services["worker"], "nginx": services["nginx"]},
			want: "web: DOCKER RESTARTED myapp-web-1 4 TIMES"},
		{name: "no worker container", services: map[string][]container{"web": services["web"], "worker": nil, "nginx": services["nginx"]},
			want: "worker: NO RUNNING CONTAINER"},
		{name: "a container that stopped", want: "worker: STOPPED EARLY (exit 0)",
			setup: func(h *dockerWatch) { must(t, os.WriteFile(filepath.Join(h.dir, "worker.exited"), nil, 0o644)) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			svcs, logs := c.services, c.logs
			if svcs == nil {
				svcs = services
			}
			if logs == nil {
				logs = good
			}
			h := newDockerWatch(t, svcs, logs)
			if c.setup != nil {
				c.setup(h)
			}
			res, calls := h.run(t, nil)
			out := res.output()
			t.Logf("output:\n%s", out)
			if res.met != c.pass || !strings.Contains(out, c.want) {
				t.Fatalf("met=%v, want %v with %q\nfailures: %q\noutput:\n%s\ncalls:\n%s", res.met, c.pass, c.want, res.failures, out, calls)
			}
			for _, old := range []string{"the old code's bug", "the old worker lost its broker", "*1 upstream timed out"} {
				if strings.Contains(out, old) {
					t.Errorf("the output shows %q, logged before the container's start or the step's:\n%s", old, out)
				}
			}
			// Each service from its (earliest) container's start, said so.
			for svc, cs := range svcs {
				if svc == "nginx" || len(cs) == 0 {
					continue
				}
				since := h.runs[cs[0].id]
				for _, ct := range cs[1:] {
					if h.runs[ct.id] < since {
						since = h.runs[ct.id]
					}
				}
				call := "docker compose logs --follow --no-color --since " + since + " " + svc + "\n"
				said := svc + ": logs since " + since
				if !strings.Contains(calls, call) || !strings.Contains(out, said) {
					t.Errorf("no call %q or no line %q:\n%s\noutput:\n%s", call, said, calls, out)
				}
			}
			// The proxy (started a day ago, only reloaded) from the step's start.
			m := regexp.MustCompile(`docker compose logs --follow --no-color --since (\S+) nginx\n`).FindStringSubmatch(calls)
			var from time.Time
			if m != nil {
				from, _ = time.Parse(time.RFC3339, m[1])
			}
			if m == nil || from.Before(h.now.Add(-time.Second)) || from.After(time.Now()) || !strings.Contains(out, "nginx: logs since "+m[1]) {
				t.Errorf("the proxy's logs are not followed from the step's start (%s):\n%s\noutput:\n%s", h.now.UTC().Format(time.RFC3339), calls, out)
			}
		})
	}
}

// TestDockerWatchLogsFollowsTheASGIService: with uses_asgi the ASGI
// service is one of the release's processes: watch-logs follows it from
// its container's start like the others, and a traceback it logs after
// that start fails the step (one from before it does not).
func TestDockerWatchLogsFollowsTheASGIService(t *testing.T) {
	t.Parallel()
	for _, crash := range []bool{false, true} {
		t.Run(fmt.Sprintf("new traceback=%v", crash), func(t *testing.T) {
			t.Parallel()
			logs := map[string][]string{
				"web":  {"10s [INFO] Booting worker with pid: 4242"},
				"asgi": {"2m Traceback (most recent call last):", "2m ValueError: the old code's bug", "50s Application startup complete."},
			}
			if crash {
				logs["asgi"] = append(logs["asgi"], "40s Traceback (most recent call last):", "40s KeyError: 'room'")
			}
			h := newDockerWatch(t, map[string][]container{
				"web":    {{id: "c0web1", ago: 15 * time.Second}},
				"asgi":   {{id: "c0asg1", ago: time.Minute}},
				"worker": {{id: "c0wrk1", ago: 20 * time.Second}},
				"nginx":  {{id: "c0ngx1", ago: 24 * time.Hour}},
			}, logs)
			res, calls := h.run(t, map[string]string{"uses_asgi": "true"})
			out := res.output()
			call := "docker compose logs --follow --no-color --since " + h.runs["c0asg1"] + " asgi\n"
			if res.met == crash || !strings.Contains(out, "asgi-1  | Application startup complete.") ||
				strings.Contains(out, "the old code's bug") || !strings.Contains(calls, call) {
				t.Errorf("met=%v, want %v, the ASGI service's logs since its start (%q)\nfailures: %q\noutput:\n%s\ncalls:\n%s",
					res.met, !crash, call, res.failures, out, calls)
			}
		})
	}
}

// TestDockerWebLogsAfterSinceTheContainersStart: web-logs-after read
// `docker compose logs web --tail=100`, so a boot traceback followed by a
// hundred lines of traffic passed, and the old container's lines could
// fail a good release. It reads the web service's logs since its
// (earliest) container's start, stopped containers included, and says so.
func TestDockerWebLogsAfterSinceTheContainersStart(t *testing.T) {
	t.Parallel()
	traffic := func(ago string, n int) []string {
		var l []string
		for i := 0; i < n; i++ {
			l = append(l, fmt.Sprintf("%s 172.18.0.5 - - \"GET /products/%d HTTP/1.1\" 200 5120", ago, i))
		}
		return l
	}
	old := []string{"4m Traceback (most recent call last):", "4m ValueError: the old code's bug"}
	boot := []string{"25s [ERROR] Exception in worker process", "25s Traceback (most recent call last):", "25s KeyError: 'price'"}
	web := func(cs ...container) map[string][]container { return map[string][]container{"web": cs} }
	for _, c := range []struct {
		name     string
		services map[string][]container
		logs     []string
		pass     bool
		want     string
	}{
		{name: "a clean start after an old traceback", services: web(container{id: "c0web1", ago: 30 * time.Second}),
			logs: append(append(old, "29s [INFO] Booting worker with pid: 8"), traffic("20s", 150)...), pass: true,
			want: "web-1  | [INFO] Booting worker with pid: 8"},
		{name: "a boot traceback, then traffic", services: web(container{id: "c0web1", ago: 30 * time.Second}),
			logs: append(append(old, boot...), traffic("20s", 150)...), want: "web-1  | KeyError: 'price'"},
		{name: "a scaled service", services: web(container{id: "c0web1", ago: 10 * time.Second}, container{id: "c0web2", ago: 30 * time.Second}),
			logs: append(append(old, boot...), traffic("5s", 150)...), want: "web-1  | KeyError: 'price'"},
		{name: "an exited container", services: web(container{id: "c0web1", ago: 30 * time.Second, stopped: true}),
			logs: append(append(old, boot...), "24s [INFO] Reason: Worker failed to boot."), want: "web-1  | [INFO] Reason: Worker failed to boot."},
		{name: "a restart loop", services: web(container{id: "c0web1", ago: 5 * time.Second, restarts: 3}),
			logs: append(append(old, boot...), "4s [INFO] Booting worker with pid: 9"), want: "web: DOCKER RESTARTED myapp-web-1 3 TIMES"},
		{name: "no container", services: web(), want: "web: NO CONTAINER"},
		// ps -a lists one-off containers too, left by docker compose run
		// without --rm; compose logs does not show their lines.
		{name: "a one-off container from last month", services: web(container{id: "c0web1", ago: 30 * time.Second},
			container{id: "c0run1", ago: 30 * 24 * time.Hour, oneoff: true}),
			logs: append(append(old, "29s [INFO] Booting worker with pid: 8"), traffic("20s", 150)...), pass: true,
			want: "web-1  | [INFO] Booting worker with pid: 8"},
		{name: "only a one-off container", services: web(container{id: "c0run1", ago: 30 * time.Second, oneoff: true}),
			logs: boot, want: "web: NO CONTAINER"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newDockerWatch(t, c.services, map[string][]string{"web": c.logs})
			res, calls := h.runStep(t, "web-logs-after", nil)
			out := res.output()
			if res.met != c.pass || !strings.Contains(out, c.want) || strings.Contains(out, "the old code's bug") {
				t.Fatalf("met=%v, want %v with %q and not the old container's lines\nfailures: %q\noutput:\n%s\ncalls:\n%s",
					res.met, c.pass, c.want, res.failures, out, calls)
			}
			var earliest *container
			for i, ct := range c.services["web"] {
				if !ct.oneoff && (earliest == nil || ct.ago > earliest.ago) {
					earliest = &c.services["web"][i]
				}
			}
			if earliest != nil {
				since := h.runs[earliest.id]
				call := "docker compose logs --no-color --since " + since + " web\n"
				if !strings.Contains(calls, call) || !strings.Contains(out, "web: logs since "+since) {
					t.Errorf("no call %q or no line saying so:\n%s\noutput:\n%s", call, calls, out)
				}
			}
		})
	}
}
