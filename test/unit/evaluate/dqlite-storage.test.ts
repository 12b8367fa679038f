// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import { describe, expect, it } from 'vitest';
import * as storage from '../../../checks/dqlite-storage.ts';
import { State } from '../../../lib/plugin/state.ts';
import { NOW, r } from './helpers.ts';

describe('dqlite-storage', () => {
  const limits = { warning: r('50'), critical: r('150'), minIntervalSeconds: 300, freeWarning: 20, freeCritical: 10 };
  const MB = 1024 * 1024;
  const VOTER = { role: 'voter' as const };
  // The name's last number is milliseconds since boot (a machine up 25 minutes), never a date.
  const snap = (agoS: number, mb: number, index = 1_000_000 - agoS) => [
    { name: `snapshot-3-${index}-1492552`, size: mb * MB, mtime: NOW - agoS * 1000 },
    { name: `snapshot-3-${index}-1492552.meta`, size: 128, mtime: NOW - agoS * 1000 },
    { name: 'cluster.yaml', size: 66, mtime: NOW - 86_400_000 },
  ];
  const fs = (totalMb: number, availMb: number, mount = '/') => ({ mount, totalBytes: totalMb * MB, availBytes: availMb * MB });

  it('a small newest snapshot and free space is OK', () => {
    const o = storage.evaluate({ backend: '/b', files: snap(3600, 12), fs: fs(100, 60), now: NOW, role: VOTER }, limits);
    expect([o.state, o.summary]).toEqual([State.OK, 'newest snapshot 12 MB, one snapshot, no cadence yet, 60% free on /']);
  });

  it('a bloated snapshot on a nearly full disk: CRITICAL, both said', () => {
    const o = storage.evaluate({ backend: '/b', files: snap(60, 200), fs: fs(1000, 50, '/var'), now: NOW, role: VOTER }, limits);
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toMatch(/^newest snapshot 200 MB: each snapshot writes and ships the whole database, /);
    expect(o.summary).toMatch(/50 MB free on \/var: the next snapshot needs about 400 MB/);
  });

  it('large AND frequent is CRITICAL; large alone WARNING; frequent and small OK', () => {
    const at = (files: ReturnType<typeof snap>) =>
      storage.evaluate({ backend: '/b', files, fs: fs(10_000, 6000), now: NOW, role: VOTER }, limits);
    const storm = at([...snap(200, 60), ...snap(80, 60)]);
    expect([storm.state, storm.summary]).toEqual([
      State.CRITICAL,
      'newest snapshot 60 MB, every 2m (more than one per 5m): each snapshot writes and ships ' +
        'the whole database (newest snapshot 60 MB, every 2m (30/h), 60% free on /)',
    ]);
    expect(at([...snap(3800, 60), ...snap(200, 60)]).state).toBe(State.WARNING);
    expect(at([...snap(200, 2), ...snap(80, 2)]).state).toBe(State.OK);
    // A burst that stopped an hour ago is history, not a storm.
    const stopped = at([...snap(3720, 60), ...snap(3600, 60)]);
    expect(stopped.state).toBe(State.WARNING);
    expect(stopped.details).toContain('the last snapshots came every 2m, but none for 1h: not frequent now');
  });
});
