import { spawn, type ChildProcess, type ChildProcessByStdio, type SpawnOptions } from 'node:child_process';
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
  options: Omit<SpawnOptions, 'stdio' | 'detached'> = {},
): ChildProcessByStdio<null, Readable, Readable> {
  const child = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (child.pid !== undefined) {
    live.add(child);
    child.once('exit', () => {
      live.delete(child);
      killGroup(child);
    });
  }
  // The group leader died on abort; its group may not have.
  options.signal?.addEventListener('abort', () => killGroup(child), { once: true });
  return child;
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
}

// However the process ends (finish(), a library's process.exit, the end of the event loop).
process.once('exit', killChildren);
