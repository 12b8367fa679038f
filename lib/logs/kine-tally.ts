// What check_kine_retries counts of a journal's lines, and check_restart_preflight with it: the
// runbook's signs that kine dropped connections (an error at the full retry budget), that
// k8s-dqlite holds broken connection state (etcd-client retry storms, `client connection is
// closing`), or that kubelite could not reach kine's socket at all.
import { weight, type LogLine } from '../sources/logline.ts';
import { CONN_CLOSING, etcdRetry, isKineSocketFailure, logrusLevel, tryCount } from './kinelog.ts';
import type { Counter } from './tally.ts';

export interface Tally {
  exhausted: number;
  cancelled: number;
  maxTry: number;
  maxAttempt: number;
  /** etcd-client retry lines seen: without one, no attempt was made at all. */
  retries: number;
  closing: number;
  /** kubelite could not reach kine's socket, or lost it. */
  socketErrors: number;
  sample: string;
}

export const KINE_GREP = 'try: \\d|unary invoker|client connection is closing|kine\\.sock';

export const fresh = (): Tally => ({
  exhausted: 0,
  cancelled: 0,
  maxTry: 0,
  maxAttempt: 0,
  retries: 0,
  closing: 0,
  socketErrors: 0,
  sample: '',
});

/** How a source's lines are counted against a retry budget: by the check and the gate alike. */
export const counter = (budget: number): Counter<Tally> => ({ grep: KINE_GREP, fresh, count: (t, line) => count(t, line, budget) });

export function count(t: Tally, line: LogLine, budget: number): void {
  const msg = line.message;
  const n = weight(line);
  if (msg.includes(CONN_CLOSING)) t.closing += n;
  const retry = etcdRetry(msg);
  if (retry) {
    t.retries += n;
    t.maxAttempt = Math.max(t.maxAttempt, retry.attempt);
    return;
  }
  if (isKineSocketFailure(msg)) {
    t.socketErrors += n;
    return;
  }
  const tries = tryCount(msg);
  // kubelite repeats k8s-dqlite's errors as it returns them to clients; count them once, where
  // k8s-dqlite logs them. Debug traces (EXEC (try: N)) are retries in flight, not errors.
  if (tries === undefined || line.ident?.includes('kubelite')) return;
  const level = logrusLevel(msg);
  if (level === 'debug' || level === 'trace') return;
  t.maxTry = Math.max(t.maxTry, tries);
  if (tries >= budget) {
    t.exhausted += n;
    t.sample = msg;
  } else if (tries === 0 && /context (canceled|deadline exceeded)/.test(msg)) t.cancelled += n;
}
