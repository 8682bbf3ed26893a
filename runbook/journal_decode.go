package runbook

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// Reading a journal back (resume, export) decoded every output record with
// encoding/json, which scans each record twice (once to validate, once to
// decode) at about 30 ms per MB of output. decodeOutput reads an output
// record in the runs format, as the journal writes it, directly. It is
// strict: anything else (another event type, the first format, fields in
// another order, escapes it does not handle) makes it report false, and the
// caller decodes with encoding/json, which gives the same event or the
// error. TestDecodeOutputMatchesJSON holds the two to the same result.

// outputReader walks one record.
type outputReader struct {
	b   []byte
	i   int
	bad bool
}

// lit consumes s or marks the record as not for this reader.
func (r *outputReader) lit(s string) {
	if !r.skip(s) {
		r.bad = true
	}
}

// peek reports whether s comes next, without consuming it.
func (r *outputReader) peek(s string) bool {
	return !r.bad && bytes.HasPrefix(r.b[r.i:], []byte(s))
}

// skip consumes s when it comes next (an optional field), and reports
// whether it did.
func (r *outputReader) skip(s string) bool {
	if !r.peek(s) {
		return false
	}
	r.i += len(s)
	return true
}

// str reads a JSON string. Plain strings (no escape, valid UTF-8) are
// taken as they are; others are unquoted by encoding/json.
func (r *outputReader) str() string {
	if r.bad || r.i >= len(r.b) || r.b[r.i] != '"' {
		r.bad = true
		return ""
	}
	start := r.i + 1
	plain := true
	for k := start; k < len(r.b); k++ {
		switch c := r.b[k]; {
		case c == '"':
			r.i = k + 1
			tok := r.b[start:k]
			if plain && utf8.Valid(tok) {
				return string(tok)
			}
			var s string
			if json.Unmarshal(r.b[start-1:k+1], &s) != nil {
				r.bad = true
			}
			return s
		case c == '\\':
			plain = false
			k++ // the escaped byte cannot end the string
		case c < 0x20:
			r.bad = true // invalid JSON: let encoding/json say so
			return ""
		}
	}
	r.bad = true
	return ""
}

// int reads a JSON integer that fits an int64.
func (r *outputReader) int() int64 {
	if r.bad {
		return 0
	}
	k := r.i
	if k < len(r.b) && r.b[k] == '-' {
		k++
	}
	d := k
	for k < len(r.b) && r.b[k] >= '0' && r.b[k] <= '9' {
		k++
	}
	// JSON has no leading zeros; fractions and exponents go to json.
	if k == d || (r.b[d] == '0' && k > d+1) || (k < len(r.b) && (r.b[k] == '.' || r.b[k] == 'e' || r.b[k] == 'E')) {
		r.bad = true
		return 0
	}
	n, err := strconv.ParseInt(string(r.b[r.i:k]), 10, 64)
	if err != nil {
		r.bad = true
		return 0
	}
	r.i = k
	return n
}

// time reads a JSON time as time.Time.UnmarshalJSON does.
func (r *outputReader) time() time.Time {
	if r.bad {
		return time.Time{}
	}
	start := r.i
	r.str()
	var t time.Time
	if r.bad || t.UnmarshalJSON(r.b[start:r.i]) != nil {
		r.bad = true
	}
	return t
}

// decodeOutput decodes rec when it is an output record in the runs
// format, and reports whether it was.
func decodeOutput(rec []byte, ev *Event) bool {
	if !bytes.Contains(rec[:min(len(rec), 160)], []byte(`"type":"step.output"`)) {
		return false
	}
	r := &outputReader{b: bytes.TrimRight(rec, " \t\r\n")}
	var e Event
	r.lit(`{"seq":`)
	e.Seq = r.int()
	r.lit(`,"time":`)
	e.Time = r.time()
	r.lit(`,"type":"step.output"`)
	e.Type = EvOutput
	if r.skip(`,"step":`) {
		e.Step = r.str()
	}
	if r.skip(`,"attempt":`) {
		a := r.int()
		if int64(int(a)) != a {
			r.bad = true
		}
		e.Attempt = int(a)
	}
	r.lit(`,"out":[`)
	var lines []OutputLine
	for first := true; !r.bad && !r.peek("]"); first = false {
		if !first {
			r.lit(",")
		}
		r.lit(`{"s":`)
		s := Stream(r.str())
		r.lit(`,"t":`)
		t := r.time()
		var off int64
		if r.skip(`,"o":`) {
			off = r.int()
		}
		cont := r.skip(`,"c":true`)
		r.lit(`,"x":[`)
		start := len(lines)
		for !r.bad && !r.peek("]") {
			if len(lines) > start {
				r.lit(",")
			}
			lines = append(lines, OutputLine{Time: t, Stream: s, Text: r.str()})
		}
		r.lit("]}")
		if len(lines) == start {
			r.bad = true // an empty run: json decides what it means
		} else {
			lines[start].Cont = cont
			lines[len(lines)-1].Offset = off
		}
	}
	r.lit("]")
	if len(lines) == 0 {
		r.bad = true
	}
	if r.skip(`,"prev":`) {
		e.Prev = r.str()
	}
	if r.skip(`,"hash":`) {
		e.Hash = r.str()
	}
	r.lit("}")
	if r.bad || r.i != len(r.b) {
		return false
	}
	e.Lines = lines
	*ev = e
	return true
}
