package runbook

import (
	"syscall"
	"testing"
	"unsafe"
)

// TestSafePrefixStaysInBounds puts strings of every length 0 to 130 right
// after and right before a page that cannot be read: a scan that loads a
// byte outside its string there (other than within the string's own pages,
// as the short-string loads may) crashes the test.
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
	for i := range mid {
		mid[i] = "QmVuY2htYXJr+/="[i%15]
	}
	for n := 0; n <= 130; n++ {
		for _, start := range []int{0, page - n} {
			for pos := -1; pos < n; pos++ {
				if pos >= 0 {
					mid[start+pos] = '"'
				}
				checkScan(t, unsafe.String(unsafe.SliceData(mid[start:]), n))
				if pos >= 0 {
					mid[start+pos] = "QmVuY2htYXJr+/="[(start+pos)%15]
				}
			}
		}
	}
}
