import { execFileSync } from 'node:child_process';

/** The nagios user's ids and the systemd-journal group, when the tests run as root and both exist. */
export function nagiosIds(): { uid: number; gid: number; journalGid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'nagios'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'nagios'], { encoding: 'utf8' }).trim());
    const journalGid = Number(execFileSync('getent', ['group', 'systemd-journal'], { encoding: 'utf8' }).split(':')[2]);
    return Number.isFinite(journalGid) ? { uid, gid, journalGid } : undefined;
  } catch {
    return undefined;
  }
}
