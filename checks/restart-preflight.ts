// Runbook, "Prevention" and "During a restart session", as one go/no-go for restarting kubelite
// on --node: never while dqlite-lock or kine-retries is not OK, while a node is not Ready, or
// while an earlier restart is still settling; restart a non-leader first.
import { hostname } from 'node:os';
import type { V1Lease, V1Node } from '@kubernetes/client-node';
import { formatDuration, parseDuration } from '../lib/duration.ts';
import { holderNode, LEADER_LEASES, leaseLife } from '../lib/k8s/leases.ts';
import { nodeAt, taintText, unexpectedTaints } from '../lib/k8s/nodes.ts';
import { isReady } from '../lib/k8s/ready.ts';
import type { LogLine } from '../lib/sources/logline.ts';
import { isKubeliteStart, KUBELITE_START_GREP } from '../lib/logs/kubelite-start.ts';
import { scanSources, type ScanContext, type SourceResult } from '../lib/logs/scan.ts';
import { nodeName } from '../lib/names.ts';
import { gatedRestart, NON_LEADER_FIRST, NOT_NOW, NOT_NOW_STORM } from '../lib/runbook.ts';
import { dqliteOptions, type DqliteArgs } from '../lib/options/dqlite.ts';
import { kubeOptions, type KubeArgs } from '../lib/options/kube.ts';
import { logOptions, windowOver, type LogArgs } from '../lib/options/log.ts';
import { partialText, partOf, type PartialResult } from '../lib/plugin/partial.ts';
import { type Range, thresholdsOf } from '../lib/plugin/range.ts';
import { reasonOf, type CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import type { Wire } from '../lib/k8s/wire.ts';
import { connect } from '../lib/sources/kube/cluster.ts';
import { SNAP_DATA } from '../lib/sources/snap-locks.ts';
import { readUnitHosts, type UnitChoice } from '../lib/sources/units.ts';
import { listNodes, readLeaderLeases } from '../lib/sources/kube/reads.ts';
import * as lock from './dqlite-lock.ts';
import * as dqlite from './dqlite.ts';
import { localAccess } from '../lib/sources/dqlite-cluster.ts';
import * as kine from './kine-retries.ts';
import * as services from './services.ts';

interface Args extends KubeArgs, LogArgs, DqliteArgs {
  node?: string;
  settle: string;
  'snap-data'?: string;
  'allow-taint'?: string[];
}

/** What one journal said: the lock and kine tallies of the last 5 minutes, the newest kubelite start. */
export interface Tally {
  lock: lock.Tally;
  kine: kine.Tally;
  lastStart: number;
}

export interface PreflightFacts {
  now: number;
  /** The node the restart is asked for. */
  node: string;
  journals: SourceResult<Tally>[];
  /** The leader leases, in LEADER_LEASES order. */
  leases: V1Lease[];
  nodes: Wire<V1Node>[];
  /** The dqlite cluster as check_dqlite reads it, or why it could not be read (a blocker). */
  datastore: dqlite.DqliteFacts | { error: unknown };
  units: { host?: string; facts?: services.ServiceFacts; error?: unknown }[];
}

export const defaults = { critical: '0', settle: '10m' };

/** dqlite-lock and kine-retries are judged over the last 5 minutes, as they are run by default. */
const GATE_WINDOW = 300;

/** The gate's own limits: -c on the count of blockers, and how long a kubelite restart settles. */
export interface Limits {
  critical?: Range;
  settleMs: number;
  /** Taints that are this cluster's normal state (--allow-taint), as check_nodes takes them. */
  allowTaint?: string[];
}

/** The defaults parsed, as -c and --settle judge when not given. */
export const defaultLimits: Limits = {
  critical: thresholdsOf(defaults).critical,
  settleMs: parseDuration(defaults.settle, '--settle') * 1000,
};

/** The journal checks the gate judges: either not OK is a write storm whose backlog must drain. */
const STORM_CHECKS = ['dqlite-lock', 'kine-retries'] as const;

/** Everything that blocks a restart, each as the part of the cluster that judged it. */
export function blockers(f: PreflightFacts, settleMs: number, allowTaint: string[] = []): PartialResult[] {
  const parts: PartialResult[] = [];
  const block = (text: string, host?: string) => parts.push({ host, state: State.CRITICAL, text });
  for (const j of f.journals) {
    if (j.error !== undefined) {
      block(`cannot tell (${reasonOf(j.error)})`, j.host);
      continue;
    }
    const t = j.tally!;
    // dqlite-lock and kine-retries as they judge by default, over the window they read by default.
    const over = { seconds: GATE_WINDOW, source: j.source };
    parts.push(partOf(STORM_CHECKS[0], lock.evaluate({ ...over, tally: t.lock }, lock.defaultLimits), j.host));
    parts.push(partOf(STORM_CHECKS[1], kine.evaluate({ ...over, tally: t.kine }, kine.defaultLimits), j.host));
    if (t.lastStart && f.now - t.lastStart < settleMs)
      block(
        `kubelite restarted ${formatDuration(Math.max(1, (f.now - t.lastStart) / 1000))} ago (settle ${formatDuration(settleMs / 1000)})`,
        j.host,
      );
  }
  f.leases.forEach((lease, i) => {
    const name = LEADER_LEASES[i]!;
    try {
      const { age, duration, expired } = leaseLife(lease, f.now);
      if (expired)
        block(
          `no ${name} is leading (lease ` +
            `${age === undefined ? 'never renewed' : `renewed ${formatDuration(Math.max(age, 1))} ago, duration ${duration}s`})`,
        );
    } catch (err) {
      block(`cannot tell who leads ${name} (${reasonOf(err)})`);
    }
  });
  for (const n of f.nodes) if (!isReady(n)) block(`node ${n.metadata?.name} is not Ready`);
  // "During a restart session": the next restart waits for every node Ready, uncordoned and
  // untainted. Another node cordoned is an earlier restart not finished; --node's own cordon is
  // the sequence's first step, so the gate may be asked after it.
  for (const n of f.nodes) {
    const name = n.metadata?.name;
    if (n.spec?.unschedulable && name !== f.node) block(`node ${name} is cordoned (an earlier restart not finished?)`);
    const extra = unexpectedTaints(n.spec?.taints ?? [], allowTaint);
    if (extra.length) block(`node ${name} is tainted: ${extra.map(taintText).join(', ')}`);
  }
  // Quorum at risk, no leader or stale members, as check_dqlite judges them with its defaults.
  if ('error' in f.datastore) block(`cannot tell the dqlite cluster's health (${reasonOf(f.datastore.error)})`);
  else parts.push(partOf('dqlite', dqlite.evaluate(f.datastore, dqlite.defaultLimits)));
  // k8s-dqlite crash-looping now (failed, stuck or just restarted): check_services' state rules.
  // No samples from earlier runs, so no rate: its thresholds on restarts per hour do not apply.
  for (const u of f.units) {
    if (!u.facts) block(`cannot tell whether k8s-dqlite is crash-looping (${reasonOf(u.error)})`, u.host);
    else {
      const s = services.evaluate(u.facts, services.defaultLimits);
      parts.push({ host: u.host, state: s.state, text: s.summary });
    }
  }
  if (!f.nodes.some((n) => n.metadata?.name === f.node)) block(`node ${f.node} is not in the cluster`);
  return parts.filter((p) => p.state !== State.OK);
}

export function evaluate(f: PreflightFacts, { critical, settleMs, allowTaint }: Limits): Outcome {
  const node = f.node;
  const parts = blockers(f, settleMs, allowTaint);
  const blocking = parts.map(partialText);
  const storm = parts.some((p) => p.state !== State.UNKNOWN && (STORM_CHECKS as readonly (string | undefined)[]).includes(p.check));
  const v = new Verdict(check.name);
  v.measure({ label: 'blockers', value: blocking.length, min: 0 }, new ScalarContext(undefined, critical));
  f.leases.forEach((lease, i) => {
    if (holderNode(lease) === node) v.find(State.WARNING, `${node} holds the ${LEADER_LEASES[i]} lease`);
  });
  const leader = 'leader' in f.datastore && f.datastore.leader.kind === 'known' ? f.datastore.leader.address : undefined;
  if (leader && nodeAt(f.nodes, leader) === node) v.find(State.WARNING, `${node} is the dqlite leader`);
  // The dqlite CLI not asked (none here, or cluster.key unreadable without --sudo): that the
  // datastore takes writes is established all the same (the leader leases renewed within their
  // duration are writes through it), but not whether --node leads it, which the runbook weighs as
  // "a non-leader first where possible": GO with care, saying why, never a plain GO.
  const notAsked = 'leader' in f.datastore && f.datastore.leader.kind === 'not-asked' ? f.datastore.leader : undefined;
  if (notAsked)
    v.find(State.WARNING, `cannot tell whether ${node} leads dqlite (${notAsked.why}${notAsked.fix ? ` (fix: ${notAsked.fix})` : ''})`);
  v.detail(...blocking);
  // Not judged, and said: a worker's k8s-dqlite (inactive by design), one held back by a lock file.
  for (const u of f.units) for (const l of u.facts?.leftOut ?? []) v.detail(`${u.host ? `${u.host}: ` : ''}k8s-dqlite left out: ${l.why}`);
  if (blocking.length) {
    // NO-GO is CRITICAL whatever -w/-c say of the count: a range that lets one blocker pass
    // (-c 5) exited 0, an OK reading "NO-GO", which a wrapper or a pipeline takes for GO.
    v.find(State.CRITICAL, blocking[0]!);
    v.detail(storm ? NOT_NOW_STORM : NOT_NOW);
    return v.outcome(`NO-GO for ${node}: ${blocking[0]}${blocking.length > 1 ? ` (+${blocking.length - 1} more)` : ''}`);
  }
  if (v.findings.length) v.detail(NON_LEADER_FIRST);
  v.detail(...gatedRestart(node));
  return v.conclude(`GO with care for ${node}`, { problems: 'named', whenClear: `GO: kubelite on ${node} may be restarted` });
}

/**
 * k8s-dqlite where the node's lock files say it runs (a worker's is inactive by design, and said);
 * where there is no $SNAP_DATA at all, asked for all the same (not found there: no GO).
 */
const dqliteUnit = (given?: string): UnitChoice => ({
  snapData: given ?? SNAP_DATA,
  only: [services.K8S_DQLITE_UNIT],
  fallback: given === undefined ? [services.K8S_DQLITE_UNIT] : undefined,
});

/** Everything the gate judges, read at once; what cannot be read makes it NO-GO (gate: true). */
export async function gather(args: Args, ctx: ScanContext, settleMs: number): Promise<Omit<PreflightFacts, 'node'>> {
  const { deadline, log, shared } = ctx;
  const win = windowOver(Math.max(settleMs / 1000, GATE_WINDOW), args.unit);
  const gateSince = win.now - GATE_WINDOW * 1000;
  const counter = {
    grep: `${lock.LOCKED}|${kine.KINE_GREP}|${KUBELITE_START_GREP}`,
    fresh: (): Tally => ({ lock: lock.fresh(), kine: kine.fresh(), lastStart: 0 }),
    count: (t: Tally, line: LogLine) => {
      if (isKubeliteStart(line.message)) t.lastStart = Math.max(t.lastStart, line.time ?? win.now);
      if (line.time !== undefined && line.time < gateSince) return;
      lock.count(t.lock, line, win);
      kine.count(t.kine, line, kine.defaults.budget);
    },
  };
  const cluster = connect(args, deadline, log, { share: shared?.kube });
  const nodesListed = listNodes(cluster);
  // Each source under a child of the deadline of its own: a timeout names those still unread.
  const [journals, [leases, nodes], datastore, units] = await Promise.all([
    deadline.during('reading the journal', (d) => scanSources(args, win, { ...ctx, deadline: d }, counter)),
    deadline.during(`reading the leader leases and the nodes from ${cluster.server}`, () =>
      Promise.all([readLeaderLeases(cluster), nodesListed]),
    ),
    deadline.during('reading the dqlite cluster', (d) =>
      dqlite.gather(args, d, log, localAccess(shared?.commands), nodesListed).catch((error: unknown) => {
        if (deadline.signal.aborted) throw error;
        return { error };
      }),
    ),
    deadline.during('asking systemd about k8s-dqlite', (d) => readUnitHosts(args, dqliteUnit(args['snap-data']), d)),
  ]);
  return { now: win.now, journals, leases, nodes, datastore, units };
}

export const check: CheckDefinition<Args> = {
  name: 'RESTART-PREFLIGHT',
  command: 'check_restart_preflight',
  description: 'go/no-go for restarting kubelite on --node: CRITICAL means do not proceed',
  defaultCritical: defaults.critical,
  thresholdUnit: 'blockers',
  gate: true,
  options: (y) =>
    dqliteOptions(logOptions(kubeOptions(y), null), 'asked for the members and the leader (as check_dqlite)')
      .option('node', { type: 'string', describe: 'the node you want to restart kubelite on (default: this host name)' })
      .option('settle', {
        type: 'string',
        default: defaults.settle,
        describe: 'a kubelite restart this recent anywhere means wait (also the journal window, at least 5m)',
      })
      .option('allow-taint', {
        type: 'string',
        array: true,
        describe: "taint that is this cluster's normal state, as check_nodes: key, key=value, key:Effect (repeatable)",
      })
      .option('snap-data', {
        type: 'string',
        describe: `MicroK8s' $SNAP_DATA, whose var/lock files say whether a node runs k8s-dqlite (default ${SNAP_DATA})`,
      }),
  examples: [
    [
      'check_restart_preflight --node k8s02 --host k8s01 --host k8s02 --host k8s03 --ssh-key ~/.ssh/nagios',
      'journals of every node over SSH',
    ],
  ],
  async run({ args, critical, ...ctx }) {
    const node = nodeName(args.node, hostname());
    const settleMs = parseDuration(args.settle, '--settle') * 1000;
    return evaluate({ ...(await gather(args, ctx, settleMs)), node }, { critical, settleMs, allowTaint: args['allow-taint'] ?? [] });
  },
};
