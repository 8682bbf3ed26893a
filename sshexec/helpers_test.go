package sshexec

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"golive/internal/sshdtest"
)

// isolate keeps a test away from the real ~/.ssh and ssh-agent.
func isolate(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", "")
	return home
}

// baseOptions connects to s with its client key, trusting exactly its key.
func baseOptions(s *sshdtest.Server) Options {
	return Options{
		Host:            s.Host,
		Port:            s.Port,
		User:            s.User,
		ConfigFile:      "none",
		IdentityFiles:   []string{s.ClientKeyPath},
		KnownHostsFiles: []string{s.WriteKnownHosts(false)},
	}
}

func dialT(t *testing.T, opts Options) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := Dial(ctx, opts)
	if err != nil {
		t.Fatalf("Dial %s: %v", opts.Host, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// run executes cmd and returns exit code, stdout, stderr.
func run(t *testing.T, c *Client, cmd string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code, err := c.exec(ctx, cmd, nil, &out, &errb)
	if err != nil {
		t.Fatalf("exec %q: %v", cmd, err)
	}
	return code, out.String(), errb.String()
}

// fakePrompter records questions and answers from scripts.
type fakePrompter struct {
	mu          sync.Mutex
	t           *testing.T
	accept      bool
	hostQs      []HostKeyQuestion
	passphrases []string // answers, in order
	passQs      []PassphraseQuestion
}

func (f *fakePrompter) ConfirmHostKey(_ context.Context, q HostKeyQuestion) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hostQs = append(f.hostQs, q)
	return f.accept, nil
}

func (f *fakePrompter) Passphrase(_ context.Context, q PassphraseQuestion) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.passQs = append(f.passQs, q)
	if len(f.passphrases) == 0 {
		return nil, errors.New("no passphrase scripted") // like the operator pressing esc
	}
	p := f.passphrases[0]
	f.passphrases = f.passphrases[1:]
	return []byte(p), nil
}

// failPrompter fails the test when asked anything.
type failPrompter struct{ t *testing.T }

func (f failPrompter) ConfirmHostKey(_ context.Context, q HostKeyQuestion) (bool, error) {
	f.t.Errorf("host key question must not be asked: %s", q.Message)
	return false, ErrNoAnswer
}

func (f failPrompter) Passphrase(_ context.Context, q PassphraseQuestion) ([]byte, error) {
	f.t.Errorf("passphrase must not be asked: %s", q.Message)
	return nil, ErrNoAnswer
}

func mustContain(t *testing.T, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%q\ndoes not contain %q", s, sub)
		}
	}
}

func asHostKeyError(err error, he **HostKeyError) bool { return errors.As(err, he) }

// ran is how a Run that a test started in the background ended.
type ran struct {
	res Result
	err error
}

// runAsync starts ex.Run(ctx, spec, out) in a goroutine; its end comes on
// the returned channel.
func runAsync(ctx context.Context, ex Executor, spec Spec, out chan<- []Line) <-chan ran {
	done := make(chan ran, 1)
	go func() {
		res, err := ex.Run(ctx, spec, out)
		done <- ran{res, err}
	}()
	return done
}

// silentListener listens on network/address until the test ends and
// holds every connection open without a word (a server that hangs).
func silentListener(t *testing.T, network, address string) net.Listener {
	t.Helper()
	l, err := net.Listen(network, address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	return l
}
