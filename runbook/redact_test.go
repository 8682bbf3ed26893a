package runbook

import (
	"bytes"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestRedactorLine(t *testing.T) {
	r := NewRedactor([]string{"hunter2-long", "s3cr3t-pass", "abcdef", "defghi", "p@ss w'rd&$x", "ab"})
	cases := []struct{ in, want string }{
		// The seed's `env | grep DJANGO` check: names shown, values not.
		{"DJANGO_SECRET_KEY=replace-with-a-real-secret", "DJANGO_SECRET_KEY=********"},
		{"DJANGO_ALLOWED_HOSTS=example.com,www.example.com", "DJANGO_ALLOWED_HOSTS=example.com,www.example.com"},
		{"DJANGO_DEBUG=False", "DJANGO_DEBUG=False"},
		{"DATABASE_PASSWORD=has spaces in it", "DATABASE_PASSWORD=********"},
		{"export API_TOKEN=abc123", "export API_TOKEN=********"},
		{"  db_password: hunter", "  db_password: ********"},
		{`{"api_key": "zzz", "user": "bob"}`, `{"api_key": "********", "user": "bob"}`},
		{`{'password': 'x y', 'n': 1}`, `{'password': '********', 'n': 1}`},
		{`"Env": ["DJANGO_SECRET_KEY=abc", "PATH=/usr/bin"],`, `"Env": ["DJANGO_SECRET_KEY=********", "PATH=/usr/bin"],`},
		{"Environment=DB_PASS=one LANG=C", "Environment=DB_PASS=******** LANG=C"},
		{"run --password=pw1 --verbose", "run --password=******** --verbose"},
		{"SECRET_KEY = os.environ['DJANGO_SECRET_KEY']", "SECRET_KEY = ********"},
		{"PASSWORD=", "PASSWORD="},
		{"best = max(points, key=len)", "best = max(points, key=len)"},
		{"KEY=len", "KEY=********"},
		{`tolower($0) ~ /^set-cookie:/ { n = $2 }`, `tolower($0) ~ /^set-cookie:/ { n = $2 }`},
		{"TOKEN=x", "TOKEN=********"},
		{"DB_PASS=x1", "DB_PASS=********"},
		{"TESTS_PASSED=3 MYSQL_PWD=q", "TESTS_PASSED=3 MYSQL_PWD=********"},
		{"KeyboardInterrupt: stopped", "KeyboardInterrupt: stopped"},
		{"if KEY == other", "if KEY == other"},
		// Django's diffsettings and docker compose config.
		{`DATABASES = {'default': {'HOST': 'db', 'PASSWORD': 'pw 1', 'PORT': ''}}`, `DATABASES = {'default': {'HOST': 'db', 'PASSWORD': '********', 'PORT': ''}}`},
		{`CACHES = {'default': {'LOCATION': 'redis://:pw2@cache:6379/1'}}`, `CACHES = {'default': {'LOCATION': 'redis://:********@cache:6379/1'}}`},
		{`EMAIL_HOST_PASSWORD = 'pw3'  ###`, `EMAIL_HOST_PASSWORD = '********'  ###`},
		{`      DJANGO_SECRET_KEY: pw4`, `      DJANGO_SECRET_KEY: ********`},
		{`      - DJANGO_SECRET_KEY=pw5`, `      - DJANGO_SECRET_KEY=********`},
		{`Environment="DJANGO_SECRET_KEY=pw6" "DB_PASSWORD=pw7"`, `Environment="DJANGO_SECRET_KEY=********" "DB_PASSWORD=********"`},
		{`SENTRY_DSN: "https://abc@sentry.io/1"`, `SENTRY_DSN: "********"`},
		// Diagnostics stay readable.
		{"KeyError: 'DJANGO_SECRET_KEY'", "KeyError: 'DJANGO_SECRET_KEY'"},
		{"12:30:45 INFO listening on 0.0.0.0:8000", "12:30:45 INFO listening on 0.0.0.0:8000"},
		{"?: (security.W009) Your SECRET_KEY has less than 50 characters.", "?: (security.W009) Your SECRET_KEY has less than 50 characters."},
		// URLs, any scheme.
		{"DATABASE_URL=postgres://app:pw%40x@db:5432/shop", "DATABASE_URL=postgres://app:********@db:5432/shop"},
		{"connecting to redis://:sesame@cache:6379/0 ok", "connecting to redis://:********@cache:6379/0 ok"},
		{"see https://example.com/a:b@c", "see https://example.com/a:b@c"},
		{"DATABASE_URL=postgres://app:Zm9v/YmFy+?#x@db:5432/shop?x=1", "DATABASE_URL=postgres://app:********@db:5432/shop?x=1"},
		{"postgres://app:p@db/shop?email=a@b.c", "postgres://app:********@db/shop?email=a@b.c"},
		{"listening on http://0.0.0.0:8000/ ok", "listening on http://0.0.0.0:8000/ ok"},
		{"amqp://u:p1@h1 and mysql://u:p2@h2", "amqp://u:********@h1 and mysql://u:********@h2"},
		{"redis://:p1@redis://:p2@h", "redis://:********@redis://:********@h"},
		// Authorization headers and bearer tokens.
		{"Authorization: Bearer eyJhbGciOi.x.y", "Authorization: Bearer ********"},
		{`curl -H "Authorization: Basic dXNlcjpw" x`, `curl -H "Authorization: Basic ********" x`},
		{"got bearer abc.def from vault", "got bearer ******** from vault"},
		{"Set-Cookie: sessionid=abc; HttpOnly", "Set-Cookie: ********"},
		// Known values: several on a line, overlapping, quoted, encoded.
		{"a hunter2-long b s3cr3t-pass c", "a ******** b ******** c"},
		{"xabcdefghiy", "x********y"},
		{"echo 'p@ss w'\\''rd&$x'", "echo '********'"},
		{"pw=" + url.QueryEscape("p@ss w'rd&$x") + "&n=1", "pw=********&n=1"},
		{`"p@ss w'rd&$x"`, `"********"`},
		{"short ab too", "short ******** too"},
		// Inline key block.
		{`"-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----\n"`, `"-----BEGIN PRIVATE KEY-----********-----END PRIVATE KEY-----\n"`},
	}
	for _, c := range cases {
		if got := r.Line(c.in); got != c.want {
			t.Errorf("Line(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
		if got := r.Line(r.Line(c.in)); got != c.want {
			t.Errorf("Line is not idempotent on %q: %q", c.in, got)
		}
	}
}

func TestRedactorShortAndDegenerateSecrets(t *testing.T) {
	r := NewRedactor([]string{"q", "**", ""})
	if got := r.Line("a q b ** c"); got != "a ******** b ** c" {
		t.Fatalf("got %q", got)
	}
	if got := r.Line(r.Line("qq")); got != Mask {
		t.Fatalf("adjacent one-letter secrets: %q", got)
	}
}

func TestRedactorMaskHidesLength(t *testing.T) {
	r := NewRedactor([]string{"abcd", strings.Repeat("z", 300)})
	a, b := r.Line("x abcd y"), r.Line("x "+strings.Repeat("z", 300)+" y")
	if a != b || a != "x "+Mask+" y" {
		t.Fatalf("masks differ with secret length: %q vs %q", a, b)
	}
}

func TestStreamRedactorKeyBlock(t *testing.T) {
	r := NewRedactor(nil)
	in := []string{
		"before",
		"-----BEGIN OPENSSH PRIVATE KEY-----",
		"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
		"QyNTUxOQAAACBmb29iYXJiYXpxdXhmb29iYXJiYXpxdXhmb29iYXIAAAAJYQ==",
		"",
		"-----END OPENSSH PRIVATE KEY-----",
		"after KEY_ID=7",
		"-----BEGIN CERTIFICATE-----",
		"MIIBcertificatesarepublic",
	}
	want := []string{
		"before",
		"-----BEGIN OPENSSH PRIVATE KEY-----",
		Mask, Mask, Mask,
		"-----END OPENSSH PRIVATE KEY-----",
		"after KEY_ID=********",
		"-----BEGIN CERTIFICATE-----",
		"MIIBcertificatesarepublic",
	}
	s := r.Stream()
	for i, line := range in {
		if got := s.Line(line); got != want[i] {
			t.Errorf("line %d: got %q want %q", i, got, want[i])
		}
	}
	// Without stream state, a multi-line text is still masked inside.
	if got := r.Line(strings.Join(in[:4], "\n")); strings.Contains(got, "b3Bl") || strings.Contains(got, "QyNT") {
		t.Errorf("one-off multi-line text leaked key material: %q", got)
	}
	// A block that never ends keeps the stream masked.
	s = r.Stream()
	s.Line("-----BEGIN RSA PRIVATE KEY-----")
	for i := 0; i < 100; i++ {
		if got := s.Line("MIIEpAIBAAKCAQEA"); got != Mask {
			t.Fatalf("body line %d: %q", i, got)
		}
	}
}

func TestStreamRedactorYAMLBlock(t *testing.T) {
	in := []string{
		"services:",
		"  web:",
		"    environment:",
		"      DJANGO_SECRET_KEY: |",
		"        first-line-of-secret",
		"",
		"        second-line",
		"      DJANGO_DEBUG: \"False\"",
		"      NOTES: |",
		"        visible text",
	}
	want := []string{
		"services:", "  web:", "    environment:",
		"      DJANGO_SECRET_KEY: |",
		Mask, "", Mask,
		"      DJANGO_DEBUG: \"False\"",
		"      NOTES: |",
		"        visible text",
	}
	s := NewRedactor(nil).Stream()
	for i, l := range in {
		if got := s.Line(l); got != want[i] {
			t.Errorf("line %d: got %q want %q", i, got, want[i])
		}
	}
}

func TestRedactorConcurrent(t *testing.T) {
	r := NewRedactor([]string{"first-secret"})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := r.Stream()
			for i := 0; i < 2000; i++ {
				if got := s.Line("x first-secret y"); got != "x ******** y" {
					t.Errorf("got %q", got)
					return
				}
				r.Line("later-secret")
			}
		}()
	}
	for i := 0; i < 50; i++ {
		r.AddSecret("later-secret")
		r.AddSecret(strings.Repeat("q", i+4))
	}
	wg.Wait()
	if got := r.Line("later-secret"); got != Mask {
		t.Fatalf("secret added later not masked: %q", got)
	}
	var nilR *Redactor
	if got := nilR.Line("TOKEN=x"); got != "TOKEN=********" {
		t.Fatalf("nil redactor: %q", got)
	}
}

// BenchmarkRedactOrdinary measures redaction of ordinary release output (no
// secrets in it) with a few secrets registered. The target is ≥ 200 MB/s.
func BenchmarkRedactOrdinary(b *testing.B) {
	r := NewRedactor([]string{"Xk9#mQ2$vL8pZr4w", "db-pass-7731", "s3cr3t-token-abc"})
	lines := logLines
	size := 0
	for _, l := range lines {
		size += len(l) + 1
	}
	s := r.Stream()
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, l := range lines {
			s.Line(l)
		}
	}
}

