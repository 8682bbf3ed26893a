package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"golive/runbook"
	"golive/sshexec"
)

const verifyUsage = `Usage: golive verify TRANSCRIPT.json [--signers FILE] [--principal NAME]

Verify a golive transcript and its signature (TRANSCRIPT.json.sig):

  signature    the SSHSIG signature (namespace golive-transcript) matches
               the file byte for byte; with --signers, the key is listed in
               that OpenSSH allowed_signers file (for --principal, if given)
  hash chain   the events are numbered from 1 without gaps and each carries
               the hash of the one before
  consistency  replaying the events gives exactly the steps, verdict and
               progress the transcript states
  evidence     every sign-off of a step that ran carries the command, exit
               code and output digest of its attempt, and they match the
               recorded output

Prints one line per check and a verdict. Exits 0 when every check passes,
1 when one fails, 2 on a usage error.

Without golive, the signature alone checks with OpenSSH:
  ssh-keygen -Y verify -f allowed_signers -I PRINCIPAL -n golive-transcript \
    -s TRANSCRIPT.json.sig < TRANSCRIPT.json

Flags:
`

func cmdVerify(args []string, stdout, stderr io.Writer) int {
	fset := newFlagSet("golive verify")
	signers := fset.String("signers", "", "OpenSSH allowed_signers `FILE` the signer must be listed in")
	principal := fset.String("principal", "", "`NAME` the signer must be listed as (needs --signers)")
	sigPath := fset.String("sig", "", "signature `FILE` (default: TRANSCRIPT.json.sig)")
	pos, code := parseFlags(fset, args, verifyUsage, stdout, stderr)
	if code >= 0 {
		return code
	}
	switch {
	case len(pos) != 1:
		fmt.Fprintln(stderr, "golive verify: give exactly one transcript, e.g. golive verify release.json --signers allowed_signers")
		return 2
	case *principal != "" && *signers == "":
		fmt.Fprintln(stderr, "golive verify: --principal needs --signers FILE (the allowed_signers file that lists the principal)")
		return 2
	}
	path := pos[0]
	if *sigPath == "" {
		*sigPath = path + ".sig"
	}
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "golive verify: %v; give the .json transcript an export wrote (golive-RUNBOOK-HOST-TIME.json, with its .json.sig beside it)\n", err)
		return 2
	}

	sigCheck, signersBad := verifySignature(data, *sigPath, *signers, *principal)
	rep := runbook.VerifyTranscript(data)
	if c := &rep.Checks[0]; !c.OK { // it could not be read: say which file
		c.Detail = path + ": " + c.Detail
	}
	rep.Checks = append([]runbook.Check{sigCheck}, rep.Checks...)

	fmt.Fprintf(stdout, "Transcript %s\n", path)
	if t := rep.Transcript; t != nil {
		fmt.Fprintf(stdout, "  run %s: %s on %s by %s, verdict %s, %d of %d steps settled\n",
			t.Run.ID, t.Run.Title, t.Run.Host, t.Run.Operator, t.Verdict, t.SignedOff, t.Total)
		if t.Run.Auto {
			fmt.Fprintln(stdout, "  note: sign-offs were given automatically (--yes); no person judged the steps")
		}
		if t.Ended == nil {
			fmt.Fprintln(stdout, "  note: the run was exported before it finished")
		}
	}
	failed, contentFailed := 0, false
	for _, c := range rep.Checks {
		mark := "✓"
		if !c.OK {
			mark = "✗"
			failed++
			contentFailed = contentFailed || c.Name != sigCheck.Name
		}
		fmt.Fprintf(stdout, "%s %-12s %s\n", mark, c.Name, c.Detail)
		if len(c.Findings) > 1 {
			for _, f := range c.Findings {
				fmt.Fprintf(stdout, "    - %s\n", f)
			}
		}
	}
	switch {
	case failed > 0:
		if signersBad && !contentFailed {
			// The transcript is intact; the reviewer's trust list is not.
			fmt.Fprintf(stdout, "NOT VERIFIED: the signature was not checked, for the file given to --signers cannot be used; "+
				"fix %s, or give an allowed_signers file of the keys you trust (from a source you trust, not from where the transcript came), "+
				"and verify again\n", *signers)
			return 1
		}
		fmt.Fprintf(stdout, "NOT VERIFIED: %d of %d checks failed; do not rely on %s: %s\n", failed, len(rep.Checks), path, notVerifiedAdvice(rep, contentFailed))
		return 1
	case *signers == "":
		fmt.Fprintln(stdout, "VERIFIED, except who signed: the signature is valid but its key was not checked against a trust list; pass --signers FILE")
	default:
		fmt.Fprintln(stdout, "VERIFIED: signed by a trusted key, intact and consistent")
	}
	return 0
}

