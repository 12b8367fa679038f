// After the runbook: a write storm or a few seconds without a dqlite leader can break the watch a
// node's kube-apiserver keeps on kine, for good. Its watch cache then freezes: every list with
// resourceVersion=0 (kubelet, scheduler, controller-manager, operators) gets the frozen state,
// while reads that go to storage look normal, so nothing else alerts (16 hours without a new pod).
// The operator's "RV=0 test", without writing anything: node Leases are renewed about every 10 s;
// compare each in storage with the same Lease in this API server's cache.
import { NODE_LEASE_NAMESPACE } from '../lib/sources/kube/node-leases.ts';
import { readCache, type CacheFacts } from '../lib/sources/kube/watch-cache-reads.ts';
import { onEachServer } from '../lib/host-fanout.ts';
import { kubeOptions, serverOptions, type KubeArgs, type ServerArgs } from '../lib/options/kube.ts';
import type { Cluster } from '../lib/sources/kube/cluster.ts';
import { thresholdsOf, type Thresholds } from '../lib/plugin/range.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import { formatDuration } from '../lib/duration.ts';
import { plural } from '../lib/text.ts';
import { frozenWatchCache } from '../lib/runbook.ts';
import { quietStorage } from '../lib/quiet-storage.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';
import { listNodesAside } from '../lib/sources/kube/nodes-aside.ts';
import { serverNode } from '../lib/server-node.ts';

interface Args extends KubeArgs, ServerArgs {}

export { readCache, type CacheFacts };

export const defaults = { warning: '30', critical: '120' };
/** The defaults parsed, as -w/-c judge when not given. */
export const defaultLimits = thresholdsOf(defaults);

/** How far the cache is behind storage for one lease, in seconds (a lease it lacks: since its creation). */
function leaseLag(storage: { renewed?: number; created?: number }, cached: { renewed?: number } | undefined): number {
  const now = storage.renewed ?? storage.created;
  if (now === undefined) return 0;
  const seen = cached ? (cached.renewed ?? storage.created ?? now) : (storage.created ?? now);
  return Math.max(0, (now - seen) / 1000);
}

const integerRv = (rv: string | undefined) => (rv !== undefined && /^\d+$/.test(rv) ? Number(rv) : undefined);

export function evaluate(f: CacheFacts, { warning, critical }: Thresholds): Outcome {
  const v = new Verdict(check.name);
  const storage = f.storage;
  let worst: { name: string; lag: number } | undefined;
  const behind = f.behind !== undefined;
  for (const [name, lease] of behind ? [] : (storage?.leases ?? [])) {
    const lag = leaseLag(lease, f.cache?.leases.get(name));
    if (!worst || lag > worst.lag) worst = { name, lag };
  }
  const lagState = v.measure({ label: 'cache_lag', value: worst?.lag ?? NaN, uom: 's', min: 0 }, new ScalarContext(warning, critical));
  // Holding what storage holds is following it only where storage moved lately (lib/quiet-storage.ts).
  const quiet = !behind && storage?.leases.size && lagState === State.OK ? quietStorage(storage.leases, f.readAt ?? Date.now()) : undefined;
  const [storageRv, cacheRv] = [integerRv(storage?.resourceVersion), integerRv(f.cache?.resourceVersion)];
  // The cache is read second: a revision ahead of storage's first read is a cache that follows.
  const rvLag = storageRv !== undefined && cacheRv !== undefined ? Math.max(0, storageRv - cacheRv) : undefined;
  if (rvLag !== undefined) v.measure({ label: 'rv_lag', value: rvLag, min: 0 });
  v.measure({ label: 'leases', value: storage?.leases.size ?? 0, min: 0 });
  if (storage) v.measure({ label: 'quorum_read_time', value: storage.ms / 1000, uom: 's', min: 0 });
  const refused = f.notReady
    ? 'the resourceVersion=0 list because its watch cache is not ready'
    : 'a quorum read because its watch cache is behind';
  if (behind) v.find(State.CRITICAL, `the API server refused ${refused} (${f.behind})`);
  else if (!storage?.leases.size)
    v.find(State.UNKNOWN, `no node Lease in ${NODE_LEASE_NAMESPACE} to compare: cannot tell whether the watch cache follows`);
  else if (quiet) v.find(State.UNKNOWN, quiet);
  if (worst && worst.lag > 0)
    v.detail(
      `most behind: node lease ${worst.name}, ${formatDuration(Math.max(1, worst.lag))} behind ` +
        `storage${f.cache?.leases.has(worst.name) ? '' : ' (missing from the cache)'}`,
    );
  if (rvLag !== undefined)
    v.detail(`resourceVersion: storage ${storage!.resourceVersion}, cache ${f.cache!.resourceVersion} (${rvLag} behind)`);
  if (v.state === State.WARNING || v.state === State.CRITICAL) v.detail(...frozenWatchCache(f.node, f.server));
  if (behind) return v.conclude(f.notReady ? 'watch cache not ready' : 'watch cache behind', { problems: 'named' });
  if (!worst) return v.conclude('no node lease', { problems: 'instead' });
  if (quiet) return v.conclude('storage quiet', { problems: 'instead' });
  return v.conclude(
    worst.lag <= 1
      ? `watch cache follows storage (${plural(storage!.leases.size, 'node lease')}, newest renewals seen)`
      : `watch cache ${formatDuration(worst.lag)} behind storage (node lease ` +
          `${worst.name}${f.cache?.leases.has(worst.name) ? '' : ', missing from the cache'})`,
  );
}

/** Both reads, saying so in the deadline's activity (a timeout names the server). */
export function gather(cluster: Cluster, deadline: Deadline): Promise<CacheFacts> {
  deadline.activity = `reading node leases from ${cluster.server}`;
  return readCache(cluster);
}

export const check: CheckDefinition<Args> = {
  name: 'WATCH-CACHE',
  command: 'check_watch_cache',
  description:
    "compares each node Lease in storage with the API server's watch cache: a frozen cache serves every controller stale objects",
  defaultWarning: defaults.warning,
  defaultCritical: defaults.critical,
  thresholdUnit: 'seconds',
  options: (y) => serverOptions(kubeOptions(y)),
  examples: [
    ['check_watch_cache', "this node's own API server (MicroK8s client.config)"],
    ['check_watch_cache --server https://10.0.0.11:16443 --server https://10.0.0.12:16443', 'every node of the cluster from one place'],
  ],
  async run(ctx) {
    const limits = { warning: ctx.warning, critical: ctx.critical };
    return onEachServer(check.name, ctx, async (cluster, d) => {
      const facts = await gather(cluster, d);
      const outcome = evaluate(facts, limits);
      if (outcome.state !== State.WARNING && outcome.state !== State.CRITICAL) return outcome;
      // Not OK: the Nodes, to name the node in the recovery (a failed or slow list keeps `<node>`).
      const { nodes } = await listNodesAside(ctx.args, d, ctx.log, undefined, ctx.shared?.kube)();
      return evaluate({ ...facts, node: serverNode(cluster.server, facts.storage?.leases.keys() ?? [], nodes) }, limits);
    });
  },
};
