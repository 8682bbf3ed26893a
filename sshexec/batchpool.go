package sshexec

import "sync"

// This file holds the free list of line batches. A chatty command costs
// one batch per read from the host (some 400 Lines, 56 bytes each, for a
// 32 KiB read of base64): at 200 MB of output that was 150 MB of garbage
// per run, all of it fresh memory for the splitter to zero and for the
// GC to count towards its next cycle. A receiver that is done with a
// batch hands it back with Recycle, and the next Write fills it again.
//
// Ownership stays what Executor documents: a batch sent on out belongs to
// the receiver, and sshexec touches it again only once the receiver gave
// it back. A receiver that never calls Recycle (tests, other callers)
// loses nothing but the reuse.

// Bounds of the free list. A job's batches circulate between the
// splitters, the channel and the receiver; a few dozen cover a receiver
// that hands back a whole group at once. A batch with more room than
// maxPooledLines (a write of very short lines) is left to the GC, so the
// list never holds more than poolBatches*maxPooledLines Lines (7 MiB at
// worst, about 750 KiB for base64 output: 32 batches of 426 Lines).
const (
	poolBatches    = 32
	maxPooledLines = 4096
	// minPooledLines: batches of a notice or a partial line (one Line)
	// are not worth keeping.
	minPooledLines = 16
)

// batchPool is a bounded free list of empty batches, shared by every
// splitter of the process.
type batchPool struct {
	mu   sync.Mutex
	free [][]Line // each of length 0, cleared, cap within the bounds
}

var pool batchPool

// Recycle hands back a batch received from Run or Attach, once the
// receiver is done with it: it has read every Line it needs and holds no
// slice of the batch nor a pointer into it (the Texts are strings and
// stay valid: copying a Line out, Text included, is fine). sshexec then
// fills it again with later output, possibly of another job. Pass the
// batch exactly as it was received, once; a receiver that is not sure
// another part of the program still reads the batch must not call
// Recycle, and loses nothing but the reuse.
func Recycle(batch []Line) {
	pool.put(batch)
}

// get returns an empty batch with room for at least n Lines: a recycled
// one when the free list has one big enough, else a new one.
func (p *batchPool) get(n int) []Line {
	p.mu.Lock()
	for i := len(p.free) - 1; i >= 0; i-- {
		if b := p.free[i]; cap(b) >= n {
			last := len(p.free) - 1
			p.free[i] = p.free[last]
			p.free[last] = nil
			p.free = p.free[:last]
			p.mu.Unlock()
			return b
		}
	}
	p.mu.Unlock()
	return make([]Line, 0, n)
}

// put keeps b for a later get, cleared so that it pins no Text. A full
// list keeps the bigger batches. A batch already on the list (handed back
// twice) is not added again: two splitters filling one batch would mix
// their lines.
func (p *batchPool) put(b []Line) {
	if cap(b) < minPooledLines || cap(b) > maxPooledLines {
		return
	}
	b = b[:cap(b)]
	clear(b)
	first := &b[0]
	b = b[:0]
	p.mu.Lock()
	defer p.mu.Unlock()
	small := -1
	for i, f := range p.free {
		if &f[:1][0] == first {
			return
		}
		if small < 0 || cap(f) < cap(p.free[small]) {
			small = i
		}
	}
	switch {
	case len(p.free) < poolBatches:
		p.free = append(p.free, b)
	case cap(b) > cap(p.free[small]):
		p.free[small] = b
	}
}

// pooled is how many batches the free list holds (for tests).
func (p *batchPool) pooled() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.free)
}
