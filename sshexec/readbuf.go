package sshexec

import (
	"bufio"
	"net"
)

// readBufSize is how much of the connection one read(2) may take in.
//
// x/crypto/ssh reads the connection through a 4 KiB bufio.Reader: every
// packet of a step's output (up to 32 KiB) cost two or three read(2)s, tens
// of thousands of them for 200 MB, each a trip into the kernel and through
// the network poller. Behind this buffer one read(2) takes whatever the
// socket holds, up to readBufSize, and x/crypto's reads are copies out of
// it. For 200 MB through the TUI that cut golive's read(2)s by about 40%
// and its CPU by 4-6% (docs/performance.md, fix 43).
const readBufSize = 256 << 10

// bufConn is a net.Conn whose reads go through a buffer; everything else
// (writes, deadlines, Close) is the connection's own.
type bufConn struct {
	net.Conn
	r *bufio.Reader
}

// bufferReads wraps c so that its reads are buffered (readBufSize).
func bufferReads(c net.Conn) net.Conn {
	return &bufConn{Conn: c, r: bufio.NewReaderSize(c, readBufSize)}
}

func (c *bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }
