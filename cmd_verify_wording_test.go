package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyFailureReadsOnce: a failed check's line says what is wrong
// once, without the library's prefixes repeated ("runbook: transcript:
// runbook: ..."), and the verdict names the file and what to do.
func TestVerifyFailureReadsOnce(t *testing.T) {
	data := recordRun(t, 1)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	lineOf := func(out, prefix string) string {
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, prefix) {
				return l
			}
		}
		return ""
	}
	export := "do not rely on %s: it is not what golive wrote, or was changed since; ask the operator for the file golive wrote, or for one written again from the run's journal with 'golive export %s'"
	cases := []struct {
		name       string
		data       []byte
		check      string // the failed check's line, exactly
		run, tally string
	}{
		{"other-runbook.json", bytes.Replace(data, []byte(`"runbook_id": "mini"`), []byte(`"runbook_id": "lini"`), 1),
			`✗ consistency  event seq 1 (line 104), run.started, does not fit the run: the runbook changed since the run began: the run is of runbook "mini", not "lini". ` +
				`golive never writes such a transcript: it was edited after golive wrote it (the hashes computed again), or a broken build of golive wrote it; ` +
				`ask the operator for the run's journal, or for the transcript written again from it with 'golive export mini-1'`,
			"mini-1", "2 of 5"},
		{"verdict.json", bytes.Replace(data, []byte(`"verdict": "passed",
  "signed_off"`), []byte(`"verdict": "failed",
  "signed_off"`), 1),
			`✗ consistency  verdict "failed" stated, the events say "passed"`, "mini-1", "2 of 5"},
		{"seq.json", bytes.Replace(data, []byte(`"seq": 2,`), []byte(`"seq": 3,`), 1),
			`✗ hash chain   event seq 2: has seq 3, want 2 (an event is missing, repeated or out of order)`, "mini-1", "2 of 5"},
		{"time.json", bytes.Replace(data, []byte(`"started": "2026-03-14T09:00:01Z"`), []byte(`"started": "2026-13-14T09:00:01Z"`), 1),
			`✗ transcript   DIR/time.json: parsing time "2026-13-14T09:00:01Z": month out of range; the file is damaged or was edited: give the .json file golive wrote, or write it again with 'golive export RUNID'`,
			"RUNID", "2 of 2"},
	}
	for _, c := range cases {
		if bytes.Equal(c.data, data) {
			t.Fatalf("%s: the change did not apply", c.name)
		}
		path := write(c.name, c.data)
		code, out := verifyCmd(path)
		want := strings.ReplaceAll(c.check, "DIR/", dir+"/")
		if got := lineOf(out, c.check[:len("✗ consistency ")]); code != 1 || got != want {
			t.Errorf("%s: exit %d, line\n%s\nwant\n%s\nall:\n%s", c.name, code, got, want, out)
		}
		if strings.Count(out, "runbook: ") > 0 || strings.Contains(out, "hash chain: ") {
			t.Errorf("%s: a prefix is repeated:\n%s", c.name, out)
		}
		verdict := "NOT VERIFIED: " + c.tally + " checks failed; " + strings.ReplaceAll(strings.Replace(export, "%s", path, 1), "%s", c.run)
		if got := lineOf(out, "NOT VERIFIED"); got != verdict {
			t.Errorf("%s: verdict\n%s\nwant\n%s", c.name, got, verdict)
		}
	}
	// A transcript intact but unsigned: the advice is about the signature.
	path := write("unsigned.json", data)
	_, out := verifyCmd(path)
	want := "NOT VERIFIED: 1 of 5 checks failed; do not rely on " + path +
		": get it with its .sig as golive wrote them, and list the operator's key in the file you pass to --signers"
	if got := lineOf(out, "NOT VERIFIED"); got != want {
		t.Errorf("unsigned: verdict\n%s\nwant\n%s", got, want)
	}
	// The signature's own errors do not repeat the check's name either.
	f := signed(t, data)
	os.WriteFile(f.transcript, append(bytes.Clone(data), ' '), 0o600)
	_, out = verifyCmd(f.transcript)
	if got := lineOf(out, "✗ signature"); !strings.HasPrefix(got, "✗ signature    does not match the transcript (changed after signing") {
		t.Errorf("signature line: %s\n%s", got, out)
	}
}

// TestVerifyUnreadableSaysWhatToGive: a transcript path that is missing or
// a directory (a reviewer gave the export's directory) is refused with
// exit 2, naming the path and saying which file to give.
func TestVerifyUnreadableSaysWhatToGive(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{filepath.Join(dir, "nosuch.json"), dir} {
		var out, errOut bytes.Buffer
		code := cmdVerify([]string{p}, &out, &errOut)
		msg := errOut.String()
		if code != 2 || !strings.Contains(msg, p) || !strings.Contains(msg, "give the .json transcript") {
			t.Errorf("verify %s: exit %d, stderr %q; want 2 naming it and saying which file to give", p, code, msg)
		}
	}
}

// TestVerifyBadSignersFileBlamesTheFile: an allowed_signers file that
// cannot be parsed fails the signature check naming its file and line,
// and the verdict says the signature was not checked and to fix that
// file, not that the (intact) transcript is not what golive wrote and to
// get it again; nor to trust the allowed_signers that came with the
// transcript, which whoever edited the transcript could have written.
func TestVerifyBadSignersFileBlamesTheFile(t *testing.T) {
	f := signed(t, recordRun(t, 1))
	bad := filepath.Join(t.TempDir(), "signers")
	if err := os.WriteFile(bad, []byte("ana@example.com ssh-ed25519 notbase64\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := verifyCmd(f.transcript, "--signers", bad)
	if code != 1 || !strings.Contains(out, "✗ signature    ") || !strings.Contains(out, bad+":1") {
		t.Errorf("exit %d, want 1 and the signature check naming %s:1:\n%s", code, bad, out)
	}
	want := "NOT VERIFIED: the signature was not checked, for the file given to --signers cannot be used; fix " + bad +
		", or give an allowed_signers file of the keys you trust (from a source you trust, not from where the transcript came), and verify again"
	if !strings.Contains(out, want+"\n") || strings.Contains(out, "do not rely on") {
		t.Errorf("verdict:\n%s\nwant:\n%s", out, want)
	}
}
