package runbooks_test

import (
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeServer is a release host laid out under a temp dir the way the
// non-docker runbook expects one: a git checkout of the app cloned from an
// "origin" repository, a shared directory holding the environment file,
// the SQLite database, static and media files, a virtualenv and a backup
// directory.
//
// The checkout starts one release behind origin: its database has every
// migration but shop.0002 applied, and origin holds the commit that adds
// shop.0002, so the runbook's pull, migration review and migrate steps have
// real work to do.
type fakeServer struct {
	root      string
	origin    string // bare repository the checkout pulls from
	work      string // the developers' clone that pushes the release
	appDir    string
	sharedDir string
	envFile   string
	venv      string
	mediaDir  string
	staticDir string
	backupDir string
	dbFile    string
	// env is the environment file's content as a map (it holds a secret).
	env map[string]string
}

// djangoPython is Debian's interpreter with python3-django installed.
const djangoPython = "/usr/bin/python3"

// requireDjango skips the test when Debian's python3-django is missing and
// CI is unset; in CI a missing Django fails the test.
func requireDjango(t *testing.T) {
	t.Helper()
	err := exec.Command(djangoPython, "-c", "import django").Run()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("python3-django is required in CI (apt-get install -y python3-django): %v", err)
	}
	t.Skipf("python3-django not installed (%v); apt-get install -y python3-django", err)
}

// newFakeServer builds the layout with a SQLite database. It takes a few
// seconds (virtualenv, git, the first migrate).
func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	return newFakeServerWithDB(t, "")
}

// newFakeServerWithDB builds the layout with DATABASE_URL set to
// databaseURL, or to a SQLite file under the shared directory when it is
// empty.
func newFakeServerWithDB(t *testing.T, databaseURL string) *fakeServer {
	t.Helper()
	requireDjango(t)
	root := t.TempDir()
	s := &fakeServer{
		root:      root,
		origin:    filepath.Join(root, "origin.git"),
		work:      filepath.Join(root, "work"),
		appDir:    filepath.Join(root, "srv/myapp/current"),
		sharedDir: filepath.Join(root, "srv/myapp/shared"),
		venv:      filepath.Join(root, "srv/myapp/venv"),
		backupDir: filepath.Join(root, "backups"),
	}
	s.envFile = filepath.Join(s.sharedDir, ".env")
	s.mediaDir = filepath.Join(s.sharedDir, "media")
	s.staticDir = filepath.Join(s.sharedDir, "static")
	s.dbFile = filepath.Join(s.sharedDir, "db.sqlite3")
	for _, d := range []string{s.sharedDir, s.mediaDir, s.staticDir, s.backupDir} {
		must(t, os.MkdirAll(d, 0o755))
	}

	// The developers' repository: the previous release, then the new one.
	must(t, copyTree("testdata/djangoapp", s.work))
	// The previous release has neither the price field nor its migration.
	pending := filepath.Join(s.work, "shop/migrations/0002_product_price.py")
	models := filepath.Join(s.work, "shop/models.py")
	next, err := os.ReadFile(pending)
	must(t, err)
	nextModels, err := os.ReadFile(models)
	must(t, err)
	must(t, os.Remove(pending))
	var prev []string
	for _, line := range strings.Split(string(nextModels), "\n") {
		if !strings.Contains(line, "price") {
			prev = append(prev, line)
		}
	}
	must(t, os.WriteFile(models, []byte(strings.Join(prev, "\n")), 0o644))
	s.git(t, s.work, "init", "-q", "-b", "main")
	s.git(t, s.work, "add", "-A")
	s.git(t, s.work, "commit", "-q", "-m", "previous release")
	s.git(t, root, "init", "-q", "--bare", "-b", "main", s.origin)
	s.git(t, s.work, "remote", "add", "origin", s.origin)
	s.git(t, s.work, "push", "-q", "origin", "main")
	must(t, os.MkdirAll(filepath.Dir(s.appDir), 0o755))
	s.git(t, root, "clone", "-q", s.origin, s.appDir)
	must(t, os.WriteFile(pending, next, 0o644))
	must(t, os.WriteFile(models, nextModels, 0o644))
	s.git(t, s.work, "add", "-A")
	s.git(t, s.work, "commit", "-q", "-m", "add a price to products")
	s.git(t, s.work, "push", "-q", "origin", "main")

	if databaseURL == "" {
		databaseURL = "sqlite:///" + s.dbFile
	}
	s.env = map[string]string{
		"DJANGO_SECRET_KEY":           randomSecret(t),
		"DATABASE_URL":                databaseURL,
		"DJANGO_ALLOWED_HOSTS":        "example.com,www.example.com,127.0.0.1,localhost",
		"DJANGO_STATIC_ROOT":          s.staticDir,
		"DJANGO_MEDIA_ROOT":           s.mediaDir,
		"DJANGO_CSRF_TRUSTED_ORIGINS": "https://example.com,https://www.example.com",
		"EMAIL_HOST_PASSWORD":         "mail-" + randomSecret(t)[:20],
	}
	s.writeEnv(t)

	run(t, root, nil, djangoPython, "-m", "venv", "--system-site-packages", "--without-pip", s.venv)
	if hasGunicorn(t) {
		s.installEntryPoint(t, "gunicorn", "gunicorn.app.wsgiapp", "run")
	}
	// The live database matches the previous release.
	s.manage(t, nil, "migrate", "--noinput")
	return s
}

// writeEnv writes the environment file, readable by its owner only.
func (s *fakeServer) writeEnv(t *testing.T) {
	t.Helper()
	var b strings.Builder
	for _, k := range sortedKeys(s.env) {
		// Single quotes suit both `set -a; . FILE` and systemd's EnvironmentFile.
		fmt.Fprintf(&b, "%s='%s'\n", k, strings.ReplaceAll(s.env[k], "'", `'\''`))
	}
	must(t, os.WriteFile(s.envFile, []byte(b.String()), 0o600))
	must(t, os.Chmod(s.envFile, 0o600))
}

