package sshexec

import (
	"context"
	"errors"
	"io"
)

// transport is what the job runner needs from a host: run one short shell
// command to the end. The SSH client and the local executor each provide
// one, so that detaching, following, reattaching and cancelling are written
// once (run.go) and behave the same on both.
type transport interface {
	// exec runs cmd with /bin/sh on the host, feeding stdin (may be nil)
	// and copying its output to stdout and stderr (either may be nil,
	// discarding), and returns its exit code. It returns an error wrapping
	// errConnLost when the link to the host broke before the exit status
	// arrived: the command's fate is then unknown and the caller reconnects
	// and asks again.
	exec(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error)
	// reconnect re-establishes the link after errConnLost, retrying with
	// backoff until ctx is done. Notices about its progress go to notify.
	reconnect(ctx context.Context, notify func(string)) error
	// name is the host as shown to the operator.
	name() string
	close() error
}

// errConnLost marks errors where the link to the host broke.
var errConnLost = errors.New("connection to host lost")
