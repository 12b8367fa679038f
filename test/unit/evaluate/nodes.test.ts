// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import { describe, expect, it } from 'vitest';
import * as nodes from '../../../checks/nodes.ts';
import { State } from '../../../lib/plugin/state.ts';
import { node } from '../../apiserver/objects.ts';
import { pressures } from '../../../lib/k8s/nodes.ts';
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

  it('no node at all is UNKNOWN, never OK', () => {
    const o = nodes.evaluate([], { allowTaint: [], critical: r('0') });
    expect([o.state, o.summary]).toEqual([State.UNKNOWN, 'the API server lists no nodes']);
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
});
