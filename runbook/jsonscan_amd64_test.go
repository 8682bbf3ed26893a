package runbook

// exactScanners are the assembly scans this CPU can run.
var exactScanners = func() []namedScan {
	if !useAVX2 {
		return nil
	}
	return []namedScan{{"indexUnsafeAVX2", indexUnsafeAVX2}}
}()
