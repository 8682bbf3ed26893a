package runbook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
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

func hashOf(prev string, canonical []byte) string {
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write(canonical)
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}
