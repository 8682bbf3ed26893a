package ui

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"syscall"
	"time"

	"golive/runbook"
)

// RunExport is what ExportRun wrote and the state of the run it read.
type RunExport struct {
	Exported
	// RunID names the run.
	RunID string
	// Finished is true when the journal has the run's end; Verdict is the
	// run's verdict so far.
	Finished bool
	Verdict  runbook.RunVerdict
	// Events is how many journaled events the transcript holds.
	Events int
	// Live is true when another golive holds the journal open: the run is
	// still in progress and the transcript is what was written so far.
	Live bool
	// Torn is true when the journal's last record was not whole (being
	// written by the live golive, or cut by a crash): it was left out.
	Torn bool
}

// ExportRun writes the transcript of the run whose journal is at path
// into dir, without opening the journal for writing: it takes no lock and
// changes nothing, so it works while another golive is still writing the
// run (golive export during a release). It exports the records that are
// whole and says whether the run is live. The run's runbook must be as it
// was. The journal keeps secret values masked and a transcript needs none:
// a secret not given in opts.Vars renders masked.
func ExportRun(opts Options, path, dir string, sign SignFunc) (RunExport, error) {
	var out RunExport
	out.Live = journalInUse(path)
	info, set, err := runHead(path)
	if err != nil {
		return out, err
	}
	out.RunID = info.ID
	vars := maps.Clone(opts.Vars)
	if vars == nil {
		vars = map[string]string{}
	}
	for name, v := range info.Vars {
		if _, given := vars[name]; !given && v == runbook.Mask {
			vars[name] = runbook.Mask
		}
	}
	opts.Vars = vars
	plan, err := planFor(opts, info, set)
	if err != nil {
		return out, err
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	ex, sess, err := exportJournal(plan, info.Host, path, dir, sign, now(), &out.Torn)
	out.Exported = ex
	if errors.Is(err, runbook.ErrBadEvent) {
		return out, journalMisfit(info.ID, path, err)
	}
	if err != nil {
		return out, err
	}
	out.Finished, out.Verdict, out.Events = sess.Finished(), sess.Verdict(), sess.Applied()
	return out, nil
}

// journalInUse reports whether a golive process holds the journal's lock
// (it has the run open). The probe's shared lock is dropped at once, so a
// resume starting meanwhile is not refused because of it.
func journalInUse(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	if err == nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	}
	return errors.Is(err, syscall.EWOULDBLOCK)
}

// runHead reads what a run's plan needs from its journal: the run.started
// record that opens it, and the variables set during the run. Only those
// records are decoded, so a journal with a lot of output is read fast; a
// last record not yet whole is skipped.
func runHead(path string) (runbook.RunInfo, []runbook.VarValue, error) {
	f, err := os.Open(path)
	if err != nil {
		return runbook.RunInfo{}, nil, fmt.Errorf("read journal: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(runbook.JournalReader(f), 1<<20)
	var (
		info  *runbook.RunInfo
		set   []runbook.VarValue
		isSet = []byte(`"` + string(runbook.EvVarSet) + `"`)
	)
	for n := 1; ; n++ {
		rec, err := br.ReadSlice('\n')
		for errors.Is(err, bufio.ErrBufferFull) { // a long output record: skip it
			_, err = br.ReadSlice('\n')
			rec = nil
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return runbook.RunInfo{}, nil, fmt.Errorf("read journal %s: %w", path, err)
		}
		if info != nil && !bytes.Contains(rec, isSet) {
			continue
		}
		var e runbook.Event
		if err := json.Unmarshal(rec, &e); err != nil {
			return runbook.RunInfo{}, nil, fmt.Errorf("read journal %s:%d: %w", path, n, err)
		}
		switch {
		case info == nil && (e.Type != runbook.EvRunStarted || e.Run == nil):
			return runbook.RunInfo{}, nil, fmt.Errorf("%s:%d: the journal does not start with run.started; is this a golive journal?", path, n)
		case info == nil:
			info = e.Run
		case e.Type == runbook.EvVarSet && e.Var != nil:
			set = append(set, *e.Var)
		}
	}
	if info == nil {
		return runbook.RunInfo{}, nil, fmt.Errorf("%s: no complete first record yet: nothing to export", path)
	}
	return *info, set, nil
}
