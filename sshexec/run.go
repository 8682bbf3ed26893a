package sshexec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// runner implements Executor over a transport: it launches jobs detached
// on the host (job.go), follows their output files, reattaches after a
// dropped connection, and cancels them. It is shared by the SSH client and
// the local executor.
type runner struct {
	t         transport
	root      string // jobs directory on the host, as a shell word
	rootCheck string // shell test: already root, no sudo needed

	recon sync.Mutex    // one reconnect at a time
	gen   atomic.Uint64 // bumped by each successful reconnect

	mu     sync.Mutex
	sudoPW []byte               // last sudo password, for Cancel (sudo.go)
	active map[string]*follower // jobs being followed, for Cancel's notices
}

// newRunner returns an Executor running jobs through t.
func newRunner(t transport) *runner {
	return &runner{t: t, root: defaultRoot, rootCheck: isRoot, active: map[string]*follower{}}
}

// Host names where jobs run.
func (r *runner) Host() string { return r.t.name() }

// Close closes the transport and forgets the sudo password.
func (r *runner) Close() error {
	r.forgetPassword()
	return r.t.close()
}

// launch is what Run sends to start a job.
type launch struct {
	spec  Spec
	env   string
	sudo  string // asroot definition (sudo.go), empty without Spec.Sudo
	stdin []byte // env, script, end mark, then maybe the sudo password
}

// Run starts spec detached on the host and follows it to its end.
func (r *runner) Run(ctx context.Context, spec Spec, out chan<- Line) (Result, error) {
	res := Result{ExitCode: -1, Started: time.Now()}
	if err := validJobID(spec.JobID); err != nil {
		return res, err
	}
	env, err := envText(spec.Env)
	if err != nil {
		return res, err
	}
	l := &launch{spec: spec, env: env}
	l.sudo, l.stdin = r.sudoLaunch(spec, env)
	defer clear(l.stdin)
	f, err := r.register(ctx, spec.JobID, newToken(), Offsets{}, out)
	if err != nil {
		return res, err
	}
	defer r.unregister(f)
	return r.follow(ctx, f, l, res)
}

// Attach follows a job started earlier, from the given offsets.
func (r *runner) Attach(ctx context.Context, jobID string, from Offsets, out chan<- Line) (Result, error) {
	res := Result{ExitCode: -1}
	if err := validJobID(jobID); err != nil {
		return res, err
	}
	f, err := r.register(ctx, jobID, "", from, out)
	if err != nil {
		return res, err
	}
	defer r.unregister(f)
	return r.follow(ctx, f, nil, res)
}

// Modes of one follow attempt.
const (
	modeLaunch = iota // start the job and follow it
	modeFollow        // the job was started: follow it
	modeUnsure        // a launch was cut off: follow, or launch if absent
)

// follow drives attempts until the job's end is known, reconnecting when
// the link drops.
func (r *runner) follow(ctx context.Context, f *follower, l *launch, res Result) (Result, error) {
	mode := modeFollow
	if l != nil {
		mode = modeLaunch
	}
	where := fmt.Sprintf("job %s on %s", f.id, r.t.name())
	retries := 0
	for {
		gen := r.gen.Load()
		var a attempt
		var err error
		if mode == modeLaunch {
			a, err = r.launchOnce(ctx, f, l)
		} else {
			a, err = r.followOnce(ctx, f)
		}
		if ctx.Err() != nil {
			res.Unknown = true
			return res, ctx.Err()
		}
		if errors.Is(err, errConnLost) {
			if mode == modeLaunch {
				mode = modeUnsure
				if a.started {
					mode = modeFollow
				}
			}
			f.notice(fmt.Sprintf("connection to %s lost; job %s keeps running on the host; reconnecting", r.t.name(), f.id))
			if err := r.reconnect(ctx, gen, f.notice); err != nil {
				res.Unknown = true
				if ctx.Err() != nil {
					return res, ctx.Err()
				}
				return res, fmt.Errorf("sshexec: %s: could not reconnect, the job may still be running (attach to it later): %w", where, err)
			}
			f.notice(fmt.Sprintf("reattached to job %s on %s: continuing from stdout byte %d, stderr byte %d", f.id, r.t.name(), f.stdout.off, f.stderr.off))
			continue
		}
		if err != nil {
			res.Unknown = mode != modeLaunch || a.started
			return res, fmt.Errorf("sshexec: %s: %w", where, err)
		}
		if mode == modeLaunch && a.state == "" && !a.started {
			// The launcher ended without saying whether it started the
			// job: look before launching again.
			if retries++; retries > 3 {
				res.Unknown = true
				return res, fmt.Errorf("sshexec: %s: the launcher ended without starting the job%s", where, hostSays(a.msg))
			}
			mode = modeUnsure
			continue
		}
		switch a.state {
		case "":
		case "nojob":
			if mode == modeUnsure {
				mode = modeLaunch // the cut-off launch never created it
				continue
			}
			return res, fmt.Errorf("%w: %s (no directory for it under %s)", ErrNoJob, where, r.root)
		case "exists":
			return res, fmt.Errorf("sshexec: %s already exists; a job id is never run twice, start it under a new id", where)
		case "short":
			return res, fmt.Errorf("sshexec: %s: the script did not arrive whole; nothing was run", where)
		case "startfail":
			return res, fmt.Errorf("sshexec: %s could not be started%s%s", where, hostSays(a.msg), sudoHint(a.msg))
		case "conflict":
			return res, fmt.Errorf("sshexec: %s: the job directory belongs to another run; use a new job id", where)
		case "nostart":
			res.Unknown = true
			return res, fmt.Errorf("sshexec: %s: the job never recorded its process group; check the host%s", where, hostSays(a.msg))
		case "followfail":
			if retries++; retries > 3 {
				res.Unknown = true
				return res, fmt.Errorf("sshexec: %s: could not follow its output%s: %w", where, hostSays(a.msg), ErrMaybeRunning)
			}
			mode = modeFollow
			continue
		default:
			res.Unknown = true
			return res, fmt.Errorf("sshexec: %s: unexpected answer %q%s", where, a.state, hostSays(a.msg))
		}
		mode = modeFollow
		if !a.ended || f.stdout.off < a.outSize || f.stderr.off < a.errSize {
			// The followers stopped before the end of the files: read
			// the rest (rare; tail normally delivers it all).
			if retries++; retries > 3 {
				res.Unknown = true
				return res, fmt.Errorf("sshexec: %s: output stopped short of the end of its files (stdout %d of %d bytes, stderr %d of %d)%s", where, f.stdout.off, a.outSize, f.stderr.off, a.errSize, hostSays(a.msg))
			}
			continue
		}
		if err := f.stdout.flush(); err != nil {
			return res, err
		}
		if err := f.stderr.flush(); err != nil {
			return res, err
		}
		a.fill(&res)
		if res.Canceled {
			f.waitCancels()
		}
		return res, nil
	}
}

