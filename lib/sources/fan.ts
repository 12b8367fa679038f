// One read done for several askers of a shared run (`microk8s-checks all`, the poll cycle): the
// Kubernetes lists and small reads (kube/share.ts), the dqlite CLI's answers (command-share.ts).

/** One asker: its own deadline's signal, and how it is told the read's end. */
export interface Waiter {
  signal: AbortSignal;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * The askers of one read. It runs while any of them still waits: each leaves it at its own
 * deadline (rejected with its own deadline's reason) without cutting it short for the others,
 * and when none is left it is cancelled (`signal`). It fails for all of them alike.
 */
export class Fan<W extends Waiter = Waiter> {
  private readonly controller = new AbortController();
  private readonly waiting = new Map<W, () => void>();

  /** Aborted once no one waits any more. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  add(w: W): void {
    if (w.signal.aborted) {
      w.reject(w.signal.reason);
      return;
    }
    const onAbort = () => this.leave(w, w.signal.reason);
    w.signal.addEventListener('abort', onAbort, { once: true });
    this.waiting.set(w, () => w.signal.removeEventListener('abort', onAbort));
  }

  has(w: W): boolean {
    return this.waiting.has(w);
  }

  /** Those still waiting. */
  waiters(): W[] {
    return [...this.waiting.keys()];
  }

  /** No one waits (any more): nothing to read for. */
  get deserted(): boolean {
    return this.waiting.size === 0;
  }

  /** One waiter gives up (its deadline, or its own handling of an item failed). */
  leave(w: W, err: unknown): void {
    const stop = this.waiting.get(w);
    if (!stop) return;
    stop();
    this.waiting.delete(w);
    w.reject(err);
    if (this.waiting.size === 0) this.controller.abort(err);
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

type Memo = { fan: Fan<never>; outcome?: { value: unknown } | { error: unknown } };

/**
 * Reads done once in a run, each answer kept for every asker: one that asks later gets the same
 * answer, as if it had asked when the first did. A read nobody waits for any more when it ends
 * (all their deadlines passed) is not kept.
 */
export class Kept {
  private readonly memo = new Map<string, Memo>();

  /** `read` is started by the first asker of `key`, under the fan of everyone who waits for it. */
  get<T, W extends Waiter>(key: string, asker: Omit<W, 'resolve' | 'reject'>, read: (fan: Fan<W>) => Promise<T>): Promise<T> {
    const found = this.memo.get(key);
    if (found?.outcome) return 'value' in found.outcome ? Promise.resolve(found.outcome.value as T) : Promise.reject(found.outcome.error);
    // A read everyone left is being cancelled: this asker starts its own.
    const kept = found && !found.fan.deserted ? found : undefined;
    const memo: Memo = kept ?? { fan: new Fan<never>() };
    const fan = memo.fan as unknown as Fan<W>;
    const answer = new Promise<T>((resolve, reject) =>
      fan.add({ ...asker, resolve: () => resolve((memo.outcome as { value: T }).value), reject } as W),
    );
    if (!kept && !fan.deserted) {
      this.memo.set(key, memo);
      read(fan).then(
        (value) => {
          memo.outcome = { value };
          fan.end();
        },
        (error: unknown) => {
          if (!fan.deserted) memo.outcome = { error };
          else if (this.memo.get(key) === memo) this.memo.delete(key);
          fan.end({ error });
        },
      );
    }
    return answer;
  }
}
