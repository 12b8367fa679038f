// After the runbook: k8s-dqlite crash-looped for seven days (3,794 restarts on one node) while
// systemd kept restarting it and nothing alerted, until a second node failed and dqlite lost
// quorum. systemd's NRestarts never decays, so this check keeps a sample per unit between runs
// and judges restarts per hour; a unit (re)started moments ago is restarting now, whatever its
// count (apiserver-kicker restarts kubelite with snapctl, which resets NRestarts). Which units
// apply comes from MicroK8s' lock files, as `microk8s inspect` decides: a worker's k8s-dqlite is
// inactive by design and no finding.
import { join } from 'node:path';
import { formatDuration, parseDuration } from '../lib/duration.ts';
import { type ServiceArgs, serviceOptions } from '../lib/options/services.ts';
import { judgeEach, resultOf } from '../lib/plugin/fanout.ts';
import { thresholdsOf, type Thresholds } from '../lib/plugin/range.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import { missingUnit } from '../lib/missing-unit.ts';
import { nextHistory, rateOf } from '../lib/restart-history.ts';
import { historiesFor, type Memory } from '../lib/restart-history-file.ts';
import { rateSeen, rateText, ratesHeadline } from '../lib/restart-rates.ts';
import { BACKEND_IN_SNAP_DATA } from '../lib/sources/dqlite.ts';
import { displayName, K8S_DQLITE_UNIT, shortName } from '../lib/sources/snap-locks.ts';
import { readUnitHosts, type UnitChoice, type UnitFacts } from '../lib/sources/units.ts';
import { keepOrSay, scopedStateFile, writeState } from '../lib/state-file.ts';
import { STOPPED_FINDING, stoppedHere, unitAdvice } from '../lib/unit-advice.ts';
import { secondsOf, uptimeOf } from '../lib/unit-age.ts';
import { unitStateFinding } from '../lib/unit-state.ts';
import { shorten } from '../lib/text.ts';

export { K8S_DQLITE_UNIT };
/** Thresholds are restarts per hour: the 7-day loop of the runbook (about 22/h) is CRITICAL, one restart OK. */
export const defaults = { warning: '3', critical: '10', minUptime: '2m', window: '1h' };

/**
 * What systemd said of one host's units, the samples kept from earlier runs there (none: no rate yet), why this
 * run's could not be kept (no rate ever, then), and its dqlite backend (under --snap-data) the crash-loop advice names.
 */
export type ServiceFacts = UnitFacts & { memory?: Memory; saveProblem?: string; backend?: string };

/** -w/-c on restarts per hour, and the durations in ms. */
export interface Limits extends Thresholds {
  /** A unit (re)started more recently than this is restarting now. */
  minUptimeMs: number;
  /** Restarts per hour are counted over the samples of this window. */
  windowMs: number;
}

/** -w/-c with --min-uptime and --window parsed. */
const limitsOf = (t: Thresholds, minUptime: string, window: string): Limits => ({
  ...t,
  minUptimeMs: parseDuration(minUptime, '--min-uptime') * 1000,
  windowMs: parseDuration(window, '--window') * 1000,
});

/** The defaults parsed: what check_restart_preflight judges with. */
export const defaultLimits: Limits = limitsOf(thresholdsOf(defaults), defaults.minUptime, defaults.window);

