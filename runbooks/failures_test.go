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

// Steps run under /bin/sh without set -e: a step's exit code is its last
// command's. These tests break the first command of the deployment steps
// that go on after it (a git log, a pip check, a docker compose ps) and
// check that the step still fails, as the operator would otherwise sign
// off a release that did not happen.

// TestPullAndInstallFailuresFailTheirSteps: a pull that cannot fast-forward
// (the server's checkout has a commit of its own) and a requirement that
// does not build, through a real git and a real pip in a real virtualenv.
func TestPullAndInstallFailuresFailTheirSteps(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Django project and pip")
	}
	t.Parallel()
	s := newFakeServer(t)
	local := sshexec.NewLocal(sshexec.LocalOptions{StateDir: t.TempDir()})
	t.Cleanup(func() { _ = local.Close() })
	r := execRunner{label: "local", exec: local, env: envMap(s.loginEnv()), secrets: s.secrets()}

	// Someone committed a hotfix on the server: origin/main has moved on
	// too, so git pull --ff-only refuses, and HEAD stays where it was.
	s.git(t, s.appDir, "commit", "-q", "--allow-empty", "-m", "hotfix made on the server")
	plan := nonDockerPlan(t, s, nil)
	runSteps(t, r, plan, []expectation{{id: "pull-code", pass: false, contains: "PULL FAILED"}})

	// A virtualenv with pip (the fake server's has none) and a requirement
	// whose setup.py fails: pip says "error: metadata-generation-failed"
	// (lower case) and exits 1; pip check then finds nothing broken.
	venv := filepath.Join(s.root, "venv-pip")
	run(t, s.root, nil, djangoPython, "-m", "venv", venv)
	broken := filepath.Join(s.root, "broken")
	must(t, os.MkdirAll(broken, 0o755))
	must(t, os.WriteFile(filepath.Join(broken, "setup.py"), []byte("raise SystemExit('golive test: this package does not build')\n"), 0o644))
	req := filepath.Join(s.root, "requirements-broken.txt")
	must(t, os.WriteFile(req, []byte(broken+"\n"), 0o644))
	pipPlan := nonDockerPlan(t, s, map[string]string{"venv": venv, "requirements": req})
	runSteps(t, r, pipPlan, []expectation{{id: "install-deps", pass: false, contains: "PIP INSTALL FAILED"}})
}

// composeUpFails stands in for a Docker host where `docker compose up`
// fails (a registry refusing the pull, a port taken) while the previous
// containers keep running, so `docker compose ps` shows them up.
const composeUpFails = `#!/bin/sh
[ "$1" = compose ] || exit 2
case $2 in
  up) echo "Error response from daemon: driver failed programming external connectivity: port is already allocated" >&2; exit 1 ;;
  ps) echo "NAME          IMAGE                 SERVICE   STATUS"
      echo "myapp-web-1   example/myapp:old     web       Up 3 hours"
      echo "myapp-db-1    postgres:16           db        Up 3 hours"
      echo "myapp-redis-1 redis:7               redis     Up 3 hours"
      echo "myapp-asgi-1  example/myapp:old     asgi      Up 3 hours"
      echo "myapp-worker-1 example/myapp:old    worker    Up 3 hours"; exit 0 ;;
  *) echo "compose stand-in: '$2' is not simulated" >&2; exit 2 ;;
esac
`

// TestComposeUpFailureFailsItsStep: each docker step that starts or
// replaces containers fails when docker compose up does, though the ps
// after it shows the old containers up.
func TestComposeUpFailureFailsItsStep(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	must(t, os.MkdirAll(bin, 0o755))
	must(t, os.WriteFile(filepath.Join(bin, "docker"), []byte(composeUpFails), 0o755))
	rb, err := runbook.Load(runbooks.FS, "docker")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := rb.Plan(map[string]string{"project_dir": dir, "uses_asgi": "true", "uses_celery": "true"})
	if err != nil {
		t.Fatal(err)
	}
	local := sshexec.NewLocal(sshexec.LocalOptions{StateDir: t.TempDir()})
	t.Cleanup(func() { _ = local.Close() })
	r := execRunner{label: "local", exec: local, env: map[string]string{
		"PATH": bin + ":/usr/local/bin:/usr/bin:/bin", "HOME": dir, "LANG": "C.UTF-8"}}
	runConcurrently(t, 4, plan, []expectation{
		{id: "start-dependencies", pass: false, contains: "UP FAILED"},
		{id: "up-web", pass: false, contains: "UP FAILED"},
		{id: "up-asgi", pass: false, contains: "UP FAILED"},
		{id: "up-workers", pass: false, contains: "UP FAILED"},
	}, func(*runbook.PlannedStep) stepRunner { return r })
}

