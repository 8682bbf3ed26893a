package sshexec

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
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

// follower is the state of one Run or Attach: the two splitters persist
// across reconnects so no byte is delivered twice or skipped.
type follower struct {
	id, token      string
	out            chan<- Line
	ctx            context.Context
	stdout, stderr *splitter
	done           chan struct{} // closed when Run/Attach returns
	mu             sync.Mutex
	closed         bool
	cancels        []chan struct{} // Cancels of this job in progress
}

func (f *follower) send(l Line) error {
	select {
	case f.out <- l:
		return nil
	default:
	}
	select {
	case f.out <- l:
		return nil
	case <-f.ctx.Done():
		return f.ctx.Err()
	}
}

// notice sends a Notice from the Run/Attach goroutine.
func (f *follower) notice(msg string) {
	_ = f.send(Line{Stream: Notice, Text: msg, Time: time.Now()})
}

// external sends a Notice from another goroutine (Cancel); it never sends
// after Run/Attach returned.
func (f *follower) external(ctx context.Context, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	select {
	case f.out <- Line{Stream: Notice, Text: msg, Time: time.Now()}:
	case <-f.done:
	case <-f.ctx.Done():
	case <-ctx.Done():
	}
}

// beginCancel tells the follower of id, if any, that a Cancel is under
// way; it waits for the returned func before returning a canceled Result,
// so that Cancel's verdict reaches its stream.
func (r *runner) beginCancel(id string) (end func()) {
	r.mu.Lock()
	f := r.active[id]
	r.mu.Unlock()
	if f == nil {
		return func() {}
	}
	ch := make(chan struct{})
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return func() {}
	}
	f.cancels = append(f.cancels, ch)
	return func() { close(ch) }
}

// waitCancels waits for the Cancels under way to finish.
func (f *follower) waitCancels() {
	f.mu.Lock()
	chs := f.cancels
	f.mu.Unlock()
	for _, ch := range chs {
		select {
		case <-ch:
		case <-f.ctx.Done():
			return
		}
	}
}

func (r *runner) register(ctx context.Context, id, token string, from Offsets, out chan<- Line) (*follower, error) {
	f := &follower{id: id, token: token, out: out, ctx: ctx, done: make(chan struct{})}
	f.stdout = newSplitter(Stdout, from.Stdout, f.send)
	f.stderr = newSplitter(Stderr, from.Stderr, f.send)
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, busy := r.active[id]; busy {
		return nil, fmt.Errorf("sshexec: job %s on %s is already being followed by this golive", id, r.t.name())
	}
	r.active[id] = f
	return f, nil
}

func (r *runner) unregister(f *follower) {
	close(f.done)
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	r.mu.Lock()
	delete(r.active, f.id)
	r.mu.Unlock()
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
// records in one session, stderr in a second one that waits for the job.
func (r *runner) launchOnce(ctx context.Context, f *follower, l *launch) (attempt, error) {
	var c1, c2 ctlWriter
	cmd1 := launchCmd(r.root, l.spec, len(l.env), f.token, l.sudo)
	cmd2 := followCmd(r.root, f.id, Stderr, f.stderr.start(), false, f.token, true)
	err1, err2 := r.pair(ctx,
		func(ctx context.Context) error {
			_, err := r.t.exec(ctx, cmd1, bytes.NewReader(l.stdin), f.stdout, &c1)
			if err == nil && !c1.has("started") {
				err = errAbandon // it failed to start: stop waiting for it
			}
			return err
		},
		func(ctx context.Context) error {
			_, err := r.t.exec(ctx, cmd2, nil, f.stderr, &c2)
			return err
		})
	return parseAttempt(&c1, &c2), firstErr(err1, err2)
}

// followOnce follows both streams of a started job from where the
// splitters are.
func (r *runner) followOnce(ctx context.Context, f *follower) (attempt, error) {
	var c1, c2 ctlWriter
	cmd1 := followCmd(r.root, f.id, Stdout, f.stdout.start(), true, f.token, false)
	cmd2 := followCmd(r.root, f.id, Stderr, f.stderr.start(), false, f.token, false)
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

// attempt is what the host reported in one round of following.
type attempt struct {
	state            string // first failure word, "" when none
	started, ended   bool
	exit             []string
	outSize, errSize int64
	startedAt        time.Time
	endedAt          time.Time
	canceled, timed  bool
	msg              string
}

var failWords = []string{"exists", "short", "startfail", "nojob", "conflict", "nostart", "followfail"}

func parseAttempt(c1, c2 *ctlWriter) attempt {
	a := attempt{msg: joinMsg(c1.message(), c2.message())}
	for _, c := range []*ctlWriter{c1, c2} {
		for _, w := range failWords {
			if a.state == "" && c.has(w) {
				a.state = w
			}
		}
	}
	a.started = c1.has("started") || c1.has("stat")
	// stat lines: out and err (sizes), pgid (start), exit (end).
	st := c1.all("stat")
	for len(st) < 4 {
		st = append(st, nil)
	}
	a.outSize, a.errSize = statSize(st[0]), statSize(st[1])
	a.startedAt, a.endedAt = statTime(st[2]), statTime(st[3])
	if ex, ok := c1.get("exit"); ok && len(ex) > 0 && len(st[1]) > 0 {
		a.ended = true
		a.exit = ex
	}
	a.canceled = c1.has("canceled")
	a.timed = c1.has("timedout")
	return a
}

// fill records the job's end in res.
func (a attempt) fill(res *Result) {
	res.Canceled, res.TimedOut = a.canceled, a.timed
	if !a.startedAt.IsZero() && res.Started.IsZero() {
		res.Started = a.startedAt
	}
	res.Ended = a.endedAt
	if res.Ended.IsZero() {
		res.Ended = time.Now()
	}
	code, err := strconv.Atoi(a.exit[0])
	if err != nil || len(a.exit) < 2 {
		res.Unknown, res.ExitCode = true, -1
		return
	}
	res.ExitCode = code
	if a.exit[1] != "-" {
		res.Signal = a.exit[1]
	}
}

func statSize(f []string) int64 {
	if len(f) < 1 {
		return 0
	}
	n, _ := strconv.ParseInt(f[0], 10, 64)
	return n
}

func statTime(f []string) time.Time {
	if len(f) < 2 {
		return time.Time{}
	}
	return unixTime(f[1])
}

func unixTime(s string) time.Time {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		return time.Time{}
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9))
}

func joinMsg(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// hostSays formats the host's own error text for an error message.
func hostSays(msg string) string {
	if msg == "" {
		return ""
	}
	return " (the host said: " + msg + ")"
}

// newToken is a random token telling this Run's job directory apart.
func newToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// noticeJob tells the Run or Attach following id, if any, about msg.
func (r *runner) noticeJob(ctx context.Context, id, msg string) {
	r.mu.Lock()
	f := r.active[id]
	r.mu.Unlock()
	if f != nil {
		f.external(ctx, msg)
	}
}
