// Package sshexec runs shell commands on a release host and streams their
// output back, as carefully as OpenSSH would connect and more robustly than a
// plain `ssh host cmd` when the network misbehaves.
//
// It resolves targets through ~/.ssh/config, authenticates with ssh-agent and
// identity files, verifies host keys against known_hosts (asking the operator
// about unknown hosts through a Prompter, refusing changed and revoked keys),
// and runs every command detached on the host (setsid, output and exit code
// in files) so that a dropped connection never kills it: Run reconnects and
// reattaches by itself. A local Executor gives the same guarantees on the
// operator's own machine.
//
// On the host, each job has a directory under
// $XDG_STATE_HOME/golive/jobs (by default ~/.local/state/golive/jobs),
// private to the user, holding its output and exit record until the caller
// has recorded the job's end and calls Forget. Jobs are launched by a
// resident helper shell, one per connection (started on first use and
// again after a reconnect), in one round trip: it makes the job directory
// and forks the job's wrapper, which hands the script to the job's shell
// through a here-document and exports its environment in memory, so
// neither reaches argv and the environment never touches the disk (nor
// does the script, but under a /bin/sh that is bash before 5.1, which
// keeps a here-document in a temporary file it unlinks at once). A job
// that ends within a few tens of milliseconds costs no more: the helper
// tells its end and sends back its output, up to 64 KiB; a longer or
// more talkative one is then followed in a session of its own,
// started ahead over SSH (spare.go) so that the login shell's startup
// files do not delay its output. Sudo
// jobs are launched through a session each (the password goes to sudo on
// its stdin), and unlink their script as soon as its shell opened it. An executor's first Run prunes, in the background, directories of
// jobs nobody forgot (golive died) in which nothing changed for 7 days
// (Options.JobRetention), never one whose job may still run.
//
// It knows nothing of runbooks or terminals.
package sshexec

import (
	"context"
	"errors"
	"time"
)

// Stream says which stream a Line came from.
type Stream uint8

// Streams. Notice lines are sshexec's own remarks (connection lost,
// reconnecting, reattached, cancel results), never the command's output.
const (
	Stdout Stream = iota + 1
	Stderr
	Notice
)

// String returns the stream's name: "stdout", "stderr", "notice", or
// "unknown" for any other value.
func (s Stream) String() string {
	switch s {
	case Stdout:
		return "stdout"
	case Stderr:
		return "stderr"
	case Notice:
		return "notice"
	}
	return "unknown"
}

// NoticeKind says what a Notice line tells of, so that a caller can act
// on a notice (show a banner, journal a connection event) without reading
// its words, which are written for the operator and may be reworded. Every
// Notice sshexec sends has a kind other than NoticeNone.
type NoticeKind uint8

// Notice kinds. The kinds about the link come in this order: NoticeLost
// or NoticeLostUnconfirmed, one NoticeReconnecting per attempt,
// NoticeReconnected, then NoticeReattached or NoticeChecking (a Cancel's
// reconnect ends at NoticeReconnected). The reconnecting and reconnected
// notices are missing when another caller on the same connection
// reconnected first: the follower then goes from NoticeLost straight to
// NoticeReattached.
const (
	// NoticeNone: not a notice (Stdout and Stderr lines).
	NoticeNone NoticeKind = iota
	// NoticeLost: the link to the host dropped while a job the host had
	// confirmed started was followed (it keeps running there), or while
	// a Cancel of it was on its way; sshexec reconnects.
	NoticeLost
	// NoticeLostUnconfirmed: the link dropped before the host confirmed
	// that the job started: it may or may not have started. sshexec
	// reconnects and looks (NoticeChecking).
	NoticeLostUnconfirmed
	// NoticeReconnecting: an attempt to reconnect begins; the text says
	// which and why the link (or the last attempt) failed.
	NoticeReconnecting
	// NoticeReconnected: the link is back.
	NoticeReconnected
	// NoticeReattached: after a reconnect, the job is followed again from
	// where its output stopped.
	NoticeReattached
	// NoticeChecking: reconnected after NoticeLostUnconfirmed, sshexec
	// looks for the job on the host, to follow it if it started or
	// start it (NoticeStarting) if it never did.
	NoticeChecking
	// NoticeStarting: the job a lost launch was for never started on the
	// host: it is started now.
	NoticeStarting
	// NoticeNoExitStatus: the job ended without recording its exit status
	// (its wrapper on the host was stopped with it).
	NoticeNoExitStatus
	// NoticeCancel: what a Cancel of the job did, or why it could not.
	NoticeCancel
	// NoticeLaunched: the host confirmed that the job runs (the helper's
	// or the launch session's word that it started it, or a follower's
	// that it found it started), sent once per Run or Attach, before any
	// of the job's output; its Time is when the confirmation arrived, by
	// the local clock. Until it comes the job may still be waiting to
	// start: every SSH session golive opens runs the login shell's startup
	// files (~/.bashrc...) first, which on some hosts takes seconds. It
	// tells no news the operator must read: a caller may keep it out of
	// the output it shows. A Run whose launch the host never confirmed
	// (an error, ctx done first) sends none.
	NoticeLaunched
)

