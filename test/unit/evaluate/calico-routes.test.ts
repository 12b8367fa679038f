// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import { describe, expect, it } from 'vitest';
import * as calico from '../../../checks/calico-routes.ts';
import { State } from '../../../lib/plugin/state.ts';
import { RouteTable } from '../../../lib/sources/routes.ts';
import { r } from './helpers.ts';

describe('calico-routes', () => {
  const table = new RouteTable([
    { type: 'blackhole', dst: '10.1.22.0/26' },
    { dst: '10.1.22.7', dev: 'cali0c9f8bc5a1b' },
  ]);
  const facts = (pods: calico.PodOnNode[], ready = true): calico.RouteFacts => ({
    node: 'node1',
    ifacePrefix: 'cali',
    minAge: 30,
    pods,
    calico: [{ name: 'calico-node-cp8hh', namespace: 'kube-system', ready, restarts: 2 }],
    table,
  });

  it('a pod whose /32 falls in the blackhole is CRITICAL by default', () => {
    const o = calico.evaluate(facts([{ namespace: 'web', name: 'api', ips: ['10.1.22.9'] }]), { critical: r('0') });
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toBe(
      '1 of 1 Running pod on node1 without a host route through its veth (older than 30s), calico-node Ready (2 restarts)',
    );
    expect(o.details[0]).toMatch(/falls into blackhole 10\.1\.22\.0\/26/);
  });

  it('calico-node not Ready is CRITICAL even with every route in place', () => {
    const o = calico.evaluate(facts([], false), { critical: r('0') });
    expect([o.state, o.summary]).toEqual([
      State.CRITICAL,
      '0 of 0 Running pods on node1 without a host route through its veth, calico-node calico-node-cp8hh on node1 is not Ready',
    ]);
    // Its remedy, as for a missing route: restart calico-node there.
    expect(o.details).toContain('Restart calico-node on node1 so it re-lists and reprograms routes (the check never does it):');
    expect(o.details).toContain('  kubectl -n kube-system delete pod -l k8s-app=calico-node --field-selector=spec.nodeName=node1');
  });

  // `ip route add unreachable|prohibit <ip>`: a route the kernel refuses traffic by, through no veth.
  it('an unreachable or prohibit route to a pod is missing, named by its type', () => {
    const refusing = new RouteTable([
      { type: 'unreachable', dst: '10.1.22.7' },
      { type: 'prohibit', dst: '10.1.22.8' },
    ]);
    const pods = [
      { namespace: 'web', name: 'api', ips: ['10.1.22.7'] },
      { namespace: 'web', name: 'db', ips: ['10.1.22.8'] },
    ];
    const o = calico.evaluate({ ...facts(pods), table: refusing }, { critical: r('0') });
    expect(o.state).toBe(State.CRITICAL);
    expect(o.details.slice(0, 2)).toEqual([
      expect.stringMatching(/^web\/api 10\.1\.22\.7 \(expected dev cali[0-9a-f]{11}, unreachable route\)$/),
      expect.stringMatching(/^web\/db 10\.1\.22\.8 \(expected dev cali[0-9a-f]{11}, prohibit route\)$/),
    ]);
  });
});
