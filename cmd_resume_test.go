package main

import (
	"strings"
	"testing"
	"time"

	"charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"golive/runbook"
	"golive/ui"
)

// TestRunListSaysUnderAMinute: a run last active 40 s ago is listed as
// "under a minute ago", in the table and in the picker, not "0s ago"
// (which reads as "this instant"); older ones keep the minutes.
func TestRunListSaysUnderAMinute(t *testing.T) {
	now := time.Now()
	if got := ago(now.Add(-40 * time.Second)); !strings.HasSuffix(got, "(under a minute ago)") {
		t.Errorf("ago(40s) = %q", got)
	}
	if got := ago(now.Add(-5*time.Minute - 10*time.Second)); !strings.HasSuffix(got, "(5m0s ago)") {
		t.Errorf("ago(5m10s) = %q", got)
	}
	p := ui.NewRunPicker([]runbook.RunSummary{{ID: "r1", RunbookID: "docker", Host: "web1", Operator: "bob", LastStep: "migrate", LastTime: now.Add(-40 * time.Second)}},
		func() time.Time { return now })
	var m tea.Model = p
	if v := ansi.Strip(m.View().Content); !strings.Contains(v, "last step migrate · under a minute ago") {
		t.Errorf("picker:\n%s", v)
	}
}