// String names the kind ("lost", "reconnecting", ...), for logs and tests.
func (k NoticeKind) String() string {
	switch k {
	case NoticeNone:
		return "none"
	case NoticeLost:
		return "lost"
	case NoticeLostUnconfirmed:
		return "lost-unconfirmed"
	case NoticeReconnecting:
		return "reconnecting"
	case NoticeReconnected:
		return "reconnected"
	case NoticeReattached:
		return "reattached"
	case NoticeChecking:
		return "checking"
	case NoticeStarting:
		return "starting"
	case NoticeNoExitStatus:
		return "no-exit-status"
	case NoticeCancel:
		return "cancel"
	case NoticeLaunched:
		return "launched"
	}
	return "unknown"
}

// Line is one line of output. Text has no trailing newline; a lone "\r"
// progress update is split into its own lines, invalid UTF-8 is replaced, and
// a line longer than MaxLineBytes is cut into pieces. A line still being
// written (no newline yet) is delivered as it is after a quiet second, and
// its rest arrives as another Line marked Cont.
//
// Lines arrive in batches (see Executor.Run), and the Texts of one batch
// usually share one string's memory: keeping one Line's Text keeps its
// whole batch (up to a read's 32 KiB, or a quick job's whole output, up
// to 64 KiB, that the helper sent back) alive. To keep a few lines for long,
// clone their Texts (strings.Clone).
type Line struct {
	Stream Stream
	// Cont: Text goes on the previous Line of this stream, which was
	// delivered before its end arrived (after a quiet second: Django's
	// "Applying app.0001..." and then " OK"). Shown joined, it reads as
	// the one line the command printed.
	Cont bool
	// Kind says what a Notice line tells of; NoticeNone on other lines.
	Kind NoticeKind
	Text string
	Time time.Time
	// Offset is the byte offset in the job's stream file just after this
	// line (after its "\r" when it ended with "\r\n"); pass the last one
	// seen to Attach to continue from there.
	Offset int64
}

// MaxLineBytes bounds one Line's Text.
const MaxLineBytes = 64 << 10

// Spec describes one command to run.
type Spec struct {
	// JobID names the job on the host; it must be unique per attempt and
	// made of [A-Za-z0-9._-]. The caller keeps it to reattach or cancel.
	JobID string
	// Script is shell text run by /bin/sh.
	Script string
	// Sudo runs the script as root through sudo: `sudo -n` unless the
	// Executor has a sudo password, which is then fed on stdin (`sudo -S`).
	Sudo bool
	// Env is added to the command's environment (PYTHONUNBUFFERED=1 is
	// always set).
	Env map[string]string
	// Timeout kills the job when it runs longer; zero means no limit.
	// It is enforced on the host (TERM, then KILL 5 s later), so it holds
	// while the connection is down.
	Timeout time.Duration
	// SudoPassword, when Sudo is set and sudo needs a password, is fed to
	// `sudo -S` on stdin. It is kept in memory only (the Executor keeps a
	// copy to cancel root jobs) and never logged, written or shown.
	SudoPassword []byte
}

