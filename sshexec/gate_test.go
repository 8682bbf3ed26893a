package sshexec

import (
	"bytes"
	"io"
	"sync"
	"testing"
)

// chunkReader hands out its data in reads of up to size bytes, as
// x/crypto/ssh's channel does with what it has buffered, and keeps the
// largest buffer it was asked to fill.
type chunkReader struct {
	data    []byte
	size    int
	largest int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	r.largest = max(r.largest, len(p))
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.size)], r.data)
	r.data = r.data[n:]
	return n, nil
}

// sizesWriter keeps what it is given and the size of each write.
type sizesWriter struct {
	got   bytes.Buffer
	sizes []int
}

func (w *sizesWriter) Write(p []byte) (int, error) {
	w.sizes = append(w.sizes, len(p))
	return w.got.Write(p)
}

// TestGateCopyReadsLargeWritesSmall: copy reads copyRead bytes at a time
// (one window grant per read) and hands them on in pieces of at most
// copyWrite bytes, in order and whole.
func TestGateCopyReadsLargeWritesSmall(t *testing.T) {
	data := make([]byte, 1<<20+12345)
	for i := range data {
		data[i] = byte('a' + i%26)
	}
	r := &chunkReader{data: data, size: 100 << 10}
	w := &sizesWriter{}
	var g gate
	var wg sync.WaitGroup
	wg.Add(1)
	g.copy(&wg, w, r)
	if r.largest < r.size {
		t.Fatalf("reads of at most %d bytes, where %d were buffered: x/crypto/ssh grants window per read", r.largest, r.size)
	}
	if !bytes.Equal(w.got.Bytes(), data) {
		t.Fatalf("copied %d bytes, not the %d read, or not in order", w.got.Len(), len(data))
	}
	for _, n := range w.sizes {
		if n > 32<<10 {
			t.Fatalf("a write of %d bytes: the splitter's batches are made for at most 32 KiB", n)
		}
	}
	// 100 KiB reads, each in pieces of at most 32 KiB: four writes a read.
	if want := 4 * ((len(data) + 100<<10 - 1) / (100 << 10)); len(w.sizes) > want {
		t.Errorf("%d writes for %d reads of 100 KiB, want at most %d", len(w.sizes), want/4, want)
	}
}

// TestGateShutDrainsWithoutWriting: a shut gate still reads to EOF (the
// remote command never stalls) and writes nothing.
func TestGateShutDrainsWithoutWriting(t *testing.T) {
	r := &chunkReader{data: make([]byte, 300<<10), size: 128 << 10}
	w := &sizesWriter{}
	var g gate
	g.shut()
	var wg sync.WaitGroup
	wg.Add(1)
	g.copy(&wg, w, r)
	if len(r.data) != 0 {
		t.Errorf("%d bytes left unread: the command would stall", len(r.data))
	}
	if w.got.Len() != 0 {
		t.Errorf("%d bytes written after the gate was shut", w.got.Len())
	}
}
