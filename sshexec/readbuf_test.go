package sshexec

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"testing"
)

// countingConn counts the reads that reach the connection underneath.
type countingConn struct {
	net.Conn
	reads int
}

func (c *countingConn) Read(p []byte) (int, error) {
	c.reads++
	return c.Conn.Read(p)
}

// TestBufferReads: a reader taking a connection in x/crypto/ssh's small
// pieces gets every byte in order, from far fewer reads of the connection
// than it makes; writes and Close are the connection's own.
func TestBufferReads(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	want := make([]byte, 4<<20)
	for i := range want {
		want[i] = byte(rand.IntN(256))
	}
	sent := make(chan error, 1)
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			sent <- err
			return
		}
		defer c.Close()
		for p := want; len(p) > 0; {
			n := min(len(p), 16<<10) // one packet at a time, as sshd sends
			if _, err := c.Write(p[:n]); err != nil {
				sent <- err
				return
			}
			p = p[n:]
		}
		back, err := io.ReadAll(io.LimitReader(c, 5))
		got <- back
		sent <- err
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	cc := &countingConn{Conn: raw}
	conn := bufferReads(cc)
	var out bytes.Buffer
	buf := make([]byte, 4096) // bufio.NewReader's size, as x/crypto reads
	small := 0
	for out.Len() < len(want) {
		n, err := conn.Read(buf[:1+rand.IntN(len(buf))])
		out.Write(buf[:n])
		small++
		if err != nil {
			t.Fatalf("read after %d bytes: %v", out.Len(), err)
		}
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatal("the bytes read differ from the bytes sent")
	}
	if cc.reads*4 > small {
		t.Errorf("%d reads of the connection for %d reads through the buffer; want at most a quarter", cc.reads, small)
	}
	if _, err := conn.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if b := <-got; string(b) != "hello" {
		t.Errorf("the peer read %q, want %q", b, "hello")
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Write([]byte("x")); err == nil {
		t.Error("the connection is still open after Close")
	}
}
