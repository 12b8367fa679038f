// The journal as the checks read it on a node: the node's own (no --journal-dir), as every command
// line of nrpe/microk8s-checks.cfg does. journalctl then opens /var/log/journal/<machine id>/ and
// asks where it begins once; given a directory it asks four questions more (the machines and host
// names it holds, where it ends: lib/sources/journal-beginnings.ts), four processes a node's poll
// never starts, and `all` and the journal checks would be measured dearer than they run.
// This machine runs no journald: as root, the bench runs in a mount namespace of its own (unshare
// -m) with a tmpfs on /var/log and /run/log, and writes the bench journal where journald would.
// Otherwise it gives the journal with --journal-dir, and says so.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { benchJournal } from './journal.mjs';

const INSIDE = 'MICROK8S_CHECKS_BENCH_OWN_JOURNAL';
const MACHINE_ID = /^[0-9a-f]{32}$/;

const machineId = () => (existsSync('/etc/machine-id') ? readFileSync('/etc/machine-id', 'utf8').trim() : '');

/** This process's mount namespace, as /proc names it (mnt:[4026531841]). */
const mountNamespace = () => {
  try {
    return readlinkSync('/proc/self/ns/mnt');
  } catch {
    return '';
  }
};

/**
 * Runs this script again in a mount namespace of its own where it can (root, unshare, a machine
 * id), and exits with its status; returns in that namespace, or where it cannot.
 */
export function enterOwnJournalNamespace() {
  const given = process.env[INSIDE];
  if (given === '0') return;
  // Inside: the variable names the mount namespace of the process that made this one, and this one
  // is another. The variable alone (inherited by a child, or set by hand) mounted over the caller's
  // own /var/log, the host's: then the bench makes a namespace of its own, as unset.
  if (given?.startsWith('mnt:') && given !== mountNamespace() && mountNamespace() !== '') {
    // A volatile journal of the host (/run/log/journal) hidden too; /run/log not made where there is none.
    for (const dir of ['/var/log', '/run/log'].filter((d) => existsSync(d))) {
      const r = spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', dir], { stdio: 'inherit' });
      if (r.status !== 0) throw new Error(`mount -t tmpfs tmpfs ${dir} failed in the bench's mount namespace`);
    }
    process.env[INSIDE] = '1';
    return;
  }
  const why =
    process.getuid?.() !== 0
      ? 'not root'
      : !MACHINE_ID.test(machineId())
        ? 'no /etc/machine-id'
        : spawnSync('unshare', ['--version']).status !== 0
          ? 'no unshare'
          : mountNamespace() === ''
            ? 'no /proc/self/ns/mnt'
            : undefined;
  if (why !== undefined) {
    console.log(`bench: the journal is given with --journal-dir (${why}): a node reads its own, with four journalctl runs fewer`);
    process.env[INSIDE] = '0';
    return;
  }
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [INSIDE]: mountNamespace() },
  });
  process.exit(r.status ?? 1);
}

/** Whether the checks read the bench journal as the node's own (enterOwnJournalNamespace). */
export const ownJournal = () => process.env[INSIDE] === '1';

/** How the results say which journal the checks read. */
export const journalSaid = () =>
  ownJournal()
    ? "the node's own, as NRPE's command lines read it: bench/own-journal.mjs"
    : 'given with --journal-dir, which a node does not: bench/own-journal.mjs';

/**
 * The bench journal (benchJournal's), written anew: where the node's own journal is, or in
 * `dir`. `args`: what a journal check's command line gives for it.
 */
export async function nodeJournal(dir, host) {
  const at = ownJournal() ? join('/var/log/journal', machineId()) : dir;
  rmSync(at, { recursive: true, force: true });
  await benchJournal(at, host);
  return { dir: at, args: ownJournal() ? '' : `--journal-dir '${at.replace(/'/g, `'\\''`)}'` };
}
