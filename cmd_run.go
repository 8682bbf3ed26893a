package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"golang.org/x/term"

	"golive/runbook"
	"golive/runbooks"
	"golive/sshexec"
	"golive/ui"
)

// version identifies the binary in the journal and the transcript when a
// build sets it (-ldflags "-X main.version=v1.2.3"); else binaryVersion
// reads the build info, as 'golive version' does.
var version = "dev"

// runConfig is what the run flags say.
type runConfig struct {
	runbook, host, operator, out, profile string
	knownHosts, identity, sshConfig       string
	// signHost is the host of the run being resumed or exported, from
	// its journal: whose ssh config IdentityFile may sign the transcript.
	signHost                 string
	vars                     map[string]string
	plain, yes, sudoPassword bool
}

// runFlags declares the flags of run (and, mostly, of resume).
func runFlags(name string, stderr io.Writer, c *runConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("golive "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.vars = map[string]string{}
	fs.StringVar(&c.runbook, "runbook", "", "built-in runbook (non-docker, docker) or a runbook file")
	fs.StringVar(&c.host, "host", "", "target: an ~/.ssh/config alias, user@host[:port], or local")
	fs.Var(varFlags(c.vars), "var", "set a runbook variable: --var name=value (repeatable)")
	fs.StringVar(&c.operator, "operator", "", "your name for the sign-offs (default: git config user.name, else $USER)")
	fs.StringVar(&c.out, "out", "", "directory for the exported transcript (default: ask, current directory)")
	fs.StringVar(&c.profile, "profile", "", "profile file with saved answers (default: $XDG_CONFIG_HOME/golive/profiles/RUNBOOK.yaml)")
	fs.StringVar(&c.knownHosts, "known-hosts", "", "known_hosts file to check and record host keys in (default: ~/.ssh/known_hosts)")
	fs.StringVar(&c.identity, "identity", "", "private key file to log in and sign with")
	fs.StringVar(&c.sshConfig, "ssh-config", "", "ssh config file (default: ~/.ssh/config, then /etc/ssh/ssh_config); none for no config")
	fs.BoolVar(&c.plain, "plain", false, "no TUI: print output line by line and read sign-offs from stdin")
	fs.BoolVar(&c.yes, "yes", false, "with --plain: sign off every step whose expectations pass, stop at the first failure")
	fs.BoolVar(&c.sudoPassword, "sudo-password", false, "ask once for the sudo password (kept in memory only)")
	return fs
}

const runUsage = `Usage: golive run [flags]

Walk a runbook on a host: each step runs its command with the output
streaming live and ends with your sign-off; the run is journaled as it
goes, and a signed transcript is written at the end. Without flags, golive
asks for the runbook, the host and the variables.

Flags:
`

func cmdRun(args []string, stdout, stderr io.Writer) int {
	var c runConfig
	fs := runFlags("run", stderr, &c)
	pos, code := parseFlags(fs, args, runUsage, stdout, stderr)
	if code >= 0 {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "golive run: unexpected argument %q; flags only (see golive run --help)\n", pos[0])
		return 2
	}
	opts, err := buildOptions(c, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "golive run: %s\n", ui.ErrorText(err))
		return 2
	}
	if c.plain || c.yes || !term.IsTerminal(int(os.Stdout.Fd())) {
		return runPlain(c, opts, stdout, stderr)
	}
	return runTUI(ui.New(opts), len(opts.SudoPassword) > 0, stdout, stderr)
}

