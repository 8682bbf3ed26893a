package runbook

import (
	"encoding/base64"
	"math/rand"
	"testing"
)

// benchSecrets are three secrets as a release configures them: a generated
// password with shell metacharacters (so it has several encoded forms), a
// database password and an API token.
var benchSecrets = []string{"Xk9#mQ2$vL8pZr4w", "db-pass-7731", "s3cr3t-token-abc"}

// base64Lines returns n lines of 76 base64 characters, as
// `head -c N /dev/urandom | base64` prints them: issue 6's throughput
// benchmark, and the worst honest case for a byte scanner (every byte is a
// letter or digit that may start a secret).
func base64Lines(n int) []string {
	rng := rand.New(rand.NewSource(1))
	raw := make([]byte, 57)
	lines := make([]string, n)
	for i := range lines {
		rng.Read(raw)
		lines[i] = base64.StdEncoding.EncodeToString(raw)
	}
	return lines
}

// logLines is ordinary release output, with no secret in it.
var logLines = []string{
	"  Applying shop.0042_auto_20261121_0500... OK",
	"[2026-11-21 05:00:01 +0000] [1234] [INFO] Booting worker with pid: 1234",
	"Copying '/srv/app/static/admin/css/base.css'",
	"System check identified no issues (0 silenced).",
	"DJANGO_ALLOWED_HOSTS=example.com,www.example.com",
	"127.0.0.1 - - [21/Nov/2026:05:00:02 +0000] \"GET /healthz HTTP/1.1\" 200 2 \"-\" \"curl/8.5.0\"",
	"Collecting whitenoise==6.7.0 (from -r requirements.txt (line 9))",
	"1024 static files copied to '/srv/app/static', 312 unmodified.",
}

// secretLines each hold a secret, known or shaped.
var secretLines = []string{
	"DJANGO_SECRET_KEY=unknown-but-shaped-like-a-secret",
	"connecting with password db-pass-7731 to db:5432",
	"DATABASE_URL=postgres://app:pw@db:5432/shop",
	"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.x",
	"sshpass -p Xk9#mQ2$vL8pZr4w ssh deploy@web1",
	"token=s3cr3t-token-abc user=bob host=db",
}

// Ways through the redactor a benchmark takes.
const (
	viaLine   = iota // Redactor.Line, one-off
	viaStream        // StreamRedactor.Line, line by line
	viaBatch         // StreamRedactor.Lines, the whole slice at once
)

// benchLines runs lines through one StreamRedactor (or the Redactor) and
// reports ns per line.
func benchLines(b *testing.B, lines []string, via int) {
	r := NewRedactor(benchSecrets)
	s := r.Stream()
	size := 0
	for _, l := range lines {
		size += len(l) + 1
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	cpu, unlock := threadCPU()
	defer unlock()
	b.ResetTimer()
	cpu0 := cpu()
	batch := make([]OutputLine, len(lines))
	for i := 0; i < b.N; i++ {
		switch via {
		case viaBatch:
			for k, l := range lines {
				batch[k].Text = l
			}
			s.Lines(batch)
		case viaStream:
			for _, l := range lines {
				s.Line(l)
			}
		default:
			for _, l := range lines {
				r.Line(l)
			}
		}
	}
	used := cpu() - cpu0
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lines)), "ns/line")
	if used > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N*len(lines)), "cpu-ns/line")
	}
}

// BenchmarkRedactBase64 is issue 6's output: 76-byte base64 lines with
// three secrets configured. Target: no allocation, well under 100 ns/line.
func BenchmarkRedactBase64(b *testing.B) {
	lines := base64Lines(1024)
	b.Run("stream", func(b *testing.B) { benchLines(b, lines, viaStream) })
	b.Run("batch", func(b *testing.B) { benchLines(b, lines, viaBatch) })
	b.Run("line", func(b *testing.B) { benchLines(b, lines, viaLine) })
}

// BenchmarkRedactLog is typical release output with no secret in it.
func BenchmarkRedactLog(b *testing.B) {
	b.Run("stream", func(b *testing.B) { benchLines(b, logLines, viaStream) })
	b.Run("batch", func(b *testing.B) { benchLines(b, logLines, viaBatch) })
	b.Run("line", func(b *testing.B) { benchLines(b, logLines, viaLine) })
}

// BenchmarkRedactSecret is output where every line holds a secret to mask.
func BenchmarkRedactSecret(b *testing.B) {
	b.Run("stream", func(b *testing.B) { benchLines(b, secretLines, viaStream) })
	b.Run("batch", func(b *testing.B) { benchLines(b, secretLines, viaBatch) })
	b.Run("line", func(b *testing.B) { benchLines(b, secretLines, viaLine) })
}
