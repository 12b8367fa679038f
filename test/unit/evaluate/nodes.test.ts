// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import { describe, expect, it } from 'vitest';
import * as nodes from '../../../checks/nodes.ts';
import { State } from '../../../lib/plugin/state.ts';
import { node } from '../../apiserver/objects.ts';
import { pressures } from '../../../lib/k8s/nodes.ts';
import { silence } from '../../../lib/k8s/kubelet-heartbeat.ts';
import { asNodes, r } from './helpers.ts';

describe('nodes', () => {
  const facts = (...specs: Parameters<typeof node>[0][]) =>
    nodes.evaluate(
      specs
        .map((s) => node(s))
        .map((n) => ({
          name: n.metadata.name,
          ready: s(n),
          cordoned: Boolean(n.spec.unschedulable),
          pressures: pressures(asNodes([n])[0]!),
          taints: n.spec.taints ?? [],
        })),
      { allowTaint: [], critical: r('0') },
    );
  const s = (n: ReturnType<typeof node>) => n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True');

  it('all Ready is OK with the node count', () => {
    const o = facts({ name: 'a', ip: '10.0.0.1' }, { name: 'b', ip: '10.0.0.2' });
    expect([o.state, o.summary]).toEqual([State.OK, '2 nodes, all Ready']);
  });

  it('NotReady is CRITICAL and named first; cordoned and tainted follow as findings', () => {
    const o = facts(
      { name: 'a', ip: '10.0.0.1', ready: false },
      { name: 'b', ip: '10.0.0.2', unschedulable: true },
      { name: 'c', ip: '10.0.0.3', taints: [{ key: 'x', effect: 'NoSchedule' }] },
    );
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toBe('1 of 3 nodes NotReady: a, cordoned: b, 1 node tainted');
  });

  // Only a Ready node's kubelet can be silent: with none Ready, node leases that could not be read hide nothing.
  it("every node NotReady and the node leases unread: CRITICAL as NotReady alone, and the runbook's wait said", () => {
    const down = { name: 'a', ready: false, cordoned: false, pressures: [], taints: [] };
    const o = nodes.evaluate([down], { allowTaint: [], critical: r('0') }, 'forbidden: cannot list leases');
    expect([o.state, o.summary]).toEqual([State.CRITICAL, '1 of 1 node NotReady: a']);
    expect(o.details).toContain('Do not restart kubelite on another node until every node is Ready, uncordoned and untainted.');
  });

  // The restart session's own state: cordoned, then kubelite restarted and the node not back yet.
  it('a node cordoned and NotReady is NotReady, CRITICAL, not merely cordoned', () => {
    const o = facts({ name: 'a', ip: '10.0.0.1', ready: false, unschedulable: true }, { name: 'b', ip: '10.0.0.2' });
    expect([o.state, o.summary]).toEqual([State.CRITICAL, '1 of 2 nodes NotReady: a, cordoned: a']);
  });

  // docs/checks/nodes.md: `key`, `key=value`, `key:Effect`, `key=value:Effect`; each allows that taint, and no other.
  it('--allow-taint patterns: each form allows the taint it names and no other', () => {
    const judge = (allowTaint: string[]) =>
      nodes.evaluate(
        [node({ name: 'a', ip: '10.0.0.1', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] })].map((n) => ({
          name: n.metadata.name,
          ready: true,
          cordoned: false,
          pressures: [],
          taints: n.spec.taints ?? [],
        })),
        { allowTaint, critical: r('0') },
      );
    for (const allowed of ['dedicated', 'dedicated=gpu', 'dedicated:NoSchedule', 'dedicated=gpu:NoSchedule']) {
      const o = judge([allowed]);
      expect([o.state, o.summary], allowed).toEqual([State.OK, '1 node, all Ready']);
    }
    for (const other of ['gpu', 'dedicated=cpu', 'dedicated:NoExecute', 'dedicated=gpu:PreferNoSchedule', 'other=gpu:NoSchedule']) {
      const o = judge([other]);
      expect([o.state, o.summary], other).toEqual([State.WARNING, '1 node, all Ready, 1 node tainted']);
    }
  });

  it('no node at all is UNKNOWN, never OK', () => {
    const o = nodes.evaluate([], { allowTaint: [], critical: r('0') });
    expect([o.state, o.summary]).toEqual([State.UNKNOWN, 'the API server lists no nodes']);
  });

  it('each of MemoryPressure, DiskPressure, PIDPressure and NetworkUnavailable True is WARNING by name; its taint is not counted', () => {
    for (const [type, key] of [
      ['MemoryPressure', 'memory-pressure'],
      ['DiskPressure', 'disk-pressure'],
      ['PIDPressure', 'pid-pressure'],
      ['NetworkUnavailable', 'network-unavailable'],
    ] as const) {
      const n = node({ name: 'b', ip: '10.0.0.2', taints: [{ key: `node.kubernetes.io/${key}`, effect: 'NoSchedule' }] });
      const cond = n.status.conditions.find((c) => c.type === type);
      if (cond) Object.assign(cond, { status: 'True' });
      else n.status.conditions.unshift({ ...n.status.conditions[0]!, type, status: 'True' });
      const o = nodes.evaluate(
        [{ name: 'b', ready: true, cordoned: false, pressures: pressures(asNodes([n])[0]!), taints: n.spec.taints! }],
        {
          allowTaint: [],
          critical: r('0'),
        },
      );
      expect([o.state, o.summary], type).toEqual([State.WARNING, `1 node, all Ready, ${type}: b`]);
      expect(o.perfdata.find((p) => p.label === 'tainted')?.value, type).toBe(0);
    }
  });

  // The node lifecycle controller mirrors each as a NoSchedule taint: said once, by the condition, per condition.
  it("pressure and Calico's NetworkUnavailable are said by their condition and nodes, their taints not again", () => {
    const pid = node({ name: 'b', ip: '10.0.0.2', taints: [{ key: 'node.kubernetes.io/pid-pressure', effect: 'NoSchedule' }] });
    Object.assign(pid.status.conditions.find((c) => c.type === 'PIDPressure')!, {
      status: 'True',
      reason: 'KubeletHasInsufficientPID',
      message: 'kubelet has insufficient PID available',
    });
    const net = node({ name: 'c', ip: '10.0.0.3', taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] });
    net.status.conditions.unshift({
      type: 'NetworkUnavailable',
      status: 'True',
      lastHeartbeatTime: net.status.conditions[0]!.lastHeartbeatTime,
      lastTransitionTime: net.status.conditions[0]!.lastTransitionTime,
      reason: 'CalicoIsDown',
      message: 'Calico is shutting down on this node',
    });
    const o = nodes.evaluate(
      [node({ name: 'a', ip: '10.0.0.1' }), pid, net].map((n) => ({
        name: n.metadata.name,
        ready: s(n),
        cordoned: false,
        pressures: pressures(asNodes([n])[0]!),
        taints: n.spec.taints ?? [],
      })),
      { allowTaint: [], critical: r('0') },
    );
    expect([o.state, o.summary]).toEqual([State.WARNING, '3 nodes, all Ready, PIDPressure: b, NetworkUnavailable: c']);
    expect(o.details).toEqual(
      expect.arrayContaining([
        'b PIDPressure (KubeletHasInsufficientPID: kubelet has insufficient PID available)',
        'c NetworkUnavailable (CalicoIsDown: Calico is shutting down on this node)',
      ]),
    );
    expect(o.details.join('\n')).not.toMatch(/^tainted /m);
  });
  describe("a node read Ready whose kubelet is silent past the controller-manager's node-monitor-grace-period (50s)", () => {
    const now = Date.parse('2026-11-28T03:00:00Z');
    /** Node `name` Ready, its status posted 7 minutes before `now`, its Lease renewed `renewedAgo` s before. */
    const judged = (name: string, renewedAgo: number | 'no lease') => {
      const n = asNodes([node({ name, ip: '10.0.0.3' })])[0]!;
      n.status!.conditions!.find((c) => c.type === 'Ready')!.lastHeartbeatTime = new Date(now - 420_000).toISOString();
      const lease = renewedAgo === 'no lease' ? undefined : { renewed: now - renewedAgo * 1000, duration: 40 };
      return { name, ready: true, cordoned: false, pressures: [], taints: [], silent: silence(n, lease, now) };
    };
    const fine = { name: 'a', ready: true, cordoned: false, pressures: [], taints: [] };

    it('CRITICAL, named with how long, whatever -c says of NotReady nodes (none is); the full line and next step below', () => {
      const o = nodes.evaluate([fine, judged('c', 300)], { allowTaint: [], critical: r('5') });
      expect([o.state, o.summary]).toEqual([State.CRITICAL, '2 nodes, all Ready, kubelet silent on c (no Lease renewed for 5m)']);
      expect(o.details).toContain("node c's kubelet has not renewed its Lease for 5m (duration 40s) yet the Node reads Ready");
      expect(o.details).toContain('  ssh c systemctl status snap.microk8s.daemon-kubelite.service');
      // Within the grace period (renewed every 10 s, a few missed): nothing said.
      expect(nodes.evaluate([fine, judged('c', 50)], { allowTaint: [], critical: r('0') }).summary).toBe('2 nodes, all Ready');
    });

    it('several at once are named together; no Lease at all is silent too; a heartbeat far in the future is UNKNOWN', () => {
      const two = nodes.evaluate([fine, judged('b', 300), judged('c', 'no lease')], { allowTaint: [], critical: r('0') });
      expect([two.state, two.summary]).toEqual([State.CRITICAL, '3 nodes, all Ready, kubelets silent on b, c']);
      expect(two.details).toContain(
        'node c has no Lease in kube-node-lease and its kubelet last posted its status 7m ago, yet the Node reads Ready',
      );
      const ahead = nodes.evaluate([fine, judged('c', -180)], { allowTaint: [], critical: r('0') });
      expect([ahead.state, ahead.summary]).toEqual([State.UNKNOWN, "2 nodes, all Ready, c's kubelet heard from 3m in the future"]);
      expect(ahead.details[0]).toMatch(/\(fix: check time synchronisation \(timedatectl\) here and on c\)$/);
      // Clocks a few seconds apart (a renewal a moment ahead of this host's) are within the grace period: heard, OK.
      expect(nodes.evaluate([fine, judged('c', -5)], { allowTaint: [], critical: r('0') })).toMatchObject({
        state: State.OK,
        summary: '2 nodes, all Ready',
      });
    });
  });
});
