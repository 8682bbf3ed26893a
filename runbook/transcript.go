package runbook

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"time"
)

// TranscriptFormat names the JSON transcript's format and version.
const TranscriptFormat = "golive-transcript/1"

// Transcript is the JSON transcript of a run (docs/transcript.md). Events
// is the source of truth; the rest is derived from it, so that a reviewer
// can read the transcript without replaying it and a verifier can check
// that the two agree (CheckConsistency).
type Transcript struct {
	Format    string     `json:"format"`
	Run       RunInfo    `json:"run"`
	Started   time.Time  `json:"started"`
	Ended     *time.Time `json:"ended,omitempty"`
	Verdict   RunVerdict `json:"verdict"`
	SignedOff int        `json:"signed_off"`
	Total     int        `json:"total"`
	// Variables lists the runbook's declared variables (names and whether
	// secret; the values are in Run.Vars, secrets masked).
	Variables []TranscriptVar  `json:"variables"`
	Steps     []TranscriptStep `json:"steps"`
	Events    []Event          `json:"events"`
}

// TranscriptVar is a declared variable of the runbook.
type TranscriptVar struct {
	Name   string `json:"name"`
	Secret bool   `json:"secret,omitempty"`
}

// TranscriptStep is one step of the runbook and how the run left it.
type TranscriptStep struct {
	ID           string `json:"id"`
	Section      string `json:"section"`
	SectionTitle string `json:"section_title"`
	Title        string `json:"title"`
	Kind         Kind   `json:"kind"`
	Risk         Risk   `json:"risk"`
	Applicable   bool   `json:"applicable"`
	// Reason says why a step is not applicable.
	Reason string `json:"reason,omitempty"`
	// Command is the step's script as planned, secrets masked.
	Command string `json:"command,omitempty"`
	// Sudo is true when the command runs through sudo, as root (sudo: true
	// in the runbook); each attempt's start says so too (StartInfo.RunAs).
	Sudo      bool             `json:"sudo,omitempty"`
	Checklist []string         `json:"checklist,omitempty"`
	Expect    TranscriptExpect `json:"expect"`
	// RollbackAdvice is the runbook's rollback text for the step.
	RollbackAdvice string `json:"rollback_advice,omitempty"`

	Status  Status   `json:"status"`
	Verdict Verdict  `json:"verdict,omitempty"`
	SignOff *SignOff `json:"sign_off,omitempty"`
	// EarlierSignOffs lists, in order, the sign-offs before the current
	// one: a step retried after it was signed off failed has some.
	EarlierSignOffs []SignOff           `json:"earlier_sign_offs,omitempty"`
	RollbackChosen  bool                `json:"rollback_chosen,omitempty"`
	RollbackNote    string              `json:"rollback_note,omitempty"`
	Notes           []TranscriptNote    `json:"notes,omitempty"`
	Attempts        []TranscriptAttempt `json:"attempts,omitempty"`
}

// TranscriptExpect is a step's expectations.
type TranscriptExpect struct {
	Exit     []int    `json:"exit"`
	Match    []string `json:"match,omitempty"`
	NotMatch []string `json:"not_match,omitempty"`
}

// TranscriptNote is a note with its time.
type TranscriptNote struct {
	Time time.Time `json:"time"`
	Text string    `json:"text"`
}

// TranscriptAttempt is one run of a step. The output itself is in the
// step.output events; OutputSHA256 digests it.
type TranscriptAttempt struct {
	N               int         `json:"n"`
	Start           StartInfo   `json:"start"`
	Started         time.Time   `json:"started"`
	Resumed         []time.Time `json:"resumed,omitempty"`
	Launched        *time.Time  `json:"launched,omitempty"`
	Interrupted     bool        `json:"interrupted,omitempty"`
	InterruptNote   string      `json:"interrupt_note,omitempty"`
	Exit            *ExitInfo   `json:"exit,omitempty"`
	Ended           *time.Time  `json:"ended,omitempty"`
	OutputLines     int64       `json:"output_lines"`
	OutputSHA256    string      `json:"output_sha256"`
	ExpectationsMet bool        `json:"expectations_met"`
	Failures        []string    `json:"failures,omitempty"`
}