// buildOptions turns the flags into ui.Options: executors, signer,
// operator, state directory.
func buildOptions(c runConfig, stderr io.Writer) (ui.Options, error) {
	stateDir, err := runbook.StateDir()
	if err != nil {
		return ui.Options{}, err
	}
	opts := ui.Options{
		Runbooks:       runbooks.FS,
		Runbook:        c.runbook,
		DefaultRunbook: runbooks.Default,
		Vars:           c.vars,
		Host:           c.host,
		Operator:       c.operator,
		OutDir:         c.out,
		ProfilePath:    c.profile,
		StateDir:       stateDir,
		Local:          sshexec.NewLocal(sshexec.LocalOptions{}),
		Now:            time.Now,
		Version:        binaryVersion(),
	}
	if c.out != "" {
		// The transcript is written there at the end of the release:
		// a directory that cannot be made or written to is found now.
		if err := checkOutDir(c.out); err != nil {
			return opts, fmt.Errorf("--out: %w", err)
		}
	}
	if c.sshConfig != "" {
		// A config that cannot be read would only show as a failed
		// connection, as if the host were at fault.
		if err := checkSSHConfig(c.sshConfig); err != nil {
			return opts, fmt.Errorf("--ssh-config: %w", err)
		}
	}
	if c.identity != "" {
		// A key that cannot sign would only show at the end, when the
		// transcript of a finished release is signed.
		if err := sshexec.CheckKeyFile(c.identity); err != nil {
			return opts, fmt.Errorf("--identity: %w", err)
		}
	}
	if c.operator == "" {
		// git config runs only when it can matter: it costs a fork and
		// an exec at every start.
		opts.DefaultOperator = defaultOperator()
	}
	if c.sudoPassword {
		pw, err := askPassword("sudo password (kept in memory only): ", stderr)
		if err != nil {
			return opts, fmt.Errorf("--sudo-password: %w; run golive on a terminal, or without --sudo-password "+
				"(a sudo step then stops for want of it; 'golive resume RUNID --sudo-password' on a terminal goes on)", err)
		}
		opts.SudoPassword = pw
	}
	login := &loginState{}
	opts.Connect = func(ctx context.Context, host string, p ui.Prompter) (sshexec.Executor, error) {
		if host == "local" {
			login.set(host, nil)
			return opts.Local, nil
		}
		cl, err := dialSSH(ctx, c, host, p)
		if err != nil {
			return nil, err
		}
		login.set(host, cl)
		// The executor also reports the host key the connection
		// verified, for the journal and for resume's check.
		return ui.ClientExecutor(cl), nil
	}
	// The TUI asks for an encrypted key's passphrase in a dialog; plain
	// mode and export sign with the agent or an unencrypted key.
	opts.SignAsking = func(ask ui.PassphraseFunc) ui.SignFunc {
		return func(data io.Reader, runOperator string) ([]byte, string, string, error) {
			wait := 30 * time.Second
			so := c.signerOptions(login)
			if ask != nil {
				so.Passphrase = ask
				wait = 10 * time.Minute // the operator types a passphrase
			}
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			s, err := sshexec.LoadSigner(ctx, so)
			if err != nil {
				return nil, "", "", err
			}
			sig, err := sshexec.SignTranscriptFrom(data, s)
			if err != nil {
				return nil, "", "", err
			}
			// The signer is the operator: --operator, else the one the
			// transcript names (typed in the form, or the resumed run's).
			op := opts.Operator
			if op == "" {
				op = runOperator
			}
			if op == "" {
				op = opts.DefaultOperator
			}
			return sig, sshexec.AllowedSignersLine(op, s.PublicKey()), sshexec.Fingerprint(s.PublicKey()), nil
		}
	}
	opts.Sign = opts.SignAsking(nil)
	// What the TUI's question before quitting unexported says of
	// signing: the key SignAsking would load, without signing and
	// without asking a passphrase (an encrypted key counts: the TUI asks).
	opts.SignCheck = func(ctx context.Context) error {
		so := c.signerOptions(login)
		so.Passphrase = func(string) ([]byte, error) { return nil, errWouldAsk }
		_, err := sshexec.LoadSigner(ctx, so)
		if errors.Is(err, errWouldAsk) {
			return nil
		}
		return err
	}
	return opts, nil
}

// errWouldAsk stops SignCheck's look for a signing key where signing
// would ask for the key's passphrase.
var errWouldAsk = errors.New("the passphrase would be asked")

// loginState is the host the run connected to and its connection, kept
// for signing: the transcript is signed with the key that logged in.
// Connect sets it, the export reads it, on other goroutines.
type loginState struct {
	mu     sync.Mutex
	host   string
	client *sshexec.Client // nil for local
}

func (l *loginState) set(host string, cl *sshexec.Client) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.host, l.client = host, cl
}

// signerOptions says which key signs the transcript: --identity, else (in
// sshexec.LoadSigner's order) the key that logged in, the agent's, the
// ssh config's IdentityFile for the run's host, the default key files.
// The run's host is the one connected to (login, when it did), else the
// journal's (resume, export), else --host.
func (c runConfig) signerOptions(login *loginState) sshexec.SignerOptions {
	so := sshexec.SignerOptions{KeyFile: c.identity, ConfigFile: c.sshConfig, Host: c.signHost}
	if so.Host == "" {
		so.Host = c.host
	}
	if login != nil {
		login.mu.Lock()
		host, cl := login.host, login.client
		login.mu.Unlock()
		if host != "" {
			so.Host = host
		}
		if cl != nil {
			so.LoginKey = cl.Info().AuthKeyFingerprint
		}
	}
	return so
}

