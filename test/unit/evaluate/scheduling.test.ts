// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import { describe, expect, it } from 'vitest';
import * as scheduling from '../../../checks/scheduling.ts';
import { State } from '../../../lib/plugin/state.ts';
import { ScalarContext } from '../../../lib/plugin/verdict.ts';
import { NOW, r } from './helpers.ts';

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
    expect(scheduling.evaluate(facts([], NOW - 30_000, NOW - 3_600_000), limits).state).toBe(State.CRITICAL);
  });
});
