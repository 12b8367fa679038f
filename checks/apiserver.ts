// Beside the runbook: each node's kube-apiserver says itself whether it is ready and alive.
// /readyz?verbose lists its sub-checks; on MicroK8s `etcd` there is kine answering, so
// `[-]etcd failed` is the datastore down as the API server sees it, and a slow answer is the
// datastore struggling (readyz runs that check each time). Nothing is changed.
import { onEachServer } from '../lib/host-fanout.ts';
import { kubeOptions, serverOptions, type KubeArgs, type ServerArgs } from '../lib/options/kube.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';
import { HEAD_START_MS, loopLag } from '../lib/plugin/head-start.ts';
import { thresholdsOf, type Thresholds } from '../lib/plugin/range.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import type { Cluster } from '../lib/sources/kube/cluster.ts';
import { credentialsFix, RBAC_YAML } from '../lib/sources/kube/errors.ts';
import { getRaw, type RawAnswer } from '../lib/sources/kube/raw.ts';
import { plural } from '../lib/text.ts';
import { ETCD_IS_KINE, SLOW_READYZ } from '../lib/runbook.ts';

interface Args extends KubeArgs, ServerArgs {}

/** What one API server's two health endpoints answered. */
export interface HealthFacts {
  server: string;
  /** The kubeconfig's context, when it sends no credentials: a 401 is then no rejected credential. */
  sendsNone?: string;
  readyz: RawAnswer;
  livez: RawAnswer;
  /**
   * In a run shared with other checks, when the answers outlasted their head start: the longest
   * this process was held up meanwhile (lib/plugin/head-start.ts), which may count in the times.
   */
  busyMs?: number;
}

/** Less than this of the process's own work while timing is not worth a word. */
const BUSY_NOTED_MS = 50;

/** One endpoint's answer, read as the API server writes it: `[+]name ok`, `[-]name failed: why`, a last line. */
export interface HealthReport {
  passed: boolean;
  checks: number;
  failed: { name: string; why: string }[];
}

export const defaults = { warning: '1', critical: '5' };
/** The defaults parsed, as -w/-c judge when not given. */
export const defaultLimits = thresholdsOf(defaults);

/** The verbose report, or undefined when the answer is not one (a proxy's page, a wrong URL). */
export function parseHealth(endpoint: 'readyz' | 'livez', text: string): HealthReport | undefined {
  const lines = text.trimEnd().split('\n');
  const verdict = lines.pop()?.trim();
  if (verdict !== `${endpoint} check passed` && verdict !== `${endpoint} check failed`) return undefined;
  const report: HealthReport = { passed: verdict.endsWith('passed'), checks: 0, failed: [] };
  for (const line of lines) {
    const m = /^\[([+-])\](\S+) (.*)$/.exec(line.trim());
    if (!m) continue;
    report.checks++;
    if (m[1] === '-') report.failed.push({ name: m[2]!, why: m[3]! });
  }
  return report;
}