// irreversibleMigration is a release's migration that old code cannot
// live with and that migrate cannot undo: a data migration without a
// reverse, and a renamed column the running code still reads.
const irreversibleMigration = `from django.db import migrations


def fill(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        migrations.RunPython(fill),
        migrations.RenameField(model_name="product", old_name="name", new_name="title"),
    ]
`

// TestMigratePlanFlagsIrreversibleAndRenames: migrate --plan prints
// IRREVERSIBLE only for a backwards plan, so the step asks Django which of
// the pending operations have no reverse; a rename fails it too.
func TestMigratePlanFlagsIrreversibleAndRenames(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Django project")
	}
	t.Parallel()
	s := newFakeServer(t)
	local := sshexec.NewLocal(sshexec.LocalOptions{StateDir: t.TempDir()})
	t.Cleanup(func() { _ = local.Close() })
	r := execRunner{label: "local", exec: local, env: envMap(s.loginEnv()), secrets: s.secrets()}
	plan := nonDockerPlan(t, s, nil)
	runSteps(t, r, plan, []expectation{{id: "migrate-plan", pass: true, contains: "irreversible operations: 0"}})

	must(t, os.WriteFile(filepath.Join(s.appDir, "shop/migrations/0002_golive_fill.py"), []byte(irreversibleMigration), 0o644))
	res := r.run(t, plan.Step("migrate-plan"))
	for _, want := range []string{"IRREVERSIBLE shop.0002_golive_fill: Raw Python operation", "irreversible operations: 1", "Rename field name on product to title"} {
		if !strings.Contains(res.output(), want) {
			t.Errorf("migrate-plan output lacks %q:\n%s", want, res.output())
		}
	}
	if res.met {
		t.Errorf("migrate-plan passed with an irreversible data migration and a rename:\n%s", res.output())
	}
}

// TestMigrationListingFailsWhenDjangoCannotLoad: with the release's models
// broken, showmigrations fails; migrations-pending said "unapplied
// migrations: 0" and passed, and record-current-release recorded no
// migration to roll back to and passed. Both runbooks, docker's through
// the compose stand-in.
func TestMigrationListingFailsWhenDjangoCannotLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Django project")
	}
	t.Parallel()
	s := newFakeServer(t)
	models := filepath.Join(s.appDir, "shop/models.py")
	f, err := os.OpenFile(models, os.O_APPEND|os.O_WRONLY, 0)
	must(t, err)
	_, err = f.WriteString("\nclass Broken(models.Model:\n")
	must(t, err)
	must(t, f.Close())

	local := sshexec.NewLocal(sshexec.LocalOptions{StateDir: t.TempDir()})
	t.Cleanup(func() { _ = local.Close() })
	r := execRunner{label: "local", exec: local, env: envMap(s.loginEnv()), secrets: s.secrets()}
	runSteps(t, r, nonDockerPlan(t, s, nil), []expectation{
		{id: "migrations-pending", pass: false, contains: "SHOWMIGRATIONS FAILED"},
		{id: "record-current-release", pass: false, contains: "SyntaxError"},
	})

	bin := filepath.Join(s.root, "bin")
	must(t, os.MkdirAll(bin, 0o755))
	must(t, os.WriteFile(filepath.Join(bin, "docker"), []byte(composeShim), 0o755))
	rb, err := runbook.Load(runbooks.FS, "docker")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := rb.Plan(map[string]string{"project_dir": s.appDir, "env_file": s.envFile})
	if err != nil {
		t.Fatal(err)
	}
	env := envMap(s.loginEnv())
	env["PATH"] = bin + ":" + env["PATH"]
	env["GOLIVE_SHIM_APP"], env["GOLIVE_SHIM_ENV"], env["GOLIVE_SHIM_VENV"] = s.appDir, s.envFile, s.venv
	d := execRunner{label: "local", exec: local, env: env, secrets: s.secrets()}
	runSteps(t, d, plan, []expectation{{id: "migrations-pending", pass: false, contains: "SHOWMIGRATIONS FAILED"}})
}
