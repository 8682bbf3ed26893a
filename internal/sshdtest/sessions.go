package sshdtest

import (
	"bufio"
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// isSSHD reports whether a process named comm is sshd's: the listener and,
// up to OpenSSH 9.7, its per-connection processes are "sshd"; from 9.8 a
// connection runs "sshd-session" (and, from 10.0, "sshd-auth" while it
// authenticates).
func isSSHD(comm string) bool {
	return comm == "sshd" || comm == "sshd-session" || comm == "sshd-auth"
}

// SessionPIDs lists the sshd processes serving live connections to this
// server (not the listener, not the commands they run). It finds them
// through /proc: sshd processes that hold a TCP socket on the server's port,
// plus the sshd processes forked from them or from the listener, so that
// connections survive in the list across a Restart.
func (s *Server) SessionPIDs() []int {
	return s.sessionPIDs(s.ListenerPID())
}

func (s *Server) sessionPIDs(listener int) []int {
	procs := readProcs()
	inodes := portInodes(s.Port)
	in := map[int]bool{}
	for pid, p := range procs {
		if pid == listener || !isSSHD(p.comm) {
			continue
		}
		if p.ppid == listener && listener != 0 || holdsSocket(pid, inodes) {
			in[pid] = true
		}
	}
	// Close the set under sshd parent/child links (privsep monitor and its
	// unprivileged child), never climbing to the listener or to init.
	for changed := true; changed; {
		changed = false
		for pid, p := range procs {
			if !isSSHD(p.comm) || pid == listener {
				continue
			}
			if !in[pid] && in[p.ppid] {
				in[pid], changed = true, true
			}
			if in[pid] && p.ppid > 1 && p.ppid != listener && !in[p.ppid] {
				if pp, ok := procs[p.ppid]; ok && isSSHD(pp.comm) {
					in[p.ppid], changed = true, true
				}
			}
		}
	}
	out := make([]int, 0, len(in))
	for pid := range in {
		out = append(out, pid)
	}
	return out
}

// SessionCommands lists the command lines (arguments joined by spaces) of
// the processes this server's live connections run: the children of the
// SessionPIDs that are not sshd themselves.
func (s *Server) SessionCommands() []string {
	sessions := map[int]bool{}
	for _, pid := range s.SessionPIDs() {
		sessions[pid] = true
	}
	var out []string
	for pid, p := range readProcs() {
		if isSSHD(p.comm) || !sessions[p.ppid] {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		if err != nil {
			continue
		}
		out = append(out, strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " ")))
	}
	return out
}

// KillSessions drops every live connection by killing the sshd processes
// serving it (SIGKILL), as a network failure would, and reports how many it
// killed. The listener keeps running, and the commands those sessions
// started are not signalled.
func (s *Server) KillSessions() int {
	pids := s.SessionPIDs()
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGCONT)
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	return len(pids)
}

// StopSessions freezes every live connection (SIGSTOP to its sshd
// processes), so the link looks dead to the client without being closed.
// The returned function resumes them; test cleanup kills them anyway.
func (s *Server) StopSessions() (resume func()) {
	pids := s.SessionPIDs()
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGSTOP)
	}
	return func() {
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGCONT)
		}
	}
}

type proc struct {
	ppid int
	comm string
}

func readProcs() map[int]proc {
	out := map[int]proc{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parens.
		st := string(b)
		l, r := strings.IndexByte(st, '('), strings.LastIndexByte(st, ')')
		if l < 0 || r < l {
			continue
		}
		f := strings.Fields(st[r+1:])
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		out[pid] = proc{ppid: ppid, comm: st[l+1 : r]}
	}
	return out
}

// portInodes returns the inodes of TCP sockets whose local port is port.
func portInodes(port int) map[string]bool {
	out := map[string]bool{}
	want := strings.ToUpper(strconv.FormatInt(int64(port), 16))
	for len(want) < 4 {
		want = "0" + want
	}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 {
				continue
			}
			local := fields[1]
			if i := strings.LastIndexByte(local, ':'); i >= 0 && local[i+1:] == want {
				out[fields[9]] = true
			}
		}
		fh.Close()
	}
	return out
}