// notVerifiedAdvice says what a reviewer can do about a transcript that
// failed: get the file golive wrote again (from the operator, or from the
// run's journal), or its signature and the signer's key.
func notVerifiedAdvice(rep *runbook.VerifyReport, contentFailed bool) string {
	if !contentFailed {
		return "get it with its .sig as golive wrote them, and list the operator's key in the file you pass to --signers"
	}
	run := "RUNID"
	if rep.Transcript != nil && rep.Transcript.Run.ID != "" {
		run = rep.Transcript.Run.ID
	}
	return fmt.Sprintf("it is not what golive wrote, or was changed since; ask the operator for the file golive wrote, or for one written again from the run's journal with 'golive export %s'", run)
}

// verifySignature checks the signature file against the transcript bytes,
// and against the allowed_signers file when one is given. signersBad says
// the check failed because that file cannot be read or parsed: the fault
// is in the reviewer's input, not the transcript.
func verifySignature(data []byte, sigPath, signersPath, principal string) (c runbook.Check, signersBad bool) {
	c = runbook.Check{Name: "signature"}
	sig, err := os.ReadFile(sigPath)
	if errors.Is(err, fs.ErrNotExist) {
		c.Detail = fmt.Sprintf("no signature file %s: the transcript is unsigned or the .sig was not copied with it", sigPath)
		return c, false
	}
	if err != nil {
		c.Detail = err.Error()
		return c, false
	}
	if signersPath == "" {
		fp, err := sshexec.VerifyTranscriptSignature(data, sig, nil, "")
		if err != nil {
			c.Detail = runbook.FailureDetail(c.Name, err)
			return c, false
		}
		c.OK = true
		c.Detail = fmt.Sprintf("cryptographically valid, key %s; the signer was NOT checked against a trust list (no --signers)", fp)
		return c, false
	}
	signers, err := os.ReadFile(signersPath)
	if err != nil {
		c.Detail = fmt.Sprintf("--signers: %v; give an allowed_signers file that lists the keys you trust (the export writes one beside the transcript: take it from a source you trust, not from where the transcript came)", err)
		return c, true
	}
	if _, err := sshexec.ParseAllowedSigners(bytes.NewReader(signers), signersPath); err != nil {
		c.Detail = runbook.FailureDetail(c.Name, err) // it names the file and line
		return c, true
	}
	fp, err := sshexec.VerifyTranscriptSignature(data, sig, namedReader{bytes.NewReader(signers), signersPath}, principal)
	if err != nil {
		c.Detail = runbook.FailureDetail(c.Name, err)
		return c, false
	}
	c.OK = true
	who := principal
	if who == "" {
		who = strings.Join(principalsOf(signers, signersPath, fp), " / ")
	}
	c.Detail = fmt.Sprintf("valid, key %s, listed in %s as %s", fp, signersPath, who)
	return c, false
}

// principalsOf lists the principals the allowed_signers file gives the key.
func principalsOf(signers []byte, name, fp string) []string {
	as, err := sshexec.ParseAllowedSigners(bytes.NewReader(signers), name)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range as.Entries {
		if !e.CertAuthority && sshexec.Fingerprint(e.Key) == fp {
			out = append(out, e.Principals)
		}
	}
	return out
}

// namedReader gives a reader a file name for error messages.
type namedReader struct {
	io.Reader
	name string
}

func (n namedReader) Name() string { return n.name }
