package sshexec

import "strings"

// sshd runs a session's command with the user's login shell (`$SHELL -c
// command`), and golive's scripts are POSIX sh: zsh does not split an
// unquoted expansion into words (`set -- $l` stays one word), fish and csh
// do not parse them at all. Every command golive sends therefore makes the
// login shell replace itself with /bin/sh at once. The login shell still
// starts first and reads its start-up files (the PATH and variables they
// export reach the script, as before), and the process keeps its pid.

// shellPrefix is how a command golive sends begins.
const shellPrefix = "exec /bin/sh -c "

// posixShell returns cmd wrapped to run under /bin/sh whatever the login
// shell is; a command that already does so (the helper's) is left as it
// is.
func posixShell(cmd string) string {
	if strings.HasPrefix(cmd, shellPrefix) {
		return cmd
	}
	return shellPrefix + shq(cmd)
}
