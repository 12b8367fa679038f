// The journal the benchmarks read: real journal files, written by systemd-journal-remote from
// journal export format, as kubelite and k8s-dqlite log on a node.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const JOURNAL_REMOTE = ['/usr/lib/systemd/systemd-journal-remote', '/lib/systemd/systemd-journal-remote'].find(existsSync);

/** 20,000 entries over the last 10 minutes of `host`, in `dir`; 1 in 200 a lock error. */
export async function benchJournal(dir, host) {
  mkdirSync(dir, { recursive: true });
  const child = spawn(JOURNAL_REMOTE, [`--output=${join(dir, 'remote.journal')}`, '-'], { stdio: ['pipe', 'ignore', 'ignore'] });
  const now = Date.now();
  let text = '';
  for (let i = 0; i < 20_000; i++) {
    const t = now - 600_000 + Math.floor((i / 20_000) * 600_000);
    const d = new Date(t).toISOString();
    const [unit, ident, msg] =
      i % 200 === 0
        ? [
            'snap.microk8s.daemon-k8s-dqlite.service',
            'microk8s.daemon-k8s-dqlite',
            `time="${d.slice(0, 19)}Z" level=error msg="error in txn: exec (try: 3): database is locked"`,
          ]
        : [
            'snap.microk8s.daemon-kubelite.service',
            'microk8s.daemon-kubelite',
            `I1128 ${d.slice(11, 23)}000 2348286 replica_set.go:676] "Finished syncing" ` +
              `kind="ReplicaSet" key="web/frontend-${i % 97}-5885496bf5"`,
          ];
    const stamps = `__REALTIME_TIMESTAMP=${t * 1000 + (i % 1000)}\n__MONOTONIC_TIMESTAMP=${t * 1000}\n`;
    const who = `_BOOT_ID=3f9d2c4e8a1b4f6d9e0c7b5a2d4f6e8a\n_HOSTNAME=${host}\nPRIORITY=6\nSYSLOG_IDENTIFIER=${ident}\n_PID=739\n`;
    text += `${stamps}${who}_SYSTEMD_UNIT=${unit}\nMESSAGE=${msg}\n\n`;
  }
  child.stdin.end(text);
  await new Promise((done) => child.on('close', done));
  return dir;
}
