package runbook

import "time"

// EventType names what happened in a run. A Session is exactly the result of
// applying its events in order; the journal stores them and resume replays
// them.
type EventType string

// Event types. The string values are part of the journal and transcript
// format: never rename one.
const (
	EvRunStarted      EventType = "run.started"      // Run
	EvVarSet          EventType = "var.set"          // Var
	EvHostKeyAccepted EventType = "hostkey.accepted" // HostKey
	EvConnection      EventType = "connection"       // Conn: lost, reconnecting, restored
	EvStepStarted     EventType = "step.started"     // Step, Attempt, Start
	EvOutput          EventType = "step.output"      // Step, Attempt, Lines
	EvStepLaunched    EventType = "step.launched"    // Step, Attempt: the host confirmed the job started
	EvStepExited      EventType = "step.exited"      // Step, Attempt, Exit
	EvStepInterrupted EventType = "step.interrupted" // Step, Attempt, Note (why)
	EvSignedOff       EventType = "step.signed_off"  // Step, SignOff
	EvRollbackChosen  EventType = "step.rollback"    // Step, Note
	EvNote            EventType = "note"             // Step (optional), Note
	EvRunFinished     EventType = "run.finished"     // Note (optional)
)

// Event is one thing that happened in a run. Which payload fields are set
// depends on Type (see the constants). Seq, Prev and Hash are filled by the
// journal when it appends the event.
type Event struct {
	Seq     int64     `json:"seq"`
	Time    time.Time `json:"time"`
	Type    EventType `json:"type"`
	Step    string    `json:"step,omitempty"`
	Attempt int       `json:"attempt,omitempty"`

	Run     *RunInfo     `json:"run,omitempty"`
	Var     *VarValue    `json:"var,omitempty"`
	HostKey *HostKeyInfo `json:"host_key,omitempty"`
	Conn    *ConnInfo    `json:"conn,omitempty"`
	Start   *StartInfo   `json:"start,omitempty"`
	Lines   []OutputLine `json:"lines,omitempty"` // encoded as "out" runs: see MarshalJSON
	Exit    *ExitInfo    `json:"exit,omitempty"`
	SignOff *SignOff     `json:"sign_off,omitempty"`
	Note    string       `json:"note,omitempty"`

	// Prev is the hash of the event before (empty for the first); Hash is
	// the hex SHA-256 over Prev and this event's canonical encoding.
	Prev string `json:"prev,omitempty"`
	Hash string `json:"hash,omitempty"`

	// legacyLines marks an event read in the first journal format, which
	// stored Lines as one object per line ("lines"); it is encoded that
	// way again so that its hash still verifies. New events store Lines
	// as runs ("out", journal_event.go).
	legacyLines bool
}

// RunInfo describes a run: what, where, who.
type RunInfo struct {
	ID          string `json:"id"`
	RunbookID   string `json:"runbook_id"`
	RunbookFile string `json:"runbook_file"`
	RunbookHash string `json:"runbook_hash"`
	Title       string `json:"title"`
	Host        string `json:"host"`
	Operator    string `json:"operator"`
	// Auto is true when sign-offs are given automatically (--yes).
	Auto bool `json:"auto,omitempty"`
	// Vars holds the variable values; secret ones are masked.
	Vars map[string]string `json:"vars"`
	// GoliveVersion identifies the binary that recorded the run.
	GoliveVersion string `json:"golive_version,omitempty"`
}

// VarValue records a variable set or changed during the run.
type VarValue struct {
	Name   string `json:"name"`
	Value  string `json:"value"` // masked when Secret
	Secret bool   `json:"secret,omitempty"`
}

// HostKeyInfo records a host key the operator accepted.
type HostKeyInfo struct {
	Host        string `json:"host"`
	Type        string `json:"type"`
	Fingerprint string `json:"fingerprint"` // SHA256:...
}

// ConnInfo records a change in the connection to the host.
type ConnInfo struct {
	Host   string `json:"host"`
	State  string `json:"state"` // "connected", "lost", "reconnecting", "restored"
	Detail string `json:"detail,omitempty"`
	// Unconfirmed, on a "lost" event, says that the link dropped before
	// the host confirmed that the step's job started: it may never have
	// started (golive looks once it has reconnected). Journals written
	// before this field say so only in Detail's words.
	Unconfirmed bool `json:"unconfirmed,omitempty"`
	// HostKey is the host key the connection verified ("connected", at
	// the start of a run and at every resume): a resume refuses a host
	// whose key differs from the run's first one.
	HostKey *HostKeyInfo `json:"host_key,omitempty"`
}

