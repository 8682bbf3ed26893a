package runbooks_test

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"

	"golive/sshexec"
)

// pgCluster is a throwaway PostgreSQL server on 127.0.0.1, run by the
// postgres system user from a temp dir, with an application role that
// owns its database (what migrations need) and a read-only role.
type pgCluster struct {
	port             int
	appURL, readURL  string
	appPass, rdrPass string
}

// requirePostgres skips (or under CI fails) when the PostgreSQL server or
// psycopg2 is missing; it returns the server's bin directory.
func requirePostgres(t *testing.T) string {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Strings(bins)
	err := exec.Command(djangoPython, "-c", "import psycopg2").Run()
	if len(bins) > 0 && err == nil {
		if _, uerr := exec.LookPath("runuser"); uerr == nil && os.Geteuid() == 0 {
			return filepath.Dir(bins[len(bins)-1])
		}
	}
	msg := fmt.Sprintf("needs the postgresql server, python3-psycopg2 and root (initdb found: %v, psycopg2: %v)", bins, err)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func startPostgres(t *testing.T) *pgCluster {
	t.Helper()
	bin := requirePostgres(t)
	dir, err := os.MkdirTemp("", "golive-pg-")
	must(t, err)
	must(t, os.Chmod(dir, 0o755))
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "sock")
	for _, d := range []string{data, sock} {
		must(t, os.Mkdir(d, 0o700))
		run(t, dir, nil, "chown", "postgres:postgres", d)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	must(t, l.Close())

	asPostgres := func(name string, args ...string) string {
		t.Helper()
		return run(t, dir, nil, "runuser", append([]string{"-u", "postgres", "--", filepath.Join(bin, name)}, args...)...)
	}
	asPostgres("initdb", "-D", data, "--auth-local=trust", "--auth-host=scram-sha-256", "-U", "postgres", "--no-sync")
	asPostgres("pg_ctl", "-D", data, "-l", filepath.Join(sock, "server.log"), "-w", "-t", "60", "-o",
		fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, sock), "start")
	t.Cleanup(func() {
		_ = exec.Command("runuser", "-u", "postgres", "--", filepath.Join(bin, "pg_ctl"), "-D", data, "-m", "immediate", "stop").Run()
	})
	c := &pgCluster{port: port, appPass: "app-" + randomSecret(t)[:16], rdrPass: "rdr-" + randomSecret(t)[:16]}
	sql := fmt.Sprintf(`CREATE ROLE app LOGIN PASSWORD '%s';
CREATE ROLE reader LOGIN PASSWORD '%s';
CREATE DATABASE app OWNER app;
GRANT CONNECT ON DATABASE app TO reader;`, sqlQuote(c.appPass), sqlQuote(c.rdrPass))
	for _, stmt := range splitSQL(sql) {
		asPostgres("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", sock, "-p", fmt.Sprint(port), "-U", "postgres", "-c", stmt)
	}
	host := fmt.Sprintf("127.0.0.1:%d", port)
	c.appURL = (&url.URL{Scheme: "postgresql", User: url.UserPassword("app", c.appPass), Host: host, Path: "/app"}).String()
	c.readURL = (&url.URL{Scheme: "postgresql", User: url.UserPassword("reader", c.rdrPass), Host: host, Path: "/app"}).String()
	return c
}

// TestPostgresStepsAgainstDjango runs the database steps the SQLite
// fixture cannot: against a real PostgreSQL server, with a role that owns
// the database and with a read-only one.
func TestPostgresStepsAgainstDjango(t *testing.T) {
	if testing.Short() {
		t.Skip("runs PostgreSQL and a real Django project")
	}
	t.Parallel()
	requireDjango(t)
	pg := startPostgres(t)
	s := newFakeServerWithDB(t, pg.appURL)
	plan := nonDockerPlan(t, s, nil)
	local := sshexec.NewLocal(sshexec.LocalOptions{StateDir: t.TempDir()})
	t.Cleanup(func() { _ = local.Close() })
	secrets := append(s.secrets(), pg.appPass, pg.rdrPass)
	r := execRunner{label: "local", exec: local, env: envMap(s.loginEnv()), secrets: secrets}
	runSteps(t, r, plan, []expectation{
		{id: "db-postgres", pass: true, contains: "database name = app"},
		{id: "db-reachable", pass: true, contains: fmt.Sprintf("127.0.0.1:%d - accepting connections", pg.port)},
		{id: "db-roundtrip", pass: true},
		{id: "db-permissions", pass: true, contains: "database user = app"},
		{id: "migrate-check-before", pass: true},
		{id: "pull-code", pass: true},
		{id: "migrate-check-after", pass: false, contains: "unapplied migrations remain"},
		{id: "migrate-plan", pass: true, contains: "Add field price to product"},
		{id: "migrate", pass: true, contains: "Applying shop.0002_product_price... OK"},
		{id: "migrate-check-after", pass: true},
		{id: "db-write", pass: true},
	})

	// The same checks as a role that may only connect: the permission
	// check must say why migrate would fail.
	s.env["DATABASE_URL"] = pg.readURL
	s.writeEnv(t)
	runSteps(t, r, plan, []expectation{
		{id: "db-roundtrip", pass: true},
		{id: "db-permissions", pass: false, contains: "create on schema = False"},
	})
}

// sqlQuote doubles single quotes for an SQL string literal.
func sqlQuote(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// splitSQL splits statements on ";\n" (enough for the fixed setup above).
func splitSQL(sql string) []string {
	var out []string
	start := 0
	for i := 0; i+1 < len(sql); i++ {
		if sql[i] == ';' && sql[i+1] == '\n' {
			out = append(out, sql[start:i])
			start = i + 2
		}
	}
	return append(out, sql[start:])
}
