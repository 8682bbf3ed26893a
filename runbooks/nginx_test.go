package runbooks_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golive/runbook"
)

// webProxy is what stands in front of the app for the post-deployment
// checks: a real Nginx when it is installed, else fakeProxy.
type webProxy struct {
	// Addr is 127.0.0.1:port, usable as the runbooks' domain; plain HTTP
	// and TLS both answer there.
	Addr string
	// CAFile holds the certificate to trust (SSL_CERT_FILE, CURL_CA_BUNDLE).
	CAFile string
	// Bin, for a real Nginx, is a directory whose `nginx` runs the system
	// Nginx on this test's configuration in Dir; ErrorLog is its error log.
	Bin, Dir, ErrorLog string
}

// trustEnv adds the variables that make curl and openssl trust the proxy.
func (p *webProxy) trustEnv(env []string) []string {
	out := append([]string(nil), env...)
	return append(out, "SSL_CERT_FILE="+p.CAFile, "CURL_CA_BUNDLE="+p.CAFile)
}

// startProxy starts Nginx in front of upstream, or fakeProxy when Nginx is
// missing and CI is unset (under CI a missing Nginx fails the test).
func startProxy(t *testing.T, upstream, staticRoot, mediaRoot string) *webProxy {
	t.Helper()
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		nginx, err = exec.LookPath("/usr/sbin/nginx")
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("nginx is required in CI (apt-get install -y nginx): %v", err)
		}
		t.Logf("no nginx (%v): a Go proxy plays its part", err)
		p := newFakeProxy(t, upstream, staticRoot)
		return &webProxy{Addr: p.Addr, CAFile: p.CAFile}
	}
	return startNginx(t, nginx, upstream, staticRoot, mediaRoot)
}

// nginxConf is the seed's server setup on one port: TLS, a permanent
// redirect for plain HTTP (error 497 is Nginx's "plain HTTP sent to the
// TLS port"), the static and media aliases, a rate limit on the login page
// and the proxy headers Django needs.
const nginxConf = `daemon off;
user root;
pid {{dir}}/nginx.pid;
error_log {{dir}}/error.log warn;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    access_log {{dir}}/access.log;
    client_body_temp_path {{dir}}/tmp/body;
    proxy_temp_path {{dir}}/tmp/proxy;
    fastcgi_temp_path {{dir}}/tmp/fastcgi;
    uwsgi_temp_path {{dir}}/tmp/uwsgi;
    scgi_temp_path {{dir}}/tmp/scgi;
    limit_req_zone $binary_remote_addr zone=login:1m rate=30r/m;

    server {
        listen 127.0.0.1:{{port}} ssl;
        server_name 127.0.0.1 example.com;
        ssl_certificate {{dir}}/cert.pem;
        ssl_certificate_key {{dir}}/key.pem;
        error_page 497 =301 https://$host:$server_port$request_uri;

        location /static/ {
            alias {{static}}/;
        }
        location /media/ {
            alias {{media}}/;
        }
        location = /admin/login/ {
            limit_req zone=login burst=10 nodelay;
            include {{dir}}/proxy.conf;
        }
        location / {
            include {{dir}}/proxy.conf;
        }
    }
}
`

const proxyConf = `proxy_pass http://{{upstream}};
proxy_set_header Host $host;
proxy_set_header X-Forwarded-Host $host;
proxy_set_header X-Forwarded-Port $server_port;
proxy_set_header X-Forwarded-Proto $scheme;
proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
proxy_set_header X-Real-IP $remote_addr;
`

func startNginx(t *testing.T, nginx, upstream, staticRoot, mediaRoot string) *webProxy {
	t.Helper()
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "tmp"), 0o755))
	run(t, dir, nil, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
		"-keyout", filepath.Join(dir, "key.pem"), "-out", filepath.Join(dir, "cert.pem"),
		"-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:example.com")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	must(t, l.Close())
	fill := strings.NewReplacer("{{dir}}", dir, "{{port}}", fmt.Sprint(port), "{{static}}", staticRoot,
		"{{media}}", mediaRoot, "{{upstream}}", upstream)
	conf := filepath.Join(dir, "nginx.conf")
	must(t, os.WriteFile(conf, []byte(fill.Replace(nginxConf)), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "proxy.conf"), []byte(fill.Replace(proxyConf)), 0o644))

	// The runbook runs plain `nginx -t` and `nginx -T`: this nginx on PATH
	// points them at the test's configuration.
	bin := filepath.Join(dir, "bin")
	must(t, os.MkdirAll(bin, 0o755))
	wrapper := fmt.Sprintf("#!/bin/sh\nexec %s -p %s -c %s \"$@\"\n", nginx, dir, conf)
	must(t, os.WriteFile(filepath.Join(bin, "nginx"), []byte(wrapper), 0o755))

	cmd := exec.Command(filepath.Join(bin, "nginx"))
	out, err := os.Create(filepath.Join(dir, "stdout.log"))
	must(t, err)
	cmd.Stdout, cmd.Stderr = out, out
	must(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		_ = out.Close()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			_ = c.Close()
			return &webProxy{Addr: addr, CAFile: filepath.Join(dir, "cert.pem"), Bin: bin, Dir: dir, ErrorLog: filepath.Join(dir, "error.log")}
		}
		time.Sleep(100 * time.Millisecond)
	}
	logs, _ := os.ReadFile(filepath.Join(dir, "error.log"))
	t.Fatalf("nginx did not listen on %s within 20s:\n%s", addr, logs)
	return nil
}

// asUser returns a copy of the planned step that runs without sudo: the
// test's nginx stand-in is found on PATH, which sudo would reset.
func asUser(ps *runbook.PlannedStep) *runbook.PlannedStep {
	st := *ps.Step
	st.Sudo = false
	cp := *ps
	cp.Step = &st
	return &cp
}
