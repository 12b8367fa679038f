// The order in which the checks of a shared run (`microk8s-checks all`, the poll cycle) start.
// Every check runs on this one process's event loop: a check that judges how long its source
// takes to answer (check_apiserver's readyz) would otherwise time the other checks' work too
// (their lists parsed, their journal lines counted) as much as the source's. A thread of its own
// for it was measured, and costs about as much CPU as starting Node again (bench/RESULTS.md):
// the timed checks start alone instead, and the others after them.

/**
 * How long the others wait for the timed checks: a healthy API server answers readyz in a few
 * tens of milliseconds, and this is all a slow or hung one can hold the others back.
 */
export const HEAD_START_MS = 250;

/**
 * Start the timed items first, alone, and the rest once the timed ones have ended or
 * HEAD_START_MS has passed, whichever comes first; resolves when every item has ended.
 */
export async function timedFirst<T>(items: readonly T[], timed: (item: T) => boolean, start: (item: T) => Promise<void>): Promise<void> {
  const first = items.filter(timed);
  const firstDone = Promise.all(first.map(start));
  if (first.length) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([firstDone, new Promise<void>((resolve) => (timer = setTimeout(resolve, HEAD_START_MS)))]);
    clearTimeout(timer);
  }
  await Promise.all([firstDone, ...items.filter((item) => !timed(item)).map(start)]);
}

/**
 * The longest the event loop was kept from a 10 ms timer while `work` ran: how much of a time
 * measured across `work` may be this process's own work rather than what was waited for.
 */
export async function loopLag<T>(work: Promise<T>, everyMs = 10): Promise<{ value: T; lagMs: number }> {
  let lagMs = 0;
  let due = performance.now() + everyMs;
  const timer = setInterval(() => {
    const now = performance.now();
    lagMs = Math.max(lagMs, now - due);
    due = now + everyMs;
  }, everyMs);
  try {
    const value = await work;
    lagMs = Math.max(lagMs, performance.now() - due);
    return { value, lagMs: Math.round(Math.max(0, lagMs)) };
  } finally {
    clearInterval(timer);
  }
}