// Secrets planted in output, known ones and unknown ones in secret shapes,
// must not reach any file the journal writes.
func TestPlantedSecretsNeverReachJournal(t *testing.T) {
	known := []string{"Pl4nted-sudo-pw!", "var-secret 'quoted' $x"}
	unknown := []string{"unknownDjangoKey9f3", "urlpass77", "bearer-tok-55", "AAAAB3NzaC1yc2EAAAADAQABAAABgQC"}
	r := NewRedactor(known)
	output := []string{
		"DJANGO_SECRET_KEY=" + unknown[0],
		"DATABASE_URL=postgres://app:" + unknown[1] + "@db/app",
		"Authorization: Bearer " + unknown[2],
		"-----BEGIN OPENSSH PRIVATE KEY-----",
		unknown[3],
		"-----END OPENSSH PRIVATE KEY-----",
		"sudo: password is " + known[0],
		"echo '" + strings.ReplaceAll(known[1], "'", `'\''`) + "'",
		`{"note": "` + strings.ReplaceAll(known[1], "'", "'") + `"}`,
		"q=" + url.QueryEscape(known[1]),
	}
	state := t.TempDir()
	j, err := CreateJournal(state, "planted")
	if err != nil {
		t.Fatal(err)
	}
	s := r.Stream()
	var lines []OutputLine
	for _, o := range output {
		lines = append(lines, OutputLine{Stream: StreamStdout, Text: s.Line(o)})
	}
	evs := []Event{
		{Type: EvRunStarted, Run: &RunInfo{ID: "planted", Vars: map[string]string{"DB_PASSWORD": Mask}}},
		{Type: EvStepStarted, Step: "env", Start: &StartInfo{Command: r.Line("sudo -S true <<< " + known[0])}},
		{Type: EvOutput, Step: "env", Lines: lines},
		{Type: EvNote, Note: r.Line("operator typed " + known[1])},
	}
	if _, err := j.Append(evs...); err != nil {
		t.Fatal(err)
	}
	j.Close()
	var files int
	err = filepath.WalkDir(state, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, sec := range append(append([]string{}, known...), unknown...) {
			for _, form := range []string{sec, url.QueryEscape(sec), strings.ReplaceAll(sec, "'", `'\''`)} {
				if bytes.Contains(data, []byte(form)) {
					t.Errorf("%s contains secret %q (as %q)", path, sec, form)
				}
			}
		}
		if !bytes.Contains(data, []byte("DJANGO_SECRET_KEY=********")) {
			t.Errorf("%s: the variable's name should still show", path)
		}
		return nil
	})
	if err != nil || files != 1 {
		t.Fatalf("walked %d files: %v", files, err)
	}
}

