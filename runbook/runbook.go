// Package runbook knows what a release is: the runbook file format and its
// validation, the rendering of step commands from variables, the Session
// state machine that records one run as an ordered list of events, the
// journal that persists those events, and the transcript export.
//
// It knows nothing of SSH or terminals: commands are strings, output is
// lines, and the caller (package ui) decides where they run and how they are
// shown.
package runbook

import "time"

// Kind says where a step's command runs.
type Kind string

// Step kinds.
const (
	// KindRemote runs the command on the release host (over SSH, or on the
	// local machine with --host local), after the runbook's prelude.
	KindRemote Kind = "remote"
	// KindLocal runs the command on the operator's machine, for checks that
	// must come from outside the server (a curl against the public URL).
	KindLocal Kind = "local"
	// KindManual has no command: the operator works through its checklist
	// and signs off.
	KindManual Kind = "manual"
)

// Risk grades what a step can break. A high-risk step needs a typed
// confirmation before it runs, and a failed one blocks the steps after it.
type Risk string

// Risk levels.
const (
	RiskLow    Risk = "low"
	RiskMedium Risk = "medium"
	RiskHigh   Risk = "high"
)

// Runbook is a parsed, validated runbook file. It never changes after
// Parse returns it.
type Runbook struct {
	ID          string
	Title       string
	Description string
	Version     string
	// Prelude is prepended to every remote step's command (unless the step
	// sets prelude: false): it puts the shell where an operator would be by
	// hand, as the deploy user, in the app directory, environment loaded,
	// virtualenv active.
	Prelude   string
	Variables []Variable
	Sections  []Section

	// File is the name the runbook was parsed from (for messages), and Hash
	// the hex SHA-256 of its bytes: a resumed run refuses a changed runbook.
	File string
	Hash string
}

// Variable is a named value substituted into commands as {{name}}.
type Variable struct {
	Name        string
	Description string
	Default     string
	Required    bool
	// Secret values are never shown, journaled or exported; the redactor
	// masks them wherever they appear.
	Secret bool
	// Pattern, when set, is a regular expression the whole value must match.
	Pattern string
	// Line is where the variable is declared in the file.
	Line int
}

// Section groups steps under a heading, in order.
type Section struct {
	ID    string
	Title string
	Steps []Step
	Line  int
}

// Step is one check or action of the runbook.
type Step struct {
	ID    string
	Title string
	// Why is one or two lines of rationale shown with the step.
	Why  string
	Kind Kind
	// Command is the shell text with {{var}} placeholders; empty for manual
	// steps.
	Command string
	// Checklist lists what the operator confirms by hand (manual steps; it
	// may also accompany a command).
	Checklist []string
	// Sudo runs the command through sudo (non-interactive unless the
	// operator gave a password).
	Sudo bool
	// NoPrelude skips the runbook prelude for this step.
	NoPrelude bool
	Expect    Expect
	Risk      Risk
	// Rollback says what to do if the step fails or must be undone.
	Rollback string
	// Timeout bounds the step's run; zero means the default (10 minutes).
	Timeout time.Duration
	// When is a condition over variables; the step is not applicable when
	// it is false. Empty means always.
	When string
	// Line is where the step starts in the file.
	Line int
}

// Expect is what a step's run must show to pass.
type Expect struct {
	// Exit lists the accepted exit codes; empty means {0}.
	Exit []int
	// Match lists regular expressions that must each match at least one
	// output line (stdout or stderr).
	Match []string
	// NotMatch lists regular expressions that must match no output line.
	NotMatch []string
}

// DefaultTimeout applies to steps that set none.
const DefaultTimeout = 10 * time.Minute

// Steps returns every step in runbook order, with the section each belongs to.
func (r *Runbook) Steps() []SectionStep {
	var out []SectionStep
	for si := range r.Sections {
		for i := range r.Sections[si].Steps {
			out = append(out, SectionStep{Section: &r.Sections[si], Step: &r.Sections[si].Steps[i]})
		}
	}
	return out
}

// SectionStep is a step with its section.
type SectionStep struct {
	Section *Section
	Step    *Step
}

// Step returns the step with the given id, or nil.
func (r *Runbook) Step(id string) *Step {
	for si := range r.Sections {
		for i := range r.Sections[si].Steps {
			if r.Sections[si].Steps[i].ID == id {
				return &r.Sections[si].Steps[i]
			}
		}
	}
	return nil
}

// Variable returns the declared variable with the given name, or nil.
func (r *Runbook) Variable(name string) *Variable {
	for i := range r.Variables {
		if r.Variables[i].Name == name {
			return &r.Variables[i]
		}
	}
	return nil
}
