// Package runbooks holds golive's built-in runbooks, embedded in the binary.
package runbooks

import "embed"

// FS holds the built-in runbook files (*.yaml) at its root.
//
//go:embed *.yaml
var FS embed.FS

// Default is the runbook golive opens when none is chosen.
const Default = "non-docker"
