/**
 * How long reads begun together wait, once one of them failed, for those before it to answer: a
 * number of milliseconds, or a deadline, which gives half the time it had left when the failure
 * was first known (by this inOrder or one nested in it).
 */
export type Patience = number | { remainingMs(): number };

/**
 * For reads of one source begun together (slices of one journal, two questions on one
 * connection): failing for one cause, they fail within milliseconds of each other. One still open
 * a second after its sibling failed is slow or hung, and its own failure would come too late to
 * be the reason said in time.
 */
export const SIBLINGS_MS = 1000;

/**
 * When the failure an inOrder rejected with was first known, for the inOrder it reaches in turn
 * (reads of reads: a journal's directories, each its slices): the wait is counted once, from then.
 * Counted anew at each, a second at each of three depths held a failure known at once past -t 2.
 */
const knownSince = new WeakMap<object, number>();

const isObject = (error: unknown): error is object => (typeof error === 'object' && error !== null) || typeof error === 'function';

/** How long is left to wait, at `now`, for a failure known since `since`. */
const waitFor = (patience: Patience, since: number, now: number) => {
  const waited = now - since;
  const budget = typeof patience === 'number' ? patience : (patience.remainingMs() + waited) / 2;
  return Math.max(0, budget - waited);
};

/**
 * Reads begun together, still run at once, awaited as one: their values in order, or, where any
 * fails, the failure of the first of them in the order given. Promise.all's first failure in time
 * made the reason vary from one poll to the next (which of find and stat failed sooner), and a
 * check in `microk8s-checks all` say another than the same check alone; the order makes it the
 * reason of the check's own question first.
 *
 * A later read's failure waits for the reads before it to answer, but within `patience`: a read
 * that hangs would otherwise hold a failure already known until the run's deadline, which then
 * says only that it timed out. Past it, the first failure known in the order is the reason.
 */
export function inOrder<T extends readonly unknown[]>(
  reads: { readonly [K in keyof T]: PromiseLike<T[K]> },
  patience: Patience,
): Promise<T> {
  const list: readonly PromiseLike<unknown>[] = reads;
  return new Promise<T>((resolve, reject) => {
    const values: unknown[] = new Array(list.length);
    const errors: unknown[] = new Array(list.length);
    const state: ('open' | 'done' | 'failed')[] = list.map(() => 'open');
    let timer: NodeJS.Timeout | undefined;
    let ended = false;
    // When the first of the failures was known, here or by an inOrder it came through.
    let since = Infinity;
    const fail = (error: unknown) => {
      ended = true;
      clearTimeout(timer);
      if (isObject(error)) knownSince.set(error, Math.min(knownSince.get(error) ?? since, since));
      reject(error);
    };
    const decide = () => {
      if (ended) return;
      const first = state.findIndex((s) => s !== 'done');
      if (first < 0) {
        ended = true;
        clearTimeout(timer);
        resolve(values as unknown as T);
        return;
      }
      if (state[first] === 'failed') return fail(errors[first]);
      if (timer === undefined && state.includes('failed')) {
        const now = Date.now();
        timer = setTimeout(() => fail(errors[state.indexOf('failed')]), waitFor(patience, since, now));
      }
    };
    list.forEach((read, i) => {
      Promise.resolve(read).then(
        (value) => {
          values[i] = value;
          state[i] = 'done';
          decide();
        },
        (error: unknown) => {
          errors[i] = error;
          state[i] = 'failed';
          since = Math.min(since, (isObject(error) && knownSince.get(error)) || Date.now());
          decide();
        },
      );
    });
    decide();
  });
}
