import { silentLogger, type Logger } from '../../logger.ts';
import { selectorFilter, type Selectable, type Selectors } from '../../k8s/selectors.ts';
import type { Cluster } from './cluster.ts';
import { KubeSetup, SHARED_CONNECTIONS } from './setup.ts';

/** A list as a check asks for it: in all namespaces (none given) or in each given one, with its selectors. */
export interface ListAsk extends Selectors {
  resource: string;
  namespaces: string[];
}

/** How a list is read for one asker, through a cluster (and its deadline), with the ask's selectors. */
export type ListRead<T extends Selectable> = (cluster: Cluster, ask: ListAsk, onItem: (item: T) => void) => Promise<void>;

interface Waiter {
  cluster: Cluster;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * One read done for several checks. It runs while any of them still waits: each leaves it at its
 * own deadline (rejected with its own deadline's reason) without cutting it short for the
 * others, and when none is left it is cancelled. It fails for all of them alike.
 */
class Fan {
  private readonly controller = new AbortController();
  private readonly waiting = new Map<Waiter, () => void>();

  add(w: Waiter): void {
    const { signal } = w.cluster.policy;
    if (signal.aborted) {
      w.reject(signal.reason);
      return;
    }
    const onAbort = () => this.leave(w, signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    this.waiting.set(w, () => signal.removeEventListener('abort', onAbort));
  }

  has(w: Waiter): boolean {
    return this.waiting.has(w);
  }

  /** No one waits (any more): nothing to read for. */
  get deserted(): boolean {
    return this.waiting.size === 0;
  }

  /** One waiter gives up (its deadline, or its own handling of an item failed). */
  leave(w: Waiter, err: unknown): void {
    const stop = this.waiting.get(w);
    if (!stop) return;
    stop();
    this.waiting.delete(w);
    w.reject(err);
    if (this.waiting.size === 0) this.controller.abort(err);
  }

  /**
   * The cluster to read through: the waiters' route (they share its key), under a deadline that
   * lasts while anyone waits; a Retry-After is honoured if it fits in the longest one left.
   */
  cluster(): Cluster {
    const first = this.waiting.keys().next().value!.cluster;
    const remainingMs = () => Math.max(0, ...[...this.waiting.keys()].map((w) => w.cluster.policy.remainingMs()));
    return { ...first, share: undefined, policy: { signal: this.controller.signal, server: first.server, remainingMs } };
  }

  /** The read ended: each waiter still there gets its end, the error if it failed. */
  end(error?: { error: unknown }): void {
    for (const [w, stop] of this.waiting) {
      stop();
      if (error) w.reject(error.error);
      else w.resolve();
    }
    this.waiting.clear();
  }
}

interface Asker<T extends Selectable> {
  waiter: Waiter;
  ask: ListAsk;
  onItem: (item: T) => void;
}

interface Batch<T extends Selectable> {
  askers: Asker<T>[];
  read: ListRead<T>;
}

type Memo = { fan: Fan; outcome?: { value: unknown } | { error: unknown } };

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
  private readonly memo = new Map<string, Memo>();

  constructor(log: Logger = silentLogger) {
    this.setup = new KubeSetup(log, undefined, SHARED_CONNECTIONS);
  }

  /** A list, shared with the asks of the same resource and namespaces made in the same turn. */
  list<T extends Selectable>(cluster: Cluster, ask: ListAsk, onItem: (item: T) => void, read: ListRead<T>): Promise<void> {
    const key = JSON.stringify([cluster.key, ask.resource, [...ask.namespaces].sort()]);
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
    return new Promise((resolve, reject) => askers.push({ waiter: { cluster, resolve, reject }, ask, onItem }));
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
    const fan = new Fan();
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
    read(fan.cluster(), ask, dispatch).then(
      () => fan.end(),
      (error: unknown) => fan.end({ error }),
    );
  }

  /**
   * A small read done once in the run, its answer kept for every check that asks. A read nobody
   * waits for any more when it ends (all their deadlines passed) is not kept.
   */
  once<T>(cluster: Cluster, what: string, read: (cluster: Cluster) => Promise<T>): Promise<T> {
    const key = JSON.stringify([cluster.key, what]);
    const found = this.memo.get(key);
    if (found?.outcome) return 'value' in found.outcome ? Promise.resolve(found.outcome.value as T) : Promise.reject(found.outcome.error);
    // A read everyone left is being cancelled: this check starts its own.
    const kept = found && !found.fan.deserted ? found : undefined;
    const memo: Memo = kept ?? { fan: new Fan() };
    const answer = new Promise<T>((resolve, reject) =>
      memo.fan.add({ cluster, resolve: () => resolve((memo.outcome as { value: T }).value), reject }),
    );
    if (!kept && !memo.fan.deserted) {
      this.memo.set(key, memo);
      read(memo.fan.cluster()).then(
        (value) => {
          memo.outcome = { value };
          memo.fan.end();
        },
        (error: unknown) => {
          if (!memo.fan.deserted) memo.outcome = { error };
          else if (this.memo.get(key) === memo) this.memo.delete(key);
          memo.fan.end({ error });
        },
      );
    }
    return answer;
  }
}
