// Package e2e runs the built golive binary the way an operator does: in
// tmux against a real sshd, killed with SIGKILL and resumed, with secrets
// planted on the server. Each test gets its own HOME and XDG directories.
package e2e

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"golive/runbook"
)

// golive is the binary under test, built once by TestMain.
var golive string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "golive-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	golive = filepath.Join(dir, "golive")
	build := exec.Command("go", "build", "-o", golive, ".")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// home is a test's operator account: a HOME with XDG directories, the
// environment golive runs in, and a key to sign transcripts with.
type home struct {
	dir, state, config, out string
	key                     string // ~/.ssh/id_ed25519, unencrypted: signs transcripts
	env                     []string
}

func newHome(t *testing.T) *home {
	t.Helper()
	d := t.TempDir()
	h := &home{dir: d, state: filepath.Join(d, "state"), config: filepath.Join(d, "config"), out: filepath.Join(d, "out")}
	for _, sub := range []string{"state", "config", "data", "cache", "out", ".ssh"} {
		if err := os.MkdirAll(filepath.Join(d, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	h.key = filepath.Join(d, ".ssh", "id_ed25519") // found by default, as an operator's key is
	writeKey(t, h.key)
	h.env = []string{
		"HOME=" + d,
		"USER=e2e",
		"PATH=" + os.Getenv("PATH"),
		"XDG_STATE_HOME=" + h.state,
		"XDG_CONFIG_HOME=" + h.config,
		"XDG_DATA_HOME=" + filepath.Join(d, "data"),
		"XDG_CACHE_HOME=" + filepath.Join(d, "cache"),
		"NO_COLOR=1",
		"LANG=C.UTF-8",
		"TERM=xterm-256color",
	}
	return h
}

// writeKey writes a fresh unencrypted ed25519 key in OpenSSH format.
func writeKey(t *testing.T, path string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "e2e")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
}

// cmd returns golive with args, run in the operator's home.
func (h *home) cmd(ctx context.Context, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, golive, args...)
	c.Env = h.env
	c.Dir = h.dir
	return c
}

// run runs golive to the end with stdin and returns its exit code and
// output (stdout and stderr together).
func (h *home) run(t *testing.T, stdin string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := h.cmd(ctx, args...)
	c.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	code := c.ProcessState.ExitCode()
	if err != nil && code < 0 {
		t.Fatalf("golive %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return code, out.String()
}

// transcripts returns the JSON transcripts in the output directory.
func (h *home) transcripts(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(h.out, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// readTranscript reads and checks a JSON transcript.
func readTranscript(t *testing.T, path string) *runbook.Transcript {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := runbook.ReadTranscript(f)
	if err != nil {
		t.Fatalf("read transcript %s: %v", path, err)
	}
	return tr
}

// verify runs `golive verify` on a transcript with the allowed_signers
// file written next to it, for the signer named principal, and fails the test unless every check passes.
func (h *home) verify(t *testing.T, path, principal string) string {
	t.Helper()
	code, out := h.run(t, "", "verify", path, "--signers", filepath.Join(filepath.Dir(path), "allowed_signers"), "--principal", principal)
	if code != 0 {
		t.Fatalf("golive verify %s: exit %d\n%s", path, code, out)
	}
	return out
}

// writeFile writes a test file and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// stepOf returns the transcript's record of a step.
func stepOf(t *testing.T, tr *runbook.Transcript, id string) runbook.TranscriptStep {
	t.Helper()
	for _, s := range tr.Steps {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no step %q in the transcript", id)
	return runbook.TranscriptStep{}
}
