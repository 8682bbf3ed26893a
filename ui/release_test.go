package ui

import "testing"

func TestConnState(t *testing.T) {
	for in, want := range map[string]string{
		"connection to web1 lost; job x keeps running on the host; reconnecting":  "lost",
		"reconnecting to web1 (attempt 3)":                                        "reconnecting",
		"reconnected to web1; following job x from stdout byte 10, stderr byte 0": "restored",
		"job x stopped (TERM)": "",
		"connection to web1 lost while cancelling job x; reconnecting": "lost",
	} {
		if got := connState(in); got != want {
			t.Errorf("connState(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJobID(t *testing.T) {
	if got := JobID("20260102T030405Z-abc", "db/migrate step", 2); got != "20260102T030405Z-abc-db_migrate_step-2" {
		t.Fatalf("JobID = %q", got)
	}
}
