package runbook

import (
	"io"
	"os"
)

// A journal is written once and read again only by an export, a resume or
// golive verify, later. A step printing hundreds of MB would otherwise
// fill the page cache with it, and on a machine that hands unused memory
// back to its hypervisor every fresh page-cache page costs: copying into
// them was the largest kernel cost of a 200 MB step (write(2) 0.20-0.31
// CPU-s per run, against 0.12-0.15 once written pages are dropped behind
// the fsync and the kernel reuses them; docs/performance.md). So once a
// stretch of the journal is on disk (fsynced), golive advises the kernel
// that it will not read it soon, and whole-journal reads (JournalReader)
// drop what they have read the same way.

// dropChunk is how much durable (or read) journal builds up before it is
// dropped from the page cache: a small run stays cached for its export,
// and the advice is given a few times per second at most while output
// streams.
const dropChunk = 8 << 20

// pageMask rounds file offsets down to a page: the advice covers whole
// pages only.
const pageMask = 1<<12 - 1

// readPiece caps one read(2) of a journal: larger reads of bytes not in
// the page cache were many times dearer in kernel time here (270 MB read
// cold with dd: 0.53 CPU-s in 1 MiB reads, 0.04 in 64 KiB ones; larger
// reads make the kernel allocate larger page-cache folios, which we take
// to be what costs on this VM).
const readPiece = 64 << 10

// dropBehind advises the kernel to drop f's cached pages in [*done, end)
// (end rounded down to a page) once that is at least dropChunk, and moves
// *done. Only clean pages go: the bytes must be on disk already for the
// advice to free them. It is advice: a kernel or file system that ignores
// it changes nothing.
func dropBehind(f *os.File, done *int64, end int64) {
	end &^= pageMask
	if end-*done < dropChunk {
		return
	}
	dropCached(f, *done, end-*done)
	*done = end
}

// JournalReader reads a journal file from its start to its end, once: in
// reads of at most 64 KiB, dropping what it has read from the page cache
// as it goes. Wrap it in a bufio.Reader as large as the longest record.
func JournalReader(f *os.File) io.Reader { return &journalReader{f: f} }

type journalReader struct {
	f             *os.File
	read, dropped int64
}

func (r *journalReader) Read(p []byte) (int, error) {
	if len(p) > readPiece {
		p = p[:readPiece]
	}
	n, err := r.f.Read(p)
	r.read += int64(n)
	dropBehind(r.f, &r.dropped, r.read)
	return n, err
}
