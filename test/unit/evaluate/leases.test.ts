// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import type { V1Lease } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import * as leases from '../../../checks/leases.ts';
import { State } from '../../../lib/plugin/state.ts';
import { lease } from '../../apiserver/objects.ts';
import { pattern } from '../../helpers/pattern.ts';
import { perf } from './helpers.ts';

describe('leases', () => {
  const now = Date.now();
  const pair = (kcm: object, sched: object) =>
    [lease('kube-controller-manager', 'k8s01', kcm), lease('kube-scheduler', 'k8s02', sched)] as unknown as V1Lease[];

  it('held leases are OK and name the leaders', () => {
    const o = leases.evaluate({ now, leases: pair({}, {}), dqlite: { leader: '10.0.0.13:19001', node: 'k8s03' } }, {});
    expect([o.state, o.summary]).toEqual([State.OK, 'leaders: kcm k8s01, scheduler k8s02, dqlite k8s03']);
  });

  it('an expired lease is CRITICAL; transitions grown since the last run are WARNING', () => {
    const o = leases.evaluate(
      {
        now,
        leases: pair({ renewedAgo: 600, duration: 60 }, { transitions: 14 }),
        before: { 'kube-controller-manager': 12, 'kube-scheduler': 12 },
      },
      {},
    );
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toMatch(
      pattern(
        /^leaders: kcm k8s01, scheduler k8s02, kcm lease expired \(renewed 10m ago, duration /,
        /60s\): no kube-controller-manager is leading, scheduler leadership changed 2 times since /,
        /the last run$/,
      ),
    );
  });

  it("a renewal further in the future than the lease's duration cannot be judged: never 'renewed 1s ago'", () => {
    // The holder's clock runs ahead of this node's: were it to stop now, its lease would read as
    // fresh for as long as the clocks differ. Within the duration the lease is judged as renewed now.
    const o = leases.evaluate({ now, leases: pair({ renewedAgo: -3600, duration: 60 }, { renewedAgo: -30, duration: 60 }) }, {});
    expect(o.state).toBe(State.UNKNOWN);
    expect(o.summary).toMatch(
      pattern(
        /^leaders: scheduler k8s02, kcm lease cannot be judged: lease kube-controller-manager spec\.renewTime is 1h /,
        /in the future, more than its duration \(60s\): this node's clock and the holder's differ /,
        /\(fix: check time synchronisation \(timedatectl\) /,
      ),
    );
    expect(perf(o)).toMatchObject({ kcm_renew_age: 'U;;;0', scheduler_renew_age: '0s;;;0', renew_age: 'U;;;0' });
  });
});
