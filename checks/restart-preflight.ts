// Runbook, "Prevention" and "During a restart session", as one go/no-go for restarting kubelite
// on --node: never while dqlite-lock or kine-retries is not OK, while a node is not Ready, or
// while an earlier restart is still settling; restart a non-leader first.
import { hostname } from 'node:os';
import { formatDuration, parseDuration } from '../lib/duration.ts';
import { holderNode, LEADER_LEASES, leaseLife, readLeaderLeases } from '../lib/k8s/leases.ts';
import { listNodes, nodeAt, nodeReady } from '../lib/k8s/nodes.ts';
import { connect, kubeOptions, type KubeArgs } from '../lib/kube-input.ts';
import { logOptions, scanSources, windowOf, type LogArgs } from '../lib/log-input.ts';
import { nodeName } from '../lib/names.ts';
import { Range } from '../lib/plugin/range.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { reasonOf } from '../lib/plugin/runner.ts';
import { State, stateName } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict } from '../lib/plugin/verdict.ts';
import { DQLITE_BACKEND, DQLITE_BIN } from '../lib/sources/dqlite.ts';
import * as dqlite from './dqlite.ts';
import * as services from './services.ts';
import type { LogLine } from '../lib/sources/logline.ts';
import * as lock from './dqlite-lock.ts';
import * as kine from './kine-retries.ts';

interface Args extends KubeArgs, LogArgs {
  node?: string;
  settle: string;
  'dqlite-bin': string;
  'backend-dir': string;
}

interface Tally {
  lock: lock.Tally;
  kine: kine.Tally;
  lastStart: number;
}

const STARTS = /^Starting kubelite$|^Started Service for snap application microk8s\.daemon-kubelite\.?$/;
const GATE_WINDOW = 300;