// FuzzRedact: redaction never panics, never lets a known secret through,
// and is idempotent (the session redacts lines the UI already redacted).
func FuzzRedact(f *testing.F) {
	for _, s := range []string{"DJANGO_SECRET_KEY=abc", "postgres://u:p@h/db", "Authorization: Bearer x",
		`{"password": "x"}`, "-----BEGIN PRIVATE KEY-----x-----END PRIVATE KEY-----", "a=b c:d", "KEY=", "://@:", "s3cr3t-value",
		"sshpass -p s3cr3t-value ssh h", "--password x --token 'y z'", "PGPASSWORD x", "ENV K_PASS a b", "curl -u a:b",
		"password=x user=bob", "mysql -px", "fastcgi_param DB_PASSWORD s3;",
		"KEY =0 0", "KEY :0 0", "KEY KEY=\" 0", "AuthoriZAtion:BeArer 0=", // found by the fuzzer: the mask was read as a NAME VALUE pair
		"://:0@://:0@"} { // the last one found a leak: the second password stayed
		f.Add(s)
	}
	r := NewRedactor([]string{"s3cr3t-value"})
	f.Fuzz(func(t *testing.T, in string) {
		once := r.Line(in)
		if strings.Contains(once, "s3cr3t-value") {
			t.Fatalf("secret leaked: %q -> %q", in, once)
		}
		if twice := r.Line(once); twice != once {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, once, twice)
		}
		s := r.Stream()
		for _, l := range strings.Split(in, "\n") {
			if out := s.Line(l); strings.Contains(out, "s3cr3t-value") {
				t.Fatalf("secret leaked from stream: %q", out)
			}
		}
	})
}

// A line with nothing to mask costs no allocation (docs/journal.md says
// so): redaction runs on every line of output.
func TestRedactOrdinaryNoAlloc(t *testing.T) {
	s := NewRedactor([]string{"Xk9#mQ2$vL8pZr4w", "db-pass-7731", "s3cr3t-token-abc"}).Stream()
	for _, l := range logLines {
		if got := s.Line(l); got != l {
			t.Fatalf("ordinary line changed: %q -> %q", l, got)
		}
		if n := testing.AllocsPerRun(20, func() { s.Line(l) }); n != 0 {
			t.Errorf("%q: %v allocations per line, want 0", l, n)
		}
	}
}
