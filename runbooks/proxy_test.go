package runbooks_test

import (
	"bufio"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fakeProxy plays Nginx in front of the app for the post-deployment
// checks: on one loopback port it answers plain HTTP with a 301 to HTTPS
// (like the seed's port-80 server block) and terminates TLS for the rest,
// serving STATIC_ROOT under /static/ itself (the alias) and passing every
// other request to the app with Host and X-Forwarded-Proto set.
type fakeProxy struct {
	// Addr is 127.0.0.1:port, usable as the runbooks' domain.
	Addr string
	// CAFile holds the proxy's certificate; point SSL_CERT_FILE and
	// CURL_CA_BUNDLE at it so curl and openssl trust it.
	CAFile string
}

func newFakeProxy(t *testing.T, upstream, staticRoot string) *fakeProxy {
	t.Helper()
	target, err := url.Parse("http://" + upstream)
	must(t, err)
	app := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.SetXForwarded() // X-Forwarded-For, -Host and -Proto: https (the inbound request is TLS)
		r.Out.Host = r.In.Host
	},
		// runserver answers HEAD with a body; without keep-alive the
		// stray bytes cannot land on a reused connection.
		Transport: &http.Transport{DisableKeepAlives: true},
	}
	mux := http.NewServeMux()
	mux.Handle("/static/", http.StripPrefix("/static/", http.FileServer(http.Dir(staticRoot))))
	mux.Handle("/", app)

	srv := httptest.NewUnstartedServer(mux)
	// The checks that run without trusting the certificate make curl
	// abort handshakes on purpose; that is not worth a log line.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	split := &splitListener{Listener: l, plain: make(chan net.Conn)}
	srv.Listener = split
	srv.StartTLS()
	t.Cleanup(srv.Close)
	go split.servePlain(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://"+r.Host+r.URL.RequestURI(), http.StatusMovedPermanently)
	})

	ca := filepath.Join(t.TempDir(), "proxy-ca.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	must(t, os.WriteFile(ca, block, 0o644))
	return &fakeProxy{Addr: l.Addr().String(), CAFile: ca}
}

// splitListener hands TLS connections to the HTTPS server and keeps plain
// HTTP ones for the redirect, by peeking at the first byte (0x16 starts a
// TLS handshake).
type splitListener struct {
	net.Listener
	plain chan net.Conn
	once  sync.Once
}

func (l *splitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			l.once.Do(func() { close(l.plain) })
			return nil, err
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(c)
		first, err := br.Peek(1)
		_ = c.SetReadDeadline(time.Time{})
		if err != nil {
			_ = c.Close()
			continue
		}
		pc := &peekedConn{Conn: c, r: br}
		if first[0] == 0x16 {
			return pc, nil
		}
		l.plain <- pc
	}
}

// servePlain answers the plain-HTTP connections with h.
func (l *splitListener) servePlain(h http.HandlerFunc) {
	for c := range l.plain {
		go func(c net.Conn) {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			req, err := http.ReadRequest(bufio.NewReader(c))
			if err != nil {
				return
			}
			rec := httptest.NewRecorder()
			h(rec, req)
			resp := rec.Result()
			resp.Close = true
			_ = resp.Write(c)
		}(c)
	}
}

type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
