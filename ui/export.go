package ui

import (
	"bufio"
	"bytes"
	"charm.land/bubbles/v2/textinput"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"golive/runbook"
)

// SignFunc signs an exported JSON transcript with the operator's SSH key;
// operator is the run's operator, as the transcript names them. It returns
// the armored SSHSIG signature, the allowed_signers line for the operator
// who signs, and the key's SHA256 fingerprint. An error means no key could
// sign (the export goes on unsigned and says so).
// The transcript is read from a reader, so that a release with hundreds of
// megabytes of output is signed without holding it in memory.
type SignFunc func(transcript io.Reader, operator string) (sig []byte, allowedSigners, fingerprint string, err error)

// PassphraseFunc asks the operator for a key's passphrase; prompt names
// the key (sshexec.SignerOptions.Passphrase).
type PassphraseFunc func(prompt string) ([]byte, error)

// TranscriptName is the base name of a run's transcript files:
// golive-<runbook>-<host>-<UTC time>.
func TranscriptName(runbookID, host string, at time.Time) string {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
				return r
			}
			return '_'
		}, s)
	}
	return fmt.Sprintf("golive-%s-%s-%s", clean(runbookID), clean(host), at.UTC().Format("20060102T150405Z"))
}

// Exported lists the files an export wrote, and whether it was signed.
type Exported struct {
	Markdown, JSON, Signature, AllowedSigners string
	SignError                                 error
}

