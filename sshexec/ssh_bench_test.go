package sshexec

import "testing"

func benchSSHTrue(b *testing.B)       {}
func benchSSHThroughput(b *testing.B) {}
