package ui

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"

	"golive/runbook"
	"golive/sshexec"
)

// Errors in the operator's words. runbook's and sshexec's errors begin
// with their package's name ("runbook: ", "sshexec: "), as library errors
// do, and so do x/crypto/ssh's under sshexec ("ssh: "); they keep it where
// one wraps another ("connect web1: sshexec: ...").
// The name means nothing to an operator; every place golive shows an
// error (plain mode's remarks, the TUI's error panel and status line, the
// command line's last words) words it through ErrorText, so that one
// function says which prefixes go.

// libraryPrefixes are the package names golive's own libraries, and
// golang.org/x/crypto/ssh under sshexec, put in front of their errors.
var libraryPrefixes = []string{"runbook: ", "sshexec: ", "ssh: "}

// ErrorText is err's message as an operator reads it: without the
// "runbook: ", "sshexec: " and "ssh: " prefixes of the libraries
// (libraryPrefixes), at the start and where one error wraps another. It
// is "" for a nil err.
func ErrorText(err error) string {
	if err == nil {
		return ""
	}
	return dropLibraryPrefixes(err.Error())
}

// dropLibraryPrefixes removes the library prefixes from a message: at its
// start, after ": " or "; " (one error wrapping another), and at the start
// of each of its lines (a broken runbook's problems, one a line).
func dropLibraryPrefixes(msg string) string {
	for _, p := range libraryPrefixes {
		msg = strings.ReplaceAll(msg, ": "+p, ": ")
		msg = strings.ReplaceAll(msg, "; "+p, "; ")
		msg = strings.ReplaceAll(msg, "\n"+p, "\n")
		msg = strings.TrimPrefix(msg, p)
	}
	return msg
}

// attemptError words the error an attempt ended with (ExitInfo.Error, as
// journaled) for the attempt's line: without a library prefix, without the
// advice an older golive appended to a sudo refusal (each UI gives its
// own), and naming the host once. sshexec says on which host sudo refused
// ("...; sudo needs a password on web1") after an error that named it
// already ("job J on web1 could not be started (...)"): the first
// " on web1" goes, and the line ends with what matters, "sudo needs a
// password on web1".
func attemptError(msg string) string {
	msg = dropLibraryPrefixes(dropLegacySudoAdvice(msg))
	for _, refusal := range []error{sshexec.ErrSudoNeedsPassword, sshexec.ErrSudoPasswordRejected} {
		tail := "; " + refusal.Error() + " on "
		i := strings.LastIndex(msg, tail)
		if i < 0 {
			continue
		}
		host := msg[i+len(tail):]
		if host == "" || strings.ContainsAny(host, " ;") {
			continue
		}
		if j := strings.Index(msg[:i], " on "+host+" "); j >= 0 {
			return msg[:j] + msg[j+len(" on "+host):]
		}
	}
	return msg
}

// connectError is a failed connection's error as both UIs show it: it
// names the host the operator gave, in front of sshexec's error when that
// does not name it already ("connect web1: connect to 10.0.0.5
// (10.0.0.5:22): ..." for an alias; "connect to web1 (web1:22): ..." as
// sshexec says it, where a prefix would say web1 twice).
func connectError(host string, err error) error {
	err = authWords(netWords(err))
	if host != "" && namesHost(err.Error(), host) {
		return err
	}
	return fmt.Errorf("connect %s: %w", host, err)
}

// namesHost reports whether text names host as a word of its own: not as
// part of a longer name ("web1" is not named by "web10" or "web1.example").
func namesHost(text, host string) bool {
	re, err := regexp.Compile(`(^|[^\w.@-])` + regexp.QuoteMeta(host) + `($|[^\w.-]|\.($|\s))`)
	return err == nil && re.MatchString(text)
}