// StartInfo records how a step attempt was started.
type StartInfo struct {
	// Command is the script exactly as run (prelude included), with secret
	// values masked.
	Command string `json:"command"`
	// Where is "remote", "local" or "manual"; Host names the host.
	Where string `json:"where"`
	Host  string `json:"host,omitempty"`
	// JobID identifies the detached job on the host, for reattaching.
	JobID string `json:"job_id,omitempty"`
	// Confirmed is true when a high-risk step was confirmed by typing.
	Confirmed bool `json:"confirmed,omitempty"`
	// OutputDigest names the rule the attempt's output digest
	// (Attempt.OutputSHA256, Evidence.OutputSHA256) follows: DigestRecords
	// for attempts started by this golive, "" (absent) for the per-line
	// rule of older runs. Session.StartStep sets it; see DigestRecords.
	OutputDigest string `json:"output_digest,omitempty"`
	// RunAs says how the attempt ran on its host: RunAsSudo through sudo
	// (as root), RunAsUser as the user golive logs in as; absent in
	// attempts an older golive started. Session.StartStep sets it from the
	// step's sudo, and a replay refuses a start that disagrees with it.
	RunAs string `json:"run_as,omitempty"`
}

// StartInfo.RunAs values.
const (
	RunAsSudo = "sudo"
	RunAsUser = "user"
)

// Stream names an output stream.
type Stream string

// Output streams. StreamInfo is golive's own remark in the output (a
// reconnect, a cancel), shown apart from the command's output.
const (
	StreamStdout Stream = "stdout"
	StreamStderr Stream = "stderr"
	StreamInfo   Stream = "info"
)

// OutputLine is one line of a step's output, already redacted.
type OutputLine struct {
	Time   time.Time `json:"t"`
	Stream Stream    `json:"s"`
	Text   string    `json:"x"`
	// Offset is the byte offset in the job's stream just after this line,
	// so that a resumed run asks the host only for what it has not seen.
	Offset int64 `json:"o,omitempty"`
	// Cont: Text goes on the previous line of this stream, delivered
	// before its end arrived ("Applying app.0001..." then " OK"); readers
	// show the two as one line.
	Cont bool `json:"c,omitempty"`
}

// ExitInfo is how a step attempt ended.
type ExitInfo struct {
	// Code is the exit code, or -1 when there is none (signal, unknown).
	Code   int    `json:"code"`
	Signal string `json:"signal,omitempty"`
	// Unknown is true when the exit status could not be learned; it is
	// never treated as success.
	Unknown  bool          `json:"unknown,omitempty"`
	TimedOut bool          `json:"timed_out,omitempty"`
	Canceled bool          `json:"canceled,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	// Error explains an Unknown or failed run from golive's side.
	Error string `json:"error,omitempty"`
}

// Verdict is the operator's judgement of a step.
type Verdict string

// Verdicts.
const (
	VerdictPassed        Verdict = "passed"
	VerdictFailed        Verdict = "failed"
	VerdictSkipped       Verdict = "skipped"
	VerdictNotApplicable Verdict = "not_applicable"
)

// SignOff is an operator's verdict on a step, with what it was based on.
type SignOff struct {
	Operator string    `json:"operator"`
	Time     time.Time `json:"time"`
	Verdict  Verdict   `json:"verdict"`
	Note     string    `json:"note,omitempty"`
	// Auto is true when golive signed off by itself (--yes).
	Auto bool `json:"auto,omitempty"`
	// Evidence is the last attempt's record; nil for manual steps and for
	// steps signed off without running.
	Evidence *Evidence `json:"evidence,omitempty"`
}

// Evidence is what a sign-off rests on.
type Evidence struct {
	Attempt  int           `json:"attempt"`
	Command  string        `json:"command"`
	ExitCode int           `json:"exit_code"`
	Signal   string        `json:"signal,omitempty"`
	Unknown  bool          `json:"unknown,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	// OutputSHA256 is the attempt's output digest, by the rule its start
	// names (StartInfo.OutputDigest): over its output records' hashes
	// (DigestRecords), or over each redacted line as "<stream> <text>\n"
	// in order (no rule named: older runs).
	OutputSHA256 string `json:"output_sha256"`
	OutputLines  int64  `json:"output_lines"`
	// ExpectationsMet is false when the run did not meet the step's
	// expectations; Failures says which.
	ExpectationsMet bool     `json:"expectations_met"`
	Failures        []string `json:"failures,omitempty"`
}
