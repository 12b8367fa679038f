// The shared poll cycle keeps a check's state where the check alone would, and never where the
// check alone leaves what is there as it is (docs/poll-cycle.md, docs/trust.md).
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { node, pod } from '../apiserver/objects.ts';
import { type TestCluster, useCluster } from '../helpers/cluster.ts';
import { DIST, runBuilt, runProcess } from '../helpers/run.ts';
import { nagiosIds } from '../helpers/users.ts';

const cluster = useCluster();
let c: TestCluster;
beforeEach(() => {
  c = cluster();
  c.api.add('nodes', node({ name: 'node1', ip: '10.0.0.11' }));
  c.api.add('pods', pod({ namespace: 'web', name: 'api', node: 'node1', ip: '10.1.22.7', restarts: 4 }));
});

const cacheHome = () => {
  const home = mkdtempSync(join(tmpdir(), 'mk8s-cycle-'));
  return { home, env: { ...process.env, XDG_CACHE_HOME: join(home, 'cache') }, answers: join(home, 'cache/microk8s-checks/cycle/results') };
};

describe('--cycle and a --state-file that is no file', () => {
  it('a pipe or a directory: the line is UNKNOWN as alone, and the pipe stays a pipe', async () => {
    const { home, env } = cacheHome();
    const fifo = join(home, 'state.fifo');
    execFileSync('mkfifo', [fifo]);
    const dir = join(home, 'state.d');
    mkdirSync(dir);
    for (const state of [fifo, dir]) {
      const args = ['--kubeconfig', c.kubeconfig, '--state-file', state];
      const alone = await runBuilt('check_pod_restarts', args, { env });
      expect(alone.first).toMatch(/^POD-RESTARTS UNKNOWN - restart counts cannot be kept in \S+ \(it is a (pipe|directory), not a file/);
      const shared = await runBuilt('check_pod_restarts', ['--cycle=55', ...args], { env });
      expect(shared.code).toBe(3);
      expect(shared.first).toBe(alone.first);
    }
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('made a pipe after its shared run, before its answer is served: the pipe is left as it is, UNKNOWN as alone', async () => {
    const { home, env, answers } = cacheHome();
    const state = join(home, 'restarts.json');
    const restarts = () => runBuilt('check_pod_restarts', ['--cycle=55', '--kubeconfig', c.kubeconfig, '--state-file', state], { env });
    const nodes = () => runBuilt('check_nodes', ['--cycle=55', '--kubeconfig', c.kubeconfig], { env });
    await restarts();
    await nodes();
    for (const f of readdirSync(answers)) rmSync(join(answers, f));
    // A run for check_nodes answers check_pod_restarts too, its state pending until served.
    await nodes();
    for (let i = 0; i < 100 && readdirSync(answers).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    rmSync(state);
    execFileSync('mkfifo', [state]);
    const served = await restarts();
    expect([served.code, served.first]).toEqual([
      3,
      expect.stringMatching(/^POD-RESTARTS UNKNOWN - restart counts cannot be kept in \S+ \(it is a pipe,/),
    ]);
    expect(lstatSync(state).isFIFO()).toBe(true);
  });
});

describe.skipIf(!nagiosIds())('--cycle and a --state-file of another user', () => {
  it("root's file in a sticky directory, polled as nagios: UNKNOWN as alone, never an OK that keeps nothing", async () => {
    const ids = nagiosIds()!;
    const { home, env } = cacheHome();
    chownSync(home, ids.uid, ids.gid);
    chmodSync(c.dir, 0o755);
    const state = join(tmpdir(), `restarts-${process.pid}.json`);
    const args = ['--kubeconfig', c.kubeconfig, '--state-file', state];
    expect((await runBuilt('check_pod_restarts', args)).code).toBe(0);
    const asNagios = { env, uid: ids.uid, gid: ids.gid, cwd: '/' };
    const alone = await runBuilt('check_pod_restarts', args, asNagios);
    const shared = await runBuilt('check_pod_restarts', ['--cycle=55', ...args], asNagios);
    expect(alone.first).toMatch(/^POD-RESTARTS UNKNOWN - restart counts cannot be kept in \S+ \(permission denied for user nagios\)/);
    expect(shared.code).toBe(alone.code);
    expect(shared.first).toBe(alone.first);
    // Its answer still fresh: not served on either.
    expect((await runBuilt('check_pod_restarts', ['--cycle=55', ...args], asNagios)).first).toBe(alone.first);
  });
});

describe.skipIf(!nagiosIds())('a umask that takes away the owner read bit', () => {
  it('umask 0400: the state file is kept readable, so the next run judges the restarts, alone and served', async () => {
    const ids = nagiosIds()!;
    chmodSync(c.dir, 0o755);
    for (const cycle of [[], ['--cycle=55']]) {
      const { home, env } = cacheHome();
      chownSync(home, ids.uid, ids.gid);
      const state = join(home, 'restarts.json');
      const args = [...cycle, '--kubeconfig', c.kubeconfig, '--state-file', state];
      // As nagios (root reads any file), from a shell whose umask denies the owner reading what it makes.
      const poll = () =>
        runProcess('/bin/sh', ['-c', 'umask 0400 && exec "$0" "$@"', join(DIST, 'check_pod_restarts'), ...args], {
          env,
          uid: ids.uid,
          gid: ids.gid,
          cwd: '/',
        });
      expect((await poll()).first, cycle.join(' ')).toMatch(/^POD-RESTARTS OK - .* \(restarts counted from now on\)/);
      c.api.clear('pods');
      c.api.add('pods', pod({ namespace: 'web', name: 'api', node: 'node1', ip: '10.1.22.7', restarts: 5 }));
      const next = await poll();
      expect([next.code, next.first], cycle.join(' ')).toEqual([
        1,
        expect.stringMatching(/^POD-RESTARTS WARNING - 1 pod restarted since the previous run \S+ ago: web\/api \|/),
      ]);
      c.api.clear('pods');
      c.api.add('pods', pod({ namespace: 'web', name: 'api', node: 'node1', ip: '10.1.22.7', restarts: 4 }));
    }
  });
});
