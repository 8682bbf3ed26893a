package runbook

func maskArguments(s string, out *spanList) {}