export function evaluate(f: HealthFacts, { warning, critical }: Thresholds): Outcome {
  const v = new Verdict(check.name);
  const judged: Record<'readyz' | 'livez', HealthReport | undefined> = { readyz: undefined, livez: undefined };
  const endpoints = ['readyz', 'livez'] as const;
  // Refused, both usually are alike: said once, with its fix.
  const refused = (status: number, why: string) => {
    const which = endpoints.filter((e) => f[e].status === status);
    if (which.length) v.find(State.UNKNOWN, `${which.map((e) => `/${e}`).join(' and ')}: ${why}`);
  };
  const rejected = f.sendsNone === undefined ? 'the credentials were rejected' : 'the request was refused';
  refused(401, `${rejected} (401) (fix: ${credentialsFix(f.sendsNone)})`);
  refused(403, `forbidden (403) (fix: allow get on the non-resource URLs /readyz and /livez, as ${RBAC_YAML} does)`);
  for (const endpoint of endpoints) {
    const answer = f[endpoint];
    if (answer.status === 401 || answer.status === 403) continue;
    const report = parseHealth(endpoint, answer.text);
    if (!report) {
      const type = answer.contentType.split(';')[0] || 'no content type';
      v.find(State.UNKNOWN, `/${endpoint} answered ${answer.status} with ${answer.text.length} bytes of ${type}, not a health report`);
      continue;
    }
    judged[endpoint] = report;
    // Any of the three says it failed: a `[-]` line is a failed sub-check whatever the status code
    // and the last line claim (a proxy may rewrite the status; kube-apiserver writes `[-]` only for a failure).
    if (answer.status !== 200 || !report.passed || report.failed.length) {
      const failed = report.failed.map((x) => `[-]${x.name} ${x.why}`).join(', ') || `HTTP ${answer.status}`;
      v.find(State.CRITICAL, `${endpoint === 'readyz' ? 'not ready' : 'not live'}: ${failed}`);
    }
    v.detail(`/${endpoint}: HTTP ${answer.status}, ${plural(report.checks, 'check')}, ${report.failed.length} failed`);
    for (const x of report.failed) v.detail(`  [-]${x.name} ${x.why}`);
  }
  // Only what was read: the time of a 401 or of a proxy's page is no readyz's, and a count of
  // failed checks over an answer not read would graph as 0, a healthy server.
  const readyzTime = { label: 'readyz_time', value: f.readyz.ms / 1000, uom: 's', min: 0 } as const;
  const timed = judged.readyz ? v.measure(readyzTime, new ScalarContext(warning, critical)) : State.OK;
  if (judged.readyz && judged.livez)
    v.measure({ label: 'failed_checks', value: judged.readyz.failed.length + judged.livez.failed.length, min: 0 });
  if (judged.readyz?.failed.some((x) => x.name.startsWith('etcd')) || judged.livez?.failed.some((x) => x.name.startsWith('etcd')))
    v.detail(ETCD_IS_KINE);
  const slow = timed === State.WARNING || timed === State.CRITICAL;
  if (slow) v.find(timed, 'readyz slow');
  if (slow) v.detail(...SLOW_READYZ);
  if (f.busyMs !== undefined && f.busyMs >= BUSY_NOTED_MS)
    v.detail(
      `timed beside the other checks of a shared run (the answers outlasted their head start): this process was ` +
        `held up for up to ${f.busyMs} ms meanwhile (their work, or waiting for a CPU), which may count in readyz_time`,
    );
  const time = judged.readyz ? `readyz ${(f.readyz.ms / 1000).toFixed(3)}s` : '';
  return v.conclude(time, { problems: 'before', whenClear: `ready and live (${time}, ${plural(judged.readyz?.checks ?? 0, 'check')})` });
}

export async function gather(cluster: Cluster, deadline: Deadline): Promise<HealthFacts> {
  deadline.activity = `asking ${cluster.server} for /readyz and /livez`;
  const asked = Promise.all([getRaw(cluster, '/readyz?verbose'), getRaw(cluster, '/livez?verbose')]);
  const about = { server: cluster.server, sendsNone: cluster.policy.sendsNone };
  // Alone, nothing else runs here; in a shared run this check starts first, and what the others
  // did meanwhile (once its head start was over) is measured and said.
  if (!cluster.share) return { ...about, ...(await asked.then(([readyz, livez]) => ({ readyz, livez }))) };
  const started = performance.now();
  const { value, lagMs } = await loopLag(asked);
  // Answered within the head start, the others had not begun: nothing of theirs to own up to.
  const busyMs = performance.now() - started > HEAD_START_MS ? lagMs : undefined;
  return { ...about, readyz: value[0], livez: value[1], busyMs };
}

export const check: CheckDefinition<Args> = {
  name: 'APISERVER',
  command: 'check_apiserver',
  description: "asks each API server's /readyz and /livez: a failing sub-check (etcd is kine) is CRITICAL, a slow readyz WARNING",
  defaultWarning: defaults.warning,
  defaultCritical: defaults.critical,
  thresholdUnit: 'seconds',
  timed: true,
  options: (y) => serverOptions(kubeOptions(y)),
  examples: [
    ['check_apiserver', "this node's API server"],
    [
      'check_apiserver --server https://10.0.0.12:16443 --server https://10.0.0.13:16443 -w 0.5',
      'every node, readyz slower than 0.5 s is WARNING',
    ],
  ],
  async run(ctx) {
    const limits = { warning: ctx.warning, critical: ctx.critical };
    return onEachServer(check.name, ctx, async (cluster, d) => evaluate(await gather(cluster, d), limits));
  },
};
