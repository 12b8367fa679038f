// The shared NRPE cycle (--cycle=SECONDS), run directly: answers served from one shared run, and
// "since the previous run" meaning the previous answer served, whatever shared runs came between.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { node, pod } from '../apiserver/objects.ts';
import { type TestCluster, useCluster } from '../helpers/cluster.ts';
import { runBuilt } from '../helpers/run.ts';

const cluster = useCluster();
let c: TestCluster;
beforeEach(() => {
  c = cluster();
});

describe('--cycle', () => {
  it('one shared run answers every known command line; a restart count is judged against the last answer served', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mk8s-cycle-'));
    const env = { ...process.env, XDG_CACHE_HOME: join(home, 'cache') };
    const answers = join(home, 'cache', 'microk8s-checks', 'cycle', 'results');
    const state = join(home, 'restarts.json');
    const expireAll = () => {
      for (const f of readdirSync(answers)) rmSync(join(answers, f));
    };
    const restarts = (n: number) => {
      c.api.clear('pods');
      const p = pod({ namespace: 'web', name: 'api', node: 'node1', ip: '10.1.22.7', restarts: n });
      p.metadata.uid = 'b5b1a0c4-2b8e-4a5e-9d55-0f1c6e8f6a11';
      c.api.add('pods', p);
    };
    c.api.add('nodes', node({ name: 'node1', ip: '10.0.0.11' }));
    const podRestarts = () => runBuilt('check_pod_restarts', ['--cycle=55', '--kubeconfig', c.kubeconfig, '--state-file', state], { env });
    const nodes = () => runBuilt('check_nodes', ['--cycle=55', '--kubeconfig', c.kubeconfig], { env });

    restarts(4);
    expect((await podRestarts()).first).toMatch(/restarts counted from now on/);
    // Served: its state became current (no pending state left).
    expect(existsSync(state)).toBe(true);
    expect(existsSync(`${state}.pending`)).toBe(false);
    expect((await nodes()).first).toMatch(/^NODES OK - 1 node, all Ready/);

    // A shared run made for check_nodes answers check_pod_restarts too, but nobody serves that
    // answer: the count it saw must not become the one the next served answer compares with.
    restarts(6);
    expireAll();
    await nodes();
    expect(readdirSync(answers)).toHaveLength(2);
    expireAll();
    restarts(9);
    const r = await podRestarts();
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^POD-RESTARTS WARNING - 1 pod restarted since the previous run \S+ ago: web\/api \|/);
    expect(r.stdout).toMatch(/restarts 4 -> 9/);

    // Served from the shared run: a second poll within the maximum age starts no check at all.
    const requests = c.api.requests.length;
    expect((await podRestarts()).first).toBe(r.first);
    expect(c.api.requests.length).toBe(requests);
  });

  it('without a cache directory it can use, the check runs alone as usual', async () => {
    c.api.add('nodes', node({ name: 'node1', ip: '10.0.0.11' }));
    const r = await runBuilt('check_nodes', ['--cycle=55', '--kubeconfig', c.kubeconfig], {
      env: { ...process.env, XDG_CACHE_HOME: '/proc/nonexistent' },
    });
    expect(r.first).toMatch(/^NODES OK - 1 node, all Ready/);
  });

  it('without a home or XDG_CACHE_HOME it keeps no cache, and makes no directory anywhere', async () => {
    c.api.add('nodes', node({ name: 'node1', ip: '10.0.0.11' }));
    const cwd = mkdtempSync(join(tmpdir(), 'mk8s-nohome-'));
    try {
      // As root, a cache under a made-up home could be created; as env -i gives it: PATH only.
      const r = await runBuilt('check_nodes', ['--cycle=55', '--kubeconfig', c.kubeconfig], { cwd, env: { PATH: process.env.PATH! } });
      expect(r.first).toMatch(/^NODES OK - 1 node, all Ready/);
      expect(readdirSync(cwd)).toEqual([]);
      expect(existsSync('/nonexistent')).toBe(false);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
