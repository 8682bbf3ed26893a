package runbook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
)

// The hash chain: how a record is checked, as read from a file
// (checkRecord, over the stored bytes) and as a decoded event
// (VerifyChain, over its canonical encoding).

// recordTail is how every record ends: the hash, then the closing brace.
const recordTail = len(`,"hash":"`) + sha256.Size*2 + len("\"}\n")

// checkRecord returns why the raw record rec (decoded as ev) is not a valid
// link after prev, or "". The hash is checked over the bytes as stored, so
// any change to a record is caught, even one that decodes to the same event
// (JSON keys match case-insensitively).
func checkRecord(rec []byte, ev *Event, seq int64, prev string) string {
	if ev.Seq != seq {
		return fmt.Sprintf("has seq %d, want %d (an event is missing, repeated or out of order)", ev.Seq, seq)
	}
	if ev.Prev != prev {
		return "prev does not match the hash of the event before (an event was removed, inserted or changed)"
	}
	n := len(rec) - recordTail
	if n < 1 || !bytes.HasPrefix(rec[n:], []byte(`,"hash":"`)) || !bytes.HasSuffix(rec, []byte("\"}\n")) ||
		string(rec[n+9:n+9+sha256.Size*2]) != ev.Hash {
		return "record does not end in its hash"
	}
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write(rec[:n])
	h.Write([]byte("}"))
	if hex.EncodeToString(h.Sum(nil)) != ev.Hash {
		return "hash does not match the content (the event was changed)"
	}
	return ""
}

// VerifyChain checks that events form an unbroken hash chain: seq counts up
// from 1 without gaps, each Prev is the Hash before it, and each Hash is
// the SHA-256 of Prev and the event's canonical encoding. The error is a
// *ChainError naming the first bad seq.
func VerifyChain(events []Event) error {
	prev := ""
	for i := range events {
		if reason := checkLink(&events[i], int64(i)+1, prev); reason != "" {
			return &ChainError{Seq: int64(i) + 1, Reason: reason}
		}
		prev = events[i].Hash
	}
	return nil
}

// checkLink returns why ev is not a valid link after prev, or "".
func checkLink(ev *Event, seq int64, prev string) string {
	if ev.Seq != seq {
		return fmt.Sprintf("has seq %d, want %d (an event is missing, repeated or out of order)", ev.Seq, seq)
	}
	if ev.Prev != prev {
		return "prev does not match the hash of the event before (an event was removed, inserted or changed)"
	}
	want, err := EventHash(*ev)
	if err != nil {
		return err.Error()
	}
	if ev.Hash != want {
		return "hash does not match the content (the event was changed)"
	}
	return ""
}

// EventHash returns the hex SHA-256 of ev.Prev followed by the canonical
// encoding of ev (its JSON with Hash empty).
func EventHash(ev Event) (string, error) {
	ev.Hash = ""
	if c, ok := appendOutputEvent(nil, &ev); ok { // the same bytes, faster
		return hashOf(ev.Prev, c), nil
	}
	c, err := json.Marshal(ev)
	if err != nil {
		return "", fmt.Errorf("encode event: %w", err)
	}
	return hashOf(ev.Prev, c), nil
}

// hashOf is a record's hash: SHA-256 of the previous record's hash and
// the record's canonical encoding, in hex.
func hashOf(prev string, canonical []byte) string {
	var scratch [2 * sha256.Size]byte
	return hashWith(sha256.New(), &scratch, prev, canonical)
}

// hashWith is hashOf with a digest to reuse and room for prev's bytes, so
// that hashing a record allocates nothing but the hex string.
func hashWith(h hash.Hash, scratch *[2 * sha256.Size]byte, prev string, canonical []byte) string {
	h.Reset()
	if len(prev) <= len(scratch) {
		h.Write(scratch[:copy(scratch[:], prev)])
	} else {
		h.Write([]byte(prev))
	}
	h.Write(canonical)
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// appendCanonical appends the canonical encoding of ev (Hash empty, no
// trailing newline) to dst. If encoding changed a string (invalid UTF-8
// becomes U+FFFD), ev is replaced by its decoded form and encoded again,
// so that the event Append returns hashes exactly as the one OpenJournal
// will read.
func (j *Journal) appendCanonical(dst []byte, ev *Event) ([]byte, error) {
	n0 := len(dst)
	var c []byte
	if out, ok, replaced := encodeOutputEvent(dst, ev); ok {
		if !replaced { // the encoder knows: no scan for \ufffd needed
			return out, nil
		}
		dst, c = out, out[n0:]
	} else {
		j.enc.Reset()
		if err := j.je.Encode(ev); err != nil {
			return dst, err
		}
		c = bytes.TrimSuffix(j.enc.Bytes(), []byte("\n"))
		if !bytes.Contains(c, []byte(`\ufffd`)) {
			return append(dst, c...), nil
		}
	}
	var back Event
	if err := json.Unmarshal(c, &back); err != nil {
		return dst[:n0], err
	}
	*ev = back
	j.enc.Reset()
	if err := j.je.Encode(ev); err != nil {
		return dst[:n0], err
	}
	return append(dst[:n0], bytes.TrimSuffix(j.enc.Bytes(), []byte("\n"))...), nil
}

// hash is hashOf with the journal's own digest, reused from record to
// record.
func (j *Journal) hash(prev string, canonical []byte) string {
	if j.digest == nil {
		j.digest = sha256.New()
	}
	return hashWith(j.digest, &j.prevBuf, prev, canonical)
}
