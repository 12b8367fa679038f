/**
 * `work` over each item, at most `limit` at once, the results in the items' order. The first
 * failure ends it: no item starts after it, and it is what the whole rejects with. Shared by the
 * plugin core's fan-out over targets and the sources' own bounded fan-outs (a journal's machines),
 * so neither depends on the other.
 */
export async function eachAtMost<T, R>(limit: number, items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await work(items[i]!);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
