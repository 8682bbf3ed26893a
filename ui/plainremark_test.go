package ui

import (
	"strings"
	"testing"
)

// TestPlainRemarkEveryLine: golive's own remarks in plain mode start with
// "-- " on every line, as docs/operating.md shows, also when the remark is
// several lines long (a broken runbook's errors, one per line), so that a
// script can tell golive's lines from a command's ("  |", "  !").
func TestPlainRemarkEveryLine(t *testing.T) {
	e := newPlainEnv(t, nil)
	e.useRunbook(t, `id: broken
title: Broken
sections:
  - id: main
    title: Main
    steps:
      - id: one
        title: One
        comand: echo one
      - id: two
        title: Two
        command: echo two
        risk: extreme
`)
	code, out := e.run(t, "", true)
	if code != ExitUsage {
		t.Fatalf("broken runbook: exit %d, want %d", code, ExitUsage)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	var comand, risk bool
	for _, l := range lines {
		if !strings.HasPrefix(l, "-- ") {
			t.Errorf("line %q is golive's own remark without the \"-- \" prefix", l)
		}
		comand = comand || strings.Contains(l, `unknown key "comand"`)
		risk = risk || strings.Contains(l, `unknown risk "extreme"`)
	}
	if !comand || !risk || len(lines) < 2 {
		t.Errorf("want both errors, each on its own line; got %d lines:\n%s", len(lines), out)
	}
}
