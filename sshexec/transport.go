package sshexec

import (
	"context"
	"errors"
	"io"
)

// transport is what the job runner needs from a host: run one short shell
// command to the end, or start a long-lived one (the helper). The SSH
// client and the local executor each provide one, so that launching,
// detaching, following, reattaching and cancelling are written once
// (run.go, helper.go) and behave the same on both.
type transport interface {
	// exec runs cmd with /bin/sh on the host, feeding stdin (may be nil)
	// and copying its output to stdout and stderr (either may be nil,
	// discarding), and returns its exit code. It returns an error wrapping
	// errConnLost when the link to the host broke before the exit status
	// arrived: the command's fate is then unknown and the caller reconnects
	// and asks again.
	exec(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error)
	// start starts cmd on the host as a long-lived process talking over
	// its stdin and stdout (and stderr), and returns at once. It returns
	// errNoStream when the transport cannot hold one open (the caller
	// then uses exec), an error wrapping errConnLost when the link is
	// down.
	start(ctx context.Context, cmd string) (*stream, error)
	// reconnect re-establishes the link after errConnLost, retrying with
	// backoff until ctx is done. Notices about its progress go to notify:
	// NoticeReconnecting before each attempt, NoticeReconnected at the end.
	reconnect(ctx context.Context, notify notifyFunc) error
	// name is the host as shown to the operator.
	name() string
	close() error
}

// notifyFunc hears a notice for the job's follower (follower.notice).
type notifyFunc func(kind NoticeKind, msg string)

// stream is a long-lived process on the host started by transport.start.
type stream struct {
	// in is the process's stdin; closing it tells the process to end.
	in io.WriteCloser
	// out and errs are its stdout and stderr, read until EOF.
	out, errs io.Reader
	// lost reports, once out has ended, whether that was because the
	// link to the host broke (rather than the process ending).
	lost func() bool
	// stop closes the process's channel; it is not waited for.
	stop func()
	// wait waits for the process to end (after out and errs ended): nil
	// for exit status 0, else an *ssh.ExitError or *exec.ExitError, or
	// another error when the link broke (then lost reports true).
	wait func() error
}

// Transport errors.
var (
	// errConnLost marks errors where the link to the host broke.
	errConnLost = errors.New("connection to host lost")
	// errNoStream: the transport cannot hold a long-lived process open.
	errNoStream = errors.New("sshexec: no long-lived process on this transport")
)
