package e2e

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golive/internal/sshdtest"
)

// update rewrites testdata/*.txt with the final screens.
var update = flag.Bool("update", false, "write the final screens to testdata/")

// requireTools skips the test when tmux or sshd is missing, unless CI is
// set: CI must run it.
func requireTools(t *testing.T) {
	t.Helper()
	var missing []string
	if _, err := exec.LookPath("tmux"); err != nil {
		missing = append(missing, "tmux")
	}
	if _, err := sshdtest.FindSSHD(); err != nil {
		missing = append(missing, "sshd (openssh-server)")
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set but %s is missing; .ci/run installs them", strings.Join(missing, " and "))
	}
	t.Skipf("skipping: %s not installed", strings.Join(missing, " and "))
}

// term is golive running in a tmux session of its own server (a private
// socket), at a fixed size. Every screen it captures is kept, so a test
// can check that no secret was ever shown.
type term struct {
	t       *testing.T
	sock    string
	screens []string
}

// terms counts the tmux servers started, so each gets its own socket.
var terms int

// startTerm runs golive with args in a new tmux session of width w and
// height h, in the operator's home and environment (NO_COLOR set). When
// golive exits the pane shows "[golive exited N]".
func startTerm(t *testing.T, hm *home, w, h int, args ...string) *term {
	t.Helper()
	terms++
	tm := &term{t: t, sock: filepath.Join(hm.dir, "tmux-"+strconv.Itoa(terms)+".sock")}
	words := []string{"env", "-i"}
	words = append(words, hm.env...)
	words = append(words, golive)
	words = append(words, args...)
	for i, w := range words {
		words[i] = shq(w)
	}
	script := "cd " + shq(hm.dir) + " && " + strings.Join(words, " ") + `; echo "[golive exited $?]"; sleep 600`
	tm.tmux("new-session", "-d", "-s", "e2e", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h), "sh", "-c", script)
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", tm.sock, "kill-server").Run() })
	return tm
}

func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// tmux runs a tmux command against the test's server.
func (tm *term) tmux(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", tm.sock}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// keys sends key names (Enter, Tab, Escape, C-u, or single characters).
func (tm *term) keys(keys ...string) {
	tm.t.Helper()
	tm.tmux(append([]string{"send-keys", "-t", "e2e"}, keys...)...)
}

// typeText types text literally.
func (tm *term) typeText(text string) {
	tm.t.Helper()
	tm.tmux("send-keys", "-t", "e2e", "-l", text)
}

// capture returns the screen as text and keeps it.
func (tm *term) capture() string {
	tm.t.Helper()
	s := tm.tmux("capture-pane", "-p", "-t", "e2e")
	tm.screens = append(tm.screens, s)
	return s
}

// waitFor polls the screen until it shows every one of texts, and
// returns it. After timeout it fails the test, printing the last screen.
func (tm *term) waitFor(timeout time.Duration, texts ...string) string {
	tm.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := tm.capture()
		ok := true
		for _, x := range texts {
			if !strings.Contains(s, x) {
				ok = false
				break
			}
		}
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("after %s the screen does not show %q; last screen:\n%s", timeout, texts, frame(s))
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// frame draws a screen with a border, so that its edges show in a log.
func frame(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "|" + l
	}
	return strings.Join(lines, "\n")
}

// saveScreen writes a capture to testdata/name when the test runs with
// -update.
func saveScreen(t *testing.T, name, screen string) {
	t.Helper()
	if !*update {
		return
	}
	lines := strings.Split(screen, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	if err := os.WriteFile(filepath.Join("testdata", name), []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}
