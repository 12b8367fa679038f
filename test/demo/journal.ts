// The demo's journal: real journal files, written by systemd-journal-remote (test/helpers/journal.ts)
// from lines shaped exactly as MicroK8s prints them (../shared/data/real-log-lines.txt, through
// test/helpers/fixtures.ts). A new file is added every few seconds, stamped "now", so the checks'
// windows (the last 5 minutes) always hold what the demo is showing; files older than the widest
// window are removed.
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { at, etcdRetry, klog, LOCK_CREATE, LOCK_TXN, logrus } from '../helpers/fixtures.ts';
import { DQLITE, KUBELITE, makeJournal, type Entry } from '../helpers/journal.ts';

/** How often a new journal file is added, seconds. */
export const TICK_S = 15;
/** Files older than this are removed: past every journal check's window (restart-preflight's settle is 10m). */
const KEEP_MS = 30 * 60_000;

const LOCK_ENDPOINTS =
  'error in txn: update transaction failed for key /registry/endpoints/openebs/openebs-localpv-provisioner: ' +
  'exec (try: 500): database is locked';
const CANCELED = 'error in txn: query (try: 0): context canceled';
const CLOSING = 'rpc error: code = Canceled desc = grpc: the client connection is closing';

/** What kubelite logs every few seconds on a quiet node (klog, as in the real lines' GROUP 2). */
function quietLines(from: number, to: number): Entry[] {
  const out: Entry[] = [];
  for (let age = from; age > to; age -= 3) {
    const key = `web/frontend-${age % 7}-5885496bf5`;
    out.push({
      age,
      service: KUBELITE,
      message: klog(at(age), 'I', KUBELITE.pid, 'replica_set.go:676', `"Finished syncing" kind="ReplicaSet" key="${key}" duration="4.1ms"`),
    });
  }
  return out;
}

/**
 * A write storm over [from, to) seconds ago: k8s-dqlite's `database is locked` at the full retry
 * budget (kine's logrus text) and kubelite's etcd client retrying on a closing connection (zap JSON).
 */
function stormLines(from: number, to: number, attempt: { n: number }): Entry[] {
  const out: Entry[] = [];
  const locks = [LOCK_TXN, LOCK_CREATE, LOCK_ENDPOINTS];
  for (let age = from; age > to; age -= 2) {
    out.push({ age, service: DQLITE, message: logrus(at(age), 'error', locks[age % locks.length]!) });
    if (age % 6 === 0) {
      attempt.n += 1;
      out.push({ age, service: KUBELITE, message: etcdRetry(at(age), attempt.n, CLOSING, '/etcdserverpb.KV/Range') });
    }
  }
  return out;
}

export class DemoJournal {
  readonly dir: string;
  private readonly staging: string;
  private count = 0;
  private readonly attempt = { n: 60 };
  private readonly storm: boolean;

  constructor(root: string, storm: boolean) {
    this.storm = storm;
    this.dir = join(root, 'journal');
    this.staging = join(root, 'journal-staging');
    mkdirSync(this.dir, { recursive: true });
    mkdirSync(this.staging, { recursive: true });
  }

  /** The first file: kubelite started 15 minutes ago (past the gate's settle time), and the last minutes. */
  start(): void {
    const started: Entry = { age: 900, service: KUBELITE, message: 'Starting kubelite' };
    this.write([started, ...this.lines(600, 0)]);
  }

  /** The lines of the last tick. */
  tick(): void {
    this.write(this.lines(TICK_S, 0));
    const now = Date.now();
    for (const f of readdirSync(this.dir)) {
      const file = join(this.dir, f);
      if (f !== 'demo-0.journal' && now - statSync(file).mtimeMs > KEEP_MS) rmSync(file, { force: true });
    }
  }

  private lines(from: number, to: number): Entry[] {
    // k8s-dqlite logs little on a quiet node: now and then a request its caller gave up on (a
    // real line, GROUP 1), which the checks count apart from the storm's.
    const kine: Entry[] = this.count % 4 === 0 ? [{ age: to + 1, service: DQLITE, message: logrus(at(to + 1), 'error', CANCELED) }] : [];
    return [...quietLines(from, to), ...kine, ...(this.storm ? stormLines(from, to, this.attempt) : [])];
  }

  /** A journal file is made aside and renamed in whole: journalctl never meets one half written. */
  private write(entries: Entry[]): void {
    const made = makeJournal(entries, this.staging);
    renameSync(made, join(this.dir, `demo-${this.count++}.journal`));
  }
}
