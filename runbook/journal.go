package runbook

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"iter"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Journal is the append-only, hash-chained record of one run: one JSON event
// per line in <state>/runs/<runID>/journal.jsonl. Every Append is on disk
// (fsynced) before it returns, so whatever the UI has shown as done survives
// a crash. A Journal is safe for concurrent use; only one process may hold a
// journal open (an exclusive flock), so two golive processes cannot fork a
// run's chain.
type Journal struct {
	// Now is the clock used for events appended without a Time; nil means
	// time.Now. Set it before the first Append.
	Now func() time.Time

	mu   sync.Mutex
	f    *os.File
	path string
	seq  int64  // seq of the last event on disk
	prev string // hash of the last event on disk
	size int64  // bytes of good records on disk
	err  error  // sticky: set when a write or fsync failed
	// noSync skips the fsync; only benchmarks set it, to tell encoding
	// cost from disk cost.
	noSync bool
	// dirty: AppendLazy wrote records not fsynced yet; timer fsyncs them
	// (bgSync) within lazySyncDelay. syncMu is held across a background
	// fsync, which runs without mu so appends go on meanwhile.
	dirty  bool
	armed  bool
	timer  *time.Timer
	syncMu sync.Mutex
	// buf holds the records of one batch, reused (see keep); enc and je
	// encode the events the fast output encoder does not take.
	buf []byte
	enc bytes.Buffer
	je  *json.Encoder
	// digest hashes records (Journal.hash); prevBuf holds the previous
	// hash for it as bytes.
	digest  hash.Hash
	prevBuf [2 * 32]byte // a hex SHA-256
	// dropped is how much of the file, all of it fsynced, has been
	// dropped from the page cache (pagecache.go); bgSync keeps it,
	// under syncMu.
	dropped int64
}

// Errors returned by journal functions.
var (
	// ErrJournalLocked: another golive process has the journal open.
	ErrJournalLocked = errors.New("journal: in use by another golive process")
	// ErrJournalClosed: Append after Close.
	ErrJournalClosed = errors.New("journal: closed")
)

// ChainError says where a hash chain breaks.
type ChainError struct {
	// Path and Line locate the record in a journal file; Path is empty when
	// the events did not come from a file.
	Path string
	Line int
	// Seq is the sequence number the record should have had.
	Seq    int64
	Reason string
}

// Error names the file and line when known, the seq, and what is wrong.
func (e *ChainError) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("journal: %s:%d: event seq %d: %s", e.Path, e.Line, e.Seq, e.Reason)
	}
	return fmt.Sprintf("hash chain: event seq %d: %s", e.Seq, e.Reason)
}

// CreateJournal creates the journal of a new run under stateDir
// (<stateDir>/runs/<runID>/journal.jsonl, directories 0700, file 0600). It
// fails if the run already has a journal.
func CreateJournal(stateDir, runID string) (*Journal, error) {
	if !validRunID.MatchString(runID) {
		return nil, fmt.Errorf("journal: bad run id %q: use letters, digits, '.', '_' and '-'", runID)
	}
	dir := RunDir(stateDir, runID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	path := filepath.Join(dir, JournalName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if err := lockFile(f, path); err != nil {
		f.Close()
		return nil, err
	}
	// The new file's directory entry, and the directories MkdirAll may
	// just have made, must survive a crash too.
	for _, d := range []string{dir, filepath.Dir(dir), stateDir} {
		if err := syncDir(d); err != nil {
			f.Close()
			return nil, fmt.Errorf("journal: sync %s: %w", d, err)
		}
	}
	return newJournal(f, path, 0, "", 0), nil
}

func newJournal(f *os.File, path string, seq int64, prev string, size int64) *Journal {
	j := &Journal{f: f, path: path, seq: seq, prev: prev, size: size}
	j.je = json.NewEncoder(&j.enc)
	return j
}

func lockFile(f *os.File, path string) error {
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("%w: %s (close the other golive first)", ErrJournalLocked, path)
		}
		return fmt.Errorf("journal: lock %s: %w", path, err)
	}
	return nil
}

