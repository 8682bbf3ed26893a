//go:build !amd64

package runbook

// exactScanners are the assembly scans this CPU can run: none here.
var exactScanners []namedScan
