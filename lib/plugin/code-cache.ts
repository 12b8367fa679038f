// The launcher's stub (build.mjs, loadStub) keeps a V8 code cache of the suite per command, made
// after a run from every function that run compiled. A run that printed --help or failed early
// compiled little of what judging takes, and a shared run (`all`, the poll cycle's) that judged
// few of its checks little of what the others take: a cache is made again by a run that judged
// more checks than the run that made it. The first shared run of a poll cycle knows only the
// command line that started it; its cache of that one check's code was kept for good, and every
// later run compiled the other checks' code again (0.03 CPU-s a run, measured).

const JUDGED = Symbol.for('microk8s-checks.judged');

/** This check reached a verdict of its own (OK, WARNING or CRITICAL): the code it compiled is worth keeping. */
export function markJudged(check: string): void {
  const store = globalThis as Record<symbol, Set<string> | undefined>;
  store[JUDGED] ??= new Set<string>();
  store[JUDGED].add(check);
}
