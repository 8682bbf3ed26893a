package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golive/internal/sshdtest"
)

// The planted secrets: values the test server holds and the test
// runbook's steps print. None may appear on the screen or in any file
// golive writes. Each carries the word "planted", and the checks look for
// that word too, so that a half-masked value is caught as well.
const (
	plantedSecretKey = "planted-django-secret-5f2c9a71"
	plantedDBPass    = "planted-dbpw-77aa31"
	plantedKeyBody   = "planted-keybody-c0ffee12"
	plantedToken     = "planted-api-token-3b8e"
	plantedVarPass   = "planted-var-pass-9d41e0" // the runbook's secret variable
)

var planted = []string{plantedSecretKey, plantedDBPass, plantedKeyBody, plantedToken, plantedVarPass, "planted"}

// server is the release host: a real sshd on 127.0.0.1 and an app
// directory whose .env and deploy key hold the planted secrets.
type server struct {
	sshd   *sshdtest.Server
	appDir string
	// state is the server's XDG_STATE_HOME (sshd sets it for every
	// session), where golive keeps its jobs on the host.
	state string
}

func newServer(t *testing.T) *server {
	t.Helper()
	state := t.TempDir()
	s := &server{sshd: sshdtest.Start(t, sshdtest.Config("SetEnv XDG_STATE_HOME="+state)), appDir: t.TempDir(), state: state}
	env := strings.Join([]string{
		"DJANGO_SECRET_KEY='" + plantedSecretKey + "'",
		"DJANGO_SETTINGS_MODULE='shop.settings.production'",
		"DJANGO_ALLOWED_HOSTS='example.com'",
		"DATABASE_URL='postgres://shop:" + plantedDBPass + "@db.internal:5432/shop'",
		"API_TOKEN='" + plantedToken + "'",
	}, "\n") + "\n"
	writeFile(t, s.appDir, ".env", env)
	writeFile(t, s.appDir, "deploy_key", "-----BEGIN OPENSSH PRIVATE KEY-----\n"+
		"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"+plantedKeyBody+"\n"+
		"AAAAC3NzaC1lZDI1NTE5AAAAIA"+plantedKeyBody+"x\n"+
		"-----END OPENSSH PRIVATE KEY-----\n")
	writeFile(t, s.appDir, "manage.py", "# the release's manage.py\n")
	return s
}

// nonDockerVars lays out what the built-in non-Docker runbook's first
// checks look at (the environment file outside the checkout, a virtualenv
// whose activate script sets VIRTUAL_ENV) and returns the --var flags
// pointing at it.
func (s *server) nonDockerVars(t *testing.T) []string {
	t.Helper()
	shared := t.TempDir()
	env, err := os.ReadFile(filepath.Join(s.appDir, ".env"))
	if err != nil {
		t.Fatal(err)
	}
	envFile := writeFile(t, shared, ".env", string(env))
	venv := filepath.Join(shared, "venv")
	if err := os.MkdirAll(filepath.Join(venv, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(venv, "bin"), "activate", "VIRTUAL_ENV="+venv+"; export VIRTUAL_ENV\n")
	return []string{"--var", "app_dir=" + s.appDir, "--var", "deploy_user=" + s.sshd.User, "--var", "env_file=" + envFile,
		"--var", "venv=" + venv, "--var", "python=" + djangoPython}
}

// sshConfig writes ~/.ssh/config with an alias for the server. known
// says whether ~/.ssh/known_hosts already trusts its host key; without
// it golive must ask.
func (s *server) sshConfig(t *testing.T, h *home, alias string, known bool) {
	t.Helper()
	cfg := strings.Join([]string{
		"Host " + alias,
		"  HostName " + s.sshd.Host,
		"  Port " + strconv.Itoa(s.sshd.Port),
		"  User " + s.sshd.User,
		"  IdentityFile " + s.sshd.ClientKeyPath,
		"  IdentitiesOnly yes",
	}, "\n") + "\n"
	writeFile(t, filepath.Join(h.dir, ".ssh"), "config", cfg)
	if known {
		writeFile(t, filepath.Join(h.dir, ".ssh"), "known_hosts", s.sshd.KnownHostsLine(false)+"\n")
	}
}

// noSecretsIn fails the test for every file under dir that holds a
// planted value, naming the file and the value. It returns how many files
// it read.
func noSecretsIn(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		for _, p := range planted {
			if strings.Contains(string(b), p) {
				t.Errorf("%s holds the planted secret %q", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return n
}

// noSecretsOnScreen fails the test if any captured screen showed a
// planted value.
func noSecretsOnScreen(t *testing.T, screens []string) {
	t.Helper()
	for i, s := range screens {
		for _, p := range planted {
			if strings.Contains(s, p) {
				t.Errorf("screen %d of %d showed the planted secret %q:\n%s", i+1, len(screens), p, frame(s))
				return
			}
		}
	}
}
