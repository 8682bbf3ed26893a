package ui

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"golive/runbook"
)

// This file ends a plain-mode run: it journals the end, writes the
// transcript signed with the operator's key (through ssh-agent or an
// unencrypted key, or an encrypted one whose passphrase is asked on the
// terminal plain mode reads its answers from), or says how to go on.

// resumeHint says how to continue the run.
func (p *plain) resumeHint() {
	if p.rel == nil || p.rel.Session.Finished() {
		return
	}
	p.info("run %s is not finished; everything so far is journaled. Continue with: %s", p.rel.RunID, p.resumeCommand())
}

// resumeCommand is the command that continues the run, as resumeHint
// prints it when plain mode stops.
func (p *plain) resumeCommand() string {
	yes := ""
	if p.po.Yes && !p.manualStop {
		yes = " --yes"
	}
	if len(p.rel.SudoPassword) > 0 || p.sudoRefused() {
		// Else the next sudo step (or the one sudo just refused: plain
		// mode has no P to give the password) stops for want of it.
		yes += " --sudo-password"
	}
	return fmt.Sprintf("golive resume %s --plain%s", p.rel.RunID, yes)
}

// sudoAdvice prints, after an attempt sudo refused for want of a good
// password, how to go on in plain mode, which cannot ask for it: the
// resume command it prints on stopping, which carries --sudo-password.
func (p *plain) sudoAdvice(a *runbook.Attempt) {
	refused, rejected := sudoRefusal(a)
	if !refused {
		return
	}
	how := "quit (q), then continue with: "
	if p.po.Yes { // no prompt to quit from; the step is signed off failed
		how = "the sudo steps left need it too; continue with: "
	}
	if rejected {
		p.info("sudo did not accept the password given; plain mode cannot ask again: %s%s, which asks for it (retrying sends the same one)", how, p.resumeCommand())
		return
	}
	p.info("plain mode cannot ask for the sudo password: %s%s, which asks for it once and keeps it in memory only", how, p.resumeCommand())
}

// sudoRefused reports whether sudo refused a step's last attempt for want
// of a password, or refused the one given.
func (p *plain) sudoRefused() bool {
	for _, id := range p.rel.Session.StepIDs() {
		if refused, _ := sudoRefusal(p.rel.Session.Step(id).Last()); refused {
			return true
		}
	}
	return false
}

// finish journals the end of the run, exports the transcript and returns
// the exit code for the run's verdict.
func (p *plain) finish() int {
	if err := p.rel.Commit(p.rel.Session.Finish("")); err != nil {
		p.info("error: %s", ErrorText(err))
		p.resumeHint()
		return ExitFailed
	}
	p.clock.mark("finished", "")
	v := p.rel.Session.Verdict()
	done, total := p.rel.Session.Progress()
	p.info("run %s finished: %s (%d of %d steps settled)", p.rel.RunID, v, done, total)
	if !p.export() {
		return ExitFailed
	}
	if v == runbook.RunPassed {
		return ExitPassed
	}
	return ExitFailed
}

// export writes the transcript to --out (default: the current directory)
// and prints the files' names.
func (p *plain) export() bool {
	dir := p.opts.OutDir
	if dir == "" {
		dir = "."
	}
	sign := p.opts.Sign
	keyFile := "" // the encrypted key whose passphrase was asked for
	if p.opts.SignAsking != nil {
		sign = p.opts.SignAsking(func(prompt string) ([]byte, error) {
			if k, ok := strings.CutPrefix(prompt, "Passphrase for "); ok {
				keyFile = strings.TrimSuffix(k, ": ")
			}
			return p.passphrase(prompt)
		})
	}
	ex, err := p.rel.Export(dir, sign, p.opts.Now())
	p.clock.mark("exported", "")
	if err != nil {
		p.info("transcript not written: %s", ErrorText(err))
		p.info("write it with: golive export %s --out DIR", p.rel.RunID)
		return false
	}
	for _, f := range ex.Files() {
		p.info("wrote %s", f)
	}
	if ex.SignError != nil {
		p.info("transcript not signed: %s", ErrorText(ex.SignError))
		key := "KEY"
		if keyFile != "" {
			key = shellWord(keyFile)
		}
		p.info("to sign it: load the key into ssh-agent (ssh-add %s) and run golive export %s --out %s; "+
			"or run golive export %s --out %s --identity %s on a terminal, where it asks for the passphrase",
			key, p.rel.RunID, shellWord(dir), p.rel.RunID, shellWord(dir), key)
	}
	return true
}

// errNoTerminal: a signing key's passphrase is needed and In is not a
// terminal to ask it on without echo.
var errNoTerminal = errors.New("it is encrypted, and stdin is not a terminal to ask its passphrase on")

// passphrase asks for the signing key's passphrase on In when In is a
// terminal: the prompt goes to Out, and what is typed is not echoed (In is
// read only while a question waits, so nothing else reads this line).
// Otherwise it returns errNoTerminal, and export says what to do.
func (p *plain) passphrase(prompt string) ([]byte, error) {
	f, ok := p.po.In.(*os.File)
	if !ok || p.asking || !term.IsTerminal(int(f.Fd())) {
		return nil, errNoTerminal
	}
	fmt.Fprint(p.po.Out, prompt)
	pw, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(p.po.Out)
	if err != nil {
		return nil, fmt.Errorf("read the passphrase: %w", err)
	}
	return pw, nil
}

// shellWord quotes s for a command line the operator may paste, when it
// needs quoting.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:+@%") == "" {
		return s
	}
	return runbook.Quote(s)
}
