package ui

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"golive/runbook"
)

// Profile is what golive remembers between releases of one runbook, so the
// next release needs no typing: the host, the operator and the variables'
// values. Secret values are never saved.
type Profile struct {
	Host     string            `yaml:"host,omitempty"`
	Operator string            `yaml:"operator,omitempty"`
	Vars     map[string]string `yaml:"vars,omitempty"`
}

// configDir is $XDG_CONFIG_HOME/golive, or ~/.config/golive.
func configDir() string {
	if d := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "golive")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".config", "golive")
}

// profileFile is the profile to use: the explicit --profile, or the
// runbook's default one under the config directory ("" when there is no
// home to keep it in).
func profileFile(explicit, runbookID string) string {
	if explicit != "" {
		return explicit
	}
	d := configDir()
	if d == "" || runbookID == "" {
		return ""
	}
	return filepath.Join(d, "profiles", runbookID+".yaml")
}

// LoadProfile reads a profile. A missing file is an empty profile; a broken
// one is an error naming the file.
func LoadProfile(path string) (Profile, error) {
	var p Profile
	if path == "" {
		return p, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("profile: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelled key would be dropped without a word
	if err := dec.Decode(&p); err != nil && !errors.Is(err, io.EOF) {
		return Profile{}, profileError(path, err)
	}
	return p, nil
}

// yamlLineError matches the YAML parser's "yaml: line N: ..." and each of
// a type error's "line N: ..." lines.
var yamlLineError = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// profileError words a profile the YAML parser refused as FILE:LINE:
// problems, one a line, without the parser's Go type names ("field hots
// not found in type ui.Profile" is "unknown key \"hots\""), and says what
// to do.
func profileError(path string, err error) error {
	msgs := []string{err.Error()}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	const fix = "fix or delete the file (golive writes it again at the next release)"
	var out []string
	for _, msg := range msgs {
		line, what := "", strings.TrimPrefix(msg, "yaml: ")
		if m := yamlLineError.FindStringSubmatch(msg); m != nil {
			line, what = ":"+m[1], m[2]
		}
		if f := profileUnknownField.FindStringSubmatch(what); f != nil {
			what = fmt.Sprintf("unknown key %q; a profile has host, operator and vars", f[1])
		} else if te == nil {
			what = "YAML syntax: " + what
		} else if k := profileTypeError.FindStringSubmatch(what); k != nil {
			what = fmt.Sprintf("a value of the wrong kind (%s); host and operator are text, vars a mapping of name: value", yamlKind(k[1]))
		}
		out = append(out, fmt.Sprintf("profile %s%s: %s; %s", path, line, what, fix))
	}
	return fmt.Errorf("%s", strings.Join(out, "\n"))
}

var (
	// profileUnknownField is yaml's "field X not found in type T".
	profileUnknownField = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
	// profileTypeError is yaml's "cannot unmarshal !!seq into string",
	// which names Go's types.
	profileTypeError = regexp.MustCompile(`^cannot unmarshal (!!\w+)`)
)

// yamlKind names a YAML tag in words ("!!seq" is "a list").
func yamlKind(tag string) string {
	switch tag {
	case "!!seq":
		return "a list"
	case "!!map":
		return "a mapping"
	case "!!str":
		return "text"
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "true or false"
	}
	return tag
}

// SaveProfile writes p to path (directories 0700, file 0600), leaving out
// the values of rb's secret variables.
func SaveProfile(path string, rb *runbook.Runbook, p Profile) error {
	if path == "" {
		return nil
	}
	clean := Profile{Host: p.Host, Operator: p.Operator, Vars: map[string]string{}}
	for k, v := range p.Vars {
		if vr := rb.Variable(k); vr == nil || vr.Secret {
			continue
		}
		clean.Vars[k] = v
	}
	data, err := yaml.Marshal(clean)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	return nil
}

// profileNotSaved is what the operator is told when the profile could not
// be written: the release goes on, but the next one asks again.
func profileNotSaved(err error) string {
	return "profile not saved (the next release will ask again): " + ErrorText(err)
}