// OpenJournal opens an existing journal to continue a run. It reads every
// record and verifies the hash chain. A torn final record (a crash in the
// middle of a write: no final newline, or bytes the file system zero-filled)
// is cut off, and appends continue the chain from the last good record. Any
// other damage is a *ChainError naming the file and line; the journal is
// then not opened, so nothing is appended to a record that cannot be
// trusted.
func OpenJournal(path string) (*Journal, []Event, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	if err := lockFile(f, path); err != nil {
		f.Close()
		return nil, nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 {
		// A journal copied or restored with a looser mode: it holds
		// output, keep it private again.
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("journal: %s is readable by others and could not be made private: %w", path, err)
		}
	}
	events, good, err := readJournal(JournalReader(f), path)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	if fi.Size() > good {
		if err := f.Truncate(good); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("journal: cut torn last record of %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("journal: sync %s: %w", path, err)
		}
	}
	var seq int64
	var prev string
	if n := len(events); n > 0 {
		seq, prev = events[n-1].Seq, events[n-1].Hash
	}
	return newJournal(f, path, seq, prev, good), events, nil
}

// readJournal decodes and checks every record of r. It returns the events
// and the byte length of the good records (what to keep if the last one is
// torn).
func readJournal(r io.Reader, path string) ([]Event, int64, error) {
	var (
		events []Event
		good   int64
	)
	for ev, err := range scanJournal(r, path, nil) {
		if err != nil {
			return nil, 0, err
		}
		events = append(events, ev.Event)
		good += int64(ev.size)
	}
	return events, good, nil
}

// JournalEvents yields the events of the journal read from r (named path
// in errors; JournalReader reads a file as it should be read) one at a
// time, each checked as OpenJournal checks it: that it follows the record
// before it and that its hash matches its bytes as stored. A torn last
// record (a write cut short: no final newline, or bytes a file system
// zero-filled) is left out and sets *torn, when torn is not nil; so a
// journal another golive is appending to reads up to its last whole
// record. Any other damage ends the sequence with a *ChainError naming
// path and line. Readers that replay events need the check: a
// records-rule output digest (DigestRecords) takes each record's hash on
// trust.
func JournalEvents(r io.Reader, path string, torn *bool) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for ev, err := range scanJournal(r, path, torn) {
			if !yield(ev.Event, err) {
				return
			}
		}
	}
}

// scannedEvent is an event and the bytes its record took in the file.
type scannedEvent struct {
	Event
	size int
}

// scanJournal is JournalEvents with each record's size, for OpenJournal
// (which cuts a torn tail off at the last good byte).
func scanJournal(r io.Reader, path string, torn *bool) iter.Seq2[scannedEvent, error] {
	return func(yield func(scannedEvent, error) bool) {
		br := bufio.NewReaderSize(r, 1<<20)
		var seq int64
		prev := ""
		for line := 1; ; line++ {
			rec, err := readRecord(br)
			if err == io.EOF {
				// No newline: the crash came in the middle of this write.
				if torn != nil && len(bytes.TrimSpace(rec)) > 0 {
					*torn = true
				}
				return
			}
			if err != nil {
				yield(scannedEvent{}, fmt.Errorf("journal: read %s: %w", path, err))
				return
			}
			var ev Event
			if derr := ev.UnmarshalJSON(rec); derr != nil {
				if bytes.IndexByte(rec, 0) >= 0 && isLast(br) {
					// A zero-filled tail: the file grew but the data never
					// reached the disk. Same as a torn write.
					if torn != nil {
						*torn = true
					}
					return
				}
				yield(scannedEvent{}, &ChainError{Path: path, Line: line, Seq: seq + 1, Reason: "not a valid record: " + derr.Error()})
				return
			}
			if reason := checkRecord(rec, &ev, seq+1, prev); reason != "" {
				yield(scannedEvent{}, &ChainError{Path: path, Line: line, Seq: seq + 1, Reason: reason})
				return
			}
			seq, prev = ev.Seq, ev.Hash
			if !yield(scannedEvent{ev, len(rec)}, nil) {
				return
			}
		}
	}
}

// readRecord reads one record, its newline included, however long: the
// slice is valid until the next read from br.
func readRecord(br *bufio.Reader) ([]byte, error) {
	rec, err := br.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return rec, err
	}
	big := append([]byte(nil), rec...) // a record longer than the buffer
	for errors.Is(err, bufio.ErrBufferFull) {
		rec, err = br.ReadSlice('\n')
		big = append(big, rec...)
	}
	return big, err
}