export const check: CheckDefinition<Args> = {
  name: 'RESTART-PREFLIGHT',
  command: 'check_restart_preflight',
  description: 'go/no-go for restarting kubelite on --node: CRITICAL means do not proceed',
  defaultCritical: '0',
  gate: true,
  options: (y) =>
    logOptions(kubeOptions(y), null)
      .option('node', { type: 'string', describe: 'the node you want to restart kubelite on (default: this host name)' })
      .option('settle', { type: 'string', default: '10m', describe: 'a kubelite restart this recent anywhere means wait (also the journal window, at least 5m)' })
      .option('dqlite-bin', { type: 'string', default: DQLITE_BIN, describe: 'dqlite CLI, asked for the members and the leader (as check_dqlite)' })
      .option('backend-dir', { type: 'string', default: DQLITE_BACKEND, describe: 'dqlite backend directory (as check_dqlite)' }),
  examples: [['check_restart_preflight --node k8s02 --host k8s01 --host k8s02 --host k8s03 --ssh-key ~/.ssh/nagios', 'journals of every node over SSH']],
  async run({ args, critical, deadline, log }) {
    const node = nodeName(args.node, hostname());
    const settle = parseDuration(args.settle, '--settle');
    const win = windowOf({ ...args, since: `${Math.max(settle, GATE_WINDOW)}s` });
    const gate = { ...win, since: win.now - GATE_WINDOW * 1000, seconds: GATE_WINDOW };
    const cluster = connect(args, deadline, log);
    const fresh = (): Tally => ({ lock: lock.fresh(), kine: kine.fresh(), lastStart: 0 });
    const count = (t: Tally, line: LogLine) => {
      if (STARTS.test(line.message.trim())) t.lastStart = Math.max(t.lastStart, line.time ?? win.now);
      if (line.time !== undefined && line.time < gate.since) return;
      lock.count(t.lock, line, gate);
      kine.count(t.kine, line, kine.defaults.budget);
    };
    const grep = `${lock.LOCKED}|${kine.KINE_GREP}|starting kubelite|started service for snap application microk8s.daemon-kubelite`;
    // Everything the gate judges, read at once; what cannot be read makes it NO-GO (gate: true).
    const nodesListed = listNodes(cluster);
    const [journals, leases, nodes, datastore, units] = await Promise.all([
      scanSources(args, win, deadline, grep, fresh, count, log),
      readLeaderLeases(cluster),
      nodesListed,
      dqlite.gather(args, deadline.child(), log, undefined, nodesListed),
      services.gatherHosts(args, [services.K8S_DQLITE_UNIT], deadline.child()),
    ]);
    const leader = datastore.view.leader;

    const blockers: string[] = [];
    for (const j of journals) {
      const where = j.host ? `${j.host}: ` : '';
      if (j.error !== undefined) {
        blockers.push(`${where}cannot tell (${reasonOf(j.error)})`);
        continue;
      }
      const t = j.tally!;
      const l = lock.evaluate(t.lock, gate, j.source, Range.parse(lock.check.defaultWarning!), Range.parse(lock.check.defaultCritical!));
      const k = kine.evaluate(t.kine, GATE_WINDOW, j.source, { ...kine.defaults, warning: Range.parse(kine.check.defaultWarning!), critical: Range.parse(kine.check.defaultCritical!) });
      if (l.state !== State.OK) blockers.push(`${where}dqlite-lock ${stateName(l.state)}: ${l.summary}`);
      if (k.state !== State.OK) blockers.push(`${where}kine-retries ${stateName(k.state)}: ${k.summary}`);
      if (t.lastStart && win.now - t.lastStart < settle * 1000) blockers.push(`${where}kubelite restarted ${formatDuration(Math.max(1, (win.now - t.lastStart) / 1000))} ago (settle ${formatDuration(settle)})`);
    }
    leases.forEach((lease, i) => {
      const name = LEADER_LEASES[i]!;
      try {
        const { age, duration, expired } = leaseLife(lease, win.now);
        if (expired) blockers.push(`no ${name} is leading (lease ${age === undefined ? 'never renewed' : `renewed ${formatDuration(Math.max(age, 1))} ago, duration ${duration}s`})`);
      } catch (err) {
        blockers.push(`cannot tell who leads ${name} (${reasonOf(err)})`);
      }
    });
    for (const n of nodes) if (!nodeReady(n)) blockers.push(`node ${n.metadata?.name} is not Ready`);
    // Quorum at risk, no leader or stale members, as check_dqlite judges them with its defaults.
    const dq = dqlite.evaluate(datastore, Range.parse(dqlite.check.defaultWarning!));
    if (dq.state !== State.OK) blockers.push(`dqlite ${stateName(dq.state)}: ${dq.summary}`);
    // k8s-dqlite crash-looping now (failed, stuck or just restarted): check_services' state rules,
    // without its thresholds on the lifetime count of restarts.
    for (const u of units) {
      const where = u.host ? `${u.host}: ` : '';
      if (!u.facts) blockers.push(`${where}cannot tell whether k8s-dqlite is crash-looping (${reasonOf(u.error)})`);
      else {
        const s = services.evaluate(u.facts, undefined, undefined, parseDuration(services.defaults.minUptime, '--min-uptime'));
        if (s.state !== State.OK) blockers.push(`${where}${s.summary}`);
      }
    }
    if (!nodes.some((n) => n.metadata?.name === node)) blockers.push(`node ${node} is not in the cluster`);

    const v = new Verdict(check.name);
    v.measure({ label: 'blockers', value: blockers.length, min: 0 }, new ScalarContext(undefined, critical));
    leases.forEach((lease, i) => {
      if (holderNode(lease) === node) v.find(State.WARNING, `${node} holds the ${LEADER_LEASES[i]} lease`);
    });
    if (leader && nodeAt(nodes, leader) === node) v.find(State.WARNING, `${node} is the dqlite leader`);
    v.detail(...blockers);
    if (blockers.length) {
      v.detail('Do not restart now: let the cluster absorb the write backlog, fix the above, then ask again.');
    } else {
      if (v.findings.length) v.detail('Restart a non-leader node first where possible; leadership moves when this node restarts.');
      v.detail(
        `Sequence (serial: 1, one node at a time):`,
        `  kubectl cordon ${node}`,
        `  ssh ${node} sudo systemctl restart snap.microk8s.daemon-kubelite.service`,
        `  kubectl wait node/${node} --for=condition=Ready --timeout=120s; kubectl uncordon ${node}`,
        '  wait until observedGeneration matches generation (check_observed_generation OK) and this check is OK again before the next node.',
      );
    }
    const verdict = blockers.length ? `NO-GO for ${node}: ${blockers[0]}${blockers.length > 1 ? ` (+${blockers.length - 1} more)` : ''}` : v.findings.length ? `GO with care for ${node}: ${v.findings.map((f) => f.text).join(', ')}` : `GO: kubelite on ${node} may be restarted`;
    return v.outcome(verdict);
  },
};
