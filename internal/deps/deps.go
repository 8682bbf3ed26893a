//go:build tools

// Package deps pins the modules the packages are being built on while they
// are written in parallel, so go.mod does not churn. Removed once all land.
package deps

import (
	_ "charm.land/bubbles/v2/viewport"
	_ "charm.land/bubbletea/v2"
	_ "charm.land/lipgloss/v2"
	_ "github.com/charmbracelet/x/ansi"
	_ "github.com/charmbracelet/x/exp/golden"
	_ "github.com/charmbracelet/x/exp/teatest/v2"
	_ "github.com/hiddeco/sshsig"
	_ "github.com/kevinburke/ssh_config"
	_ "github.com/skeema/knownhosts"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/crypto/ssh"
	_ "golang.org/x/crypto/ssh/agent"
	_ "golang.org/x/crypto/ssh/knownhosts"
	_ "golang.org/x/sys/unix"
	_ "golang.org/x/term"
)
