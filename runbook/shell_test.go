package runbook

import (
	"strings"
	"testing"
)

// TestUnsafePlaceholders lists where a placeholder is and is not protected
// by its shell quoting. "{{v}}" marks each placeholder; want names the
// place of each flagged one, in order, "" for a safe one.
func TestUnsafePlaceholders(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"echo {{v}}", []string{""}},
		{"echo x{{v}}y", []string{""}},
		{`echo "{{v}}"`, []string{"double quotes"}},
		{`echo '{{v}}'`, []string{"single quotes"}},
		{`echo "a" {{v}} 'b'`, []string{""}},
		{`echo "it's" {{v}}`, []string{""}},
		{`echo 'say "hi"' {{v}}`, []string{""}},
		{`echo \" {{v}} \'`, []string{""}},
		{`echo "a \" {{v}}"`, []string{"double quotes"}},
		{`echo "$(cat {{v}})"`, []string{""}},
		{`echo "$(echo "{{v}}")"`, []string{"double quotes"}},
		{"echo \"`cat {{v}}`\"", []string{""}},
		{`x=$(f "a" {{v}}) && echo "{{v}}"`, []string{"", "double quotes"}},
		{`(cd {{v}} && ls) "{{v}}"`, []string{"", "double quotes"}},
		{"# {{v}}\necho {{v}}", []string{"a comment", ""}},
		{"echo a#{{v}}", []string{""}},
		{"echo ${#x} {{v}}", []string{""}},
		{"echo x # {{v}}\n{{v}}", []string{"a comment", ""}},
		{"cat <<EOF\n{{v}}\nEOF\necho {{v}}", []string{"a here-document", ""}},
		{"cat <<-'EOF' | wc\n\t{{v}}\n\tEOF\necho {{v}}", []string{"a here-document", ""}},
		{"cat <<A <<B\n{{v}}\nA\n{{v}}\nB\n{{v}}", []string{"a here-document", "a here-document", ""}},
		{"cat <<< {{v}}", []string{""}},
		{"echo '{{v}}' \"{{v}}\" {{v}}", []string{"single quotes", "double quotes", ""}},
	}
	for _, tt := range tests {
		phs, bad := scanTemplate(tt.text)
		if len(bad) > 0 || len(phs) != len(tt.want) {
			t.Errorf("%q: %d placeholders, problems %v", tt.text, len(phs), bad)
			continue
		}
		got := unsafePlaceholders(tt.text, phs)
		var gotList []string
		for _, ph := range phs {
			gotList = append(gotList, got[ph.start])
		}
		if strings.Join(gotList, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%q:\n got %q\nwant %q", tt.text, gotList, tt.want)
		}
	}
}
