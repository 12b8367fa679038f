/**
 * How long reads begun together wait, once one of them failed, for those before it to answer: a
 * number of milliseconds, or a deadline, which gives half the time it has left at that moment.
 */
export type Patience = number | { remainingMs(): number };

/**
 * For reads of one source begun together (slices of one journal, two questions on one
 * connection): failing for one cause, they fail within milliseconds of each other. One still open
 * a second after its sibling failed is slow or hung, and its own failure would come too late to
 * be the reason said in time.
 */
export const SIBLINGS_MS = 1000;

const waitFor = (patience: Patience) => (typeof patience === 'number' ? patience : patience.remainingMs() / 2);

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
    const firstFailure = () => errors[state.indexOf('failed')];
    const decide = () => {
      if (ended) return;
      const first = state.findIndex((s) => s !== 'done');
      if (first < 0 || state[first] === 'failed') {
        ended = true;
        clearTimeout(timer);
        if (first < 0) resolve(values as unknown as T);
        else reject(errors[first]);
        return;
      }
      if (timer === undefined && state.includes('failed')) {
        timer = setTimeout(() => {
          ended = true;
          reject(firstFailure());
        }, waitFor(patience));
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
          decide();
        },
      );
    });
    decide();
  });
}
