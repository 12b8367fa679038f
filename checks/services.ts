// After the runbook: k8s-dqlite crash-looped for seven days (3,794 restarts on one node) while
// systemd kept restarting it and nothing alerted, until a second node failed and dqlite lost
// quorum. systemd's NRestarts never decays, so this check keeps a sample per unit between runs
// and judges restarts per hour; a unit (re)started moments ago is restarting now, whatever its
// count (apiserver-kicker restarts kubelite with snapctl, which resets NRestarts). Which units
// apply comes from MicroK8s' lock files, as `microk8s inspect` decides: a worker's k8s-dqlite is
// inactive by design and no finding.
import { formatDuration, parseDuration } from '../lib/duration.ts';
import { type ServiceArgs, serviceOptions } from '../lib/options/services.ts';
import { judgeEach, resultOf } from '../lib/plugin/fanout.ts';
import { thresholdsOf, type Thresholds } from '../lib/plugin/range.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import { nextHistory, rateOf } from '../lib/restart-history.ts';
import { historiesFor, type Memory } from '../lib/restart-history-file.ts';
import { DQLITE_CRASHLOOP } from '../lib/runbook.ts';
import { displayName, MICROK8S_SERVICES, serviceUnit, shortName } from '../lib/sources/snap-locks.ts';
import { type Age, ageOf } from '../lib/sources/systemd.ts';
import { readUnitHosts, type UnitChoice, type UnitFacts } from '../lib/sources/units.ts';
import { keepOrSay, scopedStateFile, writeState } from '../lib/state-file.ts';
import { isoSeconds, plural, shorten } from '../lib/text.ts';

export const K8S_DQLITE_UNIT = serviceUnit('k8s-dqlite');
/** Thresholds are restarts per hour: the 7-day loop of the runbook (about 22/h) is CRITICAL, one restart OK. */
export const defaults = { warning: '3', critical: '10', minUptime: '2m', window: '1h' };

/**
 * What systemd said of one host's units, with the samples kept from earlier runs there (none: no
 * rate yet), and why this run's samples could not be kept for the next (no rate ever, then).
 */
export type ServiceFacts = UnitFacts & { memory?: Memory; saveProblem?: string };

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

const perHour = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

