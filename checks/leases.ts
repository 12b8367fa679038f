// Runbook, "Prevention": know which node holds the kcm, scheduler and dqlite leadership before a
// restart, and restart a non-leader first. An expired lease means no controller-manager or
// scheduler is leading; leaseTransitions climbing between runs means leadership is churning
// (each kcm loss of lease exits kubelite on that node).
import type { V1Lease } from '@kubernetes/client-node';
import { formatDuration } from '../lib/duration.ts';
import { holderNode, LEADER_LEASES, leaseLife, readLeaderLeases, type LeaseLife } from '../lib/k8s/leases.ts';
import { listNodes, nodeAt } from '../lib/k8s/nodes.ts';
import { connect, kubeOptions, type KubeArgs } from '../lib/kube-input.ts';
import { reasonOf, type CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict } from '../lib/plugin/verdict.ts';
import { localRunner } from '../lib/sources/command.ts';
import { DQLITE_BACKEND, DQLITE_BIN, dqliteLeader } from '../lib/sources/dqlite.ts';
import { defaultStateFile, readState, writeState } from '../lib/state.ts';

interface Args extends KubeArgs {
  'state-file'?: string;
  'dqlite-bin': string;
  'dqlite-backend': string;
}

type Transitions = Record<string, number>;

export const check: CheckDefinition<Args> = {
  name: 'LEASES',
  command: 'check_leases',
  description: 'shows who leads kube-controller-manager, kube-scheduler and dqlite; expired leases are CRITICAL, leadership churn WARNING',
  options: (y) =>
    kubeOptions(y)
      .option('state-file', { type: 'string', describe: 'where leaseTransitions are kept between runs (default ~/.local/state/microk8s-checks/leases-<server>.json)' })
      .option('dqlite-bin', { type: 'string', default: DQLITE_BIN, describe: 'dqlite CLI, asked for the leader when present' })
      .option('dqlite-backend', { type: 'string', default: DQLITE_BACKEND, describe: 'dqlite backend directory (cluster.crt, cluster.key, cluster.yaml)' }),
  examples: [['check_leases', 'leaders of kcm, scheduler and dqlite']],
  async run({ args, warning, critical, deadline, log }) {
    const cluster = connect(args, deadline, log);
    const now = Date.now();
    deadline.activity = `reading leases from ${cluster.server}`;
    const [leases, leader, nodes] = await Promise.all([
      readLeaderLeases(cluster),
      dqliteLeader(localRunner, deadline.signal, args['dqlite-bin'], args['dqlite-backend']),
      listNodes(cluster),
    ]);

    const v = new Verdict(check.name);
    const stateFile = args['state-file'] ?? defaultStateFile(`leases-${cluster.server.replace(/[^A-Za-z0-9.-]+/g, '_')}.json`);
    const remembered = readState<Transitions>(stateFile);
    const before = remembered.value;
    if (remembered.problem) v.detail(`${remembered.problem}: churn since the last run is not judged this time`);
    const after: Transitions = {};
    let oldest = 0;
    const holders: string[] = [];
    leases.forEach((lease: V1Lease, i) => {
      const name = LEADER_LEASES[i]!;
      const short = name === 'kube-controller-manager' ? 'kcm' : 'scheduler';
      let life: LeaseLife;
      try {
        life = leaseLife(lease, now);
      } catch (err) {
        // Not a fresh lease, and not an expired one either: this lease cannot be judged.
        v.find(State.UNKNOWN, `${short} lease cannot be judged: ${reasonOf(err)}`);
        v.measure({ label: `${short}_renew_age`, value: NaN, uom: 's', min: 0 });
        v.measure({ label: `${short}_transitions`, value: lease.spec?.leaseTransitions ?? 0, uom: 'c', min: 0 });
        oldest = NaN;
        return;
      }
      const { age, duration, expired } = life;
      const transitions = lease.spec?.leaseTransitions ?? 0;
      after[name] = transitions;
      oldest = Number.isNaN(oldest) ? oldest : Math.max(oldest, age ?? Infinity);
      v.measure({ label: `${short}_renew_age`, value: age ?? NaN, uom: 's', min: 0 });
      v.measure({ label: `${short}_transitions`, value: transitions, uom: 'c', min: 0 });
      const holder = holderNode(lease);
      holders.push(`${short} ${holder ?? 'none'}`);
      if (expired) v.find(State.CRITICAL, `${short} lease expired${age !== undefined ? ` (renewed ${formatDuration(age)} ago, duration ${duration}s)` : ''}: no ${name} is leading`);
      const grew = before?.[name] !== undefined ? transitions - before[name]! : 0;
      if (grew > 0) v.find(State.WARNING, `${short} leadership changed ${grew} time${grew === 1 ? '' : 's'} since the last run`);
      v.detail(`${name}: holder ${lease.spec?.holderIdentity ?? 'none'}, renewed ${age === undefined ? 'never' : `${formatDuration(Math.max(age, 1))} ago`} (duration ${duration}s), ${transitions} transitions`);
    });
    // The primary metric: the staler of the two leases, for -w/-c if the admin wants them.
    v.measure({ label: 'renew_age', value: Number.isFinite(oldest) ? oldest : NaN, uom: 's', min: 0 }, new ScalarContext(warning, critical));
    try {
      writeState(stateFile, after);
    } catch (err) {
      v.detail(`cannot keep leaseTransitions in ${stateFile} (${(err as Error).message}): churn is not judged next time`);
    }

    if (leader) {
      const node = nodeAt(nodes, leader);
      holders.push(`dqlite ${node ?? leader}`);
      v.detail(`dqlite leader: ${leader}${node ? ` (node ${node})` : ''}`);
    } else {
      v.detail(`dqlite leader: not asked (no ${args['dqlite-bin']} here; run this check on a MicroK8s node)`);
    }
    if (v.findings.length) v.detail('Before restarting kubelite anywhere: wait until leases are held and stable; restart a non-leader first.');
    return v.outcome([`leaders: ${holders.join(', ')}`, ...v.findings.map((f) => f.text)].join(', '));
  },
};
