package ui

import (
	"fmt"
	"strings"
	"testing"

	"golive/runbook"
)

// Wrapping long lines keeps a pane that followed the output at its tail.
func TestWrapKeepsTail(t *testing.T) {
	p := newOutputPane(defaultStyles())
	p.setSize(49, 14)
	r := newRing()
	var ls []runbook.OutputLine
	for i := 1; i <= 30; i++ {
		ls = append(ls, runbook.OutputLine{Stream: runbook.StreamStdout, Text: fmt.Sprintf("line %d %s END%d", i, strings.Repeat("x", 150), i)})
	}
	p.show("s", r)
	r.add(ls)
	p.appended(r, 0)
	if !strings.Contains(p.view(), "line 30") {
		t.Fatalf("not at the tail before wrapping:\n%s", p.view())
	}
	p.toggleWrap()
	if v := p.view(); !strings.Contains(v, "END30") || !p.vp.AtBottom() {
		t.Fatalf("wrapping left the tail:\n%s", v)
	}
}

// A pane that followed the tail still does after it shrinks (the detail
// above it grew, e.g. after a cancel).
func TestShrinkKeepsTail(t *testing.T) {
	p := newOutputPane(defaultStyles())
	p.setSize(49, 14)
	r := newRing()
	var ls []runbook.OutputLine
	for i := 1; i <= 30; i++ {
		ls = append(ls, runbook.OutputLine{Stream: runbook.StreamStdout, Text: fmt.Sprintf("tick %d", i)})
	}
	p.show("s", r)
	r.add(ls)
	p.appended(r, 0)
	p.setSize(49, 8)
	if v := p.view(); !strings.Contains(v, "tick 30") || !p.vp.AtBottom() {
		t.Fatalf("shrinking left the tail:\n%s", v)
	}
}
