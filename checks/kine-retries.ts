// Runbook, "If kubelite connections to kine are broken after a restart": `(try: 500)` means kine
// spent its whole retry budget and dropped the connection, breaking watch streams; etcd-client
// retry storms (attempt 80+) and `grpc: the client connection is closing` in kubelite mean
// k8s-dqlite holds broken connection state, which only its own restart clears.
import { formatDuration } from '../lib/duration.ts';
import { logOptions, scanLogs, windowOf, type LogArgs } from '../lib/log-input.ts';
import { UsageError } from '../lib/errors.ts';
import { ScalarContext, Verdict } from '../lib/plugin/verdict.ts';
import { State } from '../lib/plugin/state.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { CONN_CLOSING, etcdRetry, logrusLevel, tryCount } from '../lib/sources/kinelog.ts';
import { plural, shorten } from '../lib/text.ts';

interface Args extends LogArgs {
  budget: number;
  'attempt-warning': number;
}

export const check: CheckDefinition<Args> = {
  name: 'KINE-RETRIES',
  command: 'check_kine_retries',
  description: 'finds kine retry-budget exhaustion (try: 500) and etcd-client retry storms in the kubelite and k8s-dqlite journals',
  defaultWarning: '2',
  defaultCritical: '10',
  options: (y) =>
    logOptions(y)
      .option('budget', { type: 'number', default: 500, describe: "kine's retry budget: an error at (try: N) >= this used all of it" })
      .option('attempt-warning', { type: 'number', default: 80, describe: 'etcd-client retry attempt that raises WARNING' }),
  examples: [['check_kine_retries --since 10m', 'the last 10 minutes of the local journal']],
  async run({ args, warning, critical, deadline }) {
    if (!(args.budget > 0) || !(args['attempt-warning'] >= 0)) throw new UsageError('--budget must be positive and --attempt-warning not negative');
    const win = windowOf(args);
    let exhausted = 0;
    let cancelled = 0;
    let maxTry = 0;
    let maxAttempt = 0;
    let closing = 0;
    let worstSample = '';
    const source = await scanLogs(args, win, deadline, 'try: \\d|unary invoker|client connection is closing', (line) => {
      const msg = line.message;
      if (msg.includes(CONN_CLOSING)) closing++;
      const retry = etcdRetry(msg);
      if (retry) {
        maxAttempt = Math.max(maxAttempt, retry.attempt);
        return;
      }
      const tries = tryCount(msg);
      // kubelite repeats k8s-dqlite's errors as it returns them to clients; count them once,
      // where k8s-dqlite logs them. Debug traces (EXEC (try: N)) are retries in flight.
      if (tries === undefined || line.ident?.includes('kubelite')) return;
      const level = logrusLevel(msg);
      if (level === 'debug' || level === 'trace') return;
      maxTry = Math.max(maxTry, tries);
      if (tries >= args.budget) {
        exhausted++;
        worstSample = msg;
      } else if (tries === 0 && /context (canceled|deadline exceeded)/.test(msg)) cancelled++;
    });

    const v = new Verdict(check.name);
    v.measure({ label: 'exhausted', value: exhausted, min: 0 }, new ScalarContext(warning, critical));
    v.measure({ label: 'max_try', value: maxTry, min: 0 });
    v.measure({ label: 'max_attempt', value: maxAttempt, min: 0 });
    v.measure({ label: 'conn_closing', value: closing, min: 0 });
    v.measure({ label: 'cancelled', value: cancelled, min: 0 });
    if (maxAttempt >= args['attempt-warning']) v.find(State.WARNING, `etcd-client retry attempt ${maxAttempt} (>= ${args['attempt-warning']})`);
    if (closing > 0) v.find(State.WARNING, `${plural(closing, "'client connection is closing'")}`);

    const window = formatDuration(win.seconds);
    if (exhausted > 0) v.detail(`newest exhausted: ${shorten(worstSample)}`);
    if (cancelled > 0) v.detail(`${plural(cancelled, 'request')} cancelled by the caller at (try: 0): slow writes, not exhaustion`);
    if (v.state !== State.OK) {
      v.detail(
        'Recovery, one node at a time: restart k8s-dqlite FIRST (kubelite restarts do not clear its kine state), then kubelite:',
        '  ssh <node> sudo systemctl restart snap.microk8s.daemon-k8s-dqlite.service; sleep 10',
        '  kubectl cordon <node>; ssh <node> sudo systemctl restart snap.microk8s.daemon-kubelite.service',
        '  kubectl wait node/<node> --for=condition=Ready --timeout=120s; kubectl uncordon <node>',
      );
    }
    const parts = [`${plural(exhausted, 'k8s-dqlite error')} at the full retry budget (try: ${args.budget}) in the last ${window}`];
    if (maxTry > 0 && exhausted === 0) parts.push(`max try ${maxTry}`);
    parts.push(...v.findings.map((f) => f.text));
    if (exhausted === 0 && v.findings.length === 0 && maxTry === 0) parts[0] = `no kine retry exhaustion or etcd-client retry storm in the last ${window} (${source})`;
    return v.outcome(parts.join(', '));
  },
};
