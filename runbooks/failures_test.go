package runbooks_test

import (
	"os"
	"os/exec"
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

// TestBackupAutomatedIgnoresSystemJobs runs backup-automated's script in a
// mount namespace whose cron directories hold what a test puts there. A
// Debian or Ubuntu host has /etc/cron.daily/dpkg, which saves dpkg's
// database to /var/backups: it made the step pass on hosts with no
// database backup at all. A schedule line naming a backup script, or a
// daily script running pg_dump, still passes.
func TestBackupAutomatedIgnoresSystemJobs(t *testing.T) {
	// Skipped, even under CI, where unshare -m is refused: a container
	// without CAP_SYS_ADMIN cannot mount, and nothing else can give the
	// script cron directories of its own without touching the host's.
	if os.Geteuid() != 0 || exec.Command("unshare", "-m", "true").Run() != nil {
		t.Skip("needs root and unshare -m to give the script cron directories of its own")
	}
	for _, id := range []string{"non-docker", "docker"} {
		rb, err := runbook.Load(runbooks.FS, id)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := rb.Plan(nil)
		if err != nil {
			t.Fatal(err)
		}
		checkBackupAutomated(t, id, plan.Step("backup-automated"))
	}
}

// checkBackupAutomated runs ps, a runbook's backup-automated, against
// three sets of cron files.
func checkBackupAutomated(t *testing.T, id string, ps *runbook.PlannedStep) {
	t.Helper()
	dpkg := "#!/bin/sh\n/usr/libexec/dpkg/dpkg-db-backup\ncp /var/lib/dpkg/status /var/backups/dpkg.status.0\n"
	for _, c := range []struct {
		name  string
		files map[string]string // under the fake /etc: cron.d/x, cron.daily/x, crontab
		pass  bool
		out   string
	}{
		{"only the system's jobs", map[string]string{"cron.daily/dpkg": dpkg, "crontab": "# 0 2 * * * root /usr/local/bin/db-backup.sh\n"}, false, ""},
		{"a cron.d schedule", map[string]string{"cron.daily/dpkg": dpkg, "cron.d/db-backup": "0 2 * * * postgres /usr/local/bin/db-backup.sh\n"}, true, "cron: /etc/cron.d/db-backup"},
		{"a daily pg_dump", map[string]string{"cron.daily/dpkg": dpkg, "cron.daily/shop-db": "#!/bin/sh\npg_dump shop | gzip > /var/backups/postgres/shop.sql.gz\n"}, true, "cron: /etc/cron.daily/shop-db"},
	} {
		root := t.TempDir()
		mounts := ""
		for _, d := range []string{"cron.d", "cron.daily", "cron.hourly", "cron.weekly"} {
			must(t, os.MkdirAll(filepath.Join(root, d), 0o755))
			if _, err := os.Stat("/etc/" + d); err == nil {
				mounts += "mount --bind " + root + "/" + d + " /etc/" + d + " && "
			}
		}
		must(t, os.WriteFile(filepath.Join(root, "crontab"), nil, 0o644))
		if _, err := os.Stat("/etc/crontab"); err == nil {
			mounts += "mount --bind " + root + "/crontab /etc/crontab && "
		}
		must(t, os.MkdirAll(filepath.Join(root, "spool"), 0o755))
		if _, err := os.Stat("/var/spool/cron/crontabs"); err == nil {
			mounts += "mount --bind " + root + "/spool /var/spool/cron/crontabs && "
		}
		for name, text := range c.files {
			must(t, os.WriteFile(filepath.Join(root, name), []byte(text), 0o755))
		}
		out, err := exec.Command("unshare", "-m", "sh", "-c", mounts+`exec sh -c "$1"`, "sh", ps.Script).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		res := check(t, ps, strings.Split(strings.TrimRight(string(out), "\n"), "\n"), runbook.ExitInfo{Code: code})
		if res.met != c.pass || !strings.Contains(string(out), c.out) {
			t.Errorf("%s: %s: met=%v, want %v with %q; failures %q\noutput:\n%s", id, c.name, res.met, c.pass, c.out, res.failures, out)
		}
	}
}

// pgIsReadyAnswers stands in for pg_isready on a host whose own
// PostgreSQL listens on the default local socket: whatever it is asked,
// it answers "accepting connections". It records its arguments.
const pgIsReadyAnswers = `#!/bin/sh
echo "$*" >> "$GOLIVE_PGISREADY_LOG"
echo "${2:-/var/run/postgresql}:${4:-5432} - accepting connections"
`

// TestDBReachableFailsWhenSettingsDoNotLoad: with Django's settings
// broken (a variable missing from the environment, a typo in the
// settings module's name) db-reachable ran pg_isready with an empty host,
// which asks this machine's local socket: on a host with a PostgreSQL of
// its own it passed without knowing which server the app uses. It must
// fail, say why with Django's error line, and not run pg_isready. The
// stand-in answers for any host, as such a local server would.
func TestDBReachableFailsWhenSettingsDoNotLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Django project")
	}
	t.Parallel()
	s := newFakeServer(t)
	bin := filepath.Join(s.root, "pgbin")
	must(t, os.MkdirAll(bin, 0o755))
	must(t, os.WriteFile(filepath.Join(bin, "pg_isready"), []byte(pgIsReadyAnswers), 0o755))
	calls := filepath.Join(s.root, "pg_isready.log")
	must(t, os.WriteFile(filepath.Join(s.appDir, "config/needs_sentry.py"),
		[]byte("import os\n\nfrom .settings import *  # noqa\n\nSENTRY_DSN = os.environ[\"GOLIVE_TEST_SENTRY_DSN\"]\n"), 0o644))

	local := sshexec.NewLocal(sshexec.LocalOptions{StateDir: t.TempDir()})
	t.Cleanup(func() { _ = local.Close() })
	env := envMap(s.loginEnv())
	env["PATH"] = bin + ":" + env["PATH"]
	env["GOLIVE_PGISREADY_LOG"] = calls
	r := execRunner{label: "local", exec: local, env: env, secrets: s.secrets()}
	plan := nonDockerPlan(t, s, nil)

	// Settings that load: pg_isready is asked about the server they name
	// (SQLite names none: Django's defaults, localhost 5432).
	runSteps(t, r, plan, []expectation{{id: "db-reachable", pass: true, contains: "database server: localhost port 5432"}})
	if got, _ := os.ReadFile(calls); string(got) != "-h localhost -p 5432\n" {
		t.Fatalf("pg_isready was called with %q, want -h localhost -p 5432", got)
	}
	must(t, os.Remove(calls))

	// Each failure names Django's error; the missing variable also the
	// settings file and line that read it.
	sentry := "django: File \"" + filepath.Join(s.appDir, "config/needs_sentry.py") + "\", line 5"
	for _, c := range []struct{ module, djangoSays, where string }{
		{"config.needs_sentry", "django: KeyError: 'GOLIVE_TEST_SENTRY_DSN'", sentry},
		{"config.setings", "django: ModuleNotFoundError: No module named 'config.setings'", ""},
	} {
		s.env["DJANGO_SETTINGS_MODULE"] = c.module
		s.writeEnv(t)
		res := r.run(t, plan.Step("db-reachable"))
		out := res.output()
		t.Logf("settings %s:\n%s", c.module, out)
		if res.met || !strings.Contains(out, "DJANGO SETTINGS COULD NOT BE LOADED") || !strings.Contains(out, c.djangoSays) ||
			!strings.Contains(out, c.where) {
			t.Errorf("db-reachable with settings %s: met=%v, want a failure saying the settings could not be loaded and %q\nfailures: %q\noutput:\n%s",
				c.module, res.met, c.djangoSays, res.failures, out)
		}
		if got, err := os.ReadFile(calls); err == nil {
			t.Errorf("db-reachable with settings %s ran pg_isready %q", c.module, got)
		}
	}
}
