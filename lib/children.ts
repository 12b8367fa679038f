import { spawn, type ChildProcess, type ChildProcessByStdio, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';

/**
 * Every process a run starts (journalctl, ip, the dqlite CLI, a kubeconfig's credential plugin)
 * is registered here, so that whatever way the run ends (verdict, deadline, signal, crash) none is
 * left behind: NRPE runs the checks every minute, and each orphan would pile up.
 */
const live = new Set<ChildProcess>();

/**
 * spawn (no stdin; stdout and stderr piped), with the child in its own process group (so a shell
 * script's own children go too) and registered until it exits. When it exits, whatever it left
 * running in its group (a credential plugin's `sleep 300 &`, a wrapper's helper) is killed at
 * once: the run is done with it, and a leftover holding the pipes open would keep the caller
 * waiting for output that never ends. The caller's AbortSignal still applies, and then kills
 * the group.
 */
export function spawnTracked(
  file: string,
  args: readonly string[],
  { descendants, ...options }: Omit<SpawnOptions, 'stdio' | 'detached'> & { descendants?: boolean } = {},
): ChildProcessByStdio<null, Readable, Readable> {
  const mark = descendants ? `${process.pid}.${++marks}` : undefined;
  const env = mark === undefined ? options.env : { ...(options.env ?? process.env), [MARK]: mark };
  const child = spawn(file, args, { ...options, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const end = () => {
    killGroup(child);
    if (mark !== undefined) killMarked((value) => value === mark);
  };
  if (child.pid !== undefined) {
    live.add(child);
    child.once('exit', () => {
      live.delete(child);
      end();
    });
  }
  // The group leader died on abort; its group may not have.
  options.signal?.addEventListener('abort', end, { once: true });
  return child;
}

/**
 * `descendants`: for a program of the user's (a kubeconfig's credential plugin), whatever it
 * started that left its process group (setsid, a daemon's double fork: the group kill misses it,
 * and one holding the pipes kept the run waiting for the plugin until -t) is found by the variable
 * it inherits, MICROK8S_CHECKS_CHILD=<this process's id>.<n>, among the processes /proc shows
 * this user, and killed with the group. A process that clears its environment is not found.
 */
const MARK = 'MICROK8S_CHECKS_CHILD';
let marks = 0;
const NEEDLE = Buffer.from(`${MARK}=`);

/** SIGKILL every process (not this one) whose MICROK8S_CHECKS_CHILD value `owned` claims. */
function killMarked(owned: (value: string) => boolean): void {
  let pids: string[];
  try {
    pids = readdirSync('/proc');
  } catch {
    return;
  }
  for (const pid of pids) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    let environ: Buffer;
    try {
      environ = readFileSync(`/proc/${pid}/environ`);
    } catch {
      continue;
    }
    for (let at = environ.indexOf(NEEDLE); at !== -1; at = environ.indexOf(NEEDLE, at + 1)) {
      if (at > 0 && environ[at - 1] !== 0) continue;
      const start = at + NEEDLE.length;
      const stop = environ.indexOf(0, start);
      if (owned(environ.toString('latin1', start, stop === -1 ? environ.length : stop))) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // Gone meanwhile, or not ours to kill.
        }
      }
      break;
    }
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Kill every process this run started and that still runs, with its process group. */
export function killChildren(): void {
  for (const child of live) killGroup(child);
  live.clear();
  // What a marked child's descendants started since it ended, or while the run was stopped.
  if (marks > 0) {
    const own = `${process.pid}.`;
    killMarked((value) => value.startsWith(own));
  }
}

// However the process ends (finish(), a library's process.exit, the end of the event loop).
process.once('exit', killChildren);