// reconnect re-establishes the link once for all callers that saw it drop
// in generation gen.
func (r *runner) reconnect(ctx context.Context, gen uint64, notify func(string)) error {
	r.recon.Lock()
	defer r.recon.Unlock()
	if r.gen.Load() != gen {
		return nil // someone else already reconnected
	}
	if err := r.t.reconnect(ctx, notify); err != nil {
		return err
	}
	r.gen.Add(1)
	return nil
}

// launchOnce starts the job and follows it: stdout and the control
// records in one session, stderr in a second one opened at the same time,
// which waits (blocked on its stdin, costing no process) until the
// launcher says the job started, or ends when its stdin closes.
func (r *runner) launchOnce(ctx context.Context, f *follower, l *launch) (attempt, error) {
	gateR, gateW := io.Pipe()
	started, launched := make(chan struct{}), make(chan struct{})
	var once sync.Once
	c1 := ctlWriter{onCtl: func(l string) {
		if l == "started" {
			once.Do(func() { close(started) })
		}
	}}
	go func() { // never blocks the launcher's output
		defer gateW.Close()
		select {
		case <-started:
		case <-launched:
			select {
			case <-started:
			default:
				return
			}
		}
		_, _ = gateW.Write([]byte("go\n"))
	}()
	var c2 ctlWriter
	cmd1 := launchCmd(r.root, l.spec, len(l.env), f.token, l.sudo)
	cmd2 := "IFS= read -r go || exit 0\n" + followCmd(r.root, f.id, Stderr, f.stderr.start(), false, f.token)
	err1, err2 := r.pair(ctx,
		func(ctx context.Context) error {
			defer close(launched)
			_, err := r.t.exec(ctx, cmd1, bytes.NewReader(l.stdin), f.stdout, &c1)
			if err == nil && !c1.has("started") {
				err = errAbandon // it failed to start: stop waiting for it
			}
			return err
		},
		func(ctx context.Context) error {
			defer gateR.Close()
			_, err := r.t.exec(ctx, cmd2, gateR, f.stderr, &c2)
			return err
		})
	return parseAttempt(&c1, &c2), firstErr(err1, err2)
}

// followOnce follows both streams of a started job from where the
// splitters are.
func (r *runner) followOnce(ctx context.Context, f *follower) (attempt, error) {
	var c1, c2 ctlWriter
	cmd1 := followCmd(r.root, f.id, Stdout, f.stdout.start(), true, f.token)
	cmd2 := followCmd(r.root, f.id, Stderr, f.stderr.start(), false, f.token)
	err1, err2 := r.pair(ctx,
		func(ctx context.Context) error {
			_, err := r.t.exec(ctx, cmd1, nil, f.stdout, &c1)
			return err
		},
		func(ctx context.Context) error {
			_, err := r.t.exec(ctx, cmd2, nil, f.stderr, &c2)
			return err
		})
	return parseAttempt(&c1, &c2), firstErr(err1, err2)
}

// errAbandon stops the other half of a pair without being an error itself.
var errAbandon = errors.New("abandon")

// pair runs two execs concurrently; when one fails, the other is stopped
// and its error dropped, unless it too is a lost connection.
func (r *runner) pair(ctx context.Context, a, b func(context.Context) error) (error, error) {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	failed := false // one already failed: the other's error is a result
	run := func(fn func(context.Context) error) error {
		err := fn(pctx)
		mu.Lock()
		defer mu.Unlock()
		if err == nil {
			return nil
		}
		if failed && !errors.Is(err, errConnLost) {
			return nil
		}
		failed = true
		cancel()
		if errors.Is(err, errAbandon) {
			return nil
		}
		return err
	}
	var errB error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		errB = run(b)
	}()
	errA := run(a)
	wg.Wait()
	return errA, errB
}

// firstErr prefers a lost connection, which the caller recovers from.
func firstErr(a, b error) error {
	if errors.Is(a, errConnLost) || a == nil {
		if a != nil || b == nil {
			return a
		}
		return b
	}
	if errors.Is(b, errConnLost) {
		return b
	}
	return a
}
