package sshexec

// The job as it lives on the host. Every command runs detached (setsid, no
// PTY, stdin from /dev/null, in the login directory) under a wrapper shell
// that records its process group and exit status in a private directory:
//
//	<root>/<JobID>/        0700, created with mkdir (never reused)
//	    token              random per Run, so a follower never mistakes
//	                       another job for its own
//	    env, script        sudo jobs only (launchCmd): Spec.Env and
//	                       Spec.Script, sent on stdin; the wrapper opens
//	                       both and unlinks them before the job starts.
//	                       Jobs launched by the helper (helperscript.go)
//	                       never have them: the script reaches the job's
//	                       shell through a here-document, the environment
//	                       in memory
//	    wrap               sudo jobs only: the wrapper below
//	    out, err           the job's stdout and stderr
//	    wpid, pgid         the wrapper's pid, the job's process group
//	    exit               "<status> <SIG|->", written at the end in one
//	                       write(2): readers treat an empty file as absent
//	    canceled, timedout markers left by Cancel and by the timeout
//	    sudo               marker: the job runs as root
//
// The directory goes when the caller calls Forget, or when it has been idle
// for the retention (footprint.go).
//
// A step costs one round trip to the helper, which launches the job and
// tells when it ended, sending back the output of a job that ended with
// up to maxDump bytes of it (helperscript.go, fastpath.go). When the job
// runs on past followDelay, or printed more, a follower session tails out and
// err from byte offsets with GNU tail (inotify; it ends when the job's
// process is gone), then reports the file sizes, times and exit record.
// Sudo jobs, and transports without a helper, launch in a session of
// their own that follows the job too (launchCmd).

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// defaultRoot is the jobs directory on a host, as a shell word.
const defaultRoot = `"${XDG_STATE_HOME:-$HOME/.local/state}/golive/jobs"`

// endMark follows the script on the launcher's stdin; a connection that
// drops while the script is being sent leaves it missing, and nothing runs.
const endMark = "golive-end"

var (
	jobIDRe  = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)
	envKeyRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// validJobID reports whether id can name a job directory.
func validJobID(id string) error {
	if !jobIDRe.MatchString(id) || id == "." || id == ".." {
		return fmt.Errorf("sshexec: job id %q must be 1-128 characters of A-Z a-z 0-9 . _ -", id)
	}
	return nil
}

