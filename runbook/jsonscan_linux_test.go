package runbook

import (
	"syscall"
	"testing"
	"unsafe"
)

// TestSafePrefixStaysInBounds puts strings of every length 0 to 130 right
// after and right before a page that cannot be read: a scan that loads a
// byte outside its string there (other than within the string's own pages,
// as the short-string loads may) crashes the test. The bytes beside the
// string are safe ones, then '"' and 0x00, which a scan that loads them
// must not report.
func TestSafePrefixStaysInBounds(t *testing.T) {
	logScanners(t)
	page := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 3*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	defer syscall.Munmap(mem)
	if err := syscall.Mprotect(mem[:page], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mprotect(mem[2*page:], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	mid := mem[page : 2*page]
	const fill = "QmVuY2htYXJr+/="
	for i := range mid {
		mid[i] = fill[i%15]
	}
	for n := 0; n <= 130; n++ {
		starts := []int{0, page - n}
		if n < 16 {
			// 16 bytes before the page's end: the load from s would just
			// fit, and the scan takes the load ending at s's end anyway.
			starts = append(starts, page-16)
		}
		for _, start := range starts {
			// The 16 bytes on each side of s, which a short string's load
			// may read, are safe, then bytes to escape: the scan must mask
			// them out (a '"' or a 0x00 there is not s's).
			for _, around := range []int{-1, '"', 0x00} { // -1: the safe fill
				for i := max(0, start-16); i < min(page, start+n+16); i++ {
					// Not the byte right after s: a scan that reports one
					// there says len(s), right by chance.
					if around >= 0 && (i < start || i > start+n) {
						mid[i] = byte(around)
					}
				}
				for pos := -1; pos < n; pos++ {
					if pos >= 0 {
						mid[start+pos] = '"'
					}
					checkScan(t, unsafe.String(unsafe.SliceData(mid[start:]), n))
					if pos >= 0 {
						mid[start+pos] = fill[(start+pos)%15]
					}
				}
				for i := max(0, start-16); i < min(page, start+n+16); i++ {
					mid[i] = fill[i%15]
				}
			}
		}
	}
}