// vars are the runbook variables pointing at this layout.
func (s *fakeServer) vars(extra map[string]string) map[string]string {
	v := map[string]string{
		"app_dir":        s.appDir,
		"deploy_user":    currentUser(),
		"env_file":       s.envFile,
		"venv":           s.venv,
		"python":         "python",
		"media_dir":      s.mediaDir,
		"backup_dir":     s.backupDir,
		"local_checkout": s.appDir,
		"git_remote":     "origin",
		"git_branch":     "main",
		"release_ref":    "origin/main",
		"wsgi_app":       "config.wsgi:application",
	}
	for k, val := range extra {
		v[k] = val
	}
	return v
}

// processEnv is the environment of a command run on the fake server by
// hand: the test's own, with the virtualenv first on PATH and the
// environment file's variables set (as for the operator's local steps).
func (s *fakeServer) processEnv(extra map[string]string) []string {
	env := []string{"PATH=" + filepath.Join(s.venv, "bin") + ":" + os.Getenv("PATH"),
		"HOME=" + s.root, "PYTHONUNBUFFERED=1",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_AUTHOR_NAME=golive test", "GIT_AUTHOR_EMAIL=test@golive.invalid",
		"GIT_COMMITTER_NAME=golive test", "GIT_COMMITTER_EMAIL=test@golive.invalid"}
	for _, k := range sortedKeys(s.env) {
		env = append(env, k+"="+s.env[k])
	}
	for _, k := range sortedKeys(extra) {
		env = append(env, k+"="+extra[k])
	}
	return env
}

// manage runs manage.py in the checkout and fails the test on error.
func (s *fakeServer) manage(t *testing.T, extra map[string]string, args ...string) string {
	t.Helper()
	return run(t, s.appDir, s.processEnv(extra), filepath.Join(s.venv, "bin/python"), append([]string{"manage.py"}, args...)...)
}

func (s *fakeServer) git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	return run(t, dir, s.processEnv(nil), "git", args...)
}

// hasGunicorn reports whether Debian's python has Gunicorn; when it does,
// newFakeServer gives the virtualenv its gunicorn command. Under CI a
// missing Gunicorn fails the test.
func hasGunicorn(t *testing.T) bool {
	t.Helper()
	if exec.Command(djangoPython, "-c", "import gunicorn").Run() == nil {
		return true
	}
	if os.Getenv("CI") != "" {
		t.Fatal("gunicorn is required in CI (apt-get install -y gunicorn)")
	}
	return false
}

// installEntryPoint writes the script `pip install` would put in the
// virtualenv's bin for a console command.
func (s *fakeServer) installEntryPoint(t *testing.T, name, module, function string) {
	t.Helper()
	script := fmt.Sprintf("#!%s\nimport sys\nfrom %s import %s\nsys.exit(%s())\n",
		filepath.Join(s.venv, "bin/python"), module, function, function)
	must(t, os.WriteFile(filepath.Join(s.venv, "bin", name), []byte(script), 0o755))
}

// serve starts the app on a free loopback port the way the seed runs it,
// Gunicorn with set workers and timeout (runserver when Gunicorn is
// missing outside CI), with extra added to the environment, and stops it
// when the test ends. It returns host:port once the app answers.
func (s *fakeServer) serve(t *testing.T, extra map[string]string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := l.Addr().String()
	must(t, l.Close())
	name, args := filepath.Join(s.venv, "bin/gunicorn"), []string{"config.wsgi:application", "--bind", addr, "--workers", "2", "--timeout", "60"}
	if !hasGunicorn(t) {
		name, args = filepath.Join(s.venv, "bin/python"), []string{"manage.py", "runserver", "--noreload", addr}
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = s.appDir
	cmd.Env = s.processEnv(extra)
	// Its own process group, so that no Gunicorn worker outlives the test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	log := filepath.Join(s.root, "app-"+strings.ReplaceAll(addr, ":", "-")+".log")
	f, err := os.Create(log)
	must(t, err)
	cmd.Stdout, cmd.Stderr = f, f
	must(t, cmd.Start())
	t.Cleanup(func() { stopGroup(cmd); _ = f.Close() })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			_ = c.Close()
			return addr
		}
		time.Sleep(100 * time.Millisecond)
	}
	out, _ := os.ReadFile(log)
	t.Fatalf("%s on %s did not start within 30s:\n%s", filepath.Base(name), addr, out)
	return ""
}

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = env
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s (in %s): %v\n%s", name, strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// randomSecret makes a production-grade SECRET_KEY (50 characters).
func randomSecret(t *testing.T) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789!@#%^&*(-_=+)"
	b := make([]byte, 50)
	_, err := rand.Read(b)
	must(t, err)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// copyTree copies the regular files under src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			if d.Name() == "__pycache__" {
				return filepath.SkipDir
			}
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
}

// currentUser is the login name the test runs as (the "deploy user").
func currentUser() string {
	u, err := user.Current()
	if err != nil {
		return "root"
	}
	return u.Username
}

// secrets are the environment file's secret values: no step may print them.
func (s *fakeServer) secrets() []string {
	return []string{s.env["DJANGO_SECRET_KEY"], s.env["EMAIL_HOST_PASSWORD"]}
}

// stopGroup asks cmd's process group to stop (SIGTERM: Gunicorn then stops
// its workers), waits up to 5 seconds, and kills whatever is left.
func stopGroup(cmd *exec.Cmd) {
	pgid := cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-done
}
