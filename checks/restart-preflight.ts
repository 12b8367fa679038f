// Runbook, "Prevention" and "During a restart session", as one go/no-go for restarting kubelite on
// --node: never while dqlite-lock or kine-retries is not OK, a node is not Ready (or its kubelet is silent), an
// earlier restart still settles, the watch cache lags or a Deployment's controller lags; restart a non-leader first.
import type { V1Lease, V1Node } from '@kubernetes/client-node';
import { silentKubelets } from '../lib/k8s/kubelet-heartbeat.ts';
import { unled } from '../lib/k8s/leases.ts';
import { restartSession } from '../lib/k8s/restart-session.ts';
import type { Wire } from '../lib/k8s/wire.ts';
import { inOrder } from '../lib/in-order.ts';
import { dqliteBlockers, kubeliteStarts, restartedBySystemd } from '../lib/kubelite-uptime.ts';
import { leaderships } from '../lib/leadership.ts';
import { gateCounter, gateWindow, GATE_WINDOW, journalsJudged, type Settling, unsettledJournal } from '../lib/logs/gate-window.ts';
import { scanSources, type ScanContext, type SourceResult } from '../lib/logs/scan.ts';
import { sideBySide } from '../lib/logs/tally.ts';
import { nodeChoice } from '../lib/names.ts';
import { restartLimits, restartOptions, type RestartArgs, type RestartLimits } from '../lib/options/restart.ts';
import { failureAsFact } from '../lib/plugin/failure-as-fact.ts';
import { partialText, partOf, type PartialResult } from '../lib/plugin/partial.ts';
import { reasonOf, type CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import { goNoGo, STORM_CHECKS } from '../lib/restart-gate.ts';
import { deploymentLags } from '../lib/rollout-lags.ts';
import { localAccess } from '../lib/sources/dqlite-cluster.ts';
import { connect } from '../lib/sources/kube/cluster.ts';
import { listNodes, readLeaderLeases } from '../lib/sources/kube/reads.ts';
import { letGo, nodeToJudge } from '../lib/sources/ssh/host-name.ts';
import { SshShare } from '../lib/sources/ssh/share.ts';
import { gateUnitChoice, readUnitHosts } from '../lib/sources/units.ts';
import { unjudgedReads } from '../lib/unjudged-reads.ts';
import * as lock from './dqlite-lock.ts';
import * as dqlite from './dqlite.ts';
import * as kine from './kine-retries.ts';
import * as rollout from './observed-generation.ts';
import * as services from './services.ts';
import * as cache from './watch-cache.ts';

/** What one journal said: the lock and kine tallies of the last 5 minutes; kubelite's newest start, k8s-dqlite's crashes. */
export type Tally = { lock: lock.Tally; kine: kine.Tally } & Settling;

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
  rollouts: rollout.RolloutFacts;
  /** The node leases in storage and in the watch cache of the kubeconfig's API server (this node's). */
  watchCache: cache.CacheFacts;
  units: { host?: string; facts?: services.ServiceFacts; error?: unknown }[];
}

export const defaults = { critical: '0', settle: '10m' };

/** Everything that blocks a restart, each as the part of the cluster that judged it. */
export function blockers(f: PreflightFacts, settleMs: number, allowTaint: string[] = []): PartialResult[] {
  const parts: PartialResult[] = [];
  const block = (text: string, host?: string) => parts.push({ host, state: State.CRITICAL, text });
  const kubelite = kubeliteStarts(f.journals, f.units, f.now, settleMs); // by its journals' lines and systemd's monotonic clock
  for (const j of f.journals) {
    if (j.error !== undefined) block(`cannot tell (${reasonOf(j.error)})`, j.host);
    else {
      // dqlite-lock and kine-retries as they judge by default, over the window they read by default.
      const over = { seconds: GATE_WINDOW, source: j.source };
      parts.push(partOf(STORM_CHECKS[0], lock.evaluate({ ...over, tally: j.tally!.lock }, lock.defaultLimits), j.host));
      parts.push(partOf(STORM_CHECKS[1], kine.evaluate({ ...over, tally: j.tally!.kine }, kine.defaultLimits), j.host));
      parts.push(...kubelite.take(j.host));
      for (const text of unsettledJournal(j.tally!, f.now, settleMs)) block(text, j.host);
    }
  }
  for (const text of unled(f.leases, f.now)) block(text);
  const session = restartSession(f.nodes, f.node, allowTaint);
  for (const text of session.unsettled) block(text);
  parts.push(...silentKubelets(f.nodes, f.watchCache.storage?.leases, f.watchCache.readAt ?? f.now));
  // A frozen cache serves every controller stale objects, and never heals: as check_watch_cache judges it.
  parts.push(partOf('watch-cache', cache.evaluate(f.watchCache, cache.defaultLimits)));
  // "observedGeneration matches .metadata.generation", as check_observed_generation judges it by default.
  parts.push(partOf('observed-generation', rollout.evaluate(f.rollouts, rollout.defaultLimits)));
  // Quorum at risk, no leader or stale members, as check_dqlite judges them with its defaults.
  if ('error' in f.datastore) block(`cannot tell the dqlite cluster's health (${reasonOf(f.datastore.error)})`);
  else parts.push(partOf('dqlite', dqlite.evaluate(f.datastore, dqlite.defaultLimits)));
  // k8s-dqlite crash-looping now (failed, stuck, just restarted: check_services' state rules; no samples, so no rate),
  // or restarted by systemd within the window where the journals did not say so; kubelite left out.
  parts.push(...dqliteBlockers(f.units, (u) => services.evaluate(u, services.defaultLimits)), ...kubelite.rest());
  parts.push(...restartedBySystemd(f.units, f.journals, Math.max(settleMs, GATE_WINDOW * 1000), services.defaultLimits.minUptimeMs));
  if (session.absent) block(session.absent);
  return parts.filter((p) => p.state !== State.OK);
}

