package runbook

import (
	"errors"
	"strings"
	"testing"
)

func TestEvalCondition(t *testing.T) {
	vars := map[string]string{
		"yes": "Yes", "on": "ON", "one": "1", "t": "true", "padded": " true ",
		"no": "no", "off": "off", "zero": "0", "empty": "", "other": "enabled",
		"web": "nginx", "quote": "it's",
	}
	tests := []struct {
		expr string
		want bool
	}{
		{"yes", true}, {"on", true}, {"one", true}, {"t", true}, {"padded", true},
		{"no", false}, {"off", false}, {"zero", false}, {"empty", false}, {"other", false},
		{"!no", true}, {"!!yes", true}, {"! yes", false},
		{"yes && on", true}, {"yes && no", false}, {"no || yes", true}, {"no || zero", false},
		{"no || yes && off", false}, // && binds tighter than ||
		{"(no || yes) && on", true},
		{"yes || no && off", true},
		{"!(yes && no)", true},
		{"web == 'nginx'", true}, {`web == "nginx"`, true}, {"web == 'Nginx'", false},
		{"web != 'apache'", true}, {"web != 'nginx'", false},
		{"empty == ''", true},
		{`quote == "it's"`, true},
		{"((((yes))))", true},
		{" yes\t&&\n on ", true},
		{"!web == 'nginx'", false}, // ! applies to the comparison
	}
	for _, tt := range tests {
		got, err := EvalCondition(tt.expr, vars)
		if err != nil {
			t.Errorf("EvalCondition(%q): %v", tt.expr, err)
			continue
		}
		if got != tt.want {
			t.Errorf("EvalCondition(%q) = %v, want %v", tt.expr, got, tt.want)
		}
	}
}

func TestConditionSyntaxErrors(t *testing.T) {
	tests := []struct {
		expr string
		want string // Error()
	}{
		{"", `condition "": column 1: empty condition; write a variable name, e.g. uses_celery`},
		{"   ", `condition "   ": column 1: empty condition; write a variable name, e.g. uses_celery`},
		{"a & b", `condition "a & b": column 3: single '&'; write &&`},
		{"a | b", `condition "a | b": column 3: single '|'; write ||`},
		{"a = 'x'", `condition "a = 'x'": column 3: single '='; write == to compare`},
		{"a == x", `condition "a == x": column 6: expected a quoted value after ==, found name "x"; write a == 'value'`},
		{"a != ", `condition "a != ": column 6: expected a quoted value after !=, found end of condition; write a != 'value'`},
		{"a == 'x", `condition "a == 'x": column 6: text started here is never closed; add the closing '`},
		{"(a && b", `condition "(a && b": column 8: expected ')' to close the '(' at column 1, found end of condition`},
		{"a)", `condition "a)": column 2: unexpected ")" after a complete condition; join conditions with && or ||`},
		{"a b", `condition "a b": column 3: unexpected name "b" after a complete condition; join conditions with && or ||`},
		{"a &&", `condition "a &&": column 5: expected a variable name, '!' or '(', found end of condition`},
		{"&& a", `condition "&& a": column 1: expected a variable name, '!' or '(', found "&&"`},
		{"'x' == a", `condition "'x' == a": column 1: expected a variable name, '!' or '(', found text "x"`},
		{"a-b", `condition "a-b": column 2: unexpected character '-'; use names, !, &&, ||, (), == and != with quoted values`},
		{"1a", `condition "1a": column 1: unexpected character '1'; use names, !, &&, ||, (), == and != with quoted values`},
		{strings.Repeat("!", 100) + "a", `condition "` + strings.Repeat("!", 100) + `a": column 66: condition nested too deeply; simplify it`},
		{strings.Repeat("(", 100) + "a" + strings.Repeat(")", 100), ""},
	}
	for _, tt := range tests {
		_, err := ParseCondition(tt.expr)
		var ce *ConditionError
		if !errors.As(err, &ce) {
			t.Errorf("ParseCondition(%q) error = %v, want a *ConditionError", tt.expr, err)
			continue
		}
		if tt.want != "" && err.Error() != tt.want {
			t.Errorf("ParseCondition(%q):\n got %s\nwant %s", tt.expr, err, tt.want)
		}
	}
}

func TestConditionNamesAndUnknown(t *testing.T) {
	c, err := ParseCondition("uses_celery && (web == 'nginx' || !beat)")
	if err != nil {
		t.Fatal(err)
	}
	names := c.Names()
	want := []CondName{{"uses_celery", 0}, {"web", 16}, {"beat", 35}}
	if len(names) != len(want) {
		t.Fatalf("Names() = %v", names)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("Names()[%d] = %v, want %v", i, names[i], want[i])
		}
	}
	if _, err := c.Eval(map[string]string{"uses_celery": "yes", "web": "nginx"}); err == nil ||
		!strings.Contains(err.Error(), `"beat" is not a declared variable`) {
		t.Errorf("Eval with beat missing: %v", err)
	}
	if c.String() != "uses_celery && (web == 'nginx' || !beat)" {
		t.Errorf("String() = %q", c.String())
	}
}

func TestConditionExplain(t *testing.T) {
	c, err := ParseCondition("uses_celery && web == 'nginx' && !token && uses_celery")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"uses_celery": "no", "web": "apache", "token": "s3cret"}
	got := c.Explain(vars, func(n string) bool { return n == "token" })
	want := `uses_celery is false, web is "apache", token is set (secret)`
	if got != want {
		t.Errorf("Explain = %q, want %q", got, want)
	}
}
