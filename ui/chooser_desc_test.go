package ui

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/charmbracelet/x/ansi"
)

// TestChooserShowsFirstSentence: a runbook's description is a YAML block
// wrapped at some width; the chooser shows its first sentence on one line
// (the whole of it in a wide terminal, cut with "…" in a narrow one), not
// its first line, which ends wherever the wrapping fell.
func TestChooserShowsFirstSentence(t *testing.T) {
	data, err := os.ReadFile("testdata/release.yaml")
	if err != nil {
		t.Fatal(err)
	}
	desc := "description: |\n  Releases the test app on one host:\n  the web service and its database. The second sentence stays out.\n"
	text := strings.Replace(string(data), "description: A small runbook for the UI tests.\n", desc, 1)
	if text == string(data) {
		t.Fatal("testdata/release.yaml has no description line to replace")
	}
	opts := testOpts(t, newFakeExec("web1"))
	opts.Runbooks = fstest.MapFS{"release.yaml": {Data: []byte(text)}}
	want := "Releases the test app on one host: the web service and its database."

	wide := screen(resize(New(opts), 300, 24))
	if !strings.Contains(wide, want) {
		t.Errorf("300 columns: the chooser does not show the first sentence %q:\n%s", want, wide)
	}
	if strings.Contains(wide, "second sentence") {
		t.Errorf("300 columns: the chooser shows more than the first sentence:\n%s", wide)
	}

	narrow := screen(resize(New(opts), 80, 24))
	var line string
	for _, l := range strings.Split(narrow, "\n") {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("80 columns: a line of %d cells: %q", w, l)
		}
		if strings.Contains(l, "Releases the test app") {
			line = l
		}
	}
	if !strings.HasSuffix(line, "…") || !strings.Contains(line, "on one host: the") {
		t.Errorf("80 columns: the description line %q does not run on past the YAML's first line and end cut with …", line)
	}
}
