// The launcher's stub (build.mjs, loadStub) keeps a V8 code cache of the suite per command, made
// after a run from every function that run compiled. A run that printed --help or failed early
// compiled little of what judging takes; its cache is replaced by the first run that judged.

const JUDGED = Symbol.for('microk8s-checks.judged');

/** This run reached a verdict of its own (OK, WARNING or CRITICAL): its compiled code is worth keeping. */
export function markJudged(): void {
  (globalThis as Record<symbol, unknown>)[JUDGED] = true;
}