// transcriptOf builds the derived part of a transcript from a session.
func transcriptOf(s *Session) *Transcript {
	t := &Transcript{
		Format:  TranscriptFormat,
		Run:     s.Info(),
		Started: s.Started(),
		Verdict: s.Verdict(),
		Steps:   []TranscriptStep{},
	}
	if !s.Ended().IsZero() {
		e := s.Ended()
		t.Ended = &e
	}
	t.SignedOff, t.Total = s.Progress()
	t.Variables = []TranscriptVar{}
	for _, v := range s.plan.Runbook.Variables {
		t.Variables = append(t.Variables, TranscriptVar{Name: v.Name, Secret: v.Secret})
	}
	for _, r := range s.steps {
		t.Steps = append(t.Steps, transcriptStep(r.ps, s.Step(r.ps.Step.ID)))
	}
	return t
}

func transcriptStep(ps *PlannedStep, st StepState) TranscriptStep {
	step := ps.Step
	ts := TranscriptStep{
		ID: step.ID, Title: step.Title, Kind: step.Kind, Risk: step.Risk,
		Applicable: ps.Applicable, Reason: ps.Reason, Command: ps.Display, Sudo: step.Sudo,
		Checklist:      step.Checklist,
		RollbackAdvice: step.Rollback,
		Expect:         TranscriptExpect{Exit: step.Expect.Exit, Match: step.Expect.Match, NotMatch: step.Expect.NotMatch},
		Status:         st.Status, Verdict: st.Verdict, SignOff: st.SignOff, EarlierSignOffs: st.SignOffs,
		RollbackChosen: st.Rollback, RollbackNote: st.RollbackNote,
	}
	if st.SignOff != nil {
		ts.EarlierSignOffs = st.SignOffs[:len(st.SignOffs)-1]
	}
	if ts.Expect.Exit == nil {
		ts.Expect.Exit = []int{0}
	}
	if ps.Section != nil {
		ts.Section, ts.SectionTitle = ps.Section.ID, ps.Section.Title
	}
	for _, n := range st.Notes {
		ts.Notes = append(ts.Notes, TranscriptNote(n))
	}
	for _, a := range st.Attempts {
		ta := TranscriptAttempt{
			N: a.N, Start: a.Start, Started: a.Started, Resumed: a.Resumed,
			Interrupted: a.Interrupted, InterruptNote: a.InterruptNote, Exit: a.Exit,
			OutputLines: a.OutputLines, OutputSHA256: a.OutputSHA256,
			ExpectationsMet: a.ExpectationsMet, Failures: a.Failures,
		}
		if !a.Ended.IsZero() {
			e := a.Ended
			ta.Ended = &e
		}
		if !a.Launched.IsZero() {
			l := a.Launched
			ta.Launched = &l
		}
		ts.Attempts = append(ts.Attempts, ta)
	}
	return ts
}

// ReadTranscript parses a JSON transcript. It checks the format name and
// that the transcript is one JSON object; it does not check the events
// (CheckConsistency does, the journal's verifier checks the hash chain).
func ReadTranscript(r io.Reader) (*Transcript, error) {
	dec := json.NewDecoder(r)
	var t Transcript
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("runbook: read transcript: %w%s", err, readHint(err))
	}
	if dec.More() {
		return nil, fmt.Errorf("runbook: read transcript: data after the transcript object%s", damagedHint)
	}
	if t.Format != TranscriptFormat {
		return nil, fmt.Errorf("runbook: read transcript: format %q, want %q%s", t.Format, TranscriptFormat, damagedHint)
	}
	return &t, nil
}

// damagedHint is what to do about a transcript that is JSON but not as
// golive writes it.
const damagedHint = "; the file is damaged or was edited: give the .json file golive wrote, or write it again with 'golive export RUNID'"

// readHint says what a transcript that does not decode most likely is,
// and what to give instead.
func readHint(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return "; the file is empty: give the .json transcript golive wrote"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "; the file ends in the middle of the transcript (cut short, as by a copy that stopped): copy it again, or write it again with 'golive export RUNID'"
	case errors.As(err, &syntax) && syntax.Offset <= 1, errors.As(err, &typ) && typ.Field == "":
		return "; this is no JSON transcript: give the .json file golive wrote (not the .md)"
	}
	return damagedHint
}

