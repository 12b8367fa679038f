// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import type { V1Lease } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import * as leases from '../../../checks/leases.ts';
import { State } from '../../../lib/plugin/state.ts';
import { unled } from '../../../lib/k8s/leases.ts';
import { lease } from '../../apiserver/objects.ts';
import { pattern } from '../../helpers/pattern.ts';
import { perf, r } from './helpers.ts';

describe('leases', () => {
  const now = Date.now();
  // Ages count back from the `now` each test judges with: a slow CI run read 20 s as 19.9 s when the
  // leases took the clock of the moment they were made.
  const pair = (kcm: object, sched: object) =>
    [
      lease('kube-controller-manager', 'k8s01', { now, ...kcm }),
      lease('kube-scheduler', 'k8s02', { now, ...sched }),
    ] as unknown as V1Lease[];

  it('held leases are OK and name the leaders', () => {
    const o = leases.evaluate({ now, leases: pair({}, {}), dqlite: { leader: '10.0.0.13:19001', node: 'k8s03' } }, {});
    expect([o.state, o.summary]).toEqual([State.OK, 'leaders: kcm k8s01, scheduler k8s02, dqlite k8s03']);
    // Nothing to wait for: the wait before a restart is said only where a lease is not held or stable.
    const WAIT = /^Before restarting kubelite anywhere: wait until leases are held and stable/;
    expect(o.details).not.toContainEqual(expect.stringMatching(WAIT));
    const expired = leases.evaluate({ now, leases: pair({ renewedAgo: 600, duration: 60 }, {}) }, {});
    expect(expired.details).toContainEqual(expect.stringMatching(WAIT));
  });

  it('an expired lease is CRITICAL; transitions grown since the last run are WARNING', () => {
    const o = leases.evaluate(
      {
        now,
        leases: pair({ renewedAgo: 600, duration: 60 }, { transitions: 14 }),
        before: { 'kube-controller-manager': { transitions: 12 }, 'kube-scheduler': { transitions: 12 } },
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

  it('one change of leader since the last run is churn: WARNING', () => {
    const o = leases.evaluate(
      {
        now,
        leases: pair({ transitions: 13 }, { transitions: 12 }),
        before: { 'kube-controller-manager': { transitions: 12 }, 'kube-scheduler': { transitions: 12 } },
      },
      {},
    );
    expect([o.state, o.summary]).toEqual([
      State.WARNING,
      'leaders: kcm k8s01, scheduler k8s02, kcm leadership changed 1 time since the last run',
    ]);
  });

  // As client-go's release (ReleaseOnCancel, kubelite stopping) writes it: holderIdentity "" (a
  // pointer to the empty string, so present), leaseDurationSeconds 1, renewTime now.
  it('a lease released as client-go writes it (empty holderIdentity, 1 s duration) is CRITICAL', () => {
    const [kcm, sched] = pair({ renewedAgo: 0.3 }, {});
    Object.assign(kcm!.spec!, { holderIdentity: '', leaseDurationSeconds: 1 });
    const o = leases.evaluate({ now, leases: [kcm!, sched!] }, {});
    expect([o.state, o.summary]).toEqual([
      State.CRITICAL,
      'leaders: kcm none, scheduler k8s02, kcm lease released (no holder): no kube-controller-manager is leading',
    ]);
  });

  // A poll comes seconds after the release, past its 1 s: still a release, said as one, with no
  // word of a renew deadline for a lease nobody renews ('kcm lease expired (renewed 5s ago, duration 1s)').
  it('a released lease seconds later is said released, not expired, and the gate says the same', () => {
    const [kcm, sched] = pair({ renewedAgo: 5 }, {});
    Object.assign(kcm!.spec!, { holderIdentity: '', leaseDurationSeconds: 1 });
    const o = leases.evaluate({ now, leases: [kcm!, sched!] }, {});
    expect([o.state, o.summary]).toEqual([
      State.CRITICAL,
      'leaders: kcm none, scheduler k8s02, kcm lease released (no holder): no kube-controller-manager is leading',
    ]);
    expect(o.details.join('\n')).not.toMatch(/renew deadline not known/);
    expect(unled([kcm!, sched!], now)).toEqual(['no kube-controller-manager is leading (lease released: no holder)']);
    // Its long output line read 'holder , renewed 5s ago': an empty name, and the release called a renewal.
    expect(o.details).toContain('kube-controller-manager: no holder, released 5s ago (duration 1s), 12 transitions');
  });

  // A Lease deleted and made again (a new metadata.uid) counts its transitions from 0: against the
  // old count it read as churn that never was, none where there was some, or a negative one.
  it('a lease recreated since the last run counts its churn afresh and says so', () => {
    const o = leases.evaluate(
      {
        now,
        leases: pair({ transitions: 3, uid: 'kcm-new' }, { transitions: 0, uid: 'sched-new' }),
        before: {
          'kube-controller-manager': { transitions: 3, uid: 'kcm-old' },
          'kube-scheduler': { transitions: 12, uid: 'sched-old' },
        },
      },
      {},
    );
    // kcm: 3 before and 3 now, but of a new lease: 3 changes of holder since it was made.
    expect([o.state, o.summary]).toEqual([
      State.WARNING,
      'leaders: kcm k8s01, scheduler k8s02, kcm leadership changed 3 times since its lease was recreated',
    ]);
    expect(o.details).toEqual(
      expect.arrayContaining([
        'kube-scheduler: lease recreated since the last run (uid sched-new, was sched-old): its transitions count afresh from 0',
      ]),
    );
    expect(perf(o)).toMatchObject({ kcm_transitions: '3c;;;0', scheduler_transitions: '0c;;;0' });
  });

  it("a count that went down is a recreated lease, where the last run's state has no uid: never a negative churn", () => {
    // The state as the check wrote it before it kept uids: counts only.
    const o = leases.evaluate(
      {
        now,
        leases: pair({ transitions: 0 }, { transitions: 12 }),
        before: { 'kube-controller-manager': { transitions: 5 }, 'kube-scheduler': { transitions: 12 } },
      },
      {},
    );
    expect([o.state, o.summary]).toEqual([State.OK, 'leaders: kcm k8s01, scheduler k8s02']);
    expect(o.details).toEqual(
      expect.arrayContaining([
        'kube-controller-manager: lease recreated since the last run (0 transitions, were 5): its transitions count afresh from 0',
      ]),
    );
  });

  it("a lease renewed 20 s ago is held: MicroK8s gives kcm and the scheduler 60 s leases, not client-go's 15 s default", () => {
    // Renewals slow under dqlite write contention: late, but within the lease's own duration nobody else may lead.
    const o = leases.evaluate({ now, leases: pair({ renewedAgo: 20, duration: 60 }, { renewedAgo: 25, duration: 60 }) }, {});
    expect([o.state, o.summary]).toEqual([State.OK, 'leaders: kcm k8s01, scheduler k8s02']);
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

  // DOMAIN.md: MicroK8s runs kcm and the scheduler with a 60 s lease and a 30 s renew deadline. A
  // leader whose renewals fail for 30 s stops leading (kcm exits, taking kubelite down); nobody else
  // may take the lease before 60 s. It read OK for those 30 s.
  it('a lease not renewed within its renew deadline, not yet expired, is WARNING whatever -w/-c say', () => {
    const o = leases.evaluate({ now, leases: pair({ renewedAgo: 41, duration: 60 }, { renewedAgo: 2, duration: 60 }) }, {});
    expect([o.state, o.summary]).toEqual([
      State.WARNING,
      'leaders: kcm k8s01, scheduler k8s02, kcm lease not renewed for 41s (renew deadline 30s): its leader is giving it up, ' +
        'nobody can take it before 60s',
    ]);
    expect(perf(o).kcm_renew_age).toMatch(/s;;;0$/);
    expect(Number.parseFloat(perf(o).kcm_renew_age!)).toBeCloseTo(41, 0);
    // The user's -w/-c on renew_age add their own judgement; a wider range never hides it.
    const wide = leases.evaluate({ now, leases: pair({ renewedAgo: 41, duration: 60 }, {}) }, { warning: r('50'), critical: r('55') });
    expect(wide.state).toBe(State.WARNING);
  });

  // The edges of MicroK8s' 60 s lease and 30 s renew deadline, as the summary says them (whole seconds).
  it('past its 60 s duration the lease is expired, CRITICAL; 30 s as said is not yet past the 30 s renew deadline', () => {
    const expired = leases.evaluate({ now, leases: pair({ renewedAgo: 65, duration: 60 }, {}) }, {});
    expect([expired.state, expired.summary]).toEqual([
      State.CRITICAL,
      'leaders: kcm k8s01, scheduler k8s02, kcm lease expired (renewed 65s ago, duration 60s): no kube-controller-manager is leading',
    ]);
    const atDeadline = leases.evaluate({ now, leases: pair({ renewedAgo: 30.3, duration: 60 }, {}) }, {});
    expect([atDeadline.state, atDeadline.summary]).toEqual([State.OK, 'leaders: kcm k8s01, scheduler k8s02']);
  });

  it("a renewal 90 s ahead of this node's clock, more than the 60 s duration, cannot be judged", () => {
    const o = leases.evaluate({ now, leases: pair({ renewedAgo: -90, duration: 60 }, {}) }, {});
    expect(o.state).toBe(State.UNKNOWN);
    expect(o.summary).toMatch(
      /^leaders: scheduler k8s02, kcm lease cannot be judged: lease kube-controller-manager spec\.renewTime is 90s in the future/,
    );
  });

  it('-w/-c judge renew_age, the staler lease in seconds: 20 s with -w 10 -c 50 is WARNING, with -c 15 CRITICAL', () => {
    const stale = pair({ renewedAgo: 20, duration: 60 }, { renewedAgo: 2, duration: 60 });
    const warned = leases.evaluate({ now, leases: stale }, { warning: r('10'), critical: r('50') });
    expect(warned.state).toBe(State.WARNING);
    expect(perf(warned).renew_age).toMatch(/s;10;50;0$/);
    expect(Number.parseFloat(perf(warned).renew_age!)).toBeCloseTo(20, 0);
    const critical = leases.evaluate({ now, leases: stale }, { warning: r('10'), critical: r('15') });
    expect(critical.state).toBe(State.CRITICAL);
    // The first line says why: it read 'leaders: kcm k8s01, scheduler k8s02', CRITICAL for no reason given.
    expect(warned.summary).toBe('leaders: kcm k8s01, scheduler k8s02, kcm lease renewed 20s ago (-w 10)');
    expect(critical.summary).toBe('leaders: kcm k8s01, scheduler k8s02, kcm lease renewed 20s ago (-c 15)');
    // On the side of the threshold it is judged on: 2.44 s is not '2s ago (-c 2)'.
    const near = leases.evaluate({ now, leases: pair({ renewedAgo: 2.44 }, {}) }, { warning: r('1'), critical: r('2') });
    expect([near.state, near.summary]).toEqual([State.CRITICAL, 'leaders: kcm k8s01, scheduler k8s02, kcm lease renewed 2.4s ago (-c 2)']);
    // Past its renew deadline (WARNING, said) and past -c: the CRITICAL says -c, where it read the WARNING's words alone.
    const late = leases.evaluate({ now, leases: pair({ renewedAgo: 40, duration: 60 }, {}) }, { warning: r('10'), critical: r('35') });
    expect([late.state, late.summary]).toEqual([
      State.CRITICAL,
      'leaders: kcm k8s01, scheduler k8s02, kcm lease renewed 40s ago (-c 35), kcm lease not renewed for 40s (renew deadline 30s): ' +
        'its leader is giving it up, nobody can take it before 60s',
    ]);
    // The staler of the two is named, whichever comes first.
    const sched = leases.evaluate({ now, leases: pair({}, { renewedAgo: 20, duration: 60 }) }, { warning: r('10') });
    expect(sched.summary).toBe('leaders: kcm k8s01, scheduler k8s02, scheduler lease renewed 20s ago (-w 10)');
    // Its WARNING already says the lease: -w adds nothing.
    const lateWarned = leases.evaluate({ now, leases: pair({ renewedAgo: 40, duration: 60 }, {}) }, { warning: r('35') });
    expect(lateWarned.summary).not.toContain('(-w 35)');
  });

  it("an expired lease's first line gives its own reason once, never -w/-c on renew_age beside it", () => {
    const o = leases.evaluate({ now, leases: pair({ renewedAgo: 600, duration: 60 }, {}) }, { warning: r('10'), critical: r('50') });
    expect([o.state, o.summary]).toEqual([
      State.CRITICAL,
      'leaders: kcm k8s01, scheduler k8s02, kcm lease expired (renewed 10m ago, duration 60s): no kube-controller-manager is leading',
    ]);
  });

  it("a lease that holds no renewal time is the staler: renew_age is U, never the other lease's age", () => {
    const [kcm, sched] = pair({}, { renewedAgo: 5 });
    delete kcm!.spec!.renewTime;
    delete kcm!.spec!.acquireTime;
    const o = leases.evaluate({ now, leases: [kcm!, sched!] }, { warning: r('10'), critical: r('50') });
    expect(o.state).toBe(State.CRITICAL);
    expect(perf(o).renew_age).toBe('U;10;50;0');
  });

  it("client-go's default 15 s lease is judged by its 10 s renew deadline, not by half its duration", () => {
    const within = leases.evaluate({ now, leases: pair({ renewedAgo: 9, duration: 15 }, { renewedAgo: 9, duration: 15 }) }, {});
    expect([within.state, within.summary]).toEqual([State.OK, 'leaders: kcm k8s01, scheduler k8s02']);
    const late = leases.evaluate({ now, leases: pair({ renewedAgo: 2, duration: 15 }, { renewedAgo: 12, duration: 15 }) }, {});
    expect([late.state, late.summary]).toEqual([
      State.WARNING,
      'leaders: kcm k8s01, scheduler k8s02, scheduler lease not renewed for 12s (renew deadline 10s): its leader is giving it ' +
        'up, nobody can take it before 15s',
    ]);
  });

  it('a lease of another duration (edited args) is judged only once expired: its renew deadline is not in the Lease', () => {
    const o = leases.evaluate({ now, leases: pair({ renewedAgo: 70, duration: 120 }, {}) }, {});
    expect([o.state, o.summary]).toEqual([State.OK, 'leaders: kcm k8s01, scheduler k8s02']);
    expect(o.details).toEqual(
      expect.arrayContaining([
        "kube-controller-manager: renew deadline not known for a 120s lease (only MicroK8s' 60s/30s and the default 15s/10s " +
          'are): judged only once expired; -w/-c on renew_age judge it earlier',
      ]),
    );
  });

  // client-go's LeaseLock reads a Lease without spec.leaseDurationSeconds as a 0 s record
  // (LeaseSpecToLeaderElectionRecord), which every candidate's next try (2 s) finds expired and
  // takes; a leader renewing writes its duration each time. It read OK, 'duration 15s', a 15 s
  // the Lease never said.
  it('a held lease without leaseDurationSeconds is expired as leader election reads it: CRITICAL, never a 15 s it does not say', () => {
    const [kcm, sched] = pair({ renewedAgo: 5 }, {});
    delete kcm!.spec!.leaseDurationSeconds;
    const o = leases.evaluate({ now, leases: [kcm!, sched!] }, {});
    expect([o.state, o.summary]).toEqual([
      State.CRITICAL,
      'leaders: kcm k8s01, scheduler k8s02, kcm lease expired (renewed 5s ago, no leaseDurationSeconds: leader election ' +
        'reads 0s): no kube-controller-manager is leading',
    ]);
    const line = o.details.find((d) => d.startsWith('kube-controller-manager: holder'));
    expect(line).toMatch(/^kube-controller-manager: holder k8s01_\S+, renewed 5s ago \(no leaseDurationSeconds\), 12 transitions$/);
    expect(o.details.join('\n')).not.toMatch(/15s|renew deadline not known/);
    expect(unled([kcm!, sched!], now)).toEqual(['no kube-controller-manager is leading (lease renewed 5s ago, no leaseDurationSeconds)']);
    // A renewal a second ahead of this node's clock is no clock fault here: expired all the same.
    const [ahead] = pair({ renewedAgo: -1 }, {});
    delete ahead!.spec!.leaseDurationSeconds;
    const early = leases.evaluate({ now, leases: [ahead!, sched!] }, {});
    expect(early.state).toBe(State.CRITICAL);
    expect(early.summary).toMatch(/kcm lease expired \(renewed 0s ago, no leaseDurationSeconds: leader election reads 0s\)/);
  });
});
