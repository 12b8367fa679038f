// Runbook, "If kubelite connections to kine are broken after a restart": `(try: 500)` means kine
// spent its whole retry budget and dropped the connection, breaking watch streams; etcd-client
// retry storms (attempt 80+) and `grpc: the client connection is closing` in kubelite mean
// k8s-dqlite holds broken connection state, which only its own restart clears.
import { UsageError } from '../lib/errors.ts';
import { judgeSources } from '../lib/logs/judge.ts';
import { scanSources } from '../lib/logs/scan.ts';
import { spanDetail, spanOf, spanText, type Span } from '../lib/logs/span.ts';
import { logOptions, windowOf, type LogArgs } from '../lib/options/log.ts';
import { thresholdsOf, type Thresholds } from '../lib/plugin/range.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import { counter, type Tally } from '../lib/logs/kine-tally.ts';
import { BROKEN_AFTER_STORM, BROKEN_KINE_CONNECTIONS, KINE_STORM, restartSequence } from '../lib/runbook.ts';
import { plural, shorten } from '../lib/text.ts';

// What the gate and the tests take from this check, as they did before the tally moved.
export { count, counter, fresh, KINE_GREP, type Tally } from '../lib/logs/kine-tally.ts';

export interface Args extends LogArgs {
  budget: number;
  'attempt-warning': number;
  'socket-error-warning': number;
}

/** The defaults of the rules beyond -w/-c: also what check_restart_preflight judges with. */
export const defaults = { warning: '2', critical: '10', budget: 500, attemptWarning: 80, socketErrorWarning: 1 };

export interface Limits extends Thresholds {
  budget: number;
  attemptWarning: number;
  socketErrorWarning: number;
}

/** The defaults parsed: what check_restart_preflight judges with. */
export const defaultLimits: Limits = {
  budget: defaults.budget,
  attemptWarning: defaults.attemptWarning,
  socketErrorWarning: defaults.socketErrorWarning,
  ...thresholdsOf(defaults),
};

/** One source's tally over the span of the window it holds. */
export interface KineFacts extends Span {
  tally: Tally;
  source: string;
}

export function evaluate(
  { tally: t, source, ...span }: KineFacts,
  { budget, attemptWarning, socketErrorWarning, warning, critical }: Limits,
): Outcome {
  const v = new Verdict(check.name);
  const storm = v.measure({ label: 'exhausted', value: t.exhausted, min: 0 }, new ScalarContext(warning, critical)) !== State.OK;
  v.measure({ label: 'max_try', value: t.maxTry, min: 0 });
  v.measure({ label: 'max_attempt', value: t.maxAttempt, min: 0 });
  v.measure({ label: 'conn_closing', value: t.closing, min: 0 });
  v.measure({ label: 'cancelled', value: t.cancelled, min: 0 });
  v.measure({ label: 'kine_socket_errors', value: t.socketErrors, min: 0 });
  if (t.retries > 0 && t.maxAttempt >= attemptWarning)
    v.find(State.WARNING, `etcd-client retry attempt ${t.maxAttempt} (>= ${attemptWarning})`);
  if (t.closing > 0) v.find(State.WARNING, plural(t.closing, "'client connection is closing' line"));
  if (t.socketErrors >= socketErrorWarning)
    v.find(State.WARNING, `${plural(t.socketErrors, 'kine socket failure')} (kine.sock:12379 refused or closed)`);

  if (t.exhausted > 0) v.detail(`newest exhausted: ${shorten(t.sample)}`);
  if (t.cancelled > 0) v.detail(`${plural(t.cancelled, 'request')} cancelled by the caller at (try: 0): slow writes, not exhaustion`);
  v.detail(...spanDetail(span));
  // The runbook's two remedies: exhausted budgets are the write storm itself ("Stop adding more
  // kubelite restarts"); restarting k8s-dqlite, then kubelite, is for connections broken after it
  // (attempt 80+, closing connections, kine's socket), and only once the storm has passed.
  if (storm) v.detail(...KINE_STORM);
  if (v.findings.length > 0) v.detail(storm ? BROKEN_AFTER_STORM : BROKEN_KINE_CONNECTIONS, ...restartSequence('<node>'));
  // The span names the source when it begins inside the window: no need to say it twice.
  const window = spanText(span);
  if (t.exhausted === 0 && v.findings.length === 0 && t.maxTry === 0)
    return v.conclude(`no kine retry exhaustion or etcd-client retry storm in ${window}${span.begun ? '' : ` (${source})`}`);
  const maxTry = t.maxTry > 0 && t.exhausted === 0 ? `, max try ${t.maxTry}` : '';
  // With none exhausted, what was found comes first: a summary opening on "0 errors" read as
  // nothing to see above a WARNING of its own.
  if (t.exhausted === 0)
    return v.conclude(`no k8s-dqlite error at the full retry budget, try: ${budget}, in ${window}${maxTry}`, { problems: 'before' });
  return v.conclude(`${plural(t.exhausted, 'k8s-dqlite error')} at the full retry budget (try: ${budget}) in ${window}`);
}

export const check: CheckDefinition<Args> = {
  name: 'KINE-RETRIES',
  command: 'check_kine_retries',
  description: 'finds kine retry-budget exhaustion (try: 500) and etcd-client retry storms in the kubelite and k8s-dqlite journals',
  defaultWarning: defaults.warning,
  defaultCritical: defaults.critical,
  thresholdUnit: 'exhausted retries',
  options: (y) =>
    logOptions(y)
      .option('budget', {
        type: 'number',
        default: defaults.budget,
        describe: "kine's retry budget: an error at (try: N) >= this used all of it",
      })
      .option('attempt-warning', {
        type: 'number',
        default: defaults.attemptWarning,
        describe: 'etcd-client retry attempt that raises WARNING',
      })
      .option('socket-error-warning', {
        type: 'number',
        default: defaults.socketErrorWarning,
        describe: "kubelite lines failing to reach kine's socket (kine.sock:12379) that raise WARNING",
      }),
  examples: [['check_kine_retries --since 10m', 'the last 10 minutes of the local journal']],
  async run({ args, warning, critical, ...ctx }) {
    if (!(args.budget > 0) || !(args['attempt-warning'] >= 0) || !(args['socket-error-warning'] >= 1))
      throw new UsageError('--budget and --socket-error-warning must be at least 1, --attempt-warning not negative');
    const win = windowOf(args);
    const results = await scanSources(args, win, ctx, counter(args.budget));
    const limits = {
      budget: args.budget,
      attemptWarning: args['attempt-warning'],
      socketErrorWarning: args['socket-error-warning'],
      warning,
      critical,
    };
    return judgeSources(check.name, results, (tally, source, begun, ended) =>
      evaluate({ tally, ...spanOf(win, begun, ended), source }, limits),
    );
  },
};
