package sshexec

// What golive leaves on the host, and how it goes away. Each job's
// directory holds its output (unredacted: redaction happens in golive) and
// its exit record, which golive needs until the step's end is journaled.
// The caller then calls Forget, which removes the directory. Directories of
// jobs whose golive died before that are pruned on the executor's first
// Run, once nothing in them changed for the retention (7 days by default).

import (
	"context"
	"fmt"
	"time"
)

// Forget removes job jobID's directory from the host: its output files and
// exit record. Call it once the job's end has been recorded. It refuses
// with ErrJobRunning while the job still runs (or is being started or
// followed), and returns nil when the host has no such job. A job started
// with sudo is removed through sudo when the operator cannot remove it.
func (r *runner) Forget(ctx context.Context, jobID string) error {
	if err := validJobID(jobID); err != nil {
		return err
	}
	where := fmt.Sprintf("job %s on %s", jobID, r.t.name())
	r.mu.Lock()
	_, busy := r.active[jobID]
	r.mu.Unlock()
	if busy {
		return fmt.Errorf("sshexec: cannot forget %s: golive is still following it: %w", where, ErrJobRunning)
	}
	if handled, err := r.helperForget(ctx, jobID, where); handled {
		return err
	}
	prefix, pw := r.cancelSudo()
	defer clear(pw)
	cmd := forgetCmd(r.root, jobID, prefix)
	out, errw, err := r.ctlExec(ctx, cmd, pw, "", nil)
	if err != nil {
		return fmt.Errorf("sshexec: could not remove the directory of %s: %w", where, err)
	}
	said := hostSays(joinMsg(out.message(), errw.message()))
	switch {
	case out.has("removed"), out.has("gone"):
		return nil
	case out.has("running"):
		return fmt.Errorf("sshexec: cannot forget %s: it is still running; cancel it or wait for its end: %w", where, ErrJobRunning)
	}
	return fmt.Errorf("sshexec: could not remove the directory of %s under %s%s%s", where, r.root, said, sudoHint(said))
}

// forgetCmd removes job id's directory unless the job still runs: its
// wrapper or process group is alive and there is no exit record, or it
// has neither wrapper pid nor exit record yet and a file in it changed in
// the last two minutes (a launch under way). It reports on stdout.
func forgetCmd(root, id, sudo string) string {
	return fmt.Sprintf("R=%s; d=\"$R\"/%s\n", root, id) + sudo + "\n" + shFuncs + `if [ ! -d "$d" ]; then echo golive:gone; exit 0; fi
if [ ! -s "$d/exit" ]; then
  w=; read -r w <"$d/wpid" 2>/dev/null
  p=; read -r p <"$d/pgid" 2>/dev/null
  if palive "$w" || { [ -n "$p" ] && galive; }; then echo golive:running; exit 0; fi
  if [ -z "$w" ] && [ -n "$(find "$d" -mmin -2 -print 2>/dev/null | head -n 1)" ]; then echo golive:running; exit 0; fi
fi
s=; [ -e "$d/sudo" ] && s=1
if rm -rf -- "$d" 2>/dev/null || [ ! -e "$d" ]; then echo golive:removed; exit 0; fi
if [ -n "$s" ]; then asroot rm -rf -- "$d" 2>&1 3>&- </dev/stdin; fi
if [ -e "$d" ]; then echo "golive:left"; else echo golive:removed; fi
`
}

// DefaultJobRetention is how long a job directory that nobody forgot (its
// golive died before recording the job's end) stays on the host.
const DefaultJobRetention = 7 * 24 * time.Hour

// retention turns an Options or LocalOptions value into the runner's:
// zero means DefaultJobRetention, negative means never prune.
func retention(d time.Duration) time.Duration {
	if d == 0 {
		return DefaultJobRetention
	}
	return d
}

// startPrune prunes old job directories in the background, once per
// runner, on its first Run: best effort, off the job's critical path.
func (r *runner) startPrune() {
	if r.keep < 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	done := make(chan struct{})
	r.mu.Lock()
	r.pruneStop, r.pruneDone = cancel, done
	r.mu.Unlock()
	go func() {
		defer close(done)
		defer cancel()
		_, _ = r.prune(ctx)
	}()
}

// stopPrune stops a prune under way and waits for it.
func (r *runner) stopPrune() {
	r.mu.Lock()
	stop, done := r.pruneStop, r.pruneDone
	r.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

// prune removes the job directories under the root in which no file
// changed for r.keep, unless the job may still run (no exit record and a
// live wrapper, or a live process group). It returns the ids it removed.
func (r *runner) prune(ctx context.Context) ([]string, error) {
	var out, errw ctlWriter
	if _, err := r.t.exec(ctx, pruneCmd(r.root, r.keep), nil, &out, &errw); err != nil {
		return nil, fmt.Errorf("sshexec: pruning old jobs on %s: %w", r.t.name(), err)
	}
	var ids []string
	for _, f := range out.all("pruned") {
		ids = append(ids, f...)
	}
	return ids, nil
}

// pruneCmd is the shell text prune runs on the host.
func pruneCmd(root string, keep time.Duration) string {
	mins := max(1, int64(keep/time.Minute))
	return fmt.Sprintf("R=%s; M=%d\n", root, mins) + shFuncs + `[ -d "$R" ] || exit 0
for d in "$R"/*/; do
  d=${d%/}; [ -d "$d" ] || continue
  [ -z "$(find "$d" -mmin -"$M" -print 2>/dev/null | head -n 1)" ] || continue
  if [ ! -s "$d/exit" ]; then w=; read -r w <"$d/wpid" 2>/dev/null; ! palive "$w" || continue; fi
  p=; read -r p <"$d/pgid" 2>/dev/null
  if [ -n "$p" ] && galive; then continue; fi
  rm -rf -- "$d" 2>/dev/null && echo "golive:pruned ${d##*/}"
done
exit 0
`
}
