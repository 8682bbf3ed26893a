package runbook

import (
	"os"

	"golang.org/x/sys/unix"
)

// dropCached tells the kernel f's bytes [off, off+n) will not be read
// again soon (POSIX_FADV_DONTNEED): clean pages in that range leave the
// page cache and are free for the next writes or reads.
func dropCached(f *os.File, off, n int64) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_ = unix.Fadvise(int(fd), off, n, unix.FADV_DONTNEED)
	})
}
