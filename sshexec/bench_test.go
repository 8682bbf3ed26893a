package sshexec

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Per-step overhead and throughput. Compare RunTrue/local with
// RunTrue/local-sh-baseline (one `/bin/sh -c true`), and RunTrueSSH/ssh
// (ssh_bench_test.go) with RunTrueSSH/openssh-controlmaster-baseline.

// benchTrue runs `true` as a job b.N times.
func benchTrue(b *testing.B, e Executor) {
	ctx := context.Background()
	ch := make(chan []Line, 16)
	defer close(ch)
	go func() {
		for range ch { // each Run's NoticeLaunched
		}
	}()
	for i := 0; b.Loop(); i++ {
		res, err := e.Run(ctx, Spec{JobID: fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i), Script: "true"}, ch)
		if err != nil || res.ExitCode != 0 {
			b.Fatalf("%+v %v", res, err)
		}
	}
}

// benchThroughput streams size bytes of base64 text per iteration.
func benchThroughput(b *testing.B, e Executor, size int) {
	ctx := context.Background()
	raw := size / 4 * 3
	b.SetBytes(int64(raw/3*4 + raw/3*4/76 + 1))
	for i := 0; b.Loop(); i++ {
		ch := make(chan []Line, 256)
		done := make(chan int)
		go func() {
			n := 0
			for batch := range ch {
				n += len(batch)
			}
			done <- n
		}()
		res, err := e.Run(ctx, Spec{JobID: fmt.Sprintf("bench-tp-%d-%d", time.Now().UnixNano(), i),
			Script: fmt.Sprintf("head -c %d /dev/zero | base64", raw)}, ch)
		close(ch)
		if n := <-done; err != nil || res.ExitCode != 0 || n < raw/57 {
			b.Fatalf("%+v %v, %d lines", res, err, n)
		}
	}
}

func BenchmarkRunTrue(b *testing.B) {
	b.Run("local", func(b *testing.B) {
		benchTrue(b, NewLocal(LocalOptions{StateDir: b.TempDir()}))
	})
	b.Run("local-sh-baseline", func(b *testing.B) {
		for b.Loop() {
			if err := exec.Command("/bin/sh", "-c", "true").Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkThroughput(b *testing.B) {
	b.Run("local", func(b *testing.B) {
		benchThroughput(b, NewLocal(LocalOptions{StateDir: b.TempDir()}), 50<<20)
	})
	b.Run("local-cat-baseline", func(b *testing.B) {
		b.SetBytes(50 << 20)
		for b.Loop() {
			c := exec.Command("/bin/sh", "-c", fmt.Sprintf("head -c %d /dev/zero | base64", 50<<20/4*3))
			c.Stdout = io.Discard
			if err := c.Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSplitter is the line splitter alone on base64-like text, fed in
// 32 KiB writes as the SSH client delivers it. Each write is one batch:
// allocs/op counts the allocations per 32 KiB (two: the batch and its
// string).
func BenchmarkSplitter(b *testing.B) {
	line := []byte(strings.Repeat("A", 76) + "\n")
	chunk := bytes.Repeat(line, 32<<10/len(line))
	b.SetBytes(int64(len(chunk)))
	s := newSplitter(Stdout, 0, func([]Line) error { return nil })
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
}
