/**
 * How long a request (or a command over SSH) waits for a kept connection: longer than any turn
 * takes in a healthy run (`all` is done in about a second at 10,000 pods), well within the
 * shortest sensible -t.
 */
export const CONNECTION_PATIENCE_MS = 2000;

/** How long one may wait for a kept connection: the patience, at most half its time left (a short -t leaves time for its own). */
export const patienceWithin = (remainingMs: number, patienceMs = CONNECTION_PATIENCE_MS): number =>
  Math.min(patienceMs, Math.max(0, remainingMs / 2));

/**
 * The few connections a run of many checks keeps to one API server (or the channels it opens at
 * once on its one SSH connection to a host: ssh/share.ts), and the way past them.
 *
 * Each connection costs a TLS handshake, so `all` and the shared cycle keep a handful and their
 * requests take turns. But a request must not wait long for its turn: during write contention a
 * read from storage can hang for the whole -t, and a handful of those (the Pods, Jobs, CronJobs,
 * Deployments) would hold every connection while the watch cache's or the Nodes' request, answered
 * at once by a check run alone, waited until its own timeout and was reported as hung. A request
 * that waited its patience (kube/connection-slots.ts patienceFor) opens a connection of its own instead.
 */
export class ConnectionSlots {
  private busy = 0;
  private readonly waiting = new Set<() => void>();

  constructor(private readonly size: number) {}

  /**
   * True: one of the kept connections is this request's, to give back with release() once its
   * answer is read. False: it waited `patienceMs` (or the run is ending), and goes its own way.
   */
  take(signal: AbortSignal | undefined, patienceMs: number): Promise<boolean> {
    if (this.busy < this.size) {
      this.busy++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const settle = (pooled: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiting.delete(handOver);
        resolve(pooled);
      };
      const handOver = () => settle(true);
      const onAbort = () => settle(false);
      const timer = setTimeout(() => settle(false), patienceMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.add(handOver);
    });
  }

  /** A kept connection is free: the longest waiting request gets it. */
  release(): void {
    const next = this.waiting.values().next();
    if (next.done) this.busy--;
    else next.value();
  }
}
