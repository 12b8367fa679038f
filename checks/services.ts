// After the runbook: k8s-dqlite crash-looped for seven days (3,794 restarts on one node) while
// systemd kept restarting it and nothing alerted, until a second node failed and dqlite lost
// quorum. systemd counts every automatic restart (NRestarts): this check reads it, with each
// unit's state and uptime, for the MicroK8s services.
import { formatDuration, parseDuration } from '../lib/duration.ts';
import { combine } from '../lib/plugin/combine.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';
import { unknownOutcome } from '../lib/plugin/output.ts';
import type { Range } from '../lib/plugin/range.ts';
import { reasonOf, type CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import { localRunner, type CommandRunner } from '../lib/sources/command.ts';
import { localExec, readJournal, type StreamExec } from '../lib/sources/journal.ts';
import { localMonotonicUs, readUnits, remoteMonotonicUs, type UnitState } from '../lib/sources/systemd.ts';
import { sshOptions, type SshArgs } from '../lib/options/ssh.ts';
import { forEachHost } from '../lib/sources/ssh/hosts.ts';
import { plural, shorten } from '../lib/text.ts';

interface Args extends SshArgs {
  unit?: string[];
  'min-uptime': string;
}

export const K8S_DQLITE_UNIT = 'snap.microk8s.daemon-k8s-dqlite.service';
export const SERVICE_UNITS = [K8S_DQLITE_UNIT, 'snap.microk8s.daemon-kubelite.service', 'snap.microk8s.daemon-containerd.service'];
export const defaults = { warning: '10', critical: '50', minUptime: '2m' };

/** What systemd (and, where readable, the journal) says of the units on one host. */
export interface ServiceFacts {
  units: UnitState[];
  nowUs: number;
  /** Per unit: its newest "restart counter is at N" or level=fatal line of the last hour. */
  lastWords: Map<string, string>;
  /** Why the journal could not be read, if it could not. */
  journalProblem?: string;
}

/** k8s_dqlite for snap.microk8s.daemon-k8s-dqlite.service: a perfdata label suffix. */
export const shortName = (unit: string) =>
  unit
    .replace(/^snap\.microk8s\.daemon-/, '')
    .replace(/\.service$/, '')
    .replace(/[^A-Za-z0-9]+/g, '_');

export function evaluate(f: ServiceFacts, warning: Range | undefined, critical: Range | undefined, minUptime: number): Outcome {
  const v = new Verdict(check.name);
  const found = f.units.filter((u) => u.load !== 'not-found');
  v.measure(
    { label: 'restarts', value: found.length ? Math.max(...found.map((u) => u.restarts)) : NaN, uom: 'c', min: 0 },
    new ScalarContext(warning, critical),
  );
  for (const u of f.units) {
    const name = shortName(u.id);
    if (u.load === 'not-found') {
      v.find(State.UNKNOWN, `unit ${u.id} does not exist on this host`);
      continue;
    }
    const up = u.active === 'active' && u.startedUs > 0 ? Math.max(0, (f.nowUs - u.startedUs) / 1e6) : NaN;
    const inState = Math.max(0, (f.nowUs - u.changedUs) / 1e6);
    v.measure({ label: `restarts_${name}`, value: u.restarts, uom: 'c', min: 0 });
    v.measure({ label: `uptime_${name}`, value: up, uom: 's', min: 0 });
    if (u.active === 'failed' || u.active === 'inactive')
      v.find(State.CRITICAL, `${name} is ${u.active}${u.result !== 'success' ? ` (${u.result})` : ''}`);
    else if (u.active === 'activating' || u.active === 'deactivating') {
      v.find(
        inState > minUptime ? State.CRITICAL : State.WARNING,
        `${name} ${u.active} for ${formatDuration(Math.max(1, inState))}${inState > minUptime ? '' : ': restarting now'}`,
      );
    } else if (u.restarts > 0 && up < minUptime)
      v.find(State.WARNING, `${name} restarted ${formatDuration(Math.max(1, up))} ago (restart ${u.restarts}): restarting now`);
    v.detail(
      `${u.id}: ${u.active} (${u.sub}), ${plural(u.restarts, 'restart')}${Number.isFinite(up) ? `, up ${formatDuration(Math.max(1, up))}` : ''}${u.result !== 'success' ? `, last result ${u.result}` : ''}`,
    );
    const words = f.lastWords.get(u.id);
    if (words) v.detail(`  newest: ${shorten(words)}`);
  }
  if (f.journalProblem) v.detail(`(journal not read: ${f.journalProblem})`);
  const dqlite = f.units.find((u) => u.id === K8S_DQLITE_UNIT);
  if (v.state !== State.OK && v.state !== State.UNKNOWN) {
    if (dqlite && (dqlite.restarts > 0 || dqlite.active !== 'active')) {
      v.detail(
        'k8s-dqlite restarting: check the dqlite membership and quorum (check_dqlite), the free space under the backend (df /var/snap/microk8s/current/var/kubernetes/backend),',
        '  and the backend files (cluster.yaml, info.yaml, cluster.crt/key readable, no half-written segment); its journal says why it exits.',
        'Never restart kubelite on other nodes while k8s-dqlite crash-loops: one more node down loses quorum.',
      );
    } else v.detail("See the unit's journal (journalctl -u <unit> -n 50) for why it exits.");
  }
  const problems = v.problems();
  if (problems.length) return v.outcome(problems.join(', '));
  const total = found.reduce((n, u) => n + u.restarts, 0);
  return v.outcome(
    `${plural(found.length, 'unit')} active, ${plural(total, 'restart')} in all${total ? ` (most: ${Math.max(...found.map((u) => u.restarts))})` : ''}`,
  );
}

/** The newest restart-counter or fatal line of each unit in the last hour; the journal may be unreadable. */
async function lastWords(
  units: string[],
  exec: StreamExec,
  signal: AbortSignal,
): Promise<{ lines: Map<string, string>; problem?: string }> {
  const lines = new Map<string, { time: number; text: string }>();
  try {
    await Promise.all(
      units.map((unit) =>
        readJournal(
          { units: [unit], since: Date.now() - 3600_000, grep: 'restart counter is at|level=fatal' },
          signal,
          (line) => {
            const t = line.time ?? 0;
            if ((lines.get(unit)?.time ?? -1) <= t) lines.set(unit, { time: t, text: line.message });
          },
          1,
          exec,
        ),
      ),
    );
  } catch (err) {
    if (signal.aborted) throw err;
    return { lines: new Map(), problem: reasonOf(err) };
  }
  return { lines: new Map([...lines].map(([u, l]) => [u, l.text])) };
}

/** systemd's view of the units on one host, through its command runner and journal reader. */
export async function gather(
  units: string[],
  run: CommandRunner,
  exec: StreamExec,
  monotonicNowUs: () => Promise<number>,
  deadline: Deadline,
): Promise<ServiceFacts> {
  const { units: states, nowUs } = await readUnits(run, units, deadline.signal, monotonicNowUs);
  const troubled = states.filter((u) => u.load !== 'not-found' && (u.restarts > 0 || u.active !== 'active')).map((u) => u.id);
  const words = troubled.length ? await lastWords(troubled, exec, deadline.signal) : { lines: new Map<string, string>() };
  return { units: states, nowUs, lastWords: words.lines, journalProblem: words.problem };
}

export const check: CheckDefinition<Args> = {
  name: 'SERVICES',
  command: 'check_services',
  description: 'reads systemd for the MicroK8s services: restarts (NRestarts), state and uptime; a crash loop is WARNING, then CRITICAL',
  defaultWarning: defaults.warning,
  defaultCritical: defaults.critical,
  options: (y) =>
    sshOptions(y)
      .option('unit', { type: 'string', array: true, describe: `systemd unit to read (repeatable; default ${SERVICE_UNITS.join(', ')})` })
      .option('min-uptime', {
        type: 'string',
        default: defaults.minUptime,
        describe: 'a unit that restarted more recently than this is restarting now (at least WARNING)',
      }),
  examples: [
    ['check_services', 'k8s-dqlite, kubelite and containerd on this node'],
    ['check_services --host k8s01 --host k8s02 --host k8s03 --ssh-key ~/.ssh/nagios', 'every node over SSH'],
  ],
  async run({ args, warning, critical, deadline }) {
    const minUptime = parseDuration(args['min-uptime'], '--min-uptime');
    const units = args.unit?.length ? args.unit : SERVICE_UNITS;
    const results = await gatherHosts(args, units, deadline);
    const judged = results.map((r) => ({
      host: r.host ?? '',
      outcome: r.facts ? evaluate(r.facts, warning, critical, minUptime) : unknownOutcome(check.name, reasonOf(r.error)),
    }));
    return args.host?.length ? combine(check.name, judged) : judged[0]!.outcome;
  },
};

/**
 * The units on this host, or on each --host over SSH (one failing host is an error in its own
 * result; this host failing throws): what check_services and check_restart_preflight both read.
 */
export async function gatherHosts(
  args: SshArgs,
  units: string[],
  deadline: Deadline,
): Promise<{ host?: string; facts?: ServiceFacts; error?: unknown }[]> {
  if (!args.host?.length) {
    deadline.activity = 'asking systemd about the units';
    return [{ facts: await gather(units, localRunner, localExec, localMonotonicUs, deadline) }];
  }
  deadline.activity = `asking systemd on ${args.host.join(', ')} over SSH`;
  const results = await forEachHost({ ...args, host: args.host }, deadline, (conn, _host, d) => {
    const run = conn.runner();
    return gather(units, run, (argv, signal, sink) => conn.exec(argv, signal, sink), remoteMonotonicUs(run, d.signal), d);
  });
  return results.map((r) => ({ host: r.host, facts: r.value, error: r.error }));
}