func holdsSocket(pid int, inodes map[string]bool) bool {
	dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		l, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		if strings.HasPrefix(l, "socket:[") && inodes[strings.TrimSuffix(l[len("socket:["):], "]")] {
			return true
		}
	}
	return false
}

func processAlive(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	st := string(b)
	r := strings.LastIndexByte(st, ')')
	f := strings.Fields(st[r+1:])
	return len(f) > 0 && f[0] != "Z"
}

// serverEnv names the variable every session of a Server carries (sshd
// SetEnv), set to the server's directory: unique per server, so a process
// that carries it was started by this server's connections, whatever port
// another server took since.
const serverEnv = "SSHDTEST_SERVER"

// StartedPIDs lists the live processes that this server's connections
// started, found by serverEnv in their environment. Unlike SessionCommands
// it also finds what left the session's process tree: jobs started under
// setsid whose shell has exited are children of init. (sudo's env_reset
// drops the variable: a job run as root through sudo is not found.)
func (s *Server) StartedPIDs() []int {
	var out []int
	for pid := range s.started() {
		out = append(out, pid)
	}
	return out
}

// started is StartedPIDs with each process's parent.
func (s *Server) started() map[int]int {
	want := []byte(serverEnv + "=" + s.Dir + "\x00")
	out := map[int]int{}
	for pid, p := range readProcs() {
		if pid == os.Getpid() || isSSHD(p.comm) {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "environ"))
		if err != nil {
			continue
		}
		for _, kv := range bytes.SplitAfter(env, []byte{0}) {
			if bytes.Equal(kv, want) && processAlive(pid) {
				out[pid] = p.ppid
				break
			}
		}
	}
	return out
}

// killStarted ends what StartedPIDs finds, without hurting the machine's
// own files. A login shell still reading its start-up files is left to
// finish them for up to settle: root's .bashrc here runs `pyenv init`,
// whose rehash takes a lock file under ~/.pyenv; a rehash signalled
// between creating the lock and setting its exit trap leaves it behind, and
// every later login on the machine then waits a minute for it (seen with
// SIGTERM and with SIGKILL). Such a shell is one whose program is a shell
// other than /bin/sh (bash, zsh...): golive's commands, the tests' and the
// login shell once it has started them run under /bin/sh. Everything else
// gets SIGTERM at once, and SIGKILL after grace; after settle the login
// shells too. A process that a terminated one forks later is its TERM
// handler at work (a trap's rm of its lock file): it is not signalled
// until its parent's grace is over; signalled at once, such an rm could
// die before its work (TestStopEndsWhatSessionsStarted failed so in CI
// once). It scans again and again until a scan finds nothing or wait is
// over.
func (s *Server) killStarted(settle, grace, wait time.Duration) {
	start := time.Now()
	termed := map[int]time.Time{}
	seen := map[int]bool{}
	for scan := 0; ; scan++ {
		procs := s.started()
		if len(procs) == 0 {
			return
		}
		if time.Since(start) > wait {
			s.t.Logf("sshdtest: processes of %s still alive after %v: %v", s.Addr, wait, slices.Sorted(maps.Keys(procs)))
			return
		}
		for p, parent := range procs {
			at, ok := termed[p]
			if !ok && scan > 0 && !seen[p] {
				// Its parent's grace is its own.
				at, ok = termed[parent]
				if ok {
					termed[p] = at
				}
			}
			seen[p] = true
			switch {
			case !ok && (time.Since(start) > settle || !loginShell(p)):
				termed[p] = time.Now()
				_ = syscall.Kill(p, syscall.SIGTERM)
			case ok && time.Since(at) > grace:
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// loginShell reports whether process pid runs a shell other than /bin/sh:
// a login shell still reading its start-up files, or a script of them.
func loginShell(pid int) bool {
	exe, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "exe"))
	if err != nil {
		return false
	}
	if sh, err := filepath.EvalSymlinks("/bin/sh"); err == nil && sh == exe {
		return false
	}
	switch filepath.Base(exe) {
	case "bash", "zsh", "fish", "ksh", "mksh", "tcsh", "csh":
		return true
	}
	return false
}
