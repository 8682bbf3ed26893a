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

	keep      time.Duration // prune job directories idle this long; <0: never
	pruneOnce sync.Once

	mu        sync.Mutex
	sudoPW    []byte               // last sudo password, for Cancel (sudo.go)
	active    map[string]*follower // jobs being followed, for Cancel's notices
	pruneStop func()               // stops the prune under way (footprint.go)
	pruneDone chan struct{}

	hmu      sync.Mutex // guards h, noStream, spare and closed
	h        *helper    // the helper launching jobs (helper.go), if started
	noStream bool       // the transport cannot run a helper
	spares   bool       // keep a spare follower session (spare.go)
	spare    *spare     // the spare, when one is ready
	spareMu  sync.Mutex // held while a spare is being started
	closed   bool       // Close was called: start no more helpers or spares
}

// newRunner returns an Executor running jobs through t.
func newRunner(t transport) *runner {
	_, spares := t.(*Client)
	return &runner{t: t, root: defaultRoot, rootCheck: isRoot, keep: DefaultJobRetention, active: map[string]*follower{}, spares: spares}
}

// Host returns the name of the host where jobs run (Executor.Host).
func (r *runner) Host() string { return r.t.name() }

// Close stops pruning, closes the transport and forgets the sudo password.
func (r *runner) Close() error {
	r.pruneOnce.Do(func() {}) // no prune starts after Close
	r.stopPrune()
	r.forgetPassword()
	r.closeHelper()
	r.closeSpare()
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
func (r *runner) Run(ctx context.Context, spec Spec, out chan<- []Line) (Result, error) {
	res := Result{ExitCode: -1}
	if err := validJobID(spec.JobID); err != nil {
		return res, err
	}
	env, err := envText(spec.Env)
	if err != nil {
		return res, err
	}
	r.pruneOnce.Do(r.startPrune)
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
func (r *runner) Attach(ctx context.Context, jobID string, from Offsets, out chan<- []Line) (Result, error) {
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
		var start *launch
		if mode == modeLaunch {
			start = l
		}
		var a attempt
		var err error
		viaHelper := start != nil && start.sudo == "" && len(start.env)+len(start.spec.Script) <= maxHelperScript
		if viaHelper {
			a, err = r.helperAttempt(ctx, f, start)
		}
		if !viaHelper || errors.Is(err, errNoStream) {
			a, err = r.attemptOnce(ctx, f, start)
		}
		if a.started {
			f.confirm() // a no-op when the ack or the mark already did
		}
		if ctx.Err() != nil {
			res.Unknown = true
			return res, ctx.Err()
		}
		if errors.Is(err, errConnLost) {
			switch {
			case a.started:
				// The host confirmed the job (the launcher's ack, or a
				// follower found it after an unsure reconnect): it runs
				// there whatever the link does.
				mode = modeFollow
			case mode == modeLaunch:
				mode = modeUnsure
			}
			f.notice(lostNotice(r.t.name(), f.id, mode))
			if err := r.reconnect(ctx, gen, f.notice); err != nil {
				res.Unknown = true
				if ctx.Err() != nil {
					return res, ctx.Err()
				}
				// Nothing attaches to this attempt later (its end is
				// unknown, for good): say where its record is.
				return res, fmt.Errorf("sshexec: %s: could not reconnect, the job may still be running; its output and exit status "+
					"stay on the host in %s/%s (files out, err, exit): look there before you run the step again: %w", where, r.root, f.id, err)
			}
			if mode == modeUnsure {
				f.notice(NoticeChecking, fmt.Sprintf("reconnected to %s: looking for job %s there, to follow it if it started or start it if it never did", r.t.name(), f.id))
				continue
			}
			f.notice(NoticeReattached, fmt.Sprintf("reattached to job %s on %s: continuing from stdout byte %d, stderr byte %d", f.id, r.t.name(), f.stdout.off, f.stderr.off))
			continue
		}
		if err != nil {
			res.Unknown = mode != modeLaunch || a.started
			return res, fmt.Errorf("sshexec: %s: %w", where, err)
		}
		if mode == modeLaunch && !a.started && (a.state == "" || a.state == "followfail") {
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
		case "follow":
			mode = modeFollow // launched through the helper: follow it
			continue
		case "nojob":
			if mode == modeUnsure {
				mode = modeLaunch // the cut-off launch never created it
				f.notice(NoticeStarting, fmt.Sprintf("job %s never started on %s: starting it now", f.id, r.t.name()))
				continue
			}
			return res, fmt.Errorf("%w: %s (no directory for it under %s)", ErrNoJob, where, r.root)
		case "exists":
			return res, fmt.Errorf("sshexec: %s already exists; a job id is never run twice, start it under a new id", where)
		case "short":
			return res, fmt.Errorf("sshexec: %s: the script did not arrive whole; nothing was run", where)
		case "startfail":
			return res, startFailed(where, r.t.name(), a.msg)
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
		// The job ran: if its last partial lines cannot be delivered (ctx
		// done), its status is not reported, so say unknown as the
		// Executor contract asks.
		if err := f.stdout.flush(); err != nil {
			res.Unknown = true
			return res, err
		}
		if err := f.stderr.flush(); err != nil {
			res.Unknown = true
			return res, err
		}
		res.Started = f.launchedAt()
		a.fill(&res)
		if res.Unknown {
			// Its wrapper died with it before writing the status: say
			// so, or the end reads like a connection problem.
			f.notice(NoticeNoExitStatus, fmt.Sprintf("job %s ended without recording its exit status: it was stopped together with golive's wrapper "+
				"on the host (a reboot, the OOM killer, a kill); the output above is all it wrote", f.id))
		}
		if res.Canceled {
			f.waitCancels()
		}
		return res, nil
	}
}

// lostNotice is the kind and words of the notice of a link that dropped
// while a job was launched (mode modeUnsure: the host had not
// acknowledged the start, so the job may never have started: a
// NoticeLostUnconfirmed) or followed (modeFollow: it runs on the host
// whatever the link does: a NoticeLost).
func lostNotice(host, id string, mode int) (NoticeKind, string) {
	if mode == modeUnsure {
		return NoticeLostUnconfirmed, fmt.Sprintf("connection to %s lost before the host confirmed that job %s started: "+
			"it may or may not have started; golive checks when it reconnects; reconnecting", host, id)
	}
	return NoticeLost, fmt.Sprintf("connection to %s lost; job %s keeps running on the host; reconnecting", host, id)
}

// reconnect re-establishes the link once for all callers that saw it drop
// in generation gen.
func (r *runner) reconnect(ctx context.Context, gen uint64, notify notifyFunc) error {
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

// sessionWriters are where one session of attemptOnce writes: out takes
// its stdout (the mark, then the job's stdout), dem its stderr (the start
// mark, the job's stderr, the sentinel, control records into c). The
// host has confirmed the job once out found the mark or dem passed on
// the job's first bytes, whichever comes first: the two streams are
// copied by goroutines of their own, and a job's first stderr line may
// come before stdout's mark.
func sessionWriters(f *follower, nonce string, c *ctlWriter) (*markWriter, *demux) {
	out := &markWriter{want: nonce + "\n", next: f.stdout, onMark: f.confirm}
	dem := &demux{data: f.stderr, ctl: c, start: []byte(startMark(nonce)), sentinel: []byte("\x00golive." + nonce + "\n"), onData: f.confirm}
	return out, dem
}

// attemptOnce launches (l != nil) or follows the job in one session: the
// job's stdout on the session's stdout, its stderr then the control
// records on the session's stderr (see job.go).
func (r *runner) attemptOnce(ctx context.Context, f *follower, l *launch) (attempt, error) {
	nonce := newToken()
	var c ctlWriter
	out, dem := sessionWriters(f, nonce, &c)
	var (
		cmd   string
		stdin io.Reader
	)
	if l != nil {
		cmd = launchCmd(r.root, l.spec, len(l.env), f.token, nonce, l.sudo)
		stdin = bytes.NewReader(l.stdin)
	} else {
		cmd = followCmd(r.root, f.id, f.stdout.start(), f.stderr.start(), f.token, nonce)
	}
	var sp *stream
	if l == nil {
		sp = r.takeSpare()
	}
	var err error
	if sp != nil {
		_, err = r.execOn(ctx, sp, cmd, out, dem)
	} else {
		_, err = r.t.exec(ctx, cmd, stdin, out, dem)
	}
	a := parseAttempt(&c)
	// The launcher prints the nonce once it started the job, a follower
	// once it found the job started (followCmd); the job's own stderr
	// says so too.
	a.started = out.ok || dem.gotData
	if !dem.seen && err == nil {
		// The host said nothing after the output: follow again.
		a.state = "followfail"
	}
	return a, err
}
