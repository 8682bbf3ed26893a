package sshexec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"golive/internal/sshdtest"
)

func TestExecStreamsAndExitCode(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	c := dialT(t, baseOptions(s))
	code, out, errs := run(t, c, "echo one; echo two >&2; echo three; exit 3")
	if code != 3 || out != "one\nthree\n" || errs != "two\n" {
		t.Fatalf("got code %d stdout %q stderr %q", code, out, errs)
	}
	if want := s.User + "@127.0.0.1:" + strconv.Itoa(s.Port); c.name() != want {
		t.Errorf("name %q, want %q", c.name(), want)
	}
	info := c.Info()
	if info.Name != c.name() || info.HostKeyType != "ED25519" || info.HostKeyFingerprint != ssh.FingerprintSHA256(s.HostPublicKey) ||
		info.AuthKeyFingerprint != ssh.FingerprintSHA256(s.ClientSigner.PublicKey()) || len(info.Jumps) != 0 {
		t.Errorf("info %+v", info)
	}
	// stdin reaches the command.
	var got bytes.Buffer
	code, err := c.exec(context.Background(), "tr a-z A-Z", strings.NewReader("secret\n"), &got, nil)
	if err != nil || code != 0 || got.String() != "SECRET\n" {
		t.Fatalf("stdin: code %d err %v out %q", code, err, got.String())
	}
	// A signal exit is 128+n, as a shell reports it.
	if code, _, _ := run(t, c, "kill -TERM $$"); code != 143 {
		t.Errorf("killed by TERM: code %d, want 143", code)
	}
}

func TestExecLargeOutputBothStreams(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	c := dialT(t, baseOptions(s))
	// 4 MB on each stream at once: a stream nobody drained would stall.
	var out, errb countWriter
	code, err := c.exec(context.Background(),
		"head -c 4194304 /dev/zero & head -c 4194304 /dev/zero >&2; wait", nil, &out, &errb)
	if err != nil || code != 0 {
		t.Fatalf("code %d err %v", code, err)
	}
	if out.n != 4<<20 || errb.n != 4<<20 {
		t.Fatalf("got %d stdout and %d stderr bytes, want %d each", out.n, errb.n, 4<<20)
	}
}

type countWriter struct{ n int }

