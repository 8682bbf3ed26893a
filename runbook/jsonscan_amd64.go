package runbook

import "golang.org/x/sys/cpu"

// useAVX2 says whether safePrefix may use indexUnsafeAVX2: the CPU has
// AVX2 and the OS saves the YMM registers (x/sys/cpu checks both).
var useAVX2 = cpu.X86.HasAVX2

// safePrefix returns how many leading bytes of s encoding/json writes as
// they are: bytes below 0x20, '"', '\\', '<', '>', '&' and anything
// non-ASCII end it (the caller validates UTF-8 there). With AVX2 it is
// exact, and a 76-column line takes three 32-byte compares instead of ten
// 8-byte words; without, it is safePrefixGo, which may stop early (the
// caller goes on byte by byte from there). Short strings go to the
// assembly too: one 16-byte compare beats the words and spares the caller
// its byte loop (BenchmarkSafePrefix/len=N, BenchmarkQuote/short).
func safePrefix(s string) int {
	if useAVX2 {
		return indexUnsafeAVX2(s)
	}
	return safePrefixGo(s)
}

// indexUnsafeAVX2 returns the index of the first byte of s that
// encoding/json escapes (with HTML escaping on) or that is not ASCII, or
// len(s) if there is none, 32 bytes a round with AVX2
// (jsonscan_amd64.s). Only for CPUs with AVX2 (useAVX2).
//
//go:noescape
func indexUnsafeAVX2(s string) int
