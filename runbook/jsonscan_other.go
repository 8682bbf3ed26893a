//go:build !amd64

package runbook

// safePrefix returns how many leading bytes of s encoding/json writes as
// they are; see safePrefixGo, which it is where there is no assembly scan.
func safePrefix(s string) int { return safePrefixGo(s) }