export function evaluate(f: PreflightFacts, { critical, settleMs, allowTaint }: RestartLimits): Outcome {
  const parts = blockers(f, settleMs, allowTaint);
  const v = new Verdict(check.name);
  v.measure({ label: 'blockers', value: parts.length, min: 0 }, new ScalarContext(undefined, critical));
  // Each a WARNING, GO with care: also the dqlite CLI not asked, since the leader leases renewed
  // within their duration show the datastore takes writes; only whether --node leads it is open.
  const dqliteLeader = 'leader' in f.datastore ? f.datastore.leader : undefined;
  for (const text of leaderships(f.node, f.leases, f.nodes, dqliteLeader)) v.find(State.WARNING, text);
  v.detail(...parts.map(partialText), ...unjudgedReads(f.journals, f.units), ...(parts.length ? [] : [journalsJudged(f.journals)]));
  return goNoGo(v, f.node, parts);
}

/** Everything the gate judges, read at once; what cannot be read makes it NO-GO (gate: true). */
export async function gather(args: RestartArgs, ctx: ScanContext, settleMs: number): Promise<Omit<PreflightFacts, 'node'>> {
  const { deadline, log, shared } = ctx;
  const win = gateWindow(settleMs, args.unit);
  const storms = sideBySide<Omit<Tally, keyof Settling>>({ lock: lock.counter(win), kine: kine.counter(kine.defaults.budget) });
  const counter = gateCounter(storms, win);
  const cluster = connect(args, deadline, log, { share: shared?.kube });
  const nodesListed = listNodes(cluster);
  // Each source under a child deadline of its own (a timeout names those still unread); of several
  // unread, the NO-GO names the first in the summary's order, never the first to fail (it varied).
  const [journals, [leases, nodes, lags, watchCache], datastore, units] = await inOrder(
    [
      deadline.during('reading the journal', (d) => scanSources(args, win, { ...ctx, deadline: d }, counter)),
      deadline.during(`reading the leader leases, the nodes, the Deployments and the node leases from ${cluster.server}`, () =>
        inOrder([readLeaderLeases(cluster), nodesListed, deploymentLags(cluster, win.now), cache.readCache(cluster)], deadline),
      ),
      deadline.during('reading the dqlite cluster', (d) =>
        failureAsFact(dqlite.gather(args, d, log, localAccess(shared?.commands), nodesListed), deadline),
      ),
      deadline.during('asking systemd about the units', (d) => readUnitHosts(args, gateUnitChoice(args['snap-data']), d, shared?.ssh)),
    ],
    deadline,
  );
  return { now: win.now, journals, leases, nodes, datastore, units, rollouts: lags, watchCache };
}

export const check: CheckDefinition<RestartArgs> = {
  name: 'RESTART-PREFLIGHT',
  command: 'check_restart_preflight',
  description: 'go/no-go for restarting kubelite on --node: CRITICAL means do not proceed',
  defaultCritical: defaults.critical,
  thresholdUnit: 'blockers',
  gate: true,
  options: (y) => restartOptions(y, defaults.settle),
  examples: [['check_restart_preflight --node k8s02 --host k8s01 --host k8s02 --host k8s03', 'journals of every node over SSH']],
  async run({ args, critical, ...ctx }) {
    const limits = restartLimits(critical, args.settle, args['allow-taint'] ?? []);
    // Reads start beside the name question (`all` shares a list asked in the others' turn), its session held till they end: one login.
    const shared = { ...ctx.shared, ssh: ctx.shared?.ssh ?? new SshShare() };
    const asked = nodeToJudge(nodeChoice(args.node, args.host ?? []), args, ctx.deadline, shared.ssh);
    const read = inOrder([asked, gather(args, { ...ctx, shared }, limits.settleMs)], ctx.deadline);
    const [{ node }, facts] = await read.finally(() => letGo(asked));
    return evaluate({ ...facts, node }, limits);
  },
};
