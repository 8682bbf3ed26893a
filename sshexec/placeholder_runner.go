package sshexec

import (
	"context"
	"errors"
)

// This file stands in for the job runner (run.go, built separately) so that
// Client.Executor compiles until run.go lands. Whoever lands run.go deletes
// this file in the same commit.

var errRunnerMissing = errors.New("sshexec: job runner not built yet")

type placeholderRunner struct{ t transport }

func newRunner(t transport) Executor { return placeholderRunner{t} }

func (p placeholderRunner) Run(context.Context, Spec, chan<- Line) (Result, error) {
	return Result{ExitCode: -1, Unknown: true}, errRunnerMissing
}

func (p placeholderRunner) Attach(context.Context, string, Offsets, chan<- Line) (Result, error) {
	return Result{ExitCode: -1, Unknown: true}, errRunnerMissing
}

func (p placeholderRunner) Cancel(context.Context, string) error { return errRunnerMissing }
func (p placeholderRunner) Host() string                         { return p.t.name() }
func (p placeholderRunner) Close() error                         { return p.t.close() }

var _ transport = (*Client)(nil)
