import { inOrder, SIBLINGS_MS, type Patience } from './in-order.ts';

/**
 * `work` over each item, at most `limit` at once, the results in the items' order. A failure
 * ends it: no item starts after it, and the whole rejects with the failure of the first item in
 * the items' order (inOrder): items start in order, so every one before it has begun. Shared by
 * the plugin core's fan-out over targets and the sources' own bounded fan-outs (a journal's
 * machines), so neither depends on the other.
 */
export async function eachAtMost<T, R>(
  limit: number,
  items: readonly T[],
  work: (item: T) => Promise<R>,
  patience: Patience = SIBLINGS_MS,
): Promise<R[]> {
  // One promise per item, settled as its work does once a lane starts it; never, past a failure.
  const start: ((run: Promise<R>) => void)[] = [];
  const runs = items.map(() => new Promise<R>((resolve) => start.push(resolve)));
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      const run = (async () => work(items[i]!))();
      start[i]!(run);
      await run.catch(() => {
        failed = true;
      });
    }
  };
  for (let n = 0; n < Math.min(limit, items.length); n++) void lane();
  return inOrder(runs, patience);
}
