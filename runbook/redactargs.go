package runbook

import "strings"

// This file holds the secret shapes where the value follows its name after
// a space rather than '=' or ':': command-line flags (--password VALUE) and
// configuration lines (PGPASSWORD VALUE, requirepass VALUE).

// maskArguments adds the spans of secret values passed as their own
// argument:
//
//   - after a long flag whose name looks secret (--password VALUE,
//     --db-password VALUE, -storepass VALUE), but not after one that names
//     where the secret is or says not to use one (--password-file PATH,
//     --no-password, --password-stdin);
//   - after sshpass -p and docker/podman login -p; redis-cli -a; mysql's
//     attached -pVALUE; openssl's -passin pass:VALUE; the password in
//     curl -u USER:VALUE;
//   - at the start of a line, after an upper-case variable name that looks
//     secret and before the line's end (PGPASSWORD VALUE; ENV, setenv,
//     SetEnv or fastcgi_param NAME VALUE), and after redis's requirepass
//     and masterauth.
//
// A value that starts with '-' (the next flag) is not one. Lower-case prose
// ("password changed", "Your SECRET_KEY has less than 50 characters") stays.
func maskArguments(s string, out *spanList) {
	if strings.IndexByte(s, ' ') < 0 && strings.IndexByte(s, '\t') < 0 {
		return // a value after a space needs a space
	}
	maskLineStartValue(s, out)
	for i := strings.IndexByte(s, '-'); i >= 0; {
		if i == 0 || s[i-1] == ' ' || s[i-1] == '\t' {
			maskFlagValue(s, i, out)
		}
		j := strings.IndexByte(s[i+1:], '-')
		if j < 0 {
			break
		}
		i += j + 1
	}
}

// maskFlagValue looks at the flag that starts at s[i] ('-').
func maskFlagValue(s string, i int, out *spanList) {
	j := i + 1
	if j < len(s) && s[j] == '-' {
		j++
	}
	k := j
	for k < len(s) && isAssignNameByte(s[k]) {
		k++
	}
	name := s[j:k]
	if name == "" || !isAlnum(name[0]) {
		return
	}
	if k-i == 2 { // -X: a short flag, secret only after some commands
		maskShortFlag(s, i, name[0], out)
		return
	}
	if j == i+1 && name[0] == 'p' && isMySQL(s[:i]) { // mysql -pVALUE
		if end := indexBlank(s, j+1); s[j+1:end] != Mask {
			out.add(j+1, end)
		}
		return
	}
	if k < len(s) && s[k] != ' ' && s[k] != '\t' {
		return // --password=VALUE is an assignment; --x/y is not a flag
	}
	start, end := argAt(s, k)
	switch {
	case start == end:
	case (name == "user" || name == "proxy-user") && hasWord(s[:i], "curl"):
		if c := strings.IndexByte(s[start:end], ':'); c >= 0 {
			out.add(start+c+1, end)
		}
	case name == "passin" || name == "passout" || name == "pass":
		if strings.HasPrefix(s[start:end], "pass:") { // openssl's pass:VALUE
			out.add(start+5, end)
		}
	case secretFlag(name):
		out.add(start, end)
	}
}

// maskShortFlag masks the value of sshpass -p, docker login -p, redis-cli
// -a, curl -u USER:VALUE and mysql's -pVALUE.
func maskShortFlag(s string, i int, flag byte, out *spanList) {
	before := s[:i]
	start, end := argAt(s, i+2)
	if start == end {
		return
	}
	switch {
	case flag == 'p' && (hasWord(before, "sshpass") || hasWord(before, "login")):
		out.add(start, end)
	case flag == 'a' && hasWord(before, "redis-cli"):
		out.add(start, end)
	case flag == 'u' && hasWord(before, "curl"):
		if c := strings.IndexByte(s[start:end], ':'); c >= 0 {
			out.add(start+c+1, end)
		}
	}
}

// isMySQL reports whether a command line so far runs a MySQL client, whose
// -p takes the password attached (-pVALUE).
func isMySQL(before string) bool {
	for _, c := range []string{"mysql", "mysqldump", "mysqladmin", "mariadb", "mariadb-dump"} {
		if hasWord(before, c) {
			return true
		}
	}
	return false
}

