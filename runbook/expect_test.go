package runbook

import (
	"reflect"
	"testing"
	"time"
)

func TestChecker(t *testing.T) {
	tests := []struct {
		name   string
		expect Expect
		lines  []string
		exit   ExitInfo
		want   []string // nil: met
	}{
		{"exit 0 default", Expect{}, nil, ExitInfo{Code: 0}, nil},
		{"exit 1 default", Expect{}, nil, ExitInfo{Code: 1}, []string{"exit code 1, expected 0"}},
		{"accepted codes", Expect{Exit: []int{0, 2}}, nil, ExitInfo{Code: 2}, nil},
		{"not accepted codes", Expect{Exit: []int{0, 1, 2}}, nil, ExitInfo{Code: 3}, []string{"exit code 3, expected 0, 1 or 2"}},
		{"match", Expect{Match: []string{"is set"}}, []string{"A is set"}, ExitInfo{}, nil},
		{"no match", Expect{Match: []string{"is set", "^ok$"}}, []string{"ok", "A is MISSING"}, ExitInfo{}, []string{`no output line matched "is set"`}},
		{"forbidden", Expect{NotMatch: []string{`DEBUG = True`}}, []string{"a", "b", "DEBUG = True", "DEBUG = True"}, ExitInfo{},
			[]string{`output matched forbidden "DEBUG = True": line 3`}},
		{"all at once", Expect{Match: []string{"x"}, NotMatch: []string{"y"}}, []string{"y"}, ExitInfo{Code: 1},
			[]string{"exit code 1, expected 0", `no output line matched "x"`, `output matched forbidden "y": line 1`}},
		{"unknown never meets", Expect{}, nil, ExitInfo{Code: 0, Unknown: true, Error: "connection lost"}, []string{"exit status unknown: connection lost"}},
		{"signal", Expect{}, nil, ExitInfo{Code: -1, Signal: "KILL"}, []string{"killed by signal KILL, expected exit 0"}},
		{"timeout", Expect{}, nil, ExitInfo{Code: -1, TimedOut: true, Duration: 2 * time.Minute}, []string{"timed out after 2m0s, expected exit 0"}},
		{"canceled", Expect{}, nil, ExitInfo{Code: -1, Canceled: true}, []string{"canceled, expected exit 0"}},
		{"pattern shown as written", Expect{Match: []string{`^manage\.py found$`, `say "hi"`}}, nil, ExitInfo{},
			[]string{`no output line matched "^manage\.py found$"`, `no output line matched "say \"hi\""`}},
		{"bad pattern fails", Expect{Match: []string{"("}}, []string{"("}, ExitInfo{}, []string{`expectation "(" is not a valid regular expression`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewChecker(tt.expect)
			if (err != nil) != (tt.name == "bad pattern fails") {
				t.Fatalf("NewChecker error %v", err)
			}
			for _, l := range tt.lines {
				c.Line(l)
			}
			met, failures := c.Result(tt.exit)
			if met != (tt.want == nil) || !reflect.DeepEqual(failures, tt.want) {
				t.Fatalf("Result = %v %q, want %q", met, failures, tt.want)
			}
			if c.Lines() != int64(len(tt.lines)) {
				t.Fatalf("Lines = %d", c.Lines())
			}
		})
	}
}

// BenchmarkChecker measures the per-line cost of three patterns.
func BenchmarkChecker(b *testing.B) {
	c, _ := NewChecker(Expect{Match: []string{"is set"}, NotMatch: []string{"MISSING", `DEBUG = True`}})
	line := "  Applying shop.0042_order_note... OK (0.012s)"
	b.ReportAllocs()
	for b.Loop() {
		c.Line(line)
	}
}
