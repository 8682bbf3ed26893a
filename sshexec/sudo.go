package sshexec

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Why sudo refused to start a job, for callers that can ask the operator
// for the password there and then (the TUI does). A Run error wraps one of
// them (errors.Is) and says on which host: "sudo needs a password on
// web1", "the sudo password was not accepted on web1". The message says
// what happened and no more: it is recorded in the journal and the
// transcript, and what to do about it is the caller's to say (the TUI
// offers P, plain mode prints the resume command that asks for it). Its
// text holds the error's, so a journaled message tells them apart too.
var (
	// ErrSudoNeedsPassword: the step runs through sudo, the host's sudo
	// asks for a password, and golive was given none.
	ErrSudoNeedsPassword = errors.New("sudo needs a password")
	// ErrSudoPasswordRejected: sudo did not accept the password golive
	// was given.
	ErrSudoPasswordRejected = errors.New("the sudo password was not accepted")
)

// How jobs become root. Spec.Sudo runs the job's wrapper through sudo; the
// job directory, its files and the followers stay the operator's, so only
// starting and cancelling need sudo. With no password sudo must not ask
// (`sudo -n`). With one, sudo reads it from stdin (`sudo -S`, with an empty prompt): the
// password travels after the script on the launcher's stdin, which the
// launcher reads by exact length, so the password reaches sudo and nothing
// else. It is never put in argv, the environment, a file or a message, and
// if sudo does not ask for it, it stays unread in the pipe.
const (
	sudoNoPrompt = "sudo -n --"
	sudoStdin    = "sudo -S -p '' --"
	// isRoot is true on the host when golive already logs in as root;
	// sudo is then not used (it may not even be installed).
	isRoot = `[ "$(id -u)" = 0 ]`
)

// asroot defines the shell function asroot, which runs its arguments as
// root through prefix, or directly when already root.
func (r *runner) asroot(prefix string) string {
	return "asroot() { if " + r.rootCheck + `; then "$@"; else ` + prefix + ` "$@"; fi; }`
}

// sudoLaunch builds the launcher's stdin (env, script, end mark, then the
// password if any) and, for a sudo job, the asroot definition.
func (r *runner) sudoLaunch(spec Spec, env string) (prefix string, stdin []byte) {
	n := len(env) + len(spec.Script) + len(endMark) + len(spec.SudoPassword) + 2
	stdin = make([]byte, 0, n)
	stdin = append(stdin, env...)
	stdin = append(stdin, spec.Script...)
	stdin = append(stdin, endMark+"\n"...)
	if !spec.Sudo {
		return "", stdin
	}
	if len(spec.SudoPassword) == 0 {
		return r.asroot(sudoNoPrompt), stdin
	}
	r.rememberPassword(spec.SudoPassword)
	stdin = append(stdin, spec.SudoPassword...)
	stdin = append(stdin, '\n')
	return r.asroot(sudoStdin), stdin
}

// cancelSudo is the asroot definition and stdin Cancel uses for a job that runs
// as root: the remembered password if there is one, else `sudo -n`.
func (r *runner) cancelSudo() (prefix string, stdin []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sudoPW) == 0 {
		return r.asroot(sudoNoPrompt), nil
	}
	stdin = make([]byte, 0, len(r.sudoPW)+1)
	stdin = append(stdin, r.sudoPW...)
	return r.asroot(sudoStdin), append(stdin, '\n')
}

// rememberPassword keeps a copy of pw in memory, for Cancel.
func (r *runner) rememberPassword(pw []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if bytes.Equal(r.sudoPW, pw) {
		return
	}
	clear(r.sudoPW)
	r.sudoPW = bytes.Clone(pw)
}

// forgetPassword wipes the remembered password.
func (r *runner) forgetPassword() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.sudoPW)
	r.sudoPW = nil
}

// startFailed is the error of a job on host the launcher could not
// start, msg being what the host said: it wraps ErrSudoNeedsPassword or
// ErrSudoPasswordRejected when sudo refused for want of a good password,
// and then says so, on which host, with no advice (see ErrSudoNeedsPassword).
func startFailed(where, host, msg string) error {
	head := fmt.Sprintf("sshexec: %s could not be started%s", where, hostSays(msg))
	if err := sudoPasswordErr(msg); err != nil {
		return fmt.Errorf("%s; %w on %s", head, err, host)
	}
	return errors.New(head + sudoHint(msg))
}

// sudoPasswordErr tells, from sudo's message, whether it wanted a password
// it did not get (nil when it refused for another reason, or did not).
func sudoPasswordErr(msg string) error {
	switch {
	case strings.Contains(msg, "password is required"):
		return ErrSudoNeedsPassword
	case strings.Contains(msg, "incorrect password"), strings.Contains(msg, "no password was provided"):
		return ErrSudoPasswordRejected
	}
	return nil
}

// sudoHint adds what to do when sudo refused to start a job, or to
// cancel or remove one. For want of a good password it names the flag
// that gives one, which both UIs take when a run is resumed.
func sudoHint(msg string) string {
	switch sudoPasswordErr(msg) {
	case ErrSudoNeedsPassword:
		return "; sudo there needs a password: resume the run with --sudo-password to give it"
	case ErrSudoPasswordRejected:
		return "; sudo there did not accept the password: resume the run with --sudo-password to give the right one"
	}
	switch {
	case strings.Contains(msg, "not found"):
		return "; is sudo installed on the host?"
	case strings.Contains(msg, "not in the sudoers"), strings.Contains(msg, "not allowed"):
		return "; this user may not use sudo on the host"
	}
	return ""
}
