package runbook

import "testing"

// Secrets passed as their own argument, or after a name and a space.
func TestRedactorSeparateArguments(t *testing.T) {
	r := NewRedactor(nil)
	cases := []struct{ in, want string }{
		{"mysql --password secret1 -h db", "mysql --password ******** -h db"},
		{"psql --db-password 'x y' shop", "psql --db-password '********' shop"},
		{"cli --token abc123 --verbose", "cli --token ******** --verbose"},
		{"deploy --api-key k3y --env prod", "deploy --api-key ******** --env prod"},
		{"keytool -keypass pw10 -keystore x.jks", "keytool -keypass ******** -keystore x.jks"},
		{"sshpass -p secret2 ssh deploy@web1", "sshpass -p ******** ssh deploy@web1"},
		{"docker login -u bob -p secret3 registry.example.com", "docker login -u bob -p ******** registry.example.com"},
		{"redis-cli -a pw6 ping", "redis-cli -a ******** ping"},
		{"mysql -u root -ppw7 shop", "mysql -u root -p******** shop"},
		{"curl -u admin:pw8 https://x", "curl -u admin:******** https://x"},
		{"curl --user admin:pw8b https://x", "curl --user admin:******** https://x"},
		{"openssl pkcs12 -export -passout pass:pw9 -out x.p12", "openssl pkcs12 -export -passout pass:******** -out x.p12"},
		{"PGPASSWORD secret4", "PGPASSWORD ********"},
		{"  DJANGO_SECRET_KEY 'a b'", "  DJANGO_SECRET_KEY '********'"},
		{"ENV DB_PASSWORD secret5 with spaces", "ENV DB_PASSWORD ********"},
		{`SetEnv DJANGO_SECRET_KEY "abc def"`, `SetEnv DJANGO_SECRET_KEY "********"`},
		{"    fastcgi_param DB_PASSWORD s3;", "    fastcgi_param DB_PASSWORD ********;"},
		{"requirepass foobared", "requirepass ********"},
		{"masterauth foobared # replica", "masterauth ******** # replica"},
		// Not secrets: where a secret is, that there is none, other flags, prose.
		{"gpg --password-file /run/secrets/pw", "gpg --password-file /run/secrets/pw"},
		{"psql --no-password -h db shop", "psql --no-password -h db shop"},
		{"docker login --password-stdin -u bob", "docker login --password-stdin -u bob"},
		{"aws --secret-id prod/db get", "aws --secret-id prod/db get"},
		{"curl --key client.pem https://x", "curl --key client.pem https://x"},
		{"password changed for user bob", "password changed for user bob"},
		{"Password changed", "Password changed"},
		{"DJANGO_SECRET_KEY must be set", "DJANGO_SECRET_KEY must be set"},
		{"mkdir -p backups", "mkdir -p backups"},
		{"ssh -p 2222 deploy@web1", "ssh -p 2222 deploy@web1"},
		{"docker run -p 8000:8000 app", "docker run -p 8000:8000 app"},
		{"curl -u admin https://x", "curl -u admin https://x"},
		{"mysql -p shop", "mysql -p shop"},
		{"tar -xzf app-2026-11-21.tar.gz --token-limit", "tar -xzf app-2026-11-21.tar.gz --token-limit"},
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

// An assignment that starts the line masks its value, not the assignments
// after it; a value with spaces and no assignment after it stays masked.
func TestRedactorAssignmentValueEnds(t *testing.T) {
	r := NewRedactor(nil)
	cases := []struct{ in, want string }{
		{"password=*** user=bob host=db", "password=******** user=bob host=db"},
		{"DB_PASSWORD=abc DB_HOST=db DB_PORT=5432", "DB_PASSWORD=******** DB_HOST=db DB_PORT=5432"},
		{"export API_TOKEN=abc  LANG=C", "export API_TOKEN=********  LANG=C"},
		{"DB_PASSWORD=two words HOST=db", "DB_PASSWORD=******** HOST=db"},
		{"PASSWORD='a b' USER=bob", "PASSWORD='********' USER=bob"},
		{"DATABASE_PASSWORD=has spaces in it", "DATABASE_PASSWORD=********"},
		{"DATABASE_PASSWORD=a == b", "DATABASE_PASSWORD=********"},
		{"TOKEN=x y=", "TOKEN=******** y="},
		{"Authorization: Bearer a=1 b=2", "Authorization: Bearer ******** b=2"},
		{"TOKEN=abc Bearer x=1", "TOKEN=******** ********"},
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
