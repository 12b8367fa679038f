// A state file is read back only up to 1 MiB (docs/trust.md, Limits): a check that wrote more than
// that read "cannot read state file: it is 1.1 MiB" on every next run, started over each time and
// said OK, restarts never judged. What cannot be read back is not kept: UNKNOWN on every run.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pod } from '../apiserver/objects.ts';
import { useCluster } from '../helpers/cluster.ts';
import { runBuilt } from '../helpers/run.ts';

const cluster = useCluster();

/** A big cluster the day after its nodes rebooted: every container restarted once. */
const rebooted = (restarts: (i: number) => number) =>
  Array.from({ length: 14_000 }, (_, i) =>
    pod({
      namespace: `team-${i % 40}`,
      name: `web-${i}`,
      node: `k8s0${(i % 5) + 1}`,
      ip: `10.1.${(i >> 8) & 255}.${i & 255}`,
      containerName: 'prometheus-node-exporter-textfile-collector',
      restarts: restarts(i),
    }),
  );

describe('restart counts too many to read back', () => {
  it('check_pod_restarts is UNKNOWN saying so on every run, never OK with growth never judged', { timeout: 60_000 }, async () => {
    const c = cluster();
    const state = join(mkdtempSync(join(tmpdir(), 'mk8s-state-size-')), 'pod-restarts.json');
    const args = ['--kubeconfig', c.kubeconfig, '--state-file', state, '-t', '30'];
    c.api.add('pods', ...rebooted(() => 1));
    const first = await runBuilt('check_pod_restarts', args);
    // One pod restarted once more since: a run that never judges growth does not see it.
    c.api.clear('pods');
    c.api.add('pods', ...rebooted((i) => (i === 7 ? 2 : 1)));
    const second = await runBuilt('check_pod_restarts', args);
    for (const r of [first, second]) {
      expect(r.code).toBe(3);
      expect(r.first).toMatch(/^POD-RESTARTS UNKNOWN - restart counts cannot be kept in \S+ \(the file would be 1\.\d MiB, /);
      expect(r.first).toContain('more than the 1 MiB a state file may hold): restarts since the previous run not judged');
      expect(r.first).toContain(' | restarted=U;;;0;14000 crashlooping=0;;;0;14000 pods=14000;;;0');
    }
  });
});
