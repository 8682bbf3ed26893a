package ui

import (
	"context"
	"errors"
	"fmt"

	"golive/runbook"
	"golive/sshexec"
)

// HostKeyVerifier is an Executor that knows the host key its connection
// verified. cmd_run wraps sshexec.Client's executor so; the local executor
// is not one.
type HostKeyVerifier interface {
	VerifiedHostKey() runbook.HostKeyInfo
}

// ClientExecutor is an SSH client's executor that also reports the host
// key its connection verified (a HostKeyVerifier).
func ClientExecutor(cl *sshexec.Client) sshexec.Executor {
	return clientExecutor{Executor: cl.Executor(), cl: cl}
}

type clientExecutor struct {
	sshexec.Executor
	cl *sshexec.Client
}

// Unwrap returns the executor this one tells the host key of
// (sshexec.Prestart looks through it).
func (e clientExecutor) Unwrap() sshexec.Executor { return e.Executor }

// VerifiedHostKey is the host key of the current connection.
func (e clientExecutor) VerifiedHostKey() runbook.HostKeyInfo {
	i := e.cl.Info()
	return runbook.HostKeyInfo{Host: i.Name, Type: i.HostKeyType, Fingerprint: i.HostKeyFingerprint}
}

// verifiedHostKey returns the host key ex's connection verified, if it
// knows one.
func verifiedHostKey(ex sshexec.Executor) (runbook.HostKeyInfo, bool) {
	v, ok := ex.(HostKeyVerifier)
	if !ok {
		return runbook.HostKeyInfo{}, false
	}
	hk := v.VerifiedHostKey()
	return hk, hk.Fingerprint != ""
}

// connectedEvents returns the events that record a connection: the host
// keys the operator accepted on the way, then a "connected" event with
// the host key the connection verified (none when ex knows none).
func connectedEvents(rel *Release, ex sshexec.Executor, accepted []runbook.HostKeyInfo) ([]runbook.Event, error) {
	var evs []runbook.Event
	for _, hk := range accepted {
		ev, err := rel.Session.HostKeyAccepted(hk)
		if err != nil {
			return nil, err
		}
		evs = append(evs, ev)
	}
	if hk, ok := verifiedHostKey(ex); ok {
		ev, err := rel.Session.Connection(runbook.ConnInfo{Host: rel.Host, State: "connected",
			Detail: "host key " + hk.Type + " " + hk.Fingerprint, HostKey: &hk})
		if err != nil {
			return nil, err
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

// recordedHostKey is the host key the run's first connection verified.
func recordedHostKey(s *runbook.Session) (runbook.HostKeyInfo, bool) {
	for _, c := range s.Connections() {
		if c.State == "connected" && c.HostKey != nil && c.HostKey.Fingerprint != "" {
			return *c.HostKey, true
		}
	}
	return runbook.HostKeyInfo{}, false
}

// checkHostKey refuses to go on with a reopened run when the host's key
// is not the one the run recorded: known_hosts may have been changed to
// accept the new key, but the release began on another machine (or one
// whose key was replaced) and its record must not continue elsewhere.
func checkHostKey(rel *Release, ex sshexec.Executor) error {
	was, ok := recordedHostKey(rel.Session)
	if !ok {
		return nil // recorded before golive kept host keys, or a local run
	}
	now, ok := verifiedHostKey(ex)
	if !ok {
		return fmt.Errorf("resume %s: the run began on %s with host key %s %s, but this connection reports no host key; "+
			"golive will not continue the run elsewhere: start a new run with 'golive run'", rel.RunID, rel.Host, was.Type, was.Fingerprint)
	}
	if now.Fingerprint != was.Fingerprint {
		return changedSinceRun(rel, was, now)
	}
	return nil
}

// changedSinceRun refuses a resumed run's host whose key is not the one
// the run recorded.
func changedSinceRun(rel *Release, was, now runbook.HostKeyInfo) error {
	return fmt.Errorf("resume %s: the host key of %s changed since the run began: it was %s %s, it is now %s %s. "+
		"This is not the machine the release started on, or its key was replaced. golive will not continue the run on it; "+
		"check the host with whoever runs it, then start a new run with 'golive run' (the old run's journal stays as it is)",
		rel.RunID, rel.Host, was.Type, was.Fingerprint, now.Type, now.Fingerprint)
}

// resumeGuard answers a resumed run's connection questions: an unknown
// key of the host that is not the one the run recorded is refused at
// once, unasked. checkHostKey would refuse it once connected anyway, but
// the operator's yes would first have put it in known_hosts. A jump
// host's key, and the recorded key itself (known_hosts lost it), are
// asked about as usual.
type resumeGuard struct {
	sshexec.Prompter
	rel *Release
}

// ConfirmHostKey refuses a host key the run did not record, else asks.
func (g resumeGuard) ConfirmHostKey(ctx context.Context, q HostKeyQuestion) (bool, error) {
	was, ok := recordedHostKey(g.rel.Session)
	if !ok || q.Jump || q.Fingerprint == was.Fingerprint {
		return g.Prompter.ConfirmHostKey(ctx, q)
	}
	return false, changedSinceRun(g.rel, was, runbook.HostKeyInfo{Host: q.Host, Type: q.KeyType, Fingerprint: q.Fingerprint})
}

// resumeConnectError adds what the run recorded to a resumed run's
// connection that known_hosts refused as a changed key: removing the old
// entry, as that refusal advises, cannot let the run go on on another
// key; or the host still has the run's key and known_hosts is what
// changed.
func resumeConnectError(rel *Release, err error) error {
	var he *sshexec.HostKeyError
	was, ok := recordedHostKey(rel.Session)
	if !ok || !errors.As(err, &he) || he.Kind != sshexec.HostKeyChanged || he.Jump {
		return err
	}
	if he.Fingerprint == was.Fingerprint {
		return fmt.Errorf("%w. The host still has the key run %s began with (%s %s): it is the known_hosts entry that differs; "+
			"find out who changed it before you change it back", err, rel.RunID, was.Type, was.Fingerprint)
	}
	return fmt.Errorf("%w. Run %s began with the host key %s %s and continues only on that key: "+
		"updating known_hosts will not let it resume; if the key was replaced on purpose, start a new run with 'golive run' "+
		"(the old run's journal stays as it is)", err, rel.RunID, was.Type, was.Fingerprint)
}
