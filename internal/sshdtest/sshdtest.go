// Package sshdtest starts a real OpenSSH sshd on 127.0.0.1 for tests, with
// freshly generated host and client keys, and offers the controls tests need
// to misbehave on purpose: drop or freeze live connections, restart the
// server, write known_hosts and ssh_config files for it, run an ssh-agent.
//
// Every package that talks SSH tests against it; nothing here trusts a host
// key blindly.
package sshdtest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// Server is one running sshd. Its fields are fixed for the server's life;
// Restart keeps the port and the keys.
type Server struct {
	// Host is the address sshd listens on: always "127.0.0.1".
	Host string
	// Port is the TCP port sshd listens on.
	Port int
	// Addr is Host:Port.
	Addr string
	// Dir holds the keys, configs and log; it is removed after the test.
	Dir string
	// User is the login name of the user running the test.
	User string
	// HostKeyPath is the server's private ed25519 host key.
	HostKeyPath string
	// HostPublicKey is the server's host key.
	HostPublicKey ssh.PublicKey
	// HostCert is the host certificate sshd presents, when the
	// HostCertificate option was given.
	HostCert *ssh.Certificate
	// ClientKeyPath is an unencrypted ed25519 private key sshd accepts.
	ClientKeyPath string
	// ClientSigner signs with the key at ClientKeyPath.
	ClientSigner ssh.Signer

	t        testing.TB
	opts     options
	cfgPath  string
	authPath string
	logPath  string

	mu  sync.Mutex
	cmd *exec.Cmd
}

type options struct {
	maxSessions int
	extra       []string
	hostCA      ssh.Signer
	principals  []string
}

// Option changes how Start configures sshd.
type Option func(*options)

// MaxSessions sets sshd's MaxSessions (sessions per connection).
func MaxSessions(n int) Option { return func(o *options) { o.maxSessions = n } }

// Config adds raw sshd_config lines (for example "LoginGraceTime 5").
func Config(lines ...string) Option {
	return func(o *options) { o.extra = append(o.extra, lines...) }
}

// HostCertificate makes sshd present its host key as a certificate signed
// by ca for the given principals (default "127.0.0.1"), for testing
// @cert-authority known_hosts lines.
func HostCertificate(ca ssh.Signer, principals ...string) Option {
	return func(o *options) {
		o.hostCA = ca
		o.principals = principals
		if len(principals) == 0 {
			o.principals = []string{"127.0.0.1"}
		}
	}
}

// FindSSHD returns the path of sshd, looking in PATH and /usr/sbin.
func FindSSHD() (string, error) {
	if p, err := exec.LookPath("sshd"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/sshd", "/usr/local/sbin/sshd"} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", errors.New("sshd not found in PATH or /usr/sbin (install openssh-server)")
}

// Require skips the test when sshd is missing and CI is unset, and fails it
// when sshd is missing under CI. It returns sshd's path.
func Require(t testing.TB) string {
	t.Helper()
	p, err := FindSSHD()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	return p
}

// RequireClient skips the test when OpenSSH's client program (ssh,
// ssh-keygen...) is missing and CI is unset, and fails it under CI. It
// returns the program's path.
func RequireClient(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %s is missing (install openssh-client): %v", name, err)
		}
		t.Skipf("skipping: %s not found: %v", name, err)
	}
	return p
}

