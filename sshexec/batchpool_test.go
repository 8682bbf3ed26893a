package sshexec

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// poolSplitter is a splitter with a free list of its own (so that no other
// test's output takes its batches) that keeps what each Write emitted.
func poolSplitter(got *[]Line) (*splitter, *batchPool) {
	p := &batchPool{}
	s := newSplitter(Stdout, 0, func(b []Line) error {
		*got = b
		return nil
	})
	s.pool, s.quiet = p, 0
	return s, p
}

// A batch handed back is the next Write's batch, refilled from its start
// with the new lines only: nothing of its old lines shows through.
func TestRecycledBatchIsRefilled(t *testing.T) {
	var got []Line
	s, p := poolSplitter(&got)
	var in strings.Builder
	for i := range 40 {
		fmt.Fprintf(&in, "old line %d\n", i)
	}
	s.Write([]byte(in.String()))
	first := got
	if len(first) != 40 {
		t.Fatalf("first write gave %d lines, want 40", len(first))
	}
	p.put(first)
	if p.pooled() != 1 {
		t.Fatalf("free list holds %d batches after one was handed back", p.pooled())
	}
	s.Write([]byte("new a\nnew b\n"))
	if &got[:1][0] != &first[:1][0] {
		t.Fatal("the second write did not reuse the batch handed back")
	}
	check(t, got, want{"new a", 476}, want{"new b", 482})
	for i, l := range got[:cap(got)][len(got):] {
		if l != (Line{}) {
			t.Fatalf("slot %d past the new lines still holds %+v: a handed back batch must be cleared", len(got)+i, l)
		}
	}
	if p.pooled() != 0 {
		t.Fatalf("free list holds %d batches, want 0 (the one is in use)", p.pooled())
	}
}

// A batch too small for the next write is not used for it (the write
// gets one big enough), and stays for a later one.
func TestRecycledBatchTooSmall(t *testing.T) {
	var got []Line
	s, p := poolSplitter(&got)
	small := make([]Line, 0, minPooledLines)
	p.put(small)
	s.Write([]byte(strings.Repeat("x\n", minPooledLines+5)))
	if len(got) != minPooledLines+5 {
		t.Fatalf("%d lines, want %d", len(got), minPooledLines+5)
	}
	if &got[:1][0] == &small[:1][0] {
		t.Fatal("a batch too small was used (the write's lines would have grown it)")
	}
	if p.pooled() != 1 {
		t.Fatalf("free list holds %d batches, want the small one still", p.pooled())
	}
}

// The free list is bounded: one-line batches and very large ones are not
// kept, a batch handed back twice is kept once, and a full list keeps
// the bigger batches.
func TestBatchPoolBounds(t *testing.T) {
	p := &batchPool{}
	p.put([]Line{{Text: "a notice"}})
	p.put(make([]Line, 3, maxPooledLines+1))
	if p.pooled() != 0 {
		t.Fatalf("free list kept %d batches out of its bounds", p.pooled())
	}
	b := make([]Line, 20, 64)
	b[3].Text = "pinned"
	p.put(b)
	p.put(b)
	if p.pooled() != 1 {
		t.Fatalf("a batch handed back twice is on the list %d times", p.pooled())
	}
	if b[3].Text != "" {
		t.Fatal("a batch on the free list still holds a Text (it pins the output's memory)")
	}
	for range poolBatches {
		p.put(make([]Line, 0, 32))
	}
	if p.pooled() != poolBatches {
		t.Fatalf("free list holds %d batches, want at most %d", p.pooled(), poolBatches)
	}
	p.put(make([]Line, 0, 1000))
	if got := p.get(900); cap(got) != 1000 {
		t.Fatalf("a full list did not keep the bigger batch: got cap %d", cap(got))
	}
	if got := p.get(10); cap(got) < 10 || len(got) != 0 {
		t.Fatalf("get(10) gave len %d cap %d", len(got), cap(got))
	}
}

// With its batches handed back, a splitter's write of whole lines costs
// only the one string of their text.
func TestSplitterAllocsRecycled(t *testing.T) {
	line := strings.Repeat("A", 76) + "\n"
	whole := []byte(strings.Repeat(line, 32<<10/len(line)))
	var got []Line
	s, p := poolSplitter(&got)
	s.Write(whole)
	n := testing.AllocsPerRun(100, func() {
		p.put(got)
		s.Write(whole)
	})
	if n > 1 {
		t.Errorf("a write of whole lines with its batch handed back made %.1f allocations, want 1", n)
	}
	if len(got) != 32<<10/len(line) || got[0].Text != line[:76] {
		t.Fatalf("%d lines, first %q", len(got), got[0].Text)
	}
}

// Recycle feeds the free list every splitter takes from.
func TestRecycleFeedsSplitters(t *testing.T) {
	before := pool.pooled()
	if before == poolBatches {
		t.Skip("the free list is full")
	}
	Recycle(make([]Line, 5, 100))
	if pool.pooled() != before+1 {
		t.Fatalf("Recycle left %d batches on the free list, had %d", pool.pooled(), before)
	}
	s := newSplitter(Stdout, 0, func([]Line) error { return nil })
	if s.pool != &pool {
		t.Fatal("a new splitter does not take its batches from the free list Recycle feeds")
	}
}

// BenchmarkSplitterRecycled is BenchmarkSplitter with a receiver that
// hands each batch back, as ui.RunJob does: allocs/op is the batch's one
// string.
func BenchmarkSplitterRecycled(b *testing.B) {
	line := []byte(strings.Repeat("A", 76) + "\n")
	chunk := bytes.Repeat(line, 32<<10/len(line))
	b.SetBytes(int64(len(chunk)))
	s := newSplitter(Stdout, 0, func(l []Line) error {
		Recycle(l)
		return nil
	})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
}
