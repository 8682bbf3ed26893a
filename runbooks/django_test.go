package runbooks_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golive/runbook"
	"golive/runbooks"
	"golive/sshexec"
)

// loginEnv is the environment a fresh SSH login gives a command: no
// project variables (the prelude loads them), the system PATH.
func (s *fakeServer) loginEnv() []string {
	return []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + s.root,
		"LANG=C.UTF-8", "PYTHONUNBUFFERED=1"}
}

// nonDockerPlan renders the built-in non-docker runbook for the fake server.
func nonDockerPlan(t *testing.T, s *fakeServer, extra map[string]string) *runbook.Plan {
	t.Helper()
	rb, err := runbook.Load(runbooks.FS, "non-docker")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := rb.Plan(s.vars(extra))
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// releaseSteps is the non-docker runbook's path through a release of the
// fake server, in runbook order, with what each step must give. The
// server starts one release behind: shop.0002 is in origin, not yet pulled.
var releaseSteps = []expectation{
	{id: "server-identity", pass: true, contains: "manage.py found"},
	{id: "venv-active", pass: true, contains: "django 3"},
	{id: "env-file", pass: true, contains: "DJANGO_SECRET_KEY"},
	{id: "env-required", pass: true, contains: "set: DATABASE_URL"},
	{id: "debug-off", pass: true, contains: "DEBUG = False"},
	{id: "debug-hard-fail", pass: true, contains: "refuse to load without DJANGO_ALLOWED_HOSTS"},
	{id: "allowed-hosts", pass: true, contains: "example.com is allowed"},
	{id: "prod-settings", pass: true, contains: "SETTINGS_MODULE = config.settings"},
	{id: "secrets-not-hardcoded", pass: true},
	{id: "secret-key-git-history", pass: true, contains: "history clean"},
	{id: "secret-key-strength", pass: true, contains: "length 50"},
	// The fixture runs on SQLite: the runbook must flag it.
	{id: "db-postgres", pass: false, contains: "vendor = sqlite"},
	{id: "db-roundtrip", pass: true},
	{id: "static-settings", pass: true, contains: "ManifestStaticFilesStorage"},
	{id: "media-persistent", pass: true, contains: "outside the release directory"},
	{id: "health-endpoint-exists", pass: true},
	{id: "django-proxy-settings", pass: true},
	{id: "security-settings", pass: true},
	{id: "csrf-origins", pass: true},
	{id: "admin-exposure", pass: true, contains: "admin is served at /admin/"},
	{id: "record-current-release", pass: true, contains: "shop.0001_initial"},
	{id: "check-deploy", pass: true},
	{id: "run-tests", pass: true, contains: "OK"},
	{id: "migrate-check-before", pass: true},
	{id: "makemigrations-check", pass: true},
	{id: "email-connection", pass: true},
	{id: "pull-code", pass: true, contains: "now at"},
	{id: "release-identity", pass: true, contains: "matches"},
	{id: "check-deploy-release", pass: true},
	{id: "migrations-pending", pass: true, contains: "unapplied migrations: 1"},
	// Before migrate, the check must see the pulled migration.
	{id: "migrate-check-after", pass: false, contains: "unapplied migrations remain"},
	{id: "migrate-plan", pass: true, contains: "Add field price to product"},
	{id: "migrate", pass: true, contains: "Applying shop.0002_product_price... OK"},
	{id: "migrate-check-after", pass: true, contains: "no unapplied migrations"},
	{id: "collectstatic", pass: true, contains: "static files copied"},
	{id: "db-write", pass: true},
}

func TestNonDockerReleaseAgainstDjango(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Django project")
	}
	t.Parallel()
	s := newFakeServer(t)
	plan := nonDockerPlan(t, s, map[string]string{"local_checkout": s.work})

	// Steps run through golive's executors. The local one (as with --host
	// local) runs remote steps with a login's environment (the prelude
	// loads the rest) and local steps on the "operator's machine", whose
	// release checkout has its environment set and the virtualenv on PATH.
	local := sshexec.NewLocal(sshexec.LocalOptions{StateDir: t.TempDir()})
	t.Cleanup(func() { _ = local.Close() })
	r := execRunner{label: "local", exec: local, env: envMap(s.loginEnv()), secrets: s.secrets()}
	operator := execRunner{label: "local", exec: local, env: envMap(s.processEnv(nil)), secrets: s.secrets()}

	// The release itself runs its remote steps over SSH, through a real
	// sshd, exactly as golive run sends them.
	remote := sshRunner(t, r)
	remote.secrets = s.secrets()
	steps := releaseSteps
	if hasGunicorn(t) {
		steps = append(steps[:len(steps):len(steps)], expectation{id: "gunicorn-check-config", pass: true, contains: "app load ok"})
	}
	pick := func(ps *runbook.PlannedStep) stepRunner {
		if ps.Step.Kind == runbook.KindLocal {
			return operator
		}
		return remote
	}
	// The checks before pull-code only read; they run a few at a time.
	// From pull-code on, order matters and steps run one by one.
	split := 0
	for split < len(steps) && steps[split].id != "pull-code" {
		split++
	}
	runConcurrently(t, 4, plan, steps[:split], pick)
	for _, want := range steps[split:] {
		runStep(t, pick(plan.Step(want.id)), plan.Step(want.id), want)
	}

	// Backups: an empty directory fails, an old dump fails, a fresh one passes.
	runSteps(t, r, plan, []expectation{{id: "backup-recent", pass: false, contains: "newest backup: none"}})
	old := filepath.Join(s.backupDir, "old.sql.gz")
	must(t, os.WriteFile(old, []byte("dump"), 0o600))
	must(t, os.Chtimes(old, time.Now().Add(-30*time.Hour), time.Now().Add(-30*time.Hour)))
	runSteps(t, r, plan, []expectation{{id: "backup-recent", pass: false, contains: "younger than 26 hours: 0"}})
	must(t, os.WriteFile(filepath.Join(s.backupDir, "fresh.sql.gz"), []byte("dump"), 0o600))
	runSteps(t, r, plan, []expectation{{id: "backup-recent", pass: true, contains: "fresh.sql.gz"}})

	// The post-deployment checks from the operator's machine, through
	// Nginx (or a Go stand-in) in front of the app served with production
	// settings.
	app := s.serve(t, nil)
	proxy := startProxy(t, app, s.staticDir, s.mediaDir)
	if proxy.Bin != "" {
		// The proxy checks read the real Nginx's configuration. They run
		// without sudo here, which would reset PATH and miss the test's nginx.
		env := envMap(s.loginEnv())
		env["PATH"] = proxy.Bin + ":" + env["PATH"]
		nx := execRunner{label: "local", exec: local, env: env, secrets: s.secrets()}
		nplan := nonDockerPlan(t, s, map[string]string{"nginx_error_log": proxy.ErrorLog})
		for _, want := range []expectation{
			{id: "nginx-config", pass: true, contains: "test is successful"},
			{id: "proxy-headers", pass: true, contains: "proxy_set_header X-Forwarded-Proto $scheme;"},
			{id: "nginx-static-alias", pass: true, contains: "static location found"},
			{id: "rate-limit-auth", pass: true, contains: "nginx: limit_req zone=login"},
			{id: "nginx-logs", pass: true},
		} {
			runStep(t, nx, asUser(nplan.Step(want.id)), want)
		}
		// A proxy that drops the scheme header and the rate limit, then
		// one with a typo: the checks must notice (the running Nginx keeps
		// its loaded configuration).
		conf := filepath.Join(proxy.Dir, "proxy.conf")
		good, err := os.ReadFile(conf)
		must(t, err)
		must(t, os.WriteFile(conf, []byte(strings.ReplaceAll(string(good), "proxy_set_header X-Forwarded-Proto $scheme;\n", "")), 0o644))
		main := filepath.Join(proxy.Dir, "nginx.conf")
		goodMain, err := os.ReadFile(main)
		must(t, err)
		must(t, os.WriteFile(main, []byte(strings.ReplaceAll(string(goodMain), "limit_req", "# limit_req")), 0o644))
		runStep(t, nx, asUser(nplan.Step("proxy-headers")), expectation{id: "proxy-headers", pass: false, contains: "X-Forwarded-Proto"})
		runStep(t, nx, asUser(nplan.Step("rate-limit-auth")), expectation{id: "rate-limit-auth", pass: false})
		must(t, os.WriteFile(conf, []byte(strings.Replace(string(good), "proxy_pass", "proxy_passs", 1)), 0o644))
		runStep(t, nx, asUser(nplan.Step("nginx-config")), expectation{id: "nginx-config", pass: false, contains: "proxy_passs"})
		must(t, os.WriteFile(conf, good, 0o644))
		must(t, os.WriteFile(main, goodMain, 0o644))
	}
	web := nonDockerPlan(t, s, map[string]string{"domain": proxy.Addr, "scheme": "https"})
	trusting := execRunner{label: "local", exec: local, env: envMap(proxy.trustEnv(s.processEnv(nil))), secrets: s.secrets()}
	runSteps(t, trusting, web, []expectation{
		{id: "http-redirects", pass: true, contains: "location https://" + proxy.Addr + "/"},
		{id: "tls-certificate", pass: true, contains: "Certificate will not expire"},
		{id: "no-redirect-loop", pass: true, contains: "status 200 after 0 redirects"},
		{id: "health-check", pass: true, contains: "status 200"},
		{id: "homepage-https", pass: true},
		{id: "security-headers", pass: true, contains: "max-age=31536000"},
		{id: "secure-cookies", pass: true, contains: "secure cookie csrftoken"},
		{id: "no-debug-404", pass: true, contains: "status 404"},
		{id: "static-served", pass: true, contains: "type text/css"},
		{id: "static-served", pass: true, contains: "javascript: admin/js/core.js"},
	})
	// A script the proxy does not have fails the check, though the CSS loads.
	noScript := nonDockerPlan(t, s, map[string]string{"domain": proxy.Addr, "scheme": "https", "static_probe": "admin/css/base.css admin/js/golive-missing.js"})
	runSteps(t, trusting, noScript, []expectation{{id: "static-served", pass: false, contains: "status 404"}})
	// Without the proxy's certificate trusted, the TLS checks must fail.
	runSteps(t, operator, web, []expectation{
		{id: "tls-certificate", pass: false},
		{id: "health-check", pass: false},
	})
	// With DEBUG on, the 404 page is the technical one: the check must fail.
	debugAddr := s.serve(t, map[string]string{"DJANGO_SECURE_SSL_REDIRECT": "False", "DJANGO_DEBUG": "True"})
	debugWeb := nonDockerPlan(t, s, map[string]string{"domain": debugAddr, "scheme": "http"})
	runSteps(t, operator, debugWeb, []expectation{{id: "no-debug-404", pass: false, contains: "DEBUG"}})

	// Break things the checks exist for, and watch them fail.
	if hasGunicorn(t) {
		broken := nonDockerPlan(t, s, map[string]string{"wsgi_app": "config.wsgi_missing:application"})
		runSteps(t, r, broken, []expectation{{id: "gunicorn-check-config", pass: false, contains: "No module named 'config.wsgi_missing'"}})
	}
	missing := nonDockerPlan(t, s, map[string]string{"required_env": "DJANGO_SECRET_KEY SENTRY_DSN"})
	runSteps(t, r, missing, []expectation{{id: "env-required", pass: false, contains: "MISSING: SENTRY_DSN"}})
	must(t, os.Chmod(s.envFile, 0o644))
	runSteps(t, r, plan, []expectation{{id: "env-file", pass: false, contains: "WORLD-ACCESSIBLE"}})
	s.env["DJANGO_DEBUG"] = "True"
	s.writeEnv(t)
	runSteps(t, r, plan, []expectation{
		{id: "debug-off", pass: false, contains: "DEBUG = True"},
		{id: "check-deploy", pass: false, contains: "DEBUG"},
	})
	delete(s.env, "DJANGO_DEBUG")
	s.writeEnv(t)

	// A SECRET_KEY committed on any branch, even one deleted from the
	// working tree later, is caught and nothing of it is printed.
	leak := "SECRET_KEY = 'django-insecure-leaked-" + s.env["DJANGO_SECRET_KEY"][:8] + "'\n"
	must(t, os.WriteFile(filepath.Join(s.appDir, "config/local_settings.py"), []byte(leak), 0o644))
	s.git(t, s.appDir, "checkout", "-q", "-b", "experiment")
	s.git(t, s.appDir, "add", "config/local_settings.py")
	s.git(t, s.appDir, "commit", "-q", "-m", "try a local key")
	hardcoded := r.run(t, plan.Step("secrets-not-hardcoded"))
	if hardcoded.met {
		t.Errorf("secrets-not-hardcoded passed with a literal key in config/local_settings.py:\n%s", hardcoded.output())
	}
	s.git(t, s.appDir, "rm", "-q", "config/local_settings.py")
	s.git(t, s.appDir, "commit", "-q", "-m", "remove the local key")
	s.git(t, s.appDir, "checkout", "-q", "main")
	res := r.run(t, plan.Step("secret-key-git-history"))
	if res.met {
		t.Errorf("secret-key-git-history passed with a committed key:\n%s", res.output())
	}
	for _, out := range []string{res.output(), hardcoded.output()} {
		if strings.Contains(out, "leaked") || strings.Contains(out, s.env["DJANGO_SECRET_KEY"][:8]) {
			t.Errorf("a secret check printed the secret:\n%s", out)
		}
	}
}
