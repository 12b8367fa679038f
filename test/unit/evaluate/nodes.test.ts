// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import { describe, expect, it } from 'vitest';
import * as nodes from '../../../checks/nodes.ts';
import { State } from '../../../lib/plugin/state.ts';
import { node } from '../../apiserver/objects.ts';
import { r } from './helpers.ts';

describe('nodes', () => {
  const facts = (...specs: Parameters<typeof node>[0][]) =>
    nodes.evaluate(
      specs
        .map((s) => node(s))
        .map((n) => ({ name: n.metadata.name, ready: s(n), cordoned: Boolean(n.spec.unschedulable), taints: n.spec.taints ?? [] })),
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
});