// dialSSH connects to a remote host through ~/.ssh/config, ssh-agent and
// known_hosts; the UI's Prompter asks about unknown host keys and key
// passphrases.
func dialSSH(ctx context.Context, c runConfig, host string, p ui.Prompter) (*sshexec.Client, error) {
	o := sshexec.Options{Host: host, ConfigFile: c.sshConfig, Prompter: p}
	if c.identity != "" {
		o.IdentityFiles = []string{c.identity}
	}
	if c.knownHosts != "" {
		o.KnownHostsFiles = []string{c.knownHosts}
	}
	return sshexec.Dial(ctx, o)
}

// runPlain is plain mode: no TUI, output line by line, sign-offs from
// stdin or --yes.
func runPlain(c runConfig, opts ui.Options, stdout, stderr io.Writer) int {
	po := plainOptions(c, stdout, stderr)
	po.Ready = func() { warnUnsigned(c, stderr) }
	return ui.RunPlain(context.Background(), opts, po)
}

// plainOptions are plain mode's options from the flags, with the timing
// log $GOLIVE_TIMING names, if any (it stays open until the process ends).
func plainOptions(c runConfig, stdout, stderr io.Writer) ui.PlainOptions {
	t, err := ui.OpenTiming() // nil when unset or not opened
	if err != nil {
		fmt.Fprintf(stderr, "golive: no timing log: %v\n", err)
	}
	return ui.PlainOptions{In: os.Stdin, Out: stdout, Yes: c.yes, Began: began, Timing: t}
}

// programOptions are the options of every Bubble Tea program golive
// runs: ui.FrameRate, and NO_COLOR turns colours off.
func programOptions() []tea.ProgramOption {
	opts := []tea.ProgramOption{tea.WithFPS(ui.FrameRate)}
	if p, ok := ui.ColorProfile(os.Environ()); ok {
		opts = append(opts, tea.WithColorProfile(p))
	}
	return opts
}

// runTUI runs the Bubble Tea program and reports how it ended; sudo says
// the run was given a sudo password, which a resume must be given again.
func runTUI(m ui.Model, sudo bool, stdout, stderr io.Writer) int {
	final, err := tea.NewProgram(m, programOptions()...).Run()
	if err != nil {
		fmt.Fprintf(stderr, "golive: %v\n", err)
		return 1
	}
	fm, ok := final.(ui.Model)
	if !ok {
		return 1
	}
	o := fm.Outcome()
	return reportOutcome(o, sudo || o.SudoPassword, stdout, stderr)
}

// reportOutcome prints how the TUI's run ended and what comes next, and
// returns the exit code. The resume command it gives carries
// --sudo-password when the run had one: without it, the next sudo step
// would stop for want of the password.
func reportOutcome(o ui.Outcome, sudo bool, stdout, stderr io.Writer) int {
	if o.RunID != "" {
		resume := "golive resume " + o.RunID
		if sudo {
			resume += " --sudo-password"
		}
		switch {
		case o.Finished:
			fmt.Fprintf(stdout, "golive: run %s finished: %s\n", o.RunID, o.Verdict)
		default:
			fmt.Fprintf(stdout, "golive: run %s is not finished; everything so far is journaled. Continue with: %s\n", o.RunID, resume)
		}
		if o.Detached != "" {
			fmt.Fprintf(stdout, "golive: step %s is still running on the host; '%s' reattaches to it\n", o.Detached, resume)
		}
		for _, f := range o.Files {
			fmt.Fprintf(stdout, "golive: wrote %s\n", f)
		}
		if o.Finished && len(o.Files) == 0 {
			fmt.Fprintf(stdout, "golive: no transcript was written (e on the summary exports it); write it with: golive export %s --out DIR\n", o.RunID)
		}
		if o.Unsigned != "" {
			fmt.Fprintf(stdout, "golive: transcript not signed: %s\n", o.Unsigned)
			fmt.Fprintf(stdout, "golive: to sign it: %s\n", o.SignHint())
		}
	}
	if o.Err != nil {
		fmt.Fprintf(stderr, "golive: %s\n", ui.ErrorText(o.Err))
	}
	// 0 finished (or never began), 1 failed or broken, 3 unfinished and
	// resumable: the same codes as plain mode.
	return o.ExitCode()
}