// Offsets are how many bytes of each stream the caller has already seen.
type Offsets struct {
	Stdout, Stderr int64
}

// Result is how a job ended.
type Result struct {
	// ExitCode is the status as the shell saw it: 128+n when the job was
	// killed by signal n (Signal is then set), -1 when the status is
	// unknown.
	ExitCode int
	// Signal names the signal that ended the job ("TERM", "KILL"), if any.
	// A job with Signal set never succeeded.
	Signal string
	// Unknown is true when the exit status could not be learned. It is
	// never success.
	Unknown bool
	// TimedOut is true when Spec.Timeout stopped the job.
	TimedOut bool
	// Canceled is true when Cancel stopped the job.
	Canceled bool
	// Started and Ended are when the job started and ended: as recorded
	// on the host when a follower reported them; by the local clock
	// (the host's confirmation that it started, as NoticeLaunched, the
	// arrival of the helper's exit notice or of the output it sent back)
	// for a job that ended within moments, since the host's clock would
	// cost a process there. So Ended-Started is the job's own time, not
	// the wait for a slow login shell before it; Started is zero when the
	// host never confirmed the start.
	Started time.Time
	Ended   time.Time
}

// Executor runs jobs on one host. Implementations are safe for concurrent use.
type Executor interface {
	// Run starts spec detached on the host and streams its output to out,
	// in order within each stream, until it ends; then it returns the
	// Result. A dropped connection is retried and the job reattached, with
	// Notice lines saying so. Run does not close out.
	//
	// Each send on out is a batch: a non-empty run of Lines of one stream
	// (what one read from the host completed), in order, that the
	// receiver owns: sshexec never touches a batch again once sent,
	// unless the receiver hands it back with Recycle to be filled again.
	// Notices, and a partial line delivered after a quiet second, come as
	// batches of one. The Texts of a batch share memory (see Line).
	//
	// Once the host confirms that the job started, and before any of its
	// output, Run sends one NoticeLaunched (Attach: once it found the
	// job), so even a job that prints nothing sends a batch: out must be
	// read. Until then the job has not started: a slow login shell on the
	// host delays it.
	//
	// If ctx is done first, Run returns ctx.Err() and the job keeps running
	// on the host: call Cancel to stop it, or Attach to follow it again.
	// Other errors mean golive could not start or follow the job; the
	// Result then has Unknown set when the job may have run.
	Run(ctx context.Context, spec Spec, out chan<- []Line) (Result, error)
	// Attach follows an existing job from the given offsets, as Run does.
	// It returns ErrNoJob when the host knows no such job.
	Attach(ctx context.Context, jobID string, from Offsets, out chan<- []Line) (Result, error)
	// Cancel stops the job's whole process group (TERM, then KILL after a
	// grace period) and confirms it is gone. It returns ErrMaybeRunning if
	// that cannot be confirmed.
	Cancel(ctx context.Context, jobID string) error
	// Forget removes the job's directory (its output and exit record) from
	// the host once the caller has recorded the job's end. It returns
	// ErrJobRunning, and removes nothing, while the job still runs; nil
	// when the host has no such job.
	Forget(ctx context.Context, jobID string) error
	// Host names where jobs run ("local", or user@host:port).
	Host() string
	Close() error
}

// Errors.
var (
	// ErrNoJob: the host has no record of the job.
	ErrNoJob = errors.New("sshexec: no such job on the host")
	// ErrMaybeRunning: a cancel could not be confirmed; the remote process
	// may still be running.
	ErrMaybeRunning = errors.New("sshexec: remote process may still be running")
	// ErrJobRunning: Forget refused because the job still runs.
	ErrJobRunning = errors.New("sshexec: the job is still running")
)