// Plan rebuilds, from the transcript alone, the plan its events were
// recorded against: enough of the runbook (ids, kinds, risks, sudo,
// conditions' outcomes, expectations, declared variables) to replay the
// events without the runbook file.
func (t *Transcript) Plan() *Plan {
	rb := &Runbook{ID: t.Run.RunbookID, Title: t.Run.Title, File: t.Run.RunbookFile, Hash: t.Run.RunbookHash}
	for _, v := range t.Variables {
		rb.Variables = append(rb.Variables, Variable{Name: v.Name, Secret: v.Secret})
	}
	// Sections first, so that the step pointers below stay valid.
	index := map[string]int{}
	for _, ts := range t.Steps {
		if _, ok := index[ts.Section]; !ok {
			index[ts.Section] = len(rb.Sections)
			rb.Sections = append(rb.Sections, Section{ID: ts.Section, Title: ts.SectionTitle})
		}
		sec := &rb.Sections[index[ts.Section]]
		sec.Steps = append(sec.Steps, Step{
			ID: ts.ID, Title: ts.Title, Kind: ts.Kind, Risk: ts.Risk, Command: ts.Command, Sudo: ts.Sudo,
			Checklist: ts.Checklist, Rollback: ts.RollbackAdvice,
			Expect: Expect{Exit: ts.Expect.Exit, Match: ts.Expect.Match, NotMatch: ts.Expect.NotMatch},
		})
	}
	p := &Plan{Runbook: rb, Vars: t.Run.Vars}
	applicable := map[string]TranscriptStep{}
	for _, ts := range t.Steps {
		applicable[ts.ID] = ts
	}
	for _, ss := range rb.Steps() {
		ts := applicable[ss.Step.ID]
		p.Steps = append(p.Steps, PlannedStep{Section: ss.Section, Step: ss.Step, Applicable: ts.Applicable,
			Reason: ts.Reason, Display: ts.Command})
	}
	return p
}

// Replay rebuilds the session from the transcript's events, against the
// plan the transcript describes.
func (t *Transcript) Replay() (*Session, error) {
	return Replay(t.Plan(), t.Events)
}

// CheckConsistency replays the events and checks that the run, verdict,
// times and every step the transcript states are exactly what the events
// say, and that every signed-off step that ran carries its evidence. It
// returns the first disagreement, naming the step.
func (t *Transcript) CheckConsistency() error {
	if len(t.Events) == 0 || t.Events[0].Type != EvRunStarted {
		return fmt.Errorf("runbook: transcript: the events do not start with %s", EvRunStarted)
	}
	s, err := t.Replay()
	if err != nil {
		return fmt.Errorf("runbook: transcript: %w", err)
	}
	want := transcriptOf(s)
	if len(want.Steps) != len(t.Steps) {
		return fmt.Errorf("runbook: transcript: %d steps stated, %d replayed", len(t.Steps), len(want.Steps))
	}
	for i := range want.Steps {
		got, w := t.Steps[i], want.Steps[i]
		got = withLegacyFailures(got, w) // an older golive's wording (wording.go)
		if !reflect.DeepEqual(normalize(got), normalize(w)) {
			return fmt.Errorf("runbook: transcript: step %q does not match its events", w.ID)
		}
		if w.SignOff != nil && len(w.Attempts) > 0 && w.SignOff.Evidence == nil {
			return fmt.Errorf("runbook: transcript: step %q is signed off without evidence", w.ID)
		}
	}
	switch {
	case !reflect.DeepEqual(normalizeRun(t.Run), normalizeRun(want.Run)):
		return fmt.Errorf("runbook: transcript: run information does not match the events")
	case t.Verdict != want.Verdict:
		return fmt.Errorf("runbook: transcript: verdict %q stated, the events say %q", t.Verdict, want.Verdict)
	case !t.Started.Equal(want.Started) || !sameTime(t.Ended, want.Ended):
		return fmt.Errorf("runbook: transcript: start or end time does not match the events")
	case t.SignedOff != want.SignedOff || t.Total != want.Total:
		return fmt.Errorf("runbook: transcript: progress %d/%d stated, the events say %d/%d", t.SignedOff, t.Total, want.SignedOff, want.Total)
	}
	return nil
}

// normalize passes a step through JSON so that nil and empty slices and
// time locations compare equal.
func normalize(ts TranscriptStep) string {
	b, _ := json.Marshal(ts)
	return string(b)
}

func normalizeRun(r RunInfo) string {
	b, _ := json.Marshal(r)
	return string(b)
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