// journalMisfit is the error of a run whose journal does not replay: the
// Session refused one of its events (err holds the *runbook.EventError),
// which golive never writes, so the run can be neither resumed nor
// exported. It names the run, the journal, the event and where its step
// stood, and says what to do. Any other error is wrapped as it is.
func journalMisfit(runID, path string, err error) error {
	var ee *runbook.EventError
	if !errors.As(err, &ee) {
		return fmt.Errorf("run %s: the journal does not replay: %w", runID, err)
	}
	return fmt.Errorf("run %s: the journal %s does not replay: event seq %d, %s, does not fit the run: %s. golive never writes such a journal: "+
		"it was edited, or a broken build of golive wrote it; the run can be neither resumed nor exported: keep the journal "+
		"for a look, and start the release again with 'golive run'", runID, path, ee.Seq, ee.Where(), ErrorText(ee.Err))
}

// varProblems words Plan's refusal of the variables for plain mode, one
// problem a line: a value's problem says already how to set it (--var
// NAME=VALUE, runbook.VarError); a name the runbook does not declare says
// which it declares, and gets what to do.
func varProblems(err error) []string {
	var out []string
	for _, e := range planProblems(err) {
		text := ErrorText(e)
		if undeclaredVar(e) {
			text += "; drop that --var, or fix its name"
		}
		out = append(out, text)
	}
	return out
}

// planProblems splits Plan's error into its problems (errors.Join).
func planProblems(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// undeclaredVar reports whether a Plan problem is a --var naming no
// variable of the runbook (runbook.UndeclaredVarError), which only the
// command line can fix.
func undeclaredVar(problem error) bool {
	var ue *runbook.UndeclaredVarError
	return errors.As(problem, &ue)
}

// badInput marks an error in what the operator gave golive (a runbook or
// a profile that does not load), not a failure of golive or the host:
// quitting from its error panel exits ExitUsage, as plain mode does for
// the same input.
type badInput struct{ error }

// Unwrap returns the error itself.
func (b badInput) Unwrap() error { return b.error }

// netWords rewords the Go network error inside a failed connection's
// error ("dial tcp: lookup web1 on 10.0.0.53:53: no such host", "dial
// tcp 10.0.0.5:22: connect: connection refused"), which names Go's
// operation and the resolver's address, in an operator's words: "the name
// web1 does not resolve (no such host)", "connection refused". The
// address is named already by sshexec's words around it. err's chain is
// kept (errors.Is and As see through); any other error is returned as it
// is.
func netWords(err error) error {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "dial" || op.Err == nil {
		return err
	}
	var words string
	var dns *net.DNSError
	switch {
	case errors.As(op.Err, &dns) && dns.IsNotFound:
		words = fmt.Sprintf("the name %s does not resolve (no such host)", dns.Name)
	case errors.As(op.Err, &dns):
		words = fmt.Sprintf("could not look up the name %s (%s)", dns.Name, dns.Err)
	default:
		words = strings.TrimPrefix(op.Err.Error(), "connect: ")
	}
	text := strings.Replace(err.Error(), op.Error(), words, 1)
	if text == err.Error() {
		return err
	}
	return worded{text: text, err: err}
}

// sshAuthFailed is x/crypto/ssh's refusal of every key offered.
var sshAuthFailed = regexp.MustCompile(`(ssh: handshake failed: )?ssh: unable to authenticate, attempted methods \[([^\]]*)\], no supported methods remain`)

// authWords rewords x/crypto/ssh's login refusal ("ssh: handshake failed:
// ssh: unable to authenticate, attempted methods [none publickey], no
// supported methods remain") as "the server accepted none of the keys
// offered (methods tried: publickey)"; sshexec's words around it (which
// keys, what to do) stay. err's chain is kept.
func authWords(err error) error {
	text := sshAuthFailed.ReplaceAllStringFunc(err.Error(), func(m string) string {
		methods := strings.Fields(sshAuthFailed.FindStringSubmatch(m)[2])
		methods = slices.DeleteFunc(methods, func(s string) bool { return s == "none" })
		if len(methods) == 0 {
			return "the server offered no way to log in that golive has"
		}
		return "the server accepted none of the keys offered (methods tried: " + strings.Join(methods, ", ") + ")"
	})
	if text == err.Error() {
		return err
	}
	return worded{text: text, err: err}
}

// worded is an error shown in other words than its own; Unwrap returns it.
type worded struct {
	text string
	err  error
}

func (w worded) Error() string { return w.text }
func (w worded) Unwrap() error { return w.err }
