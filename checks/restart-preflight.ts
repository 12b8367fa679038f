// Runbook, "Prevention" and "During a restart session", as one go/no-go for restarting kubelite
// on --node: never while dqlite-lock or kine-retries is not OK, while a node is not Ready, or
// while an earlier restart is still settling; restart a non-leader first.
import { hostname } from 'node:os';
import type { V1Lease, V1Node } from '@kubernetes/client-node';
import { formatDuration, parseDuration } from '../lib/duration.ts';
import { holderNode, LEADER_LEASES, leaseLife } from '../lib/k8s/leases.ts';
import { nodeAt } from '../lib/k8s/nodes.ts';
import { isReady } from '../lib/k8s/ready.ts';
import type { LogLine } from '../lib/logs/logline.ts';
import { scanSources, type ScanContext, type SourceResult } from '../lib/logs/scan.ts';
import { nodeName } from '../lib/names.ts';
import { dqliteOptions, type DqliteArgs } from '../lib/options/dqlite.ts';
import { kubeOptions, type KubeArgs } from '../lib/options/kube.ts';
import { logOptions, windowOf, type LogArgs, type Window } from '../lib/options/log.ts';
import { partialText, partOf, type PartialResult } from '../lib/plugin/partial.ts';
import { Range } from '../lib/plugin/range.ts';
import { reasonOf, type CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import type { Wire } from '../lib/k8s/wire.ts';
import { connect } from '../lib/sources/kube/cluster.ts';
import { listNodes, readLeaderLeases } from '../lib/sources/kube/reads.ts';
import * as lock from './dqlite-lock.ts';
import * as dqlite from './dqlite.ts';
import * as kine from './kine-retries.ts';
import * as services from './services.ts';

interface Args extends KubeArgs, LogArgs, DqliteArgs {
  node?: string;
  settle: string;
}

/** What one journal said: the lock and kine tallies of the last 5 minutes, the newest kubelite start. */
export interface Tally {
  lock: lock.Tally;
  kine: kine.Tally;
  lastStart: number;
}

export interface PreflightFacts {
  now: number;
  journals: SourceResult<Tally>[];
  /** The leader leases, in LEADER_LEASES order. */
  leases: V1Lease[];
  nodes: Wire<V1Node>[];
  /** The dqlite cluster as check_dqlite reads it, or why it could not be read (a blocker). */
  datastore: dqlite.DqliteFacts | { error: unknown };
  units: { host?: string; facts?: services.ServiceFacts; error?: unknown }[];
}

export const defaults = { critical: '0', settle: '10m' };

const STARTS = /^Starting kubelite$|^Started Service for snap application microk8s\.daemon-kubelite\.?$/;
/** dqlite-lock and kine-retries are judged over the last 5 minutes, as they are run by default. */
const GATE_WINDOW = 300;

/** Everything that blocks a restart, each as the part of the cluster that judged it. */
export function blockers(f: PreflightFacts, node: string, settle: number): PartialResult[] {
  const parts: PartialResult[] = [];
  const block = (text: string, host?: string) => parts.push({ host, state: State.CRITICAL, text });
  const gate: Window = { now: f.now, since: f.now - GATE_WINDOW * 1000, seconds: GATE_WINDOW, units: [] };
  for (const j of f.journals) {
    if (j.error !== undefined) {
      block(`cannot tell (${reasonOf(j.error)})`, j.host);
      continue;
    }
    const t = j.tally!;
    parts.push(
      partOf(
        'dqlite-lock',
        lock.evaluate(t.lock, gate, j.source, Range.parse(lock.defaults.warning), Range.parse(lock.defaults.critical)),
        j.host,
      ),
    );
    parts.push(
      partOf(
        'kine-retries',
        kine.evaluate(t.kine, GATE_WINDOW, j.source, {
          ...kine.defaults,
          warning: Range.parse(kine.defaults.warning),
          critical: Range.parse(kine.defaults.critical),
        }),
        j.host,
      ),
    );
    if (t.lastStart && f.now - t.lastStart < settle * 1000)
      block(
        `kubelite restarted ${formatDuration(Math.max(1, (f.now - t.lastStart) / 1000))} ago (settle ${formatDuration(settle)})`,
        j.host,
      );
  }
  f.leases.forEach((lease, i) => {
    const name = LEADER_LEASES[i]!;
    try {
      const { age, duration, expired } = leaseLife(lease, f.now);
      if (expired)
        block(
          `no ${name} is leading (lease ${age === undefined ? 'never renewed' : `renewed ${formatDuration(Math.max(age, 1))} ago, duration ${duration}s`})`,
        );
    } catch (err) {
      block(`cannot tell who leads ${name} (${reasonOf(err)})`);
    }
  });
  for (const n of f.nodes) if (!isReady(n)) block(`node ${n.metadata?.name} is not Ready`);
  // Quorum at risk, no leader or stale members, as check_dqlite judges them with its defaults.
  if ('error' in f.datastore) block(`cannot tell the dqlite cluster's health (${reasonOf(f.datastore.error)})`);
  else parts.push(partOf('dqlite', dqlite.evaluate(f.datastore, Range.parse(dqlite.defaults.warning))));
  // k8s-dqlite crash-looping now (failed, stuck or just restarted): check_services' state rules,
  // without its thresholds on the lifetime count of restarts.
  const minUptime = parseDuration(services.defaults.minUptime, '--min-uptime');
  for (const u of f.units) {
    if (!u.facts) block(`cannot tell whether k8s-dqlite is crash-looping (${reasonOf(u.error)})`, u.host);
    else {
      const s = services.evaluate(u.facts, {}, { minUptime, windowMs: 0 });
      parts.push({ host: u.host, state: s.state, text: s.summary });
    }
  }
  if (!f.nodes.some((n) => n.metadata?.name === node)) block(`node ${node} is not in the cluster`);
  return parts.filter((p) => p.state !== State.OK);
}

export function evaluate(f: PreflightFacts, node: string, settle: number, critical?: Range): Outcome {
  const blocking = blockers(f, node, settle).map(partialText);
  const v = new Verdict(check.name);
  v.measure({ label: 'blockers', value: blocking.length, min: 0 }, new ScalarContext(undefined, critical));
  f.leases.forEach((lease, i) => {
    if (holderNode(lease) === node) v.find(State.WARNING, `${node} holds the ${LEADER_LEASES[i]} lease`);
  });
  const leader = 'leader' in f.datastore && f.datastore.leader.kind === 'known' ? f.datastore.leader.address : undefined;
  if (leader && nodeAt(f.nodes, leader) === node) v.find(State.WARNING, `${node} is the dqlite leader`);
  v.detail(...blocking);
  if (blocking.length) {
    v.detail('Do not restart now: let the cluster absorb the write backlog, fix the above, then ask again.');
    return v.outcome(`NO-GO for ${node}: ${blocking[0]}${blocking.length > 1 ? ` (+${blocking.length - 1} more)` : ''}`);
  }
  if (v.findings.length) v.detail('Restart a non-leader node first where possible; leadership moves when this node restarts.');
  v.detail(
    `Sequence (serial: 1, one node at a time):`,
    `  kubectl cordon ${node}`,
    `  ssh ${node} sudo systemctl restart snap.microk8s.daemon-kubelite.service`,
    `  kubectl wait node/${node} --for=condition=Ready --timeout=120s; kubectl uncordon ${node}`,
    '  wait until observedGeneration matches generation (check_observed_generation OK) and this check is OK again before the next node.',
  );
  return v.findings.length
    ? v.outcome(`GO with care for ${node}: ${v.problems().join(', ')}`)
    : v.outcome(`GO: kubelite on ${node} may be restarted`);
}

/** Everything the gate judges, read at once; what cannot be read makes it NO-GO (gate: true). */
export async function gather(args: Args, ctx: ScanContext, settle: number): Promise<PreflightFacts> {
  const { deadline, log, shared } = ctx;
  const win = windowOf({ ...args, since: `${Math.max(settle, GATE_WINDOW)}s` });
  const gateSince = win.now - GATE_WINDOW * 1000;
  const counter = {
    grep: `${lock.LOCKED}|${kine.KINE_GREP}|starting kubelite|started service for snap application microk8s.daemon-kubelite`,
    fresh: (): Tally => ({ lock: lock.fresh(), kine: kine.fresh(), lastStart: 0 }),
    count: (t: Tally, line: LogLine) => {
      if (STARTS.test(line.message.trim())) t.lastStart = Math.max(t.lastStart, line.time ?? win.now);
      if (line.time !== undefined && line.time < gateSince) return;
      lock.count(t.lock, line, { ...win, since: gateSince, seconds: GATE_WINDOW });
      kine.count(t.kine, line, kine.defaults.budget);
    },
  };
  const cluster = connect(args, deadline, log, { share: shared?.kube });
  const nodesListed = listNodes(cluster);
  const [journals, leases, nodes, datastore, units] = await Promise.all([
    scanSources(args, win, ctx, counter),
    readLeaderLeases(cluster),
    nodesListed,
    dqlite.gather(args, deadline.child(), log, undefined, nodesListed).catch((error: unknown) => {
      if (deadline.signal.aborted) throw error;
      return { error };
    }),
    services.gatherHosts(args, [services.K8S_DQLITE_UNIT], deadline.child()),
  ]);
  return { now: win.now, journals, leases, nodes, datastore, units };
}

export const check: CheckDefinition<Args> = {
  name: 'RESTART-PREFLIGHT',
  command: 'check_restart_preflight',
  description: 'go/no-go for restarting kubelite on --node: CRITICAL means do not proceed',
  defaultCritical: defaults.critical,
  gate: true,
  options: (y) =>
    dqliteOptions(logOptions(kubeOptions(y), null), 'asked for the members and the leader (as check_dqlite)')
      .option('node', { type: 'string', describe: 'the node you want to restart kubelite on (default: this host name)' })
      .option('settle', {
        type: 'string',
        default: defaults.settle,
        describe: 'a kubelite restart this recent anywhere means wait (also the journal window, at least 5m)',
      }),
  examples: [
    [
      'check_restart_preflight --node k8s02 --host k8s01 --host k8s02 --host k8s03 --ssh-key ~/.ssh/nagios',
      'journals of every node over SSH',
    ],
  ],
  async run({ args, critical, ...ctx }) {
    const node = nodeName(args.node, hostname());
    const settle = parseDuration(args.settle, '--settle');
    return evaluate(await gather(args, ctx, settle), node, settle, critical);
  },
};
