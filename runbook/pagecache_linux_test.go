package runbook

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// resident counts the pages of path's [0, n) that are in the page cache.
func resident(t *testing.T, path string, n int64) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := unix.Mmap(int(f.Fd()), 0, int(n), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	vec := make([]byte, (n+pageMask)/(pageMask+1))
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatal(errno)
	}
	in := 0
	for _, v := range vec {
		in += int(v & 1)
	}
	return in
}

// adviceHonoured reports whether dir's file system drops clean pages on
// POSIX_FADV_DONTNEED: tmpfs (a /tmp or TMPDIR in memory) keeps them, as
// it has nowhere else to keep them. It asks the kernel directly, not
// through dropCached, so that a dropCached that does nothing still fails
// the test.
func adviceHonoured(t *testing.T, dir string) bool {
	t.Helper()
	f, err := os.CreateTemp(dir, "probe")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const n = 1 << 20
	if _, err := f.Write(make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fadvise(int(f.Fd()), 0, n, unix.FADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	return resident(t, f.Name(), n) < n/(pageMask+1)/2
}

// TestJournalDropsDurableOutput: output appended lazily leaves the page
// cache once a background fsync has put it on disk (dropBehind), while
// the journal stays whole: it reopens with every event, read back through
// JournalReader, which drops what it read too.
func TestJournalDropsDurableOutput(t *testing.T) {
	dir := t.TempDir()
	honoured := adviceHonoured(t, dir)
	if !honoured {
		t.Logf("%s is on a file system that keeps clean pages on POSIX_FADV_DONTNEED (tmpfs?): page-cache residency not checked", dir)
	}
	j, err := CreateJournal(dir, "drop")
	if err != nil {
		t.Fatal(err)
	}
	lines := base64Output(2000, 3)
	ev := Event{Type: EvOutput, Time: lines[0].Time, Step: "collectstatic", Attempt: 1, Lines: lines}
	const batches = 160 // about 25 MB, more than three dropChunks
	for i := 0; i < batches; i++ {
		if _, err := j.AppendLazy(ev); err != nil {
			t.Fatal(err)
		}
	}
	path := j.Path()
	// The background fsync comes within lazySyncDelay; it drops what it
	// made durable, a dropChunk or more at a time. How the appends fell
	// between background fsyncs is timing (a slow machine, -race): wait
	// until none is pending or under way (syncMu, then nothing dirty or
	// armed), then less than a dropChunk may be left cached at the end.
	var size, dropped int64
	deadline := time.Now().Add(10 * time.Second)
	for {
		j.syncMu.Lock()
		j.mu.Lock()
		settled := !j.dirty && !j.armed
		size, dropped = j.size, j.dropped
		j.mu.Unlock()
		j.syncMu.Unlock()
		if settled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no background fsync within 10s of the last append")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if dropped < 2*dropChunk || size&^pageMask-dropped >= dropChunk {
		t.Fatalf("dropped %d of %d bytes after the background fsyncs; want all but less than %d", dropped, size, dropChunk)
	}
	pages := int(size &^ pageMask / (pageMask + 1))
	if in, gone := resident(t, path, dropped), int(dropped/(pageMask+1)); honoured && in > gone/10 {
		t.Errorf("%d of the %d journal pages dropped behind the fsync are still in the page cache", in, gone)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	raw, err := os.ReadFile(path) // brings it all back into the cache
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var back bytes.Buffer
	if _, err := io.Copy(&back, bufio.NewReaderSize(JournalReader(f), 1<<20)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Bytes(), raw) {
		t.Fatalf("JournalReader read %d bytes, the file has %d (or they differ)", back.Len(), len(raw))
	}
	// What follows the last drop (less than dropChunk) and the kernel's
	// read-ahead may stay.
	if in, most := resident(t, path, size&^pageMask), (dropChunk+1<<20)/(pageMask+1); honoured && in > most {
		t.Errorf("JournalReader left %d of %d pages it read in the page cache (at most %d expected)", in, pages, most)
	}
	j2, evs, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	if len(evs) != batches {
		t.Fatalf("reopened with %d events, appended %d", len(evs), batches)
	}
}
