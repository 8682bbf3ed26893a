package sshexec

import (
	"bytes"
	"fmt"
	"strings"
)

// The helper: one /bin/sh per connection that launches and forgets jobs,
// so that a step costs one round trip and almost no fork+exec on the host
// (each costs 1-2 ms on a small VM). It reads requests on stdin, one per
// line, and answers on stdout with lines starting with a nonce chosen per
// helper, so that nothing else (a login script's chatter) passes for an
// answer. The job's output never goes near the helper's channel.
//
// Requests:
//
//	L <id> <token> <timeout>   launch job <id>; followed by the Spec.Env
//	+<line>                    lines (K='v', as envText renders them),
//	-<line>                    the script's lines, and
//	.                          the end mark: without it nothing runs
//	F <id>                     forget job <id>
//	D <id> <n> <o> <e> <mark>  send back the first <n> bytes of job
//	                           <id>'s out (if <o> is 1) and err (if <e>
//	                           is 1), if it ended; <mark> is a random
//	                           token that ends each
//
// Answers (<N> is the nonce):
//
//	<N> ready                  the helper runs (after its checks)
//	<N> fail - <message>       the helper cannot work on this host; it ends
//	<N> ack <id> <wpid>        the job is started
//	<N> exists <id> <token>    the directory is there already (token in it)
//	<N> short <id>             the request was cut off: nothing was run
//	<N> fail <id> <message>    the job directory could not be made
//	<N> forgot <id> <word>     removed, gone, running, or other (the
//	                           caller then forgets through a session);
//	                           the ended job's wrapper, a child of the
//	                           helper, is reaped first: no zombie stays
//	<N> data <id> <mark>       followed by out's bytes, <mark>, err's
//	                           bytes, <mark> and a newline
//	<N> big <id>               no output sent (not ended): follow the job
//
// and on stderr, from the job's wrapper once the job has ended and its
// exit record is on disk:
//
//	<N> exit <id> <status> <SIG|-> <out?> <err?> <timedout?> <canceled?>
//
// where the last four are 1 when the out or err file is not empty, the
// timeout or a Cancel stopped the job. A wrapper whose helper is gone
// (connection lost) cannot tell: the record on disk still holds the end.
//
// The launch makes the job directory (mkdir: the one exec), writes the
// token and forks the wrapper as a subshell. The wrapper feeds the script
// to the job's shell through a here-document on fd 9 (its value is not
// parsed for the end word) and exports the environment in the job's
// subshell, so neither reaches argv, and the environment never the disk.
// dash, and bash from 5.1, make a here-document of this size (at most
// maxHelperScript) a pipe, filled without a fork up to a few KB; bash
// before 5.1 writes it to a temporary file (0600, in $TMPDIR, /tmp or
// /var/tmp) that it unlinks as soon as it is open. The job gets its own
// session and process group (setsid), stdin /dev/null,
// stdout and stderr on the out and err files; its shell is jobShell, which
// records the group before the script runs. wrap's wait is silenced as in
// wrapScript (its stderr is the err file too). The exit notice goes to the
// helper's stderr, so that a wrapper outliving its helper never holds the
// stdout whose end tells golive the helper is gone.
const helperScript = `R=$1; N=$2
umask 077
for c in setsid tail head stat mkdir rm; do command -v $c >/dev/null 2>&1 || { echo "$N fail - golive needs $c on the host (util-linux and GNU coreutils)"; exit 0; }; done
if [ ! -d "$R" ]; then m=$(mkdir -p "$R" 2>&1) || { echo "$N fail - $m"; exit 0; }; fi
X=$(command -v setsid)
` + shFuncs + `wrap() {
  d=$1; t=$2; id=$3
  x=; read -r x y </proc/self/stat 2>/dev/null && echo "$x" >"$d/wpid"
  ( exec </dev/null 3>&-
    PYTHONUNBUFFERED=1; export PYTHONUNBUFFERED
    set -a; eval "$E"; set +a
    exec "$X" ` + jobShell + ` 9<<GOLIVE_SCRIPT_END
$S
GOLIVE_SCRIPT_END
  ) & j=$!
  k=
  if [ "$t" != 0 ]; then
    ( ` + watchdog + ` ) 3>&- & k=$!
  fi
  wait $j 2>/dev/null; st=$?
  [ -n "$k" ] && kill -KILL $k 2>/dev/null
  sig=-
  if [ "$st" -gt 128 ]; then sig=$(kill -l "$st" 2>/dev/null) || sig=-; fi
  printf '%s %s\n' "$st" "${sig:--}" >"$d/exit"
  o=0; [ -s "$d/out" ] && o=1; e=0; [ -s "$d/err" ] && e=1
  a=0; [ -e "$d/timedout" ] && a=1; c=0; [ -e "$d/canceled" ] && c=1
  trap '' PIPE
  echo "$N exit $id $st ${sig:--} $o $e $a $c" >&3 2>/dev/null
  [ -n "$k" ] && wait $k 2>/dev/null
}
launch() {
  id=$1; tok=$2; t=$3; E=; S=; ok=
  while IFS= read -r l; do
    case $l in
      +*) E="$E${l#+}
";;
      -*) S="$S${l#-}
";;
      .) ok=1; break;;
      *) break;;
    esac
  done
  [ -n "$ok" ] || { echo "$N short $id"; return; }
  d="$R/$id"
  if ! mkdir "$d" 2>/dev/null; then
    if [ -e "$d" ]; then x=; read -r x <"$d/token" 2>/dev/null; echo "$N exists $id ${x:--}"; return; fi
    m=$(mkdir -p "$R" 2>&1 && mkdir "$d" 2>&1) || { echo "$N fail $id $m"; return; }
  fi
  echo "$tok" >"$d/token"
  : >"$d/out"; : >"$d/err"
  ( wrap "$d" "$t" "$id" ) 3>&2 </dev/null >>"$d/out" 2>>"$d/err" &
  [ -r /proc/self/stat ] || echo $! >"$d/wpid"
  echo "$N ack $id $!"
  E=; S=
}
forget() {
  d="$R/$1"
  if [ ! -d "$d" ]; then echo "$N forgot $1 gone"; return; fi
  if [ -e "$d/sudo" ]; then echo "$N forgot $1 other"; return; fi
  if [ ! -s "$d/exit" ]; then
    w=; read -r w <"$d/wpid" 2>/dev/null; p=; read -r p <"$d/pgid" 2>/dev/null
    if palive "$w" || { [ -n "$p" ] && galive; }; then echo "$N forgot $1 running"; return; fi
    [ -n "$w" ] || { echo "$N forgot $1 other"; return; }
  else
    w=; read -r w <"$d/wpid" 2>/dev/null; [ -n "$w" ] && wait "$w" 2>/dev/null
  fi
  rm -rf -- "$d" 2>/dev/null
  if [ -e "$d" ]; then echo "$N forgot $1 other"; else echo "$N forgot $1 removed"; fi
}
dump() {
  d="$R/$1"
  [ -s "$d/exit" ] || { echo "$N big $1"; return; }
  echo "$N data $1 $5"
  [ "$3" = 0 ] || head -c "$2" "$d/out" 2>/dev/null
  printf '%s' "$5"
  [ "$4" = 0 ] || head -c "$2" "$d/err" 2>/dev/null
  printf '%s\n' "$5"
}
echo "$N ready"
while IFS= read -r q; do
  set -f; set -- $q; set +f
  case $1 in
    L) [ $# -eq 4 ] && launch "$2" "$3" "$4";;
    F) [ $# -eq 2 ] && forget "$2";;
    D) [ $# -eq 6 ] && dump "$2" "$3" "$4" "$5" "$6";;
  esac
done
`