export function evaluate(f: ServiceFacts, j: Limits): Outcome {
  const v = new Verdict(check.name);
  const memory = f.memory ?? {};
  const found = f.units.filter((u) => u.load !== 'not-found');
  const history = nextHistory(f, memory.history, j.windowMs);
  const rates = new Map(found.map((u) => [u.id, rateOf(history[u.id]!)]));
  const measured = [...rates.values()].filter((r) => r !== undefined);
  const rateContext = new ScalarContext(j.warning, j.critical);
  const rateMetric = { label: 'restarts_per_hour', value: measured.length ? Math.max(...measured.map((r) => r.perHour)) : NaN, min: 0 };
  // Without an earlier sample there is no rate: U, and not judged (the long output says so).
  if (measured.length) v.measure(rateMetric, rateContext);
  else v.measure(rateContext.perfdata(rateMetric));
  v.measure({ label: 'restarts', value: found.length ? Math.max(...found.map((u) => u.restarts)) : NaN, uom: 'c', min: 0 });
  if (f.heldBack) v.find(State.WARNING, `k8s-dqlite held back by ${f.heldBack}`);
  // Samples that cannot be kept: every run is a first sample, and a crash loop slower than
  // --min-uptime is never seen. An OK would promise what is not judged.
  if (f.saveProblem) v.find(State.UNKNOWN, f.saveProblem);
  // Units are read with their clock (readUnitFacts): where there is a unit there is one.
  const ageOn = (monotonicUs: number, wallAt: number): Age => {
    if (!f.clock) throw new Error('units read without their clock');
    return ageOf(f.clock, monotonicUs, wallAt);
  };
  for (const u of f.units) {
    const name = displayName(u.id);
    const label = shortName(u.id);
    if (u.load === 'not-found') {
      // `--unit kubelite`: the name the long output and people use, not the snap's unit.
      const bare = u.id.replace(/\.service$/, '');
      const fix = MICROK8S_SERVICES.includes(bare) ? ` (fix: MicroK8s' ${bare} is --unit ${serviceUnit(bare)})` : '';
      v.find(State.UNKNOWN, `unit ${u.id} does not exist on this host${fix}`);
      continue;
    }
    const started = u.active === 'active' && u.startedUs > 0 ? ageOn(u.startedUs, u.startedAt) : undefined;
    const up = started && 'seconds' in started ? started.seconds : NaN;
    const rate = rates.get(u.id);
    v.measure({ label: `restarts_${label}`, value: u.restarts, uom: 'c', min: 0 });
    v.measure({ label: `restarts_per_hour_${label}`, value: rate?.perHour ?? NaN, min: 0 });
    v.measure({ label: `uptime_${label}`, value: up, uom: 's', min: 0 });
    if (rate) {
      const state = rateContext.evaluate({ label, value: rate.perHour });
      if (state !== State.OK)
        v.find(
          state,
          `${name} restarted ${plural(rate.restarts, 'time')} in ` +
            `${formatDuration(Math.max(1, rate.spanMs / 1000))} (${perHour(rate.perHour)}/h)`,
        );
    }
    // A host whose clocks cannot tell how long ago: neither restarting now nor settled.
    const untold = (what: string, moment: string, a: Exclude<Age, { seconds: number }>) =>
      v.find(
        State.UNKNOWN,
        'stampedAt' in a
          ? `${what} cannot be told: systemd stamped ${moment} at ${isoSeconds(a.stampedAt)}, ` +
              `after what the clock there reads now (${isoSeconds(a.clockAt)}): set back since?`
          : `${what} cannot be told: /proc/uptime there reads ${a.bootS.toFixed(2)}s, less than systemd's monotonic ` +
              `stamp of ${moment} (${a.stampS.toFixed(2)}s): not the kernel's boot clock (a container's, from lxcfs?)`,
      );
    if (u.active === 'failed' || u.active === 'inactive')
      v.find(State.CRITICAL, `${name} is ${u.active}${u.result !== 'success' ? ` (${u.result})` : ''}`);
    else if (u.active === 'activating' || u.active === 'deactivating') {
      const changed = ageOn(u.changedUs, u.changedAt);
      if (!('seconds' in changed)) untold(`how long ${name} has been ${u.active}`, `the change to ${u.active}`, changed);
      else {
        const inState = changed.seconds;
        v.find(
          inState * 1000 > j.minUptimeMs ? State.CRITICAL : State.WARNING,
          `${name} ${u.active} for ${formatDuration(Math.max(1, inState))}${inState * 1000 > j.minUptimeMs ? '' : ': restarting now'}`,
        );
      }
    } else if (started && !('seconds' in started)) untold(`${name}'s uptime`, 'its start', started);
    else if (up * 1000 < j.minUptimeMs)
      // NRestarts 0 too: apiserver-kicker restarts kubelite with snapctl, which resets the count.
      v.find(
        State.WARNING,
        `${name} restarted ${formatDuration(Math.max(1, up))} ` +
          `ago${u.restarts > 0 ? ` (NRestarts ${u.restarts}): restarting now` : ' (NRestarts 0: by hand, by apiserver-kicker or at boot)'}`,
      );
    const seen = rate ? `; ${plural(rate.restarts, 'restart')} in the last ${formatDuration(Math.max(1, rate.spanMs / 1000))}` : '';
    v.detail(
      `${name} (${u.id}): ${u.active} (${u.sub}), NRestarts ${u.restarts}` +
        `${Number.isFinite(up) ? `, up ${formatDuration(Math.max(1, up))}` : ''}` +
        `${u.result !== 'success' ? `, last result ${u.result}` : ''}${seen}`,
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
  if (v.state !== State.OK && v.state !== State.UNKNOWN) {
    if (
      dqlite &&
      dqlite.load !== 'not-found' &&
      ((rates.get(dqlite.id)?.restarts ?? 0) > 0 || dqlite.restarts > 0 || dqlite.active !== 'active')
    ) {
      v.detail(...DQLITE_CRASHLOOP);
    } else v.detail("See the unit's journal (journalctl -u <unit> -n 50) for why it exits.");
  }
  const instead = { problems: 'instead' } as const;
  if (!measured.length)
    return v.conclude(`${plural(found.length, 'unit')} active, first sample (restarts per hour from the next run)`, instead);
  const total = measured.reduce((n, r) => n + r.restarts, 0);
  const span = Math.max(...measured.map((r) => r.spanMs));
  const restarted = found.filter((u) => (rates.get(u.id)?.restarts ?? 0) > 0).map((u) => displayName(u.id));
  return v.conclude(
    `${plural(found.length, 'unit')} active, ${plural(total, 'restart')} in ` +
      `${formatDuration(Math.max(1, span / 1000))}${restarted.length ? ` (${restarted.join(', ')})` : ''}`,
    instead,
  );
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
    const choice: UnitChoice = args.unit?.length ? args.unit : { snapData: args['snap-data'] };
    const results = await readUnitHosts(args, choice, deadline, shared?.ssh);
    const file = stateFileOf(args);
    const histories = historiesFor(file);
    // Kept before judging: a sample that cannot be kept is this run's finding, not a note after it.
    for (const r of results)
      if (r.facts) histories.keep(r.host ?? '', nextHistory(r.facts, histories.memoryOf(r.host ?? '').history, limits.windowMs));
    const saveProblem = keepOrSay(keepState, file, histories.after, 'restart counts', 'restarts per hour not measured');
    return judgeEach(
      check.name,
      results.map((r) => resultOf(r.host ?? '', r.facts, r.error)),
      (facts, key) => evaluate({ ...facts, memory: histories.memoryOf(key), saveProblem }, limits),
      !args.host?.length,
    );
  },
};
