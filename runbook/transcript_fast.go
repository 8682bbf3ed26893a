package runbook

import "strconv"

// Output events are most of a transcript, as of a journal. encodeEvents
// wrote each through encoding/json (Event.MarshalJSON, then the encoder
// compacting and indenting the result): about 30 ms per MB of output.
// appendIndentedOutput writes them directly, the very bytes that
// json.Encoder with SetIndent(eventIndent, "  ") and SetEscapeHTML(false)
// writes (TestIndentedOutputMatchesEncoder holds it to that).

// eventIndent is the prefix of an event's lines in the transcript: an
// element of "events", two levels deep.
const eventIndent = "    "

// appendIndentedOutput appends ev as encodeEvents writes an event (no
// final newline) when ev is a plain output event in the runs format, and
// reports whether it did.
func appendIndentedOutput(dst []byte, ev *Event) ([]byte, bool) {
	if ev.Type != EvOutput || ev.legacyLines || len(ev.Lines) == 0 || ev.Run != nil || ev.Var != nil ||
		ev.HostKey != nil || ev.Conn != nil || ev.Start != nil || ev.Exit != nil || ev.SignOff != nil || ev.Note != "" {
		return dst, false
	}
	n0 := len(dst)
	nl := func(depth int) {
		dst = append(dst, '\n')
		dst = append(dst, eventIndent...)
		for range depth {
			dst = append(dst, ' ', ' ')
		}
	}
	var ok bool
	dst = append(dst, '{')
	nl(1)
	dst = append(dst, `"seq": `...)
	dst = strconv.AppendInt(dst, ev.Seq, 10)
	dst = append(dst, ',')
	nl(1)
	dst = append(dst, `"time": `...)
	if dst, ok = appendJSONTime(dst, ev.Time); !ok {
		return dst[:n0], false
	}
	dst = append(dst, ',')
	nl(1)
	dst = append(dst, `"type": `...)
	dst = appendQuoted(dst, string(ev.Type), &textSafe)
	if ev.Step != "" {
		dst = append(dst, ',')
		nl(1)
		dst = append(dst, `"step": `...)
		dst = appendQuoted(dst, ev.Step, &textSafe)
	}
	if ev.Attempt != 0 {
		dst = append(dst, ',')
		nl(1)
		dst = append(dst, `"attempt": `...)
		dst = strconv.AppendInt(dst, int64(ev.Attempt), 10)
	}
	dst = append(dst, ',')
	nl(1)
	dst = append(dst, `"out": [`...)
	lines := ev.Lines
	for i := 0; i < len(lines); {
		k, off := runEnd(lines, i)
		if i > 0 {
			dst = append(dst, ',')
		}
		nl(2)
		dst = append(dst, '{')
		nl(3)
		dst = append(dst, `"s": `...)
		dst = appendQuoted(dst, string(lines[i].Stream), &textSafe)
		dst = append(dst, ',')
		nl(3)
		dst = append(dst, `"t": `...)
		if dst, ok = appendJSONTime(dst, lines[i].Time); !ok {
			return dst[:n0], false
		}
		if off != 0 {
			dst = append(dst, ',')
			nl(3)
			dst = append(dst, `"o": `...)
			dst = strconv.AppendInt(dst, off, 10)
		}
		if lines[i].Cont {
			dst = append(dst, ',')
			nl(3)
			dst = append(dst, `"c": true`...)
		}
		dst = append(dst, ',')
		nl(3)
		dst = append(dst, `"x": [`...)
		for n := i; n < k; n++ {
			if n > i {
				dst = append(dst, ',')
			}
			nl(4)
			dst = appendQuoted(dst, lines[n].Text, &textSafe)
		}
		nl(3)
		dst = append(dst, ']')
		nl(2)
		dst = append(dst, '}')
		i = k
	}
	nl(1)
	dst = append(dst, ']')
	for _, f := range [...]struct{ key, val string }{{"prev", ev.Prev}, {"hash", ev.Hash}} {
		if f.val != "" {
			dst = append(dst, ',')
			nl(1)
			dst = append(dst, '"')
			dst = append(dst, f.key...)
			dst = append(dst, `": `...)
			dst = appendQuoted(dst, f.val, &textSafe)
		}
	}
	nl(0)
	return append(dst, '}'), true
}