// Start generates keys and a config in a temp dir, starts sshd on a free
// 127.0.0.1 port, waits until it answers and stops it when the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	sshd := Require(t)
	s := &Server{t: t, Host: "127.0.0.1", Dir: t.TempDir()}
	for _, o := range opts {
		o(&s.opts)
	}
	if os.Geteuid() == 0 {
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Fatalf("sshdtest: create privilege separation dir /run/sshd: %v", err)
		}
	}
	u, err := user.Current()
	if err != nil {
		t.Fatalf("sshdtest: current user: %v", err)
	}
	s.User = u.Username

	hostSigner, err := writeKey(filepath.Join(s.Dir, "ssh_host_ed25519_key"), "")
	if err != nil {
		t.Fatalf("sshdtest: %v", err)
	}
	s.HostKeyPath = filepath.Join(s.Dir, "ssh_host_ed25519_key")
	s.HostPublicKey = hostSigner.PublicKey()
	if s.opts.hostCA != nil {
		if err := s.writeHostCert(); err != nil {
			t.Fatalf("sshdtest: %v", err)
		}
	}
	s.ClientKeyPath = filepath.Join(s.Dir, "id_ed25519")
	if s.ClientSigner, err = writeKey(s.ClientKeyPath, ""); err != nil {
		t.Fatalf("sshdtest: %v", err)
	}
	s.authPath = filepath.Join(s.Dir, "authorized_keys")
	if err := os.WriteFile(s.authPath, ssh.MarshalAuthorizedKey(s.ClientSigner.PublicKey()), 0o600); err != nil {
		t.Fatalf("sshdtest: %v", err)
	}
	s.logPath = filepath.Join(s.Dir, "sshd.log")
	t.Cleanup(s.stop)

	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("sshdtest: find a free port: %v", err)
		}
		s.Port = port
		s.Addr = net.JoinHostPort(s.Host, strconv.Itoa(port))
		if err := s.writeConfig(); err != nil {
			t.Fatalf("sshdtest: %v", err)
		}
		if lastErr = s.launch(sshd); lastErr == nil {
			return s
		}
	}
	t.Fatalf("sshdtest: start sshd: %v\nlog:\n%s", lastErr, s.Log())
	return nil
}