// shq quotes s as one shell word.
func shq(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// envText renders env as lines the wrapper sources with `set -a`.
func envText(env map[string]string) (string, error) {
	keys := make([]string, 0, len(env))
	for k := range env {
		if !envKeyRe.MatchString(k) {
			return "", fmt.Errorf("sshexec: environment variable name %q is not a valid shell name", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + shq(env[k]) + "\n")
	}
	return b.String(), nil
}

// wrapScript runs as the job's parent: $1 is the job directory, $2 the
// timeout in seconds (0: none). The job's shell (jobShell) opens the
// script on fd 9 and unlinks it, reads the env file the same way, and
// then sources the script. (fd 9 stays open in the job: it names no file
// on disk, and the job's environment already holds the same values.) The
// job gets its own session and process group, so Cancel can kill all of
// it without killing the wrapper, which then records the status. The
// timeout watchdog sends TERM, then KILL 5 s later (see watchdog); the
// wrapper stops it with KILL when the job ends. The wrapper's stderr is
// the job's err file, so its wait is silenced: dash reports a child that
// a signal ended ("Terminated", "Killed"), which would read as the job's
// own output; the exit record says it.
const wrapScript = `d=$1; t=$2
exec </dev/null
echo $$ >"$d/wpid"
( PYTHONUNBUFFERED=1; export PYTHONUNBUFFERED
  exec 9<"$d/script" || exit 126; rm -f "$d/script"
  if [ -e "$d/env" ]; then exec 8<"$d/env" || exit 126; rm -f "$d/env"
    set -a; . /dev/fd/8; set +a; exec 8<&-; fi
  exec setsid ` + jobShell + ` ) & j=$!
w=
if [ "$t" != 0 ]; then
  ( ` + watchdog + ` ) & w=$!
fi
wait $j 2>/dev/null; st=$?
[ -n "$w" ] && kill -KILL $w 2>/dev/null
sig=-
if [ "$st" -gt 128 ]; then sig=$(kill -l "$st" 2>/dev/null) || sig=-; fi
printf '%s %s\n' "$st" "${sig:--}" >"$d/exit"
[ -n "$w" ] && wait $w 2>/dev/null
`

// jobShell is the job's shell, as both wrappers (wrapScript, and the
// helper's wrap) start it under setsid with the script on fd 9 and the
// job directory in $d. It sources the script through /dev/fd/9 by `sh -c`
// named "sh", so that its error messages read "sh: 2: cd: can't cd to …",
// not with a path. First it records its process group (its own pid:
// setsid made it the leader) in pgid, and nothing else writes that file:
// a job that kills its wrapper at once is still found, followed and
// cancelled (a wrapper writing it after the fork could die first), the
// job's start time (pgid's) is the script's, and an exit record without a
// pgid means the script never ran.
const jobShell = `/bin/sh -c 'echo $$ >"$1/pgid" || exit 126; shift; . /dev/fd/9' sh "$d"`

// watchdog enforces the timeout $t (seconds, "12.345") on the job's
// process group $j: it marks the job timed out and sends TERM, then KILL
// 5 s later. It sleeps a second at a time, so that the wrapper can stop
// it with KILL when the job ends (no trap: dash can lose a trapped signal
// that arrives while it forks) and what is left of it, one sleep, ends
// within a second.
const watchdog = `n=${t%.*}; [ "${t#*.}" = 000 ] || sleep "0.${t#*.}"
    while [ "$n" -gt 0 ]; do sleep 1; n=$((n-1)); done
    : >"$d/timedout"; kill -TERM -$j 2>/dev/null
    sleep 5; kill -KILL -$j 2>/dev/null`

// shFuncs are helpers the follow and cancel scripts share. palive tells
// whether a pid is a live (not zombie) process; galive whether any live
// process is left in process group $p. Both read /proc without forking and
// fall back to kill -0 where there is no /proc.
const shFuncs = `palive() { [ -n "$1" ] || return 1
  if [ -r /proc/self/stat ]; then l=; read -r l 2>/dev/null </proc/$1/stat || [ -n "$l" ] || return 1
    l=${l##*) }; case $l in Z*|X*) return 1;; esac; return 0; fi
  kill -0 "$1" 2>/dev/null; }
galive() { if [ ! -r /proc/self/stat ]; then kill -0 -"$p" 2>/dev/null; return; fi
  for f in /proc/[0-9]*/stat; do l=; read -r l 2>/dev/null <"$f" || [ -n "$l" ] || continue
    l=${l##*) }; set -- $l
    if [ "$3" = "$p" ] && [ "$1" != Z ] && [ "$1" != X ]; then return 0; fi
  done; return 1; }
`

// seconds renders a timeout for sleep(1); "0" means none.
func seconds(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

// One session per step. The launcher (or follower) sends the job's stdout
// on its stdout and the job's stderr on its stderr; once both are done it
// writes a sentinel on stderr (a NUL, "golive.", a random nonce the runner
// chose, a newline) followed by control lines ("golive:..."). Everything
// the host has to say about failures goes after the sentinel too. In launch
// mode stdout starts with the nonce and a newline once the job is started;
// in follow mode, before the job's output. What a login shell prints before
// those marks (on stdout before the nonce, on stderr before the start
// mark) is dropped: it is not the job's.

// ctlFunc moves the session's stderr to fd 3, so that stray complaints
// of the script's own commands (fd 2) are dropped instead of passing for
// the job's stderr, writes the start mark there (what came before it, a
// login shell's startup noise, is not the job's), and defines ctl, which
// writes the sentinel.
func ctlFunc(nonce string) string {
	return fmt.Sprintf("exec 3>&2 2>/dev/null\nprintf '\\000golive+%%s\\n' %s >&3\nctl() { printf '\\000golive.%%s\\n' %s >&3; }\n", nonce, nonce)
}

// startMark is what ctlFunc writes on the session's stderr before
// anything of the job's: a NUL, "golive+", the nonce, a newline.
func startMark(nonce string) string { return "\x00golive+" + nonce + "\n" }

// launchCmd creates the job directory, reads env and script from stdin
// (their lengths are known, so the stdin that follows, a sudo password,
// stays for sudo), starts the wrapper and follows the job. Without sudo
// the launcher is the wrapper's parent: dash reaps it while waiting for
// tail, so tail --pid on the wrapper ends exactly when the exit record is
// in place. With sudo (the definition of a shell function asroot, see
// sudo.go) the wrapper is started as root and followed as followCmd does.
func launchCmd(root string, spec Spec, envLen int, token, nonce, sudo string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "umask 077\nR=%s; d=\"$R\"/%s\n", root, spec.JobID)
	b.WriteString(ctlFunc(nonce))
	b.WriteString(`for c in setsid tail head stat; do command -v $c >/dev/null || { ctl; echo "golive needs $c on the host (util-linux and GNU coreutils)" >&3; echo golive:startfail >&3; exit 0; }; done
if ! m=$(mkdir "$d" 2>&1); then
  if [ -e "$d" ]; then ctl; echo golive:exists >&3; exit 0; fi
  m=$(mkdir -p "$R" 2>&1 && mkdir "$d" 2>&1) || { ctl; printf '%s\n' "$m" >&3; echo golive:startfail >&3; exit 0; }
fi
`)
	fmt.Fprintf(&b, "echo %s >\"$d/token\"\n", token)
	if envLen > 0 {
		fmt.Fprintf(&b, "head -c %d >\"$d/env\" 2>/dev/null\n", envLen)
	}
	fmt.Fprintf(&b, "head -c %d >\"$d/script\" 2>/dev/null\n", len(spec.Script))
	fmt.Fprintf(&b, `IFS= read -r g || g=
if [ "$g" != %s ]; then rm -rf "$d"; ctl; echo golive:short >&3; exit 0; fi
printf '%%s' %s >"$d/wrap"
: >"$d/out"; : >"$d/err"
`, endMark, shq(wrapScript))
	t := seconds(spec.Timeout)
	if sudo == "" {
		fmt.Fprintf(&b, "setsid /bin/sh \"$d/wrap\" \"$d\" %s </dev/null >>\"$d/out\" 2>>\"$d/err\" 3>&- & w=$!\n", t)
		fmt.Fprintf(&b, "echo %s\n", nonce)
		b.WriteString(tailBoth(0, 0, `"$w"`))
		// The exit record is there unless the wrapper died: then let
		// the runner follow the job itself.
		b.WriteString("[ -s \"$d/exit\" ] || { ctl; echo golive:followfail >&3; exit 0; }\n")
		b.WriteString(controlTrailer)
		return b.String()
	}
	start := `/bin/sh -c 'exec >>"$1/out" 2>>"$1/err" </dev/null; setsid /bin/sh "$1/wrap" "$1" "$2" &' golive-start "$d" ` + t
	// The wrapper runs as root under umask 077: the files it writes for
	// the follower (who is the login user) are made here first, as the
	// user, so that root's writes keep them the user's and readable. Made
	// by root, a deploy user could not read the exit status (the step
	// ended "unknown"), nor the pgid to follow or reattach.
	b.WriteString(sudo + "\n: >\"$d/sudo\"; : >\"$d/wpid\"; : >\"$d/pgid\"; : >\"$d/exit\"\n")
	fmt.Fprintf(&b, "m=$(asroot %s 2>&1 3>&-) || { rm -rf \"$d\"; ctl; printf '%%s\\n' \"$m\" >&3; echo golive:startfail >&3; exit 0; }\n", start)
	fmt.Fprintf(&b, "echo %s\n", nonce)
	b.WriteString(followBody(0, 0, "", ""))
	return b.String()
}

// followCmd follows job id's stdout and stderr from the given byte offsets
// (0-based) until the job ends, then waits for the exit record and reports
// it. A job still being launched (no pgid yet) is waited for. The nonce on
// stdout comes once the job is found started (and is this run's, by its
// token), so that a follower cut off after it tells the runner that the
// job runs on the host.
func followCmd(root, id string, outFrom, errFrom int64, token, nonce string) string {
	return fmt.Sprintf("R=%s; d=\"$R\"/%s\n", root, id) + ctlFunc(nonce) + followBody(outFrom, errFrom, token, nonce)
}

// followBody waits for job $d's process group, checks its token (when
// given), prints mark (when given) and follows the job to its end.
func followBody(outFrom, errFrom int64, token, mark string) string {
	var b strings.Builder
	b.WriteString(`n=0
while [ ! -s "$d/pgid" ]; do
  if [ ! -d "$d" ]; then ctl; echo golive:nojob >&3; exit 0; fi
  n=$((n+1)); if [ $n -gt 400 ] || [ -s "$d/exit" ]; then ctl; echo golive:nostart >&3; exit 0; fi
  if [ $n -lt 20 ]; then sleep 0.002; else sleep 0.05; fi
done
`)
	if token != "" {
		fmt.Fprintf(&b, "t=; read -r t <\"$d/token\" 2>/dev/null; if [ \"$t\" != %s ]; then ctl; echo golive:conflict >&3; exit 0; fi\n", token)
	}
	b.WriteString("read -r p <\"$d/pgid\"\n")
	if mark != "" {
		fmt.Fprintf(&b, "echo %s\n", mark)
	}
	b.WriteString(tailBoth(outFrom, errFrom, `"$p"`))
	b.WriteString(shFuncs)
	b.WriteString(`w=; read -r w <"$d/wpid" 2>/dev/null
n=0; while [ ! -s "$d/exit" ] && [ $n -lt 2000 ] && palive "$w"; do n=$((n+1)); if [ $n -lt 20 ]; then sleep 0.001; else sleep 0.005; fi; done
if [ ! -s "$d/exit" ] && palive "$p"; then ctl; echo golive:followfail >&3; exit 0; fi
`)
	b.WriteString(controlTrailer)
	return b.String()
}

// tailBoth copies out to stdout and err to stderr from the given byte
// offsets until process pid (a shell word) is gone, or just the rest when
// the job already ended. tail's own complaints are dropped (stderr carries
// the job's stderr); a failed tail is reported as followfail.
//
// GNU tail writes through stdio with the pipe's 4 KiB buffer, so a job
// printing fast reaches sshd, and golive, in 4 KiB pieces. Under stdbuf
// (coreutils, like tail) it writes up to tailBuffer at once while it is
// behind, and still flushes as soon as it has caught up with the file, so
// a line the job prints shows as promptly as before. sshd then sends
// larger packets: fewer to encrypt, decrypt and dispatch on both ends
// (docs/performance.md). A host whose stdbuf is missing or does not run
// gets tail as it is. The choice is a function, tl, rather than a
// variable holding the prefix, which would rely on word splitting (zsh,
// once the login shell that ran these scripts, does none).
func tailBoth(outFrom, errFrom int64, pid string) string {
	return fmt.Sprintf(`tl() { tail "$@"; }
stdbuf -o %[4]d true >/dev/null 2>&1 && tl() { stdbuf -o %[4]d tail "$@"; }
if [ -s "$d/exit" ]; then
  tl -c +%[1]d "$d/out" 2>/dev/null; o=$?; tl -c +%[2]d "$d/err" >&3 2>/dev/null; e=$?
else
  tl -s 0.005 -c +%[2]d --pid=%[3]s -f "$d/err" >&3 2>/dev/null & e=$!
  tl -s 0.005 -c +%[1]d --pid=%[3]s -f "$d/out" 2>/dev/null; o=$?
  wait $e; e=$?
fi
if [ $o != 0 ] || [ $e != 0 ]; then ctl; echo golive:followfail >&3; exit 0; fi
`, outFrom+1, errFrom+1, pid, tailBuffer)
}

// tailBuffer is the stdout buffer tail gets under stdbuf: two pipe-fulls,
// so that sshd finds a full packet's worth whenever tail is behind.
const tailBuffer = 128 << 10

// controlTrailer reports the end of a job: the sizes of out and err, when
// the job started and ended, its exit record and the cancel/timeout
// markers.
const controlTrailer = `ctl
stat -c 'golive:stat %s %.3Y' "$d/out" "$d/err" "$d/pgid" "$d/exit" >&3 2>/dev/null
if [ -s "$d/exit" ]; then read -r c s <"$d/exit"; echo "golive:exit $c $s" >&3; else echo golive:exit none >&3; fi
[ -e "$d/canceled" ] && echo golive:canceled >&3
[ -e "$d/timedout" ] && echo golive:timedout >&3
exit 0
`
