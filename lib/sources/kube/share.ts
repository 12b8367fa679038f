import { silentLogger, type Logger } from '../../logger.ts';
import { selectorFilter, type Selectable, type Selectors } from '../../k8s/selectors.ts';
import type { Cluster } from './cluster.ts';
import type { ResourceName } from './errors.ts';
import { KubeSetup, SHARED_CONNECTIONS } from './setup.ts';
import { Fan, Kept, type Waiter } from '../fan.ts';

/** A list as a check asks for it: in all namespaces (none given) or in each given one, with its selectors. */
export interface ListAsk extends Selectors {
  resource: ResourceName;
  namespaces: string[];
}

/** How a list is read for one asker, through a cluster (and its deadline), with the ask's selectors. */
export type ListRead<T extends Selectable> = (cluster: Cluster, ask: ListAsk, onItem: (item: T) => void) => Promise<void>;

/** An asker of a shared read: its route and deadline are its cluster's. */
interface ClusterWaiter extends Waiter {
  cluster: Cluster;
}

/**
 * The cluster to read through for a fan's askers: their route (they share its key), under a
 * deadline that lasts while anyone waits; a Retry-After is honoured if it fits in the longest one
 * left, and an asker whose time left it outlasts is given the error at once, as it would be alone
 * (request.ts), where it waited for the retry and was reported "timed out" instead of the 429.
 */
function fanCluster(fan: Fan<ClusterWaiter>): Cluster {
  const first = fan.waiters()[0]!.cluster;
  const remainingMs = () => Math.max(0, ...fan.waiters().map((w) => w.cluster.policy.remainingMs()));
  const retrying = (error: unknown, waitMs: number) => {
    for (const w of fan.waiters()) if (waitMs >= w.cluster.policy.remainingMs()) fan.leave(w, error);
  };
  return {
    ...first,
    share: undefined,
    policy: { signal: fan.signal, server: first.server, given: first.policy.given, remainingMs, retrying },
  };
}

interface Asker<T extends Selectable> {
  waiter: ClusterWaiter;
  ask: ListAsk;
  onItem: (item: T) => void;
}

interface Batch<T extends Selectable> {
  askers: Asker<T>[];
  read: ListRead<T>;
}

/**
 * The Kubernetes reads the checks of one run share (`microk8s-checks all`, the shared poll cycle),
 * and the run's one set-up (KubeSetup). What several checks ask of the same API server with the
 * same credentials is read once and handed to each:
 *
 * - lists asked for in the same turn of the event loop (the checks start together) become one
 *   list, streamed page by page to every asker, each getting only the items its own selectors
 *   select (lib/k8s/selectors.ts): memory stays one page, whatever the number of checks. One
 *   asker alone reads as it would alone, selectors sent to the server; so does an asker whose
 *   selectors cannot be judged here exactly (set-based label selectors).
 * - small reads (the Nodes, the leader leases) are read once in the run and kept: a check that
 *   asks later gets the same answer, as if it had asked when the first did.
 *
 * A read that fails fails for each of its checks, each then UNKNOWN with that reason: a check is
 * never handed part of a list as if it were the whole.
 */
export class KubeShare {
  readonly setup: KubeSetup;
  // Of one resource each (the key says which), so of one item type.
  private readonly batches = new Map<string, unknown>();
  private readonly kept = new Kept();

  constructor(log: Logger = silentLogger) {
    this.setup = new KubeSetup(log, undefined, SHARED_CONNECTIONS);
  }

  /**
   * A list, shared with the asks of the same resource and namespaces made in the same turn. The
   * namespaces in the order given: each is listed in turn, so another order is another stream
   * (`-n b -n a` named b's absence first alone, and a's beside `-n a -n b`).
   */
  list<T extends Selectable>(cluster: Cluster, ask: ListAsk, onItem: (item: T) => void, read: ListRead<T>): Promise<void> {
    const key = JSON.stringify([cluster.key, ask.resource, ask.namespaces]);
    let batch = this.batches.get(key) as Batch<T> | undefined;
    if (!batch) {
      const started: Batch<T> = { askers: [], read };
      batch = started;
      this.batches.set(key, batch);
      setImmediate(() => {
        this.batches.delete(key);
        this.run(started);
      });
    }
    const askers = batch.askers;
    return new Promise((resolve, reject) =>
      askers.push({ waiter: { cluster, signal: cluster.policy.signal, resolve, reject }, ask, onItem }),
    );
  }

  private run<T extends Selectable>({ askers, read }: Batch<T>): void {
    const alone = (a: Asker<T>) => read(a.waiter.cluster, a.ask, a.onItem).then(a.waiter.resolve, a.waiter.reject);
    const judged = askers.map((a) => ({ ...a, filter: selectorFilter(a.ask) }));
    const shared = judged.filter((a) => a.filter !== undefined);
    for (const a of judged) if (a.filter === undefined || shared.length < 2) void alone(a);
    if (shared.length < 2) return;
    // Selectors every asker gives alike are the server's to apply; the others each asker's own.
    const same = (k: keyof Selectors) => (shared.every((a) => a.ask[k] === shared[0]!.ask[k]) ? shared[0]!.ask[k] : undefined);
    const ask: ListAsk = { ...shared[0]!.ask, labelSelector: same('labelSelector'), fieldSelector: same('fieldSelector') };
    const fan = new Fan<ClusterWaiter>();
    for (const a of shared) fan.add(a.waiter);
    const dispatch = (item: T) => {
      for (const a of shared) {
        if (!fan.has(a.waiter)) continue;
        try {
          if (a.filter!(item)) a.onItem(item);
        } catch (err) {
          // This check could not take the item (a time it cannot parse): its failure, not the others'.
          fan.leave(a.waiter, err);
        }
      }
    };
    if (fan.deserted) return;
    read(fanCluster(fan), ask, dispatch).then(
      () => fan.end(),
      (error: unknown) => fan.end({ error }),
    );
  }

  /**
   * A small read done once in the run, its answer kept for every check that asks. A read nobody
   * waits for any more when it ends (all their deadlines passed) is not kept.
   */
  once<T>(cluster: Cluster, what: string, read: (cluster: Cluster) => Promise<T>): Promise<T> {
    return this.kept.get<T, ClusterWaiter>(JSON.stringify([cluster.key, what]), { cluster, signal: cluster.policy.signal }, (fan) =>
      read(fanCluster(fan)),
    );
  }
}
