package runbooks_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golive/runbook"
	"golive/runbooks"
	"golive/sshexec"
)

// composeShim stands in for `docker compose exec` and `docker compose run`
// on a machine without a Docker daemon: it runs the service's command in the
// fake server's checkout, with the environment file loaded and the
// virtualenv active, which is what the web container provides. Everything
// after the service name runs unchanged, so the docker runbook's Django
// commands, quoting and expectations are exercised for real; only the
// container boundary is simulated. Anything else is refused loudly.
const composeShim = `#!/bin/sh
[ "$1" = compose ] || { echo "compose shim: only 'docker compose' is simulated" >&2; exit 2; }
shift
case $1 in exec|run) shift ;; *) echo "compose shim: '$1' is not simulated" >&2; exit 2 ;; esac
while [ $# -gt 0 ]; do
  case $1 in
    -T|--rm|--no-deps) shift ;;
    -e) export "$2"; shift 2 ;;
    -*) echo "compose shim: flag $1 is not simulated" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ "$1" = web ] || { echo "compose shim: no service '$1'" >&2; exit 2; }
shift
[ -n "$COMPOSE_FILE" ] && [ -n "$COMPOSE_PROJECT_NAME" ] || { echo "compose shim: the prelude did not set COMPOSE_FILE and COMPOSE_PROJECT_NAME" >&2; exit 2; }
cd "$GOLIVE_SHIM_APP" || exit 2
set -a; . "$GOLIVE_SHIM_ENV" || exit 2; set +a
. "$GOLIVE_SHIM_VENV/bin/activate" || exit 2
exec "$@"
`

// dockerReleaseSteps is the docker runbook's release through the shim, in
// runbook order (the steps whose Django commands are the same as
// non-docker's are left to that test, to keep this one quick), starting one release behind as for non-docker (the
// checkout is pulled first: in Docker terms, the new image is in place).
var dockerReleaseSteps = []expectation{
	{id: "debug-off", pass: true, contains: "DEBUG = False"},
	{id: "debug-hard-fail", pass: true, contains: "refuse to load without DJANGO_SECRET_KEY"},
	{id: "allowed-hosts", pass: true, contains: "example.com is allowed"},
	{id: "db-postgres", pass: false, contains: "vendor = sqlite"},
	{id: "health-endpoint-exists", pass: true, contains: "health endpoint status 200"},
	{id: "csrf-origins", pass: true},
	{id: "check-deploy", pass: true},
	// The image already holds shop.0002: the live database is behind.
	{id: "migrate-check-before", pass: false, contains: "unapplied migrations exist"},
	{id: "check-deploy-release", pass: true},
	{id: "migrations-pending", pass: true, contains: "unapplied migrations: 1"},
	{id: "migrate-plan", pass: true, contains: "Add field price to product"},
	{id: "migrate", pass: true, contains: "Applying shop.0002_product_price... OK"},
	{id: "migrate-check-after", pass: true, contains: "no unapplied migrations"},
	{id: "collectstatic", pass: true, contains: "static files copied"},
}

func TestDockerReleaseAgainstDjango(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Django project")
	}
	t.Parallel()
	s := newFakeServer(t)
	s.git(t, s.appDir, "pull", "-q", "--ff-only", "origin", "main")

	bin := filepath.Join(s.root, "bin")
	must(t, os.MkdirAll(bin, 0o755))
	must(t, os.WriteFile(filepath.Join(bin, "docker"), []byte(composeShim), 0o755))
	compose := filepath.Join(s.appDir, "docker-compose.yml")
	must(t, os.WriteFile(compose, []byte("services:\n  web:\n    image: example/myapp:2026.11.21\n    env_file: .env\n"), 0o644))

	rb, err := runbook.Load(runbooks.FS, "docker")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := rb.Plan(map[string]string{
		"project_dir":    s.appDir,
		"env_file":       s.envFile,
		"local_checkout": s.work,
		"image_tag":      "2026.11.21",
	})
	if err != nil {
		t.Fatal(err)
	}
	env := envMap(s.loginEnv())
	env["PATH"] = bin + ":" + env["PATH"]
	env["GOLIVE_SHIM_APP"], env["GOLIVE_SHIM_ENV"], env["GOLIVE_SHIM_VENV"] = s.appDir, s.envFile, s.venv
	local := sshexec.NewLocal(sshexec.LocalOptions{StateDir: t.TempDir()})
	t.Cleanup(func() { _ = local.Close() })
	r := execRunner{label: "local", exec: local, env: env, secrets: s.secrets()}
	// Everything before migrate only reads: a few at a time, then in order.
	split := 0
	for split < len(dockerReleaseSteps) && dockerReleaseSteps[split].id != "migrate" {
		split++
	}
	runConcurrently(t, 4, plan, dockerReleaseSteps[:split], func(*runbook.PlannedStep) stepRunner { return r })
	runSteps(t, r, plan, dockerReleaseSteps[split:])

	// Steps that need no container run as they are.
	runSteps(t, r, plan, []expectation{
		{id: "compose-no-literal-secrets", pass: true, contains: "compose file scanned"},
		{id: "secret-key-git-history", pass: true, contains: "history clean"},
	})
	must(t, os.WriteFile(compose, []byte("services:\n  web:\n    environment:\n      DJANGO_SECRET_KEY: hunter2hunter2\n"), 0o644))
	res := r.run(t, plan.Step("compose-no-literal-secrets"))
	if res.met || !strings.Contains(res.output(), "LITERAL SECRET at line 4") || strings.Contains(res.output(), "hunter2") {
		t.Errorf("compose-no-literal-secrets must flag line 4 without printing the value; met=%v\n%s", res.met, res.output())
	}
}
