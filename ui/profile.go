package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

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
	if err := yaml.Unmarshal(data, &p); err != nil {
		return p, fmt.Errorf("profile %s: %w; fix or delete the file", path, err)
	}
	return p, nil
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
	return fmt.Sprintf("profile not saved (the next release will ask again): %v", err)
}
