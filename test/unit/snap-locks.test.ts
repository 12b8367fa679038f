import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isWorker, readLocks, runsDqlite } from '../../lib/sources/snap-locks.ts';

// The lock files a `microk8s join --worker` leaves (DOMAIN.md, "dqlite membership").
function snapData(...locks: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-snapdata-'));
  mkdirSync(join(dir, 'var', 'lock'), { recursive: true });
  for (const l of locks) writeFileSync(join(dir, 'var', 'lock', l), '');
  return dir;
}

describe('MicroK8s lock files', () => {
  it('a worker runs no dqlite', () => {
    const locks = readLocks(snapData('no-k8s-dqlite', 'clustered.lock'));
    expect(runsDqlite(locks)).toBe(false);
    expect(isWorker(locks)).toBe(true);
  });
  it('a single control-plane node runs dqlite and is no worker', () => {
    const locks = readLocks(snapData());
    expect(runsDqlite(locks)).toBe(true);
    expect(isWorker(locks)).toBe(false);
  });
  it('no $SNAP_DATA is said as not a MicroK8s node', () => {
    expect(() => readLocks('/nonexistent/snap')).toThrow(/not a MicroK8s node/);
  });
});
