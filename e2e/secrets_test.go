package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golive/runbook"
)

// TestSecretsNeverWritten runs plain mode over SSH with secrets planted in
// the server's environment file, a private key block and a secret runbook
// variable: first the built-in non-Docker runbook (its environment checks
// run for real until its first Django check fails on the fake app), then
// the test runbook, whose steps print every planted value (`env | grep
// DJANGO` included). Nothing golive printed or wrote may hold one. The
// first run also answers the unknown host-key question on stdin.
func TestSecretsNeverWritten(t *testing.T) {
	requireTools(t)
	requireDjango(t)
	srv := newServer(t)
	h := newHome(t)
	srv.sshConfig(t, h, "web1", false)

	args := append([]string{"run", "--plain", "--yes", "--runbook", "non-docker", "--host", "web1",
		"--operator", "Grace Hopper", "--out", h.out}, srv.nonDockerVars(t)...)
	// No answer to the host-key question: no connection, nothing recorded.
	// It exits 1, golive could not go on (as a resume refused for its host
	// key does), not 2: the flags were good.
	code, out := h.run(t, "", args...)
	if code != 1 || !strings.Contains(out, "the host key is not trusted") {
		t.Errorf("unanswered host-key question: exit %d, want 1 and a refusal:\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(h.dir, ".ssh", "known_hosts")); err == nil {
		t.Errorf("a host key was recorded although nobody said yes")
	}
	code, out = h.run(t, "yes\n", args...)
	t.Logf("non-docker: exit %d\n%s", code, out)
	if code != 1 {
		t.Errorf("non-docker run: exit %d, want 1 (it stops at the first check the fake app fails)", code)
	}
	for _, want := range []string{
		"The authenticity of host",
		"== [4/81] env-required: ",
		"  | set: DJANGO_SECRET_KEY",
		"  | set: DATABASE_URL",
		"stopped at a failure",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("non-docker run: the output lacks %q", want)
		}
	}
	if n := strings.Count(out, "signed off passed (automatic)"); n < 4 {
		t.Errorf("non-docker run: %d steps passed, want at least the 4 environment checks", n)
	}

	rb, err := filepath.Abs("testdata/release.yaml")
	if err != nil {
		t.Fatal(err)
	}
	code, out2 := h.run(t, "", "run", "--plain", "--yes", "--runbook", rb, "--host", "web1", "--operator", "Grace Hopper",
		"--out", h.out, "--var", "app_dir="+srv.appDir, "--var", "db_password="+plantedVarPass)
	t.Logf("test runbook: exit %d\n%s", code, out2)
	if code != 3 {
		t.Errorf("test runbook: exit %d, want 3 (stopped at the manual step, resumable)", code)
	}
	for _, want := range []string{
		"  | DJANGO_SECRET_KEY=********",
		"  | database: postgres://shop:********@db.internal:5432/shop",
		"  | API_TOKEN=********",
		"  | -----BEGIN OPENSSH PRIVATE KEY-----",
		"  | login with ********",
		"  ! checked",
		"step smoke is manual: a human must check it",
	} {
		if !strings.Contains(out2, want) {
			t.Errorf("test runbook: the output lacks %q", want)
		}
	}
	if strings.Contains(out2, "The authenticity of host") {
		t.Errorf("the second run asked about the host key the first one accepted")
	}
	// Export the unfinished run (golive export renders the secret
	// variable masked), and check that the transcript verifies too.
	runs, err := runbook.ListRuns(filepath.Join(h.state, "golive"))
	if err != nil {
		t.Fatal(err)
	}
	id := ""
	for _, r := range runs {
		if r.RunbookID == "e2e-release" {
			id = r.ID
		}
	}
	exp := filepath.Join(h.dir, "exported")
	code, out3 := h.run(t, "", "export", id, "--out", exp)
	if code != 0 || !strings.Contains(out3, "(unfinished, incomplete)") {
		t.Fatalf("golive export %q: exit %d\n%s", id, code, out3)
	}
	files, _ := filepath.Glob(filepath.Join(exp, "*.json"))
	if len(files) != 1 {
		t.Fatalf("golive export wrote %v", files)
	}
	h.verify(t, files[0], "Grace Hopper")
	// The steps ran on the server (they made its jobs directory), and
	// golive removed each job's files once its end was journaled.
	if _, err := os.Stat(filepath.Join(srv.state, "golive", "jobs")); err != nil {
		t.Errorf("no jobs directory in the server's %s; the steps did not run there: %v", srv.state, err)
	}
	if jobs, _ := filepath.Glob(filepath.Join(srv.state, "golive", "jobs", "*")); len(jobs) != 0 {
		t.Errorf("%d job directories left in the server's %s, want none: %q", len(jobs), srv.state, jobs)
	}
	noSecretsOnScreen(t, []string{out, out2})
	n := noSecretsIn(t, h.dir)
	t.Logf("%d files checked for planted secrets", n)
	if n < 6 {
		t.Errorf("only %d files under %s: the journals, transcript, profile and known_hosts should all be there", n, h.dir)
	}
}

// djangoPython is Debian's interpreter with python3-django installed.
const djangoPython = "/usr/bin/python3"

// requireDjango skips the test when python3-django is missing and CI is
// unset; under CI it fails.
func requireDjango(t *testing.T) {
	t.Helper()
	err := exec.Command(djangoPython, "-c", "import django").Run()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set but %s cannot import django (%v); .ci/run installs python3-django", djangoPython, err)
	}
	t.Skipf("python3-django not installed (%v)", err)
}