func (w *countWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

func TestExecCancelReturnsPromptly(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	c := dialT(t, baseOptions(s))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.exec(ctx, "sleep 30", nil, nil, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("cancel took %s", d)
	}
	// The connection is still usable.
	if code, out, _ := run(t, c, "echo ok"); code != 0 || out != "ok\n" {
		t.Fatalf("after cancel: %d %q", code, out)
	}
}

func TestMaxSessionsBound(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t, sshdtest.MaxSessions(3))
	c := dialT(t, baseOptions(s))
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var out bytes.Buffer
			code, err := c.exec(context.Background(), fmt.Sprintf("sleep 0.3; echo %d", i), nil, &out, nil)
			if err != nil || code != 0 || out.String() != fmt.Sprintf("%d\n", i) {
				errs <- fmt.Errorf("exec %d: code %d err %v out %q", i, code, err, out.String())
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestConnectTimeoutAndUnreachable(t *testing.T) {
	isolate(t)
	// A server that accepts TCP and never speaks SSH.
	l := silentListener(t, "tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	opts := Options{Host: "127.0.0.1", Port: port, ConfigFile: "none", KnownHostsFiles: []string{t.TempDir() + "/kh"}}

	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Dial(ctx, opts)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 3*time.Second {
		t.Fatalf("ctx bound: err %v after %s", err, time.Since(start))
	}

	opts.ConnectTimeout = 300 * time.Millisecond
	start = time.Now()
	_, err = Dial(context.Background(), opts)
	if err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("ConnectTimeout: err %v after %s", err, time.Since(start))
	}
	mustContain(t, err.Error(), "did not finish within 300ms", "127.0.0.1:"+strconv.Itoa(port))

	l.Close()
	_, err = Dial(context.Background(), opts)
	if err == nil {
		t.Fatal("dial to a closed port succeeded")
	}
	mustContain(t, err.Error(), "connection refused", "check the host name and port", "`ssh -v -p "+strconv.Itoa(port)+" "+localUser()+"@127.0.0.1`")
}

func TestReconnectAfterDroppedConnection(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	c := dialT(t, baseOptions(s))
	run(t, c, "true")
	if s.KillSessions() == 0 {
		t.Fatal("no sessions to kill")
	}
	_, err := c.exec(context.Background(), "echo hi", nil, nil, nil)
	if !errors.Is(err, errConnLost) {
		t.Fatalf("exec on dropped link: %v, want errConnLost", err)
	}
	var notes []string
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.reconnect(ctx, func(k NoticeKind, s string) { notes = append(notes, k.String()+": "+s) }); err != nil {
		t.Fatalf("reconnect: %v", err)
	}
	if len(notes) != 2 || !strings.HasPrefix(notes[0], "reconnecting: connection lost: ") ||
		!strings.HasSuffix(notes[0], "reconnecting (attempt 1)") || notes[1] != "reconnected: reconnected" {
		t.Fatalf("notices %q", notes)
	}
	if code, out, _ := run(t, c, "echo back"); code != 0 || out != "back\n" {
		t.Fatalf("after reconnect: %d %q", code, out)
	}
	// A second reconnect with a healthy link does nothing.
	notes = nil
	if err := c.reconnect(ctx, func(k NoticeKind, s string) { notes = append(notes, k.String()+": "+s) }); err != nil || len(notes) != 0 {
		t.Fatalf("reconnect on a live link: %v %q", err, notes)
	}
}

func TestReconnectWaitsForServerAndChecksKey(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	c := dialT(t, baseOptions(s))
	s.StopListener()
	s.KillSessions()
	// The server comes back after a while; reconnect keeps trying.
	restarted := make(chan struct{})
	go func() { time.Sleep(2500 * time.Millisecond); s.Restart(); close(restarted) }()
	defer func() { <-restarted }()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var mu sync.Mutex
	var notes []string
	if err := c.reconnect(ctx, func(k NoticeKind, s string) { mu.Lock(); notes = append(notes, k.String()+": "+s); mu.Unlock() }); err != nil {
		t.Fatalf("reconnect: %v (notes %q)", err, notes)
	}
	// Attempts 1 and 2 (after 1s) fail while the server is down.
	if len(notes) < 3 || notes[len(notes)-1] != "reconnected: reconnected" || !strings.Contains(notes[1], "connection refused") {
		t.Fatalf("notices %q", notes)
	}
	if code, _, _ := run(t, c, "true"); code != 0 {
		t.Fatal("exec after reconnect failed")
	}
}

// The keepalive notices a link that stopped answering (sshd frozen with
// SIGSTOP, TCP still open) within interval*countMax, 15 s by default.
func TestKeepaliveDetectsDeadLink(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	c := dialT(t, baseOptions(s))
	l, _ := c.current()
	resume := s.StopSessions()
	defer resume()
	start := time.Now()
	select {
	case <-l.done:
	case <-time.After(22 * time.Second):
		t.Fatal("dead link not detected within 22s")
	}
	d := time.Since(start)
	t.Logf("dead link detected after %s", d)
	if d > 20*time.Second || d < 9*time.Second {
		t.Errorf("detected after %s, want 10-15s with the 5s x 3 default (20s allows for a loaded machine)", d)
	}
	mustContain(t, l.why().Error(), "no answer to keepalives")
	_, err := c.exec(context.Background(), "true", nil, nil, nil)
	if !errors.Is(err, errConnLost) {
		t.Fatalf("exec after dead link: %v", err)
	}
}

// A connection that drops while a command runs reports errConnLost (the
// command's fate unknown), not an exit status.
func TestExecConnectionDropsMidCommand(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	c := dialT(t, baseOptions(s))
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		_, err := c.exec(context.Background(), "echo started; sleep 10", nil, &lockedBuf{b: &out}, nil)
		done <- err
	}()
	time.Sleep(500 * time.Millisecond)
	s.KillSessions()
	select {
	case err := <-done:
		if !errors.Is(err, errConnLost) {
			t.Fatalf("err %v, want errConnLost", err)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("exec did not return after the connection dropped")
	}
}

// After a reconnect the host key must still verify: a changed key stops
// the reconnect at once instead of retrying.
func TestReconnectRefusesChangedKey(t *testing.T) {
	isolate(t)
	s := sshdtest.Start(t)
	opts := baseOptions(s)
	c := dialT(t, opts)
	_, other := s.NewClientKey("impostor", "")
	os.WriteFile(opts.KnownHostsFiles[0], []byte(s.KnownHostsName()+" "+string(ssh.MarshalAuthorizedKey(other.PublicKey()))), 0o600)
	s.KillSessions()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	err := c.reconnect(ctx, nil)
	var he *HostKeyError
	if !errors.As(err, &he) || he.Kind != HostKeyChanged {
		t.Fatalf("reconnect: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("reconnect kept retrying a changed key for %s", time.Since(start))
	}
}

type lockedBuf struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// TestHandshakeWithNotSSH: a server that answers, but not in SSH (a web
// server on the port), gets an error that says what to check and what to
// try, not only the handshake's "connection reset by peer".
func TestHandshakeWithNotSSH(t *testing.T) {
	isolate(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			conn.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
			conn.Close()
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = Dial(context.Background(), Options{Host: "127.0.0.1", Port: port, ConfigFile: "none", KnownHostsFiles: []string{t.TempDir() + "/kh"}})
	if err == nil {
		t.Fatal("a handshake with a web server succeeded")
	}
	mustContain(t, err.Error(), "127.0.0.1:"+strconv.Itoa(port), "check that an SSH server (not something else) listens there",
		"`ssh -v -p "+strconv.Itoa(port)+" "+localUser()+"@127.0.0.1`")
}