// helperCmd starts the helper under /bin/sh with the jobs directory (a
// shell word with POSIX expansions) and the nonce as its arguments. They
// are set inside the quoted script, so that /bin/sh expands root: the
// login shell that runs this command (see posixShell) sees only a quoted
// string and a plain word, which fish or csh parse too.
func helperCmd(root, nonce string) string {
	return shellPrefix + shq("set -- "+root+" "+nonce+"\n"+helperScript) + " golive-helper"
}

// launchRequest frames a launch for the helper. The caller clears it
// after sending: it holds the script and the environment.
func launchRequest(spec Spec, env, token string) []byte {
	var b bytes.Buffer
	b.Grow(len(env) + len(spec.Script) + 256)
	fmt.Fprintf(&b, "L %s %s %s\n", spec.JobID, token, seconds(spec.Timeout))
	frame(&b, '+', env)
	frame(&b, '-', spec.Script)
	b.WriteString(".\n")
	return b.Bytes()
}

// frame writes each line of text (the last one need not end with a
// newline) prefixed with mark.
func frame(b *bytes.Buffer, mark byte, text string) {
	for text != "" {
		line, rest, _ := strings.Cut(text, "\n")
		b.WriteByte(mark)
		b.WriteString(line)
		b.WriteByte('\n')
		text = rest
	}
}
