package runbook

import (
	"os"
	"strings"
	"testing"
)

// TestFormatDocExampleParses: the runbook that docs/runbook-format.md
// shows as its example is a valid runbook, so that an operator who copies
// it to start their own gets no errors from 'golive validate'. It named
// {{env_file}} and {{venv}} in its prelude without declaring them.
func TestFormatDocExampleParses(t *testing.T) {
	const doc = "../docs/runbook-format.md"
	data, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	start := strings.Index(text, "```yaml\n")
	if start < 0 {
		t.Fatalf("%s has no ```yaml example", doc)
	}
	text = text[start+len("```yaml\n"):]
	end := strings.Index(text, "```")
	if end < 0 {
		t.Fatalf("%s: the ```yaml example does not end", doc)
	}
	rb, err := Parse("runbook-format.md example", []byte(text[:end]))
	if err != nil {
		t.Fatalf("the example of %s does not validate:\n%v", doc, err)
	}
	if rb.StepCount() != 1 {
		t.Errorf("the example has %d steps, want its one step", rb.StepCount())
	}
}