// isLast reports whether br holds nothing but zero bytes and newlines.
func isLast(br *bufio.Reader) bool {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return true
		}
		if b != 0 && b != '\n' {
			return false
		}
	}
}

// Path returns the journal's file name.
func (j *Journal) Path() string { return j.path }

// LastSeq returns the seq of the last event on disk (0 when empty).
func (j *Journal) LastSeq() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.seq
}

// Append stamps evs (Seq, Time when zero, Prev, Hash), writes them with a
// single write and one fsync, and returns the stamped events, which are
// exactly what a later OpenJournal reads back. Times are stored in UTC.
// The fsync also makes durable every event AppendLazy wrote before.
//
// If the write or the fsync fails, Append returns the error, cuts the file
// back to its last good record when it can, and refuses every later Append:
// after a failed fsync the kernel may have dropped the data, and a journal
// with a hole is worse than a stopped one.
func (j *Journal) Append(evs ...Event) ([]Event, error) {
	return j.append(evs, true)
}

// append stamps and writes evs; with sync it fsyncs before returning,
// else it leaves that to the background syncer (AppendLazy).
func (j *Journal) append(evs []Event, sync bool) ([]Event, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil, ErrJournalClosed
	}
	if j.err != nil {
		return nil, j.err
	}
	if len(evs) == 0 {
		return nil, nil
	}
	out := make([]Event, len(evs))
	// Every record is encoded straight into buf, hashed there and
	// completed there: the batch is then one write, with no copy of it.
	buf := j.buf[:0]
	seq, prev := j.seq, j.prev
	for i, ev := range evs {
		if ev.Type == "" {
			return nil, fmt.Errorf("journal: event %d of %d has no type", i+1, len(evs))
		}
		seq++
		ev.Seq, ev.Prev, ev.Hash = seq, prev, ""
		if ev.Time.IsZero() {
			ev.Time = j.now()
		}
		ev.Time = ev.Time.UTC()
		if !ev.legacyLines && len(ev.Lines) > 0 {
			ev.Lines = storedLines(ev.Lines) // as a replay will read them
		}
		start := len(buf)
		var err error
		if buf, err = j.appendCanonical(buf, &ev); err != nil {
			j.keep(buf)
			return nil, fmt.Errorf("journal: event seq %d: %w", seq, err)
		}
		ev.Hash = j.hash(prev, buf[start:])
		prev = ev.Hash
		// Hash is the struct's last field: the stored record is the
		// canonical encoding with it appended.
		buf = append(buf[:len(buf)-1], `,"hash":"`...)
		buf = append(buf, ev.Hash...)
		buf = append(buf, "\"}\n"...)
		out[i] = ev
	}
	j.keep(buf)
	if _, err := j.f.Write(buf); err != nil {
		return nil, j.fail(fmt.Errorf("journal: write %s: %w", j.path, err))
	}
	if sync {
		if err := j.syncLocked(); err != nil {
			return nil, err
		}
	} else {
		j.dirty = true
		j.armSync()
	}
	j.seq, j.prev = seq, prev
	j.size += int64(len(buf))
	return out, nil
}

// maxKeptBuf bounds the batch buffer a journal keeps between appends:
// the UI's output batches (at most 2,000 lines or about 320 KiB of text,
// ui.RunJob) are far below it and reuse one buffer; a caller's one huge
// batch does not stay pinned.
const maxKeptBuf = 8 << 20

// keep holds on to buf for the next append unless it is too big.
func (j *Journal) keep(buf []byte) {
	if cap(buf) > maxKeptBuf {
		buf = nil
	}
	j.buf = buf
}

func (j *Journal) fail(err error) error {
	if terr := j.f.Truncate(j.size); terr == nil {
		_ = j.f.Sync()
	}
	j.err = err
	return err
}

func (j *Journal) now() time.Time {
	if j.Now != nil {
		return j.Now()
	}
	return time.Now()
}

// Close fsyncs what AppendLazy left unsynced and releases the journal.
// Events already appended are on disk.
func (j *Journal) Close() error {
	j.syncMu.Lock() // wait for a background fsync to end
	defer j.syncMu.Unlock()
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	var err error
	if j.dirty && j.err == nil {
		err = j.syncLocked()
	}
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	j.f = nil
	if j.timer != nil {
		j.timer.Stop()
	}
	return err
}
