package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/term"

	"golive/sshexec"
	"golive/ui"
)

// What run, resume and export take from the machine they run on, checked
// before anything runs so that a problem is reported as the operator's to
// fix, with what to do: the transcript directory, the ssh config file,
// the operator's name, a password asked on the terminal, the key that
// will sign the transcript (the state directory: runbook.StateDir).

// checkOutDir makes the transcript directory dir if it is missing (as the
// export would) and checks that a file can be written in it.
func checkOutDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%w; give a directory you can write the transcript to", err)
	}
	f, err := os.CreateTemp(dir, ".golive-write-check-*")
	if err != nil {
		return fmt.Errorf("%s is not writable: %w; give a directory you can write the transcript to", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// checkSSHConfig reports an ssh config file that cannot be read or
// parsed, as sshexec will read it ("none" is no config); one that cannot
// be read gets what to give instead (a parse error says already which
// line, and what to do).
func checkSSHConfig(path string) error {
	err := sshexec.CheckConfig(path)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%w; give the path of an ssh config file (the default is ~/.ssh/config), or none for no config", err)
	}
	return err
}

// defaultOperator is git's user.name, else $USER.
func defaultOperator() string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "git", "config", "user.name").Output(); err == nil {
		if name := strings.TrimSpace(string(out)); name != "" {
			return name
		}
	}
	return os.Getenv("USER")
}

// askPassword reads a password from the terminal without echo.
func askPassword(prompt string, stderr io.Writer) ([]byte, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("no terminal to ask on: %w", err)
	}
	defer tty.Close()
	fmt.Fprint(tty, prompt)
	pw, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	return pw, err
}

// warnUnsigned says at the start of a plain run, not after its last
// step, that the transcript will not be signed: no key is found, or the
// key is encrypted and stdin is no terminal to ask its passphrase on.
func warnUnsigned(c runConfig, stderr io.Writer) {
	if term.IsTerminal(int(os.Stdin.Fd())) {
		return // an encrypted key's passphrase can be asked
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := sshexec.LoadSigner(ctx, c.signerOptions(nil)); err != nil {
		fmt.Fprintf(stderr, "golive: note: the transcript will not be signed at the end (%s); "+
			"fix that now, or sign it afterwards with golive export RUNID\n", ui.ErrorText(err))
	}
}
