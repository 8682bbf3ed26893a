package sshexec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
)

// Cancel stops job jobID's whole process group on the host: TERM, then
// KILL if anything is left after 5 s, then it checks that no live process
// remains in the group. A job started with sudo is stopped through sudo.
// What happened is also sent as a Notice to a Run or Attach following the
// job. It returns ErrNoJob for an unknown job and ErrMaybeRunning when the
// stop could not be confirmed.
func (r *runner) Cancel(ctx context.Context, jobID string) error {
	if err := validJobID(jobID); err != nil {
		return err
	}
	where := fmt.Sprintf("job %s on %s", jobID, r.t.name())
	defer r.beginCancel(jobID)()
	prefix, pw := r.cancelSudo()
	defer clear(pw)
	cmd := cancelCmd(r.root, jobID, prefix)
	notify := func(kind NoticeKind, msg string) { r.noticeJob(ctx, jobID, kind, msg) }
	lost := fmt.Sprintf("connection to %s lost while cancelling job %s; reconnecting", r.t.name(), jobID)
	out, errw, err := r.ctlExec(ctx, cmd, pw, lost, notify)
	if err != nil {
		msg := fmt.Sprintf("could not cancel %s: %v; it may still be running", where, err)
		r.noticeJob(ctx, jobID, NoticeCancel, msg)
		return fmt.Errorf("sshexec: %s: %w", msg, ErrMaybeRunning)
	}
	msg, cerr := cancelOutcome(where, out, errw)
	r.noticeJob(ctx, jobID, NoticeCancel, msg)
	return cerr
}

// ctlExec runs a control command (Cancel's, Forget's) with stdin, if not
// nil, on its stdin, and returns what it wrote on stdout and stderr. When
// the link drops it reconnects and runs cmd again, up to three times;
// notify, if not nil, hears lost (a NoticeLost) before each reconnect and
// the reconnect's own notices. cmd must therefore be safe to run twice.
func (r *runner) ctlExec(ctx context.Context, cmd string, stdin []byte, lost string, notify notifyFunc) (out, errw *ctlWriter, err error) {
	if notify == nil {
		notify = func(NoticeKind, string) {}
	}
	for try := 0; ; try++ {
		gen := r.gen.Load()
		out, errw = &ctlWriter{}, &ctlWriter{}
		var in io.Reader
		if stdin != nil {
			in = bytes.NewReader(stdin)
		}
		// A login shell may print before cmd runs (a .bashrc running
		// pyenv init, a banner). The leading newlines end whatever it
		// printed without one; the begin marks then tell the writers
		// to forget it (ctlWriter.add), so that an error names only
		// what cmd's own commands said.
		_, err = r.t.exec(ctx, ctlBegin+cmd, in, out, errw)
		if errors.Is(err, errConnLost) && try < 3 && ctx.Err() == nil {
			notify(NoticeLost, lost)
			if rerr := r.reconnect(ctx, gen, notify); rerr == nil {
				continue
			}
		}
		return out, errw, err
	}
}

// ctlBegin starts every control script: on each stream a newline, then
// the begin mark.
const ctlBegin = "echo; echo " + ctlPrefix + ctlBeginWord + "; echo >&2; echo " + ctlPrefix + ctlBeginWord + " >&2\n"

// cancelOutcome reads the cancel script's report.
func cancelOutcome(where string, out, errw *ctlWriter) (string, error) {
	said := hostSays(joinMsg(out.message(), errw.message()))
	pg, _ := out.get("term")
	group := "its process group"
	if len(pg) > 0 {
		group = "process group " + pg[0]
	}
	switch {
	case out.has("nojob"):
		return fmt.Sprintf("cannot cancel %s: the host has no such job", where),
			fmt.Errorf("%w: %s", ErrNoJob, where)
	case out.has("nostart"):
		msg := fmt.Sprintf("cannot cancel %s: it has not recorded a process group yet; it may still start", where)
		return msg, fmt.Errorf("sshexec: %s: %w", msg, ErrMaybeRunning)
	case out.has("alive"):
		msg := fmt.Sprintf("cancel %s: %s still has live processes after TERM and KILL; it may still be running", where, group)
		return msg, fmt.Errorf("sshexec: %s: %w", msg, ErrMaybeRunning)
	case out.has("gone") && !out.has("term"):
		return fmt.Sprintf("cancel %s: it had already ended; nothing to stop", where), nil
	case out.has("gone") && out.has("kill"):
		return fmt.Sprintf("canceled %s: %s ignored TERM for 5 s and was killed (KILL); nothing of it remains", where, group), nil
	case out.has("gone"):
		return fmt.Sprintf("canceled %s: sent TERM to %s; nothing of it remains", where, group), nil
	}
	msg := fmt.Sprintf("could not cancel %s%s%s; it may still be running", where, said, sudoHint(said))
	return msg, fmt.Errorf("sshexec: %s: %w", msg, ErrMaybeRunning)
}

// cancelCmd stops job id's process group: TERM, up to 5 s, KILL, up to 2 s,
// then confirms no live process is left in the group. A job started with
// sudo is stopped through sudo (the asroot function sudo defines). It
// reports on stdout with golive: lines.
func cancelCmd(root, id, sudo string) string {
	inner := shFuncs + `d=$1
if [ ! -d "$d" ]; then echo golive:nojob; exit 0; fi
n=0; while [ ! -s "$d/pgid" ] && [ ! -s "$d/exit" ] && [ $n -lt 50 ]; do n=$((n+1)); sleep 0.1; done
if [ ! -s "$d/pgid" ]; then echo golive:nostart; exit 0; fi
read -r p <"$d/pgid"
if ! galive; then echo golive:gone; exit 0; fi
: >"$d/canceled"
kill -TERM -"$p" 2>/dev/null; echo golive:term "$p"
n=0; while galive && [ $n -lt 50 ]; do n=$((n+1)); sleep 0.1; done
if galive; then kill -KILL -"$p" 2>/dev/null; echo golive:kill
  n=0; while galive && [ $n -lt 20 ]; do n=$((n+1)); sleep 0.1; done; fi
if galive; then echo golive:alive; else echo golive:gone; fi
`
	run := "/bin/sh -c " + shq(inner) + ` golive-cancel "$d"`
	return fmt.Sprintf("R=%s; d=\"$R\"/%s\n", root, id) + sudo + "\n" +
		`if [ -e "$d/sudo" ]; then asroot ` + run + "; else " + run + "; fi\n"
}
