// Several check_apiserver command lines of one shared poll cycle against one API server (other
// thresholds, another contact group): each times its own readyz. They share the run's connection
// pool (lib/sources/kube/setup.ts, at most 4), their timed requests not: a readyz must never wait there for another's.
import { describe, expect, it } from 'vitest';
import { gather } from '../../checks/apiserver.ts';
import { Deadline } from '../../lib/plugin/deadline.ts';
import { connect } from '../../lib/sources/kube/cluster.ts';
import { KubeShare } from '../../lib/sources/kube/share.ts';
import { useCluster } from '../helpers/cluster.ts';

const cluster = useCluster();

describe('check_apiserver lines of one shared cycle', () => {
  it("three of them: each readyz_time is the server's, none waits for a connection another holds", async () => {
    const c = cluster();
    const SERVER_MS = 1500;
    // A struggling datastore: readyz and livez each run the etcd check, both slow.
    c.api.healthGate = () => new Promise((r) => setTimeout(r, SERVER_MS));
    const share = new KubeShare();
    const deadline = new Deadline(20, () => undefined);
    const lines = [0, 1, 2].map(() => gather(connect({ kubeconfig: c.kubeconfig }, deadline, undefined, { share }), deadline));
    const facts = await Promise.all(lines);
    deadline.cancel();
    for (const f of facts) expect(f.readyz.ms).toBeLessThan(SERVER_MS + 1000);
  }, 60_000);
});