// Files returns the written files' names.
func (e Exported) Files() []string {
	var out []string
	for _, f := range []string{e.Markdown, e.JSON, e.Signature, e.AllowedSigners} {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

// Export writes rel's transcript into dir: the JSON of every journaled
// event (read back from the journal), its signature and allowed_signers
// when sign can sign, and the Markdown naming the JSON's digest and the
// signer. It reads only the journal, so it may run while the release goes
// on.
func (r *Release) Export(dir string, sign SignFunc, now time.Time) (Exported, error) {
	out, _, err := exportJournal(r.Plan, r.Host, r.Journal.Path(), dir, sign, now, nil)
	return out, err
}

// exportJournal writes the transcript of the journal at path, a run of
// plan on host, into dir (see Export), and returns the Session the
// journal replays to. A last record not yet whole (being written, or torn
// by a crash) is left out, and *torn (when not nil) says so.
func exportJournal(plan *runbook.Plan, host, path, dir string, sign SignFunc, now time.Time, torn *bool) (Exported, *runbook.Session, error) {
	var out Exported
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return out, nil, fmt.Errorf("export: %w", err)
	}
	// Export what the journal says, through a Session of its own: the
	// transcript then matches its record exactly, and the live Session
	// (owned by the UI goroutine) is never read from here. The journal is
	// read once, one event at a time (replayed, and encoded into memory
	// until the transcript's head is known, or into a scratch file once
	// they pass a few MiB: runbook.WriteTranscriptJSON), so memory stays
	// flat however much output the release printed. The JSON goes to a
	// temporary file, hashed on the way, and is renamed into place once
	// whole.
	base := filepath.Join(dir, TranscriptName(plan.Runbook.ID, host, now))
	scratch, err := os.CreateTemp(dir, ".golive-events-*")
	if err != nil {
		return out, nil, fmt.Errorf("export: %w", err)
	}
	defer os.Remove(scratch.Name())
	defer scratch.Close()
	tmp, err := os.CreateTemp(dir, ".golive-transcript-*.json")
	if err != nil {
		return out, nil, fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	h := sha256.New()
	sess, err := runbook.WriteTranscriptJSON(io.MultiWriter(tmp, h), plan, readEvents(path, torn), scratch)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return out, nil, fmt.Errorf("export: json: %w", err)
	}
	if base, err = place(tmp.Name(), base); err != nil {
		return out, nil, fmt.Errorf("export: %w", err)
	}
	out.JSON = base + ".json"
	sum := h.Sum(nil)
	opts := runbook.TranscriptOptions{JSONDigest: hex.EncodeToString(sum), JSONName: filepath.Base(base + ".json")}
	if sign != nil {
		sig, allowed, fp, err := signFile(sign, out.JSON, sess.Info().Operator)
		if err != nil {
			out.SignError = err
		} else {
			out.Signature = out.JSON + ".sig"
			if err := os.WriteFile(out.Signature, sig, 0o644); err != nil {
				return out, nil, fmt.Errorf("export: %w", err)
			}
			out.AllowedSigners = filepath.Join(dir, "allowed_signers")
			if err := appendLine(out.AllowedSigners, allowed); err != nil {
				return out, nil, fmt.Errorf("export: %w", err)
			}
			opts.SignerFingerprint = fp
		}
	}
	var md bytes.Buffer
	if err := sess.WriteMarkdown(&md, opts); err != nil {
		return out, nil, fmt.Errorf("export: markdown: %w", err)
	}
	out.Markdown = base + ".md"
	if err := os.WriteFile(out.Markdown, md.Bytes(), 0o644); err != nil {
		return out, nil, fmt.Errorf("export: %w", err)
	}
	return out, sess, nil
}

// place moves the finished JSON transcript tmp to base+".json", or, when a
// transcript of that name is there already (another run of the same
// runbook on the same host exported within the same second, or this one
// exported twice), to base-2, base-3...: a transcript is never replaced,
// nor left beside a signature or Markdown of another. It returns the base
// it used. The name is taken with a hard link, which fails on a name that
// exists, so two exports at once cannot both take it; a file system
// without hard links gets a check, then a rename.
func place(tmp, base string) (string, error) {
	for n := 1; n <= 1000; n++ {
		b := base
		if n > 1 {
			b = fmt.Sprintf("%s-%d", base, n)
		}
		if taken(b) {
			continue
		}
		err := os.Link(tmp, b+".json")
		if err == nil {
			return b, os.Remove(tmp)
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err := os.Rename(tmp, b+".json"); err != nil { // no hard links here
			return "", err
		}
		return b, nil
	}
	return "", fmt.Errorf("%s.json and 999 more of that name exist already: export into another directory (--out)", base)
}

// taken reports whether a transcript's file of base is there.
func taken(base string) bool {
	for _, ext := range []string{".json", ".json.sig", ".md"} {
		if _, err := os.Lstat(base + ext); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return true
		}
	}
	return false
}

// appendLine adds line to file unless it is already there.
func appendLine(file, line string) error {
	line = strings.TrimRight(line, "\n")
	old, err := os.ReadFile(file)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	for _, l := range strings.Split(string(old), "\n") {
		if l == line {
			return nil
		}
	}
	f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(line + "\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// journalEvents yields the events of a journal file one at a time,
// without taking its lock (golive itself holds it while the run is open).
func journalEvents(path string) iter.Seq2[runbook.Event, error] {
	return readEvents(path, nil)
}

// readEvents yields the events of a journal file one at a time, without
// taking its lock: the golive that holds it may be appending as they are
// read. Only whole records count: a last one without its newline is being
// written (or was torn by a crash) and is left out, with *torn (when not
// nil) set. Each record must follow the one before it (seq and prev) and
// match its hash: the export signs what it reads, and a records-rule
// output digest (runbook.DigestRecords) is over the records' hashes, so a
// changed line with its hash kept would otherwise replay as if unchanged.
func readEvents(path string, torn *bool) iter.Seq2[runbook.Event, error] {
	return func(yield func(runbook.Event, error) bool) {
		f, err := os.Open(path)
		if err != nil {
			yield(runbook.Event{}, fmt.Errorf("read journal: %w", err))
			return
		}
		defer f.Close()
		for e, err := range runbook.JournalEvents(runbook.JournalReader(f), path, torn) {
			var ce *runbook.ChainError
			if errors.As(err, &ce) {
				err = fmt.Errorf("read %w; golive verify on an earlier transcript shows what it held", err)
			}
			if !yield(e, err) || err != nil {
				return
			}
		}
	}
}

// signFile signs the file at path, a transcript of operator's run, with
// sign, reading it as it goes.
func signFile(sign SignFunc, path, operator string) ([]byte, string, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", "", err
	}
	defer f.Close()
	return sign(bufio.NewReaderSize(f, 256<<10), operator)
}

// exportCmd writes the transcript off the Update goroutine. A key that
// needs a passphrase asks for it through the passphrase dialog: the
// question comes to Update as a signPassphraseMsg, then the exportedMsg.
func (m Model) exportCmd(dir string) tea.Cmd {
	rel, sign, now := m.rel, m.opts.Sign, m.opts.Now()
	msgs := make(chan tea.Msg, 1)
	if m.opts.SignAsking != nil {
		sign = m.opts.SignAsking(func(prompt string) ([]byte, error) {
			reply := make(chan []byte, 1)
			msgs <- signPassphraseMsg{prompt: prompt, reply: reply, msgs: msgs}
			pw := <-reply
			if pw == nil {
				return nil, errors.New("no passphrase given")
			}
			return pw, nil
		})
	}
	go func() {
		defer close(msgs)
		ex, err := rel.Export(dir, sign, now)
		msgs <- exportedMsg{files: ex.Files(), signErr: ex.SignError, err: err}
	}()
	return waitForConnect(msgs)
}

// onSignPassphrase opens the passphrase dialog for the key that signs the
// transcript, and keeps following the export.
func (m Model) onSignPassphrase(msg signPassphraseMsg) (tea.Model, tea.Cmd) {
	m.dlg = newInput(dlgPassphrase, "", "", m.styles)
	m.dlg.prompt, m.dlg.reply = msg.prompt, msg.reply
	m.dlg.input.EchoMode = textinput.EchoPassword
	m.dlg.input.EchoCharacter = '•'
	m.syncKeys()
	return m, tea.Batch(m.dlg.input.Focus(), waitForConnect(msg.msgs))
}

// SignHint is the command that signs an exported, unsigned transcript
// again from the journal, for the operator to run once the key is at hand.
func (o Outcome) SignHint() string {
	dir := "."
	if len(o.Files) > 0 {
		dir = filepath.Dir(o.Files[0])
	}
	return fmt.Sprintf("load the key into ssh-agent (ssh-add KEY) and run golive export %s --out %s; "+
		"or run golive export %s --out %s --identity KEY, which asks for its passphrase",
		o.RunID, shellWord(dir), o.RunID, shellWord(dir))
}

// signCheck is what golive knows, before an export, of whether it will
// be signed: Options.SignCheck's answer once done.
type signCheck struct {
	// seq numbers the openings of the question: only the answer of the
	// check the latest one started counts (an earlier one's may come
	// after it, and looked before a key was ssh-added).
	seq  int
	done bool
	err  error // why no key can sign (nil: one can)
}

// signCheckTimeout bounds Options.SignCheck: it reads key files and asks
// ssh-agent for its keys.
const signCheckTimeout = 5 * time.Second

// checkSigning runs check (nil: nothing to run) off the UI goroutine;
// its answer is tagged seq (signCheck.seq).
func checkSigning(check func(context.Context) error, seq int) tea.Cmd {
	if check == nil {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), signCheckTimeout)
		defer cancel()
		return signCheckedMsg{seq: seq, err: check(ctx)}
	}
}

// quitUnexportedText is the body of the question before quitting a
// finished run unexported: whether e's export is signed (as far as
// Options.SignCheck has told; why not and how to sign when it is not),
// and the command that writes the transcript later.
func (m Model) quitUnexportedText() string {
	now, later := "e exports it now", "Written later, it is:"
	switch {
	case m.opts.Sign == nil && m.opts.SignAsking == nil:
		now += ", unsigned (no signing is set up)"
	case m.opts.SignCheck == nil:
		now += ", signed if a key is found"
	case !m.signCheck.done:
		now += " (looking for the key that signs it…)"
	case m.signCheck.err == nil:
		now += " (signed)"
	default:
		now += ", but NOT signed: " + strings.TrimSuffix(ErrorText(m.signCheck.err), ".")
		later = "Written later with a key at hand (in ssh-agent, or --identity KEY), it is signed:"
	}
	return "The release is finished, but its transcript is not written yet: " + now + ". " + later +
		"\n  golive export " + m.rel.RunID + " --out DIR\n\ny: quit without it   n: stay"
}
