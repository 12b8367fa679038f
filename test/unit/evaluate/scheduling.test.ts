// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import { describe, expect, it } from 'vitest';
import * as scheduling from '../../../checks/scheduling.ts';
import { State } from '../../../lib/plugin/state.ts';
import { ScalarContext } from '../../../lib/plugin/verdict.ts';
import { NOW, perf, r } from './helpers.ts';

describe('scheduling', () => {
  const limits = { minAge: 300, namespaces: [], warning: r('0'), critical: r('5'), newestPod: new ScalarContext(r('900'), r('1800')) };
  const facts = (
    waiting: { since: number; judged?: boolean }[],
    newestBind: number,
    newestCreated = NOW - 60_000,
  ): scheduling.SchedulingFacts => ({
    now: NOW,
    waiting: waiting.map((w, i) => ({ ref: `web/p${i}`, since: w.since, why: '0/3 nodes are available', judged: w.judged })),
    newestBind,
    newestCreated,
    newestBindByNode: new Map(),
    gated: [],
    assigned: [],
  });

  it('no pod waiting and recent binds is OK', () => {
    const o = scheduling.evaluate(facts([], NOW - 30_000), limits);
    expect([o.state, o.summary]).toEqual([State.OK, '0 pods unscheduled for over 5m, newest bind 30s ago']);
  });

  it('waiting pods with no bind since the oldest arrived: the scheduler looks stalled (CRITICAL)', () => {
    const o = scheduling.evaluate(facts([{ since: NOW - 600_000 }], NOW - 900_000), limits);
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toMatch(
      /^1 pod unscheduled for over 5m, newest bind 15m ago, no pod bound anywhere since the oldest waiting one arrived 10m ago/,
    );
  });

  it('a pod the scheduler judged before one it never saw: stalled, and never "it sees new pods" beside it', () => {
    // Judged 15 minutes ago (before its cache went stale), then a pod it never looked at: no bind since either.
    const o = scheduling.evaluate(facts([{ since: NOW - 900_000, judged: true }, { since: NOW - 600_000 }], NOW - 1_000_000), limits);
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toMatch(
      /no pod bound anywhere since the oldest waiting one it has not judged arrived 10m ago: the scheduler looks stalled/,
    );
    expect(o.details.join('\n')).not.toMatch(/sees new pods/);
    expect(o.details.join('\n')).toMatch(/Stale scheduler informer cache/);
  });

  it('only pods the scheduler judged, none bound since: counted, not stalled; the long output says what to look at', () => {
    const o = scheduling.evaluate(facts([{ since: NOW - 600_000, judged: true }], NOW - 1_000_000), limits);
    expect([o.state, o.summary]).toEqual([State.WARNING, '1 pod unscheduled for over 5m, newest bind 16m40s ago']);
    expect(o.details.join('\n')).toMatch(/the scheduler judged 1 of them unschedulable .* sees new pods/);
  });

  it('no pod created for longer than --newest-pod-critical', () => {
    const o = scheduling.evaluate(facts([], NOW - 30_000, NOW - 3_600_000), limits);
    expect(o.state).toBe(State.CRITICAL);
    // No pod created is the controller-manager (or the watch cache under it), which the finding asks about: the recovery
    // is the kcm leader's, not the scheduler leader's (no pod waits for it).
    expect(o.details).toContain(
      "Stale kcm informer cache: find the leader's node, the name before '_' in " +
        'kubectl -n kube-system get lease kube-controller-manager -o jsonpath={.spec.holderIdentity} (check_leases names it),',
    );
    expect(o.details.join('\n')).not.toContain('Stale scheduler informer cache');
  });

  it('the newest pod created a little ahead of this clock is 0 s old, not past a limit', () => {
    const o = scheduling.evaluate(facts([], NOW - 30_000, NOW + 2_000), limits);
    expect([o.state, o.summary]).toEqual([State.OK, '0 pods unscheduled for over 5m, newest bind 30s ago']);
    expect(perf(o).newest_pod_age).toBe('0s;900;1800;0');
  });

  it('no pod at all with a limit on the newest pod: UNKNOWN, nothing to date it by', () => {
    const o = scheduling.evaluate(facts([], 0, 0), limits);
    expect(o.state).toBe(State.UNKNOWN);
    expect(o.summary).toBe('0 pods unscheduled for over 5m, no pod to date the newest creation by');
    expect(perf(o)).toMatchObject({ newest_bind_age: 'U;;;0', newest_pod_age: 'U;900;1800;0' });
  });

  it("a stalled scheduler's long output: the waiting pods, oldest first, and the runbook's recovery of the scheduler leader", () => {
    const o = scheduling.evaluate(facts([{ since: NOW - 420_000 }, { since: NOW - 600_000 }], NOW - 900_000), limits);
    expect(o.details.slice(0, 2)).toEqual(['web/p1 waiting 10m: 0/3 nodes are available', 'web/p0 waiting 7m: 0/3 nodes are available']);
    expect(o.details).toContain(
      "Stale scheduler informer cache: find the leader's node, the name before '_' in " +
        'kubectl -n kube-system get lease kube-scheduler -o jsonpath={.spec.holderIdentity} (check_leases names it),',
    );
    expect(o.details).toContain('  the new leader should bind pending pods within 2 minutes.');
    // A scheduler binds, it reconciles nothing: its stuck cache is told by no pod bound for over 5 minutes (as the kcm's
    // by no reconciliation), which the reader can see (this check's newest_bind_age).
    const restart = o.details.find((d) => d.startsWith('  and only once '));
    expect(restart).toMatch(/^ {2}and only once no pod has been bound for over 5 minutes and check_dqlite_lock and check_kine_retries/);
  });
});