export function evaluate(f: ServiceFacts, j: Limits): Outcome {
  const v = new Verdict(check.name);
  const memory = f.memory ?? {};
  const found = f.units.filter((u) => u.load !== 'not-found');
  const history = nextHistory(f, memory.history, j.windowMs);
  const rates = new Map(found.map((u) => [u.id, rateOf(history[u.id]!, j.windowMs)]));
  const measured = [...rates.values()].filter((r) => r !== undefined);
  const rateContext = new ScalarContext(j.warning, j.critical);
  const rateMetric = { label: 'restarts_per_hour', value: measured.length ? Math.max(...measured.map((r) => r.perHour)) : NaN, min: 0 };
  // Without an earlier sample there is no rate: U, and not judged (the long output says so).
  if (measured.length) v.measure(rateMetric, rateContext);
  else v.measure(rateContext.perfdata(rateMetric));
  v.measure({ label: 'restarts', value: found.length ? Math.max(...found.map((u) => u.restarts)) : NaN, uom: 'c', min: 0 });
  if (f.heldBack) v.find(State.WARNING, `k8s-dqlite held back by ${f.heldBack}`);
  const stopped = stoppedHere(f.stopped, found);
  if (stopped) v.find(State.CRITICAL, STOPPED_FINDING);
  // Samples that cannot be kept: every run is a first sample, and a crash loop slower than
  // --min-uptime is never seen. An OK would promise what is not judged.
  if (f.saveProblem) v.find(State.UNKNOWN, f.saveProblem);
  for (const u of f.units) {
    if (u.load === 'not-found') {
      v.find(State.UNKNOWN, missingUnit(u.id));
      continue;
    }
    const name = displayName(u.id);
    const label = shortName(u.id);
    const started = uptimeOf(u, f.clock);
    const up = secondsOf(started);
    const rate = rates.get(u.id);
    v.measure({ label: `restarts_${label}`, value: u.restarts, uom: 'c', min: 0 });
    v.measure({ label: `restarts_per_hour_${label}`, value: rate?.perHour ?? NaN, min: 0 });
    v.measure({ label: `uptime_${label}`, value: up, uom: 's', min: 0 });
    if (rate) {
      const state = rateContext.evaluate({ label, value: rate.perHour });
      if (state !== State.OK) v.find(state, rateText(name, rate));
    }
    const finding = unitStateFinding(u, name, started, f.clock, j.minUptimeMs);
    if (finding) v.find(finding.state, finding.text);
    v.detail(
      `${name} (${u.id}): ${u.active} (${u.sub}), NRestarts ${u.restarts}` +
        `${Number.isFinite(up) ? `, up ${formatDuration(Math.max(1, up))}` : ''}` +
        `${u.result !== 'success' ? `, last result ${u.result}` : ''}${rateSeen(rate)}`,
    );
    const words = f.lastWords.get(u.id);
    if (words) v.detail(`  newest: ${shorten(words)}`);
  }
  for (const l of f.leftOut) v.detail(`${displayName(l.unit)} left out: ${l.why}`);
  // Where this run's samples cannot be kept, the next run will not measure either: the finding says so, once.
  if (!measured.length && found.length && !f.saveProblem)
    v.detail(`${memory.problem ?? 'first sample'}: restarts per hour are measured from the next run (NRestarts recorded now)`);
  if (f.journalProblem) v.detail(`(journal not read: ${f.journalProblem})`);
  const dqlite = f.units.find((u) => u.id === K8S_DQLITE_UNIT);
  if (v.state !== State.OK && v.state !== State.UNKNOWN) v.detail(...unitAdvice(dqlite, rates.get(K8S_DQLITE_UNIT), f.backend, stopped));
  return v.conclude(ratesHeadline(found, rates), { problems: 'instead' });
}

/** One state file per set of hosts: a run over other hosts must not read (or drop) these samples. */
function stateFileOf(args: ServiceArgs): string {
  if (args['state-file']) return args['state-file'];
  return scopedStateFile('services', [args.host ?? [], args.unit ?? [], args['snap-data']]);
}

export const check: CheckDefinition<ServiceArgs> = {
  name: 'SERVICES',
  command: 'check_services',
  description:
    'reads systemd for the MicroK8s services this node runs (from its lock files): restarts per hour across runs, state and uptime',
  defaultWarning: defaults.warning,
  defaultCritical: defaults.critical,
  thresholdUnit: 'restarts per hour',
  options: (y) => serviceOptions(y, defaults),
  examples: [
    ['check_services', 'the MicroK8s services of this node; WARNING above 3 restarts/h, CRITICAL above 10/h'],
    ['check_services --host k8s01 --host k8s02 --host k8s03 --ssh-key ~/.ssh/nagios', 'every node over SSH'],
  ],
  async run({ args, warning, critical, deadline, shared, keepState = writeState }) {
    const limits = limitsOf({ warning, critical }, args['min-uptime'], args.window);
    const choice: UnitChoice = args.unit?.length ? args.unit : { snapData: args['snap-data'], named: '--unit' };
    const results = await readUnitHosts(args, choice, deadline, shared?.ssh);
    const file = stateFileOf(args);
    const histories = historiesFor(file);
    // Kept before judging: a sample that cannot be kept is this run's finding, not a note after it.
    for (const r of results)
      if (r.facts) histories.keep(r.host ?? '', nextHistory(r.facts, histories.memoryOf(r.host ?? '').history, limits.windowMs));
    const backend = join(args['snap-data'], BACKEND_IN_SNAP_DATA);
    const saveProblem = keepOrSay(keepState, file, histories.after, 'restart counts', 'restarts per hour not measured');
    return judgeEach(
      check.name,
      results.map((r) => resultOf(r.host ?? '', r.facts, r.error)),
      (facts, key) => evaluate({ ...facts, memory: histories.memoryOf(key), saveProblem, backend }, limits),
      !args.host?.length,
    );
  },
};
