package runbook

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"syscall"
	"time"
)

// StateDir returns golive's state directory, creating it if needed:
// $XDG_STATE_HOME/golive, or ~/.local/state/golive when XDG_STATE_HOME is
// unset or not an absolute path (the XDG spec says to ignore relative ones).
//
// The directory holds run journals, which hold output that may be sensitive
// even after redaction, so it is kept at mode 0700: a directory golive owns
// that is more open is tightened, and one owned by another user is refused.
func StateDir() (string, error) {
	base := os.Getenv("XDG_STATE_HOME")
	if !filepath.IsAbs(base) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("state directory: %w (set XDG_STATE_HOME or HOME)", err)
		}
		base = filepath.Join(home, ".local", "state")
	}
	dir := filepath.Join(base, "golive")
	if err := ensurePrivateDir(dir); err != nil {
		return "", err
	}
	return dir, nil
}

// ensurePrivateDir creates dir (and its parents) with mode 0700, and makes
// sure an existing dir is a directory owned by us that nobody else can
// write or read.
func ensurePrivateDir(dir string) error {
	// What to do when the directory cannot be made or looked at: golive
	// cannot start a run without it.
	const fix = "golive keeps its run journals there: make it a directory you can write, or set XDG_STATE_HOME to one"
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state directory %s: %w; %s", dir, err, fix)
	}
	fi, err := os.Stat(dir) // follows a symlinked state directory; its target is checked
	if err != nil {
		return fmt.Errorf("state directory %s: %w; %s", dir, err, fix)
	}
	if !fi.IsDir() {
		return fmt.Errorf("state directory %s: not a directory (a file is in the way); move it aside", dir)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("state directory %s: owned by uid %d, not by you (uid %d); fix its owner or set XDG_STATE_HOME", dir, st.Uid, os.Geteuid())
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("state directory %s: mode %v is open to other users and could not be tightened: %w; "+
				"make it private (chmod 700), or set XDG_STATE_HOME to a directory of yours", dir, fi.Mode().Perm(), err)
		}
	}
	return nil
}

// validRunID is what a run ID may look like: it becomes a directory name.
var validRunID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// RunDir returns the directory of run runID under stateDir.
func RunDir(stateDir, runID string) string {
	return filepath.Join(stateDir, "runs", runID)
}

// JournalName is the file name of a run's journal inside its run directory.
const JournalName = "journal.jsonl"

// syncDir fsyncs a directory so that a file just created or renamed in it
// survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, fs.ErrInvalid) {
		return err
	}
	return nil
}

// RunSummary describes an unfinished run, for `golive resume`.
type RunSummary struct {
	ID        string
	RunbookID string
	Title     string
	Host      string
	Operator  string
	// LastStep is the step of the last event that named one ("" when no
	// step was touched yet).
	LastStep string
	Started  time.Time
	// LastTime is when the last event was recorded.
	LastTime time.Time
	// Path is the journal file.
	Path string
	// Problem says why the journal could not be read, when it could not;
	// such a run is listed so the operator knows it exists.
	Problem string
	// InUse is true when a golive process has the journal open right now
	// (it holds the journal's lock): resuming it would be refused.
	InUse bool
}

// ListRuns returns the unfinished runs under stateDir (those whose journal
// has no run.finished event), newest first. It reads each journal's first
// record and its tail, not the whole file, so listing stays fast when runs
// hold a lot of output. Empty journals (a crash before the first event was
// written) are not listed: there is nothing to resume.
func ListRuns(stateDir string) ([]RunSummary, error) {
	runs := filepath.Join(stateDir, "runs")
	ents, err := os.ReadDir(runs)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	var out []RunSummary
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		path := filepath.Join(runs, e.Name(), JournalName)
		s, finished, err := summarize(path)
		if errors.Is(err, fs.ErrNotExist) || errEmpty(err) {
			continue
		}
		if err != nil {
			s = RunSummary{ID: e.Name(), Path: path, Problem: err.Error()}
			if fi, serr := os.Stat(path); serr == nil {
				s.LastTime = fi.ModTime().UTC()
			}
		}
		if finished {
			continue
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(a, b int) bool {
		if !out[a].LastTime.Equal(out[b].LastTime) {
			return out[a].LastTime.After(out[b].LastTime)
		}
		return out[a].ID > out[b].ID
	})
	return out, nil
}

var errEmptyJournal = errors.New("empty journal")

func errEmpty(err error) bool { return errors.Is(err, errEmptyJournal) }

// tailBytes is how much of a journal's end ListRuns reads.
var tailBytes int64 = 4 << 20 // a var so tests can shrink it

func summarize(path string) (RunSummary, bool, error) {
	s := RunSummary{Path: path}
	f, err := os.Open(path)
	if err != nil {
		return s, false, err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); errors.Is(err, syscall.EWOULDBLOCK) {
		s.InUse = true
	} // closing f releases the shared lock
	br := bufio.NewReaderSize(f, 64<<10)
	first, _ := br.ReadBytes('\n')
	if !bytes.HasSuffix(first, []byte("\n")) {
		return s, false, errEmptyJournal // no complete record: nothing to resume
	}
	var ev Event
	if err := json.Unmarshal(first, &ev); err != nil {
		return s, false, fmt.Errorf("%s:1: not a valid record: %w", path, err)
	}
	if ev.Type != EvRunStarted || ev.Run == nil {
		return s, false, fmt.Errorf("%s:1: first event is %q, not run.started", path, ev.Type)
	}
	s.ID, s.RunbookID, s.Title = ev.Run.ID, ev.Run.RunbookID, ev.Run.Title
	s.Host, s.Operator = ev.Run.Host, ev.Run.Operator
	s.Started, s.LastTime = ev.Time, ev.Time

	fi, err := f.Stat()
	if err != nil {
		return s, false, err
	}
	// Read the tail, growing it until it holds a whole record (one output
	// batch can be larger than the first guess).
	for size := tailBytes; ; size *= 4 {
		off := max(fi.Size()-size, 0)
		tail := make([]byte, fi.Size()-off)
		if _, err := f.ReadAt(tail, off); err != nil && err != io.EOF {
			return s, false, err
		}
		if off > 0 { // the first line of the tail is likely cut
			if i := bytes.IndexByte(tail, '\n'); i >= 0 {
				tail = tail[i+1:]
			}
		}
		finished, parsed := scanTail(tail, &s)
		if finished {
			return s, true, nil
		}
		if parsed || off == 0 {
			break
		}
	}
	return s, false, nil
}

// scanTail reads records from the end of tail: whether the run finished,
// and whether any record parsed. It sets s.LastTime and s.LastStep.
func scanTail(tail []byte, s *RunSummary) (finished, parsed bool) {
	lines := bytes.Split(tail, []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		if len(lines[i]) == 0 {
			continue
		}
		var e struct {
			Time time.Time `json:"time"`
			Type EventType `json:"type"`
			Step string    `json:"step"`
		}
		if json.Unmarshal(lines[i], &e) != nil {
			continue // a torn last record; OpenJournal deals with it
		}
		if e.Type == EvRunFinished {
			return true, true
		}
		if !parsed {
			s.LastTime, parsed = e.Time, true
		}
		if e.Step != "" {
			s.LastStep = e.Step
			return false, true
		}
	}
	return false, parsed
}

// NewRunID returns a fresh run ID: the UTC start time, sortable, and a
// random suffix so two runs started in the same second do not collide
// ("20261121T051500Z-3f9a1c").
func NewRunID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
