package ui

// stepStatus is how the UI labels a step: the Session's status and verdict
// folded into one value with a glyph and a word, so that no status is
// shown by colour alone.
type stepStatus int

const (
	statusPending stepStatus = iota
	statusRunning
	statusAwaiting
	statusPassed
	statusFailed
	statusSkipped
	statusNA
	statusUnknown
	statusInterrupted
	statusBlocked
)

var statusLabels = map[stepStatus]struct{ glyph, word string }{
	statusPending:     {"○", "pending"},
	statusRunning:     {"●", "running"},
	statusAwaiting:    {"…", "awaiting sign-off"},
	statusPassed:      {"✓", "passed"},
	statusFailed:      {"✗", "failed"},
	statusSkipped:     {"-", "skipped"},
	statusNA:          {"–", "n/a"},
	statusUnknown:     {"?", "unknown"},
	statusInterrupted: {"⏸", "interrupted"},
	statusBlocked:     {"⊘", "blocked"},
}

// Glyph is the status's one-character symbol.
func (s stepStatus) Glyph() string { return statusLabels[s].glyph }

// String is the status's word.
func (s stepStatus) String() string { return statusLabels[s].word }

// Label is glyph and word together: "✓ passed".
func (s stepStatus) Label() string { return s.Glyph() + " " + s.String() }
