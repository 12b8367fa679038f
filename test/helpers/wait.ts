/**
 * Polls `probe` until it returns something other than undefined, and returns that. Past
 * `timeoutMs` it throws, naming what was awaited (`awaited()`, asked then, so it can say what was
 * still missing): a bound generous enough for a loaded machine, never a fixed sleep.
 */
export async function until<T>(
  awaited: () => string,
  probe: () => T | undefined | Promise<T | undefined>,
  { timeoutMs, intervalMs = 100 }: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= end) throw new Error(`gave up after ${timeoutMs / 1000} s awaiting ${awaited()}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
