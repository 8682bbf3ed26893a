package runbooks_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golive/runbook"
	"golive/sshexec"
)

// requireCelery skips (or under CI fails) when redis-server, redis-cli or
// Celery for Debian's python are missing.
func requireCelery(t *testing.T) {
	t.Helper()
	var missing []string
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if exec.Command(djangoPython, "-c", "import celery, redis").Run() != nil {
		missing = append(missing, "python3-celery python3-redis")
	}
	if len(missing) == 0 {
		return
	}
	msg := "needs " + strings.Join(missing, ", ") + " (apt-get install -y redis-server python3-celery python3-redis)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// startDaemon starts a long-running process with its output in a log file
// and stops it when the test ends. ready is polled until it returns true.
func startDaemon(t *testing.T, dir string, env []string, log string, ready func(log string) bool, name string, args ...string) *exec.Cmd {
	t.Helper()
	f, err := os.Create(log)
	must(t, err)
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	must(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			stopGroup(cmd)
		}
		_ = f.Close()
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		out, _ := os.ReadFile(log)
		if ready(string(out)) {
			return cmd
		}
		time.Sleep(200 * time.Millisecond)
	}
	out, _ := os.ReadFile(log)
	t.Fatalf("%s did not become ready within 60s:\n%s", name, out)
	return nil
}

// startRedis starts a redis-server for s on a free loopback port, with
// the config file in conf if any, and returns the port.
func startRedis(t *testing.T, s *fakeServer, conf ...string) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	must(t, l.Close())
	args := append(conf[:len(conf):len(conf)],
		"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", s.root)
	startDaemon(t, s.root, nil, filepath.Join(s.root, "redis.log"),
		func(log string) bool { return strings.Contains(log, "Ready to accept connections") }, "redis-server", args...)
	return port
}

// TestCeleryStepsAgainstDjango runs the background-job steps against a
// real Redis and a real Celery worker of the fixture project.
func TestCeleryStepsAgainstDjango(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Redis, Celery and a real Django project")
	}
	t.Parallel()
	requireDjango(t)
	requireCelery(t)
	s := newFakeServer(t)
	port := startRedis(t, s)
	s.env["REDIS_URL"] = fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	s.writeEnv(t)

	// What `pip install celery` puts in a virtualenv: the celery command.
	s.installEntryPoint(t, "celery", "celery.__main__", "main")
	worker := startDaemon(t, s.appDir, s.processEnv(nil), filepath.Join(s.root, "worker.log"),
		func(log string) bool { return strings.Contains(log, "ready.") },
		filepath.Join(s.venv, "bin/celery"), "-A", "config", "worker", "--pool", "solo", "-n", "golive-test@%h", "--loglevel", "INFO")

	plan := nonDockerPlan(t, s, map[string]string{"uses_celery": "true", "uses_redis": "true", "celery_app": "config"})
	local := sshexec.NewLocal(sshexec.LocalOptions{StateDir: t.TempDir()})
	t.Cleanup(func() { _ = local.Close() })
	r := execRunner{label: "local", exec: local, env: envMap(s.loginEnv()), secrets: s.secrets()}
	runSteps(t, r, plan, []expectation{
		{id: "redis-ping", pass: true, contains: "PONG"},
		{id: "celery-ping-before", pass: true, contains: "golive-test@"},
		{id: "queue-backlog", pass: true, contains: "tasks waiting in the queue: 0"},
		{id: "celery-ping-after", pass: true, contains: "pong"},
	})

	// With the worker gone, tasks pile up and nobody answers the ping.
	stopGroup(worker)
	s.manage(t, nil, "shell", "-c", "from shop.tasks import touch\nfor _ in range(3): touch.delay()")
	strict := nonDockerPlan(t, s, map[string]string{"uses_celery": "true", "uses_redis": "true", "celery_app": "config", "queue_backlog_max": "2"})
	runSteps(t, r, strict, []expectation{
		{id: "queue-backlog", pass: false, contains: "tasks waiting in the queue: 3"},
		{id: "celery-ping-after", pass: false, contains: "exit code 69"},
	})
	if st := plan.Step("restart-celery"); st == nil || !st.Applicable || st.Step.Risk != runbook.RiskHigh {
		t.Errorf("restart-celery must be a high-risk step when uses_celery is true")
	}
}

// TestRedisPasswordStaysOffCommandLines: with a password in REDIS_URL,
// redis-ping and queue-backlog answer through a password-protected Redis,
// and no redis-cli is started with the URL on its command line (where any
// user of the host could read it in ps); a recording redis-cli first on
// PATH would see it.
func TestRedisPasswordStaysOffCommandLines(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Redis and a real Django project")
	}
	t.Parallel()
	requireDjango(t)
	requireCelery(t)
	s := newFakeServer(t)
	password := "redis-" + randomSecret(t)[:24]
	password = strings.NewReplacer("@", "x", ":", "x", "/", "x", "%", "x", "#", "x", "?", "x").Replace(password)
	conf := filepath.Join(s.root, "redis.conf")
	must(t, os.WriteFile(conf, []byte("requirepass "+password+"\n"), 0o600))
	port := startRedis(t, s, conf)
	s.env["REDIS_URL"] = fmt.Sprintf("redis://:%s@127.0.0.1:%d/0", password, port)
	s.writeEnv(t)

	bin := filepath.Join(s.root, "bin")
	must(t, os.MkdirAll(bin, 0o755))
	argv := filepath.Join(s.root, "redis-cli.argv")
	real, err := exec.LookPath("redis-cli")
	must(t, err)
	must(t, os.WriteFile(filepath.Join(bin, "redis-cli"), []byte("#!/bin/sh\necho \"$*\" >> "+argv+"\nexec "+real+" \"$@\"\n"), 0o755))

	plan := nonDockerPlan(t, s, map[string]string{"uses_celery": "true", "uses_redis": "true"})
	local := sshexec.NewLocal(sshexec.LocalOptions{StateDir: t.TempDir()})
	t.Cleanup(func() { _ = local.Close() })
	env := envMap(s.loginEnv())
	env["PATH"] = bin + ":" + env["PATH"]
	r := execRunner{label: "local", exec: local, env: env, secrets: append(s.secrets(), password)}
	runSteps(t, r, plan, []expectation{
		{id: "redis-ping", pass: true, contains: "PONG"},
		{id: "queue-backlog", pass: true, contains: "tasks waiting in the queue: 0"},
	})
	if b, err := os.ReadFile(argv); err == nil && strings.Contains(string(b), password) {
		t.Errorf("redis-cli was started with the Redis password on its command line:\n%s", strings.ReplaceAll(string(b), password, "PASSWORD"))
	}
}
