package runbook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnconfirmedFixture: testdata/unconfirmed is a run golive recorded
// before connection events had `unconfirmed` (golive 0986bc3's TUI,
// driven by its test harness: a fake host whose step sends the notices
// sshexec sends for a launch cut off before the host confirmed it, then
// started after the reconnect; exported with e). Its lost event says the
// job may or may not have started only in its detail's words. It still opens, replays, verifies and exports to
// the very bytes golive wrote then; its lost event reads as confirmed
// (Unconfirmed false), its detail as it was. A lost event that does have
// the field is covered by the hash chain like any other.
func TestUnconfirmedFixture(t *testing.T) {
	plan, src, tr := fixtureFiles(t, "unconfirmed")
	if bytes.Contains(src, []byte(`"unconfirmed"`)) || bytes.Contains(tr, []byte(`"unconfirmed"`)) {
		t.Fatal("the fixture, made before the field, has unconfirmed")
	}
	if rep := VerifyTranscript(tr); !rep.OK() {
		t.Fatalf("the fixture transcript does not verify: %+v", rep.Checks)
	}
	evs := openJournalCopy(t, src)
	s, err := Replay(plan, evs)
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, c := range s.Connections() {
		states = append(states, c.State)
	}
	if got := strings.Join(states, " "); got != "lost reconnecting restored restored" {
		t.Fatalf("connections %q, want lost reconnecting restored restored", got)
	}
	if lost := s.Connections()[0]; lost.Unconfirmed || !strings.Contains(lost.Detail, "it may or may not have started") {
		t.Fatalf("the old lost event replays as %+v", lost)
	}

	// Exported again: the same JSON and Markdown as golive wrote then.
	var js bytes.Buffer
	if err := s.WriteJSON(&js, evs); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(js.Bytes(), tr) {
		t.Errorf("the journal exports to a JSON transcript other than the one golive wrote from it:\n%s", js.Bytes())
	}
	want, err := os.ReadFile(filepath.Join("testdata", "unconfirmed", "transcript.md"))
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	sum := sha256.Sum256(tr)
	opts := TranscriptOptions{JSONDigest: hex.EncodeToString(sum[:]), JSONName: "golive-lost-launch-web1-20260102T030405Z.json"}
	if err := s.WriteMarkdown(&md, opts); err != nil {
		t.Fatal(err)
	}
	if md.String() != string(want) {
		t.Errorf("the journal exports to a Markdown transcript other than the one golive wrote from it:\n%s", md.String())
	}

	// The field, where it is, is in the chain: added to the old record,
	// the record no longer matches its hash.
	changed := bytes.Replace(src, []byte(`reconnecting"},"prev"`), []byte(`reconnecting","unconfirmed":true},"prev"`), 1)
	path := filepath.Join(t.TempDir(), JournalName)
	if err := os.WriteFile(path, changed, 0o600); err != nil || bytes.Equal(changed, src) {
		t.Fatalf("tampering failed: %v", err)
	}
	var ce *ChainError
	if _, _, err := OpenJournal(path); !errors.As(err, &ce) || ce.Line != 4 {
		t.Fatalf("OpenJournal of a lost event given unconfirmed = %v, want a chain error at line 4", err)
	}
}