func (s *Server) writeConfig() error {
	s.cfgPath = filepath.Join(s.Dir, "sshd_config")
	lines := []string{
		"ListenAddress " + s.Addr,
		"HostKey " + s.HostKeyPath,
		"AuthorizedKeysFile " + s.authPath,
		"PidFile none",
		"StrictModes no",
		"UsePAM no",
		"PermitRootLogin prohibit-password",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"LogLevel ERROR",
		"AllowTcpForwarding yes",
	}
	// sshd takes the first SetEnv line only: the test's own (Config) are
	// merged into one with the server's. Jobs that tests run on this
	// server keep their files (sshexec's job directories) under the
	// server's own directory, not in the real user's ~/.local/state (a test
	// must not litter the machine it runs on), unless the test names its
	// own XDG_STATE_HOME; and every session carries serverEnv, by which
	// stop finds what the server's connections started.
	var env, extra []string
	for _, l := range s.opts.extra {
		if f := strings.Fields(l); len(f) > 0 && strings.EqualFold(f[0], "SetEnv") {
			env = append(env, f[1:]...)
			continue
		}
		extra = append(extra, l)
	}
	env = withDefault(env, "XDG_STATE_HOME", filepath.Join(s.Dir, "state"))
	env = append(env, serverEnv+"="+s.Dir)
	// Root's ~/.bashrc on the machines these tests run on runs `pyenv
	// init`, whose rehash takes a lock; a session killed while holding it
	// (a test's cleanup, a timeout, a machine under load) leaves the lock
	// behind, and every later login waited for it (pyenv's 60 s) and
	// printed pyenv's complaint into the output tests read. So sessions
	// read none of the machine's startup files: bash reads ~/.bashrc for a
	// command sshd runs only as a top-level shell, SHLVL under 2 once it
	// counted itself. A shell that runs pyenv anyway (one a test starts
	// itself) waits 5 s at most. Tests that want a noisy or slow login
	// shell make one (BASH_ENV, ForceCommand).
	env = withDefault(env, "SHLVL", "1")
	env = withDefault(env, "PYENV_REHASH_TIMEOUT", "5")
	lines = append(lines, "SetEnv "+strings.Join(env, " "))
	if s.HostCert != nil {
		lines = append(lines, "HostCertificate "+s.HostKeyPath+"-cert.pub")
	}
	if s.opts.maxSessions > 0 {
		lines = append(lines, "MaxSessions "+strconv.Itoa(s.opts.maxSessions))
	}
	// sshd takes the first value for most keywords: extra lines come first.
	lines = append(extra, lines...)
	return os.WriteFile(s.cfgPath, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
}

// withDefault adds key=value to env (SetEnv's NAME=value words) unless the
// test set key itself.
func withDefault(env []string, key, value string) []string {
	if slices.ContainsFunc(env, func(e string) bool { return strings.HasPrefix(e, key+"=") }) {
		return env
	}
	return append(env, key+"="+value)
}

// launch starts sshd and waits for its banner; it fails when sshd exits.
func (s *Server) launch(sshd string) error {
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open sshd log: %w", err)
	}
	cmd := exec.Command(sshd, "-D", "-e", "-f", s.cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", sshd, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logf.Close() }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("sshd exited: %w", err)
		default:
		}
		// The port is ours only if our sshd holds it: another test's sshd
		// may have taken the free port first (ours then fails to bind).
		if banner(s.Addr) && holdsSocket(cmd.Process.Pid, portInodes(s.Port)) {
			s.mu.Lock()
			s.cmd = cmd
			s.mu.Unlock()
			go func() { <-exited }()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	<-exited
	return errors.New("sshd did not answer within 10s")
}

// banner reports whether an SSH server answers at addr.
func banner(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "SSH-")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Log returns what sshd wrote to its log so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// ListenerPID is the pid of the listening sshd, or 0 when it is stopped.
func (s *Server) ListenerPID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// stopListener kills the listening sshd, leaving live connections alone.
func (s *Server) stopListener() {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	for i := 0; i < 200 && processAlive(cmd.Process.Pid); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
}

// stop ends the server when its test ends: the listener, the sshd
// processes of its connections and everything they started (login shells,
// sshexec's helper, jobs in their own sessions), before t.TempDir's
// cleanup removes the directory those processes write into. A helper
// still creating its job directory while the directory is removed fails
// the test with "directory not empty".
func (s *Server) stop() {
	pid := s.ListenerPID()
	for _, p := range s.freeze(pid) {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	if pid > 0 {
		// The listener takes its TERM as it goes on, before it can
		// accept another connection; stopListener waits for its end.
		_ = syscall.Kill(pid, syscall.SIGTERM)
		_ = syscall.Kill(pid, syscall.SIGCONT)
	}
	s.stopListener()
	s.killStarted(5*time.Second, time.Second, 10*time.Second)
	if s.t.Failed() {
		if l := s.Log(); l != "" {
			s.t.Logf("sshd log (%s):\n%s", s.Addr, l)
		}
	}
}

// freeze stops (SIGSTOP) the listener and every sshd process of its
// connections, and returns the connections' processes (the listener stays
// stopped) once a scan made
// after all of them had stopped finds no more. A connection's sshd forks
// the shell of a command it was asked to run; a child forked after the
// scan and before the kill would be neither in the scan nor, until it has
// exec'd the shell, marked by serverEnv: orphaned, it went on to start
// sshexec's helper while t.TempDir's cleanup ran ("directory not empty",
// about once in six runs of ./ui under load). Stopped, they fork nothing;
// a child forked just before is an sshd process in the next scan.
func (s *Server) freeze(listener int) []int {
	frozen := map[int]bool{}
	if listener > 0 {
		_ = syscall.Kill(listener, syscall.SIGSTOP)
		frozen[listener] = true
	}
	for {
		added := false
		for _, p := range s.sessionPIDs(listener) {
			if !frozen[p] {
				frozen[p], added = true, true
				_ = syscall.Kill(p, syscall.SIGSTOP)
			}
		}
		if !added {
			break
		}
		for p := range frozen {
			waitStopped(p)
		}
	}
	out := make([]int, 0, len(frozen))
	for p := range frozen {
		if p != listener {
			out = append(out, p)
		}
	}
	return out
}

// waitStopped waits, up to a second, until process pid is stopped or gone.
func waitStopped(pid int) {
	for i := 0; i < 200; i++ {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			return
		}
		st := string(b)
		f := strings.Fields(st[strings.LastIndexByte(st, ')')+1:])
		if len(f) == 0 || f[0] == "T" || f[0] == "t" || f[0] == "Z" || f[0] == "X" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// StopListener stops the listening sshd, so new connections are refused
// until Restart; connections already open are not touched.
func (s *Server) StopListener() { s.stopListener() }

// Reconfigure replaces the raw config lines given to Start (Config) with
// lines and restarts the listener with them (see Restart); connections
// already open keep the old settings.
func (s *Server) Reconfigure(lines ...string) {
	s.t.Helper()
	s.opts.extra = append([]string(nil), lines...)
	if err := s.writeConfig(); err != nil {
		s.t.Fatalf("sshdtest: %v", err)
	}
	s.Restart()
}

// Restart stops the listening sshd and starts it again on the same port
// with the same keys. Connections already open are not touched; use
// KillSessions to drop them.
func (s *Server) Restart() {
	s.t.Helper()
	sshd := Require(s.t)
	s.stopListener()
	var err error
	for i := 0; i < 50; i++ {
		if err = s.launch(sshd); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("sshdtest: restart sshd on %s: %v\nlog:\n%s", s.Addr, err, s.Log())
}