// argAt returns the bounds of the argument that follows the blanks at
// s[from:]: the inside of its quotes when quoted, else up to the next blank;
// empty when there is none, or it is another flag, a shell operator or
// holds Mask.
func argAt(s string, from int) (int, int) {
	v := from
	for v < len(s) && (s[v] == ' ' || s[v] == '\t') {
		v++
	}
	if v == from && from < len(s) || v >= len(s) {
		return 0, 0
	}
	start, end := v, 0
	switch s[v] {
	case '"', '\'':
		start = v + 1
		end = closingQuote(s, start, s[v])
	case '-', '=', ':', '|', '&', ';', '<', '>', '(', ')', '#', '\\':
		return 0, 0
	default:
		end = indexBlank(s, v)
	}
	if strings.Contains(s[start:end], Mask) {
		// Masked already, or partly: in the line as it was, this was not
		// one word (KEY KEY=" 0 became KEY KEY="********).
		return 0, 0
	}
	return start, end
}

// secretFlag reports whether a long flag's name says its value is a secret:
// a secret name (see secretName) that does not say where the secret comes
// from or that there is none.
func secretFlag(name string) bool {
	if !secretName(name) {
		return false
	}
	u := strings.ToUpper(strings.ReplaceAll(name, "_", "-"))
	for _, p := range []string{"NO-", "ASK-", "PROMPT-", "SKIP-", "WITHOUT-"} {
		if strings.HasPrefix(u, p) {
			return false
		}
	}
	// Where the secret is kept or how it is made, not the secret itself
	// (--password-file, -keystore, --keyring, --token-helper, --key-id).
	for _, suf := range []string{"FILE", "PATH", "DIR", "-FD", "STDIN", "-ENV", "PROMPT", "CMD", "COMMAND", "LENGTH",
		"-ID", "KEYID", "NAME", "TYPE", "SIZE", "BITS", "FORMAT", "ALGORITHM", "ALGO", "POLICY", "HELPER", "STORE", "RING", "SERVER"} {
		if strings.HasSuffix(u, suf) {
			return false
		}
	}
	return u != "KEY" // curl --key, openssl -key: a key file
}

// hasWord reports whether s contains w as a whole word (a command name).
func hasWord(s, w string) bool {
	for from := 0; ; {
		i := strings.Index(s[from:], w)
		if i < 0 {
			return false
		}
		a, e := from+i, from+i+len(w)
		if (a == 0 || !isAssignNameByte(s[a-1]) && s[a-1] != '/') && (e == len(s) || !isAssignNameByte(s[e])) {
			return true
		}
		from = e
	}
}

// lineDirectives may come before NAME VALUE at the start of a line
// (Dockerfile, csh, Apache, Nginx); after ENV the value is the rest of the
// line, as Dockerfile's old ENV NAME VALUE form has it.
var lineDirectives = []string{"ENV", "setenv", "SetEnv", "fastcgi_param", "uwsgi_param"}

// maskLineStartValue masks VALUE in a line that is NAME VALUE: NAME an
// upper-case variable name that looks secret, or redis's requirepass or
// masterauth, VALUE one word (or quoted) that ends the line (a ';' or a '#'
// comment may follow).
func maskLineStartValue(s string, out *spanList) {
	i := indentOf(s)
	w := indexBlank(s, i)
	word := s[i:w]
	rest := false
	for _, d := range lineDirectives {
		if word == d {
			rest = d == "ENV"
			i = w
			for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
				i++
			}
			w = indexBlank(s, i)
			word = s[i:w]
			break
		}
	}
	if word != "requirepass" && word != "masterauth" && !(isEnvName(word) && secretName(word)) {
		return
	}
	start, end := argAt(s, w)
	if start == end {
		return
	}
	if rest {
		end = len(s)
		for end > start && (s[end-1] == ' ' || s[end-1] == '\t') {
			end--
		}
		if s[start:end] != Mask {
			out.add(start, end)
		}
		return
	}
	after := end
	if quoted := start > 0 && (s[start-1] == '"' || s[start-1] == '\''); quoted {
		after = min(end+1, len(s))
	} else {
		for end > start && s[end-1] == ';' {
			end-- // fastcgi_param NAME VALUE;
		}
	}
	if t := strings.TrimLeft(s[after:], " \t;"); t != "" && t[0] != '#' {
		return // more words: prose, not NAME VALUE
	}
	if end > start && s[start:end] != Mask {
		out.add(start, end)
	}
}

// isEnvName reports whether w is an upper-case variable name: [A-Z0-9_],
// with a letter.
func isEnvName(w string) bool {
	letter := false
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9' || c == '_':
		default:
			return false
		}
	}
	return letter
}
