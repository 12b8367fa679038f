// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import { describe, expect, it } from 'vitest';
import * as services from '../../../checks/services.ts';
import { serviceUnit } from '../../../lib/sources/snap-locks.ts';
import { State } from '../../../lib/plugin/state.ts';
import { perf, r } from './helpers.ts';

describe('services', () => {
  const AT = Date.UTC(2026, 11, 4, 12);
  const unit = (id: string, o: Partial<{ active: string; restarts: number; upS: number }> = {}) => ({
    id,
    load: 'loaded',
    active: o.active ?? 'active',
    sub: 'running',
    result: 'success',
    restarts: o.restarts ?? 0,
    startedUs: (10_000 - (o.upS ?? 3600)) * 1e6,
    startedAt: AT - (o.upS ?? 3600) * 1000,
    changedUs: (10_000 - (o.upS ?? 3600)) * 1e6,
    changedAt: AT - (o.upS ?? 3600) * 1000,
  });
  const facts = (...units: ReturnType<typeof unit>[]): services.ServiceFacts => ({
    units,
    clock: { on: 'monotonic', nowUs: 10_000 * 1e6 },
    at: AT,
    lastWords: new Map<string, string>(),
    leftOut: [],
  });
  const judge: services.Limits = { warning: r('3'), critical: r('10'), minUptimeMs: 120_000, windowMs: 3600_000 };
  const DQ = services.K8S_DQLITE_UNIT;

  it('a first sample judges only what it sees: 12 old restarts, up for long, OK and said to be a first sample', () => {
    const o = services.evaluate(facts(unit(DQ, { restarts: 12 })), judge);
    expect([o.state, o.summary]).toEqual([State.OK, '1 unit active, first sample (restarts per hour from the next run)']);
  });

  it('restarts per hour from the samples: unchanged is OK, 18 more within the window CRITICAL naming k8s-dqlite', () => {
    const started = (10_000 - 3600) * 1e6;
    const old = { history: { [DQ]: [[AT - 1800_000, 12, started] as [number, number, number]] } };
    expect(services.evaluate({ ...facts(unit(DQ, { restarts: 12 })), memory: old }, judge).state).toBe(State.OK);
    const o = services.evaluate({ ...facts(unit(DQ, { restarts: 30 })), memory: old }, judge);
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toBe('k8s-dqlite restarted 18 times within the last hour');
    // Its long-output line says what the samples show, beside the lifetime NRestarts.
    expect(o.details).toContain(`k8s-dqlite (${DQ}): active (running), NRestarts 30, up 1h; 18 restarts in the last 30m`);
  });

  it('restarts over samples spanning more than an hour are said with that span and its rate', () => {
    const started = (10_000 - 7200) * 1e6;
    const old = { history: { [DQ]: [[AT - 7200_000, 12, started] as [number, number, number]] } };
    const o = services.evaluate({ ...facts(unit(DQ, { restarts: 42 })), memory: old }, { ...judge, windowMs: 3 * 3600_000 });
    expect([o.state, o.summary]).toEqual([State.CRITICAL, 'k8s-dqlite restarted 30 times in 2h (15/h)']);
  });

  it('apiserver-kicker restarts (NRestarts reset to 0 each time): each new main process between runs is one restart', () => {
    const KL = serviceUnit('kubelite');
    // snapctl stop/start resets NRestarts: only ExecMainStartTimestampMonotonic tells the restarts apart.
    // Each sample taken 100 s after the kicker's restart before it; the clock reads 10,000 s since boot now.
    const sample = (minAgo: number): [number, number, number] => [AT - minAgo * 60_000, 0, (10_000 - minAgo * 60 - 100) * 1e6];
    const history = { [KL]: [sample(55), sample(45), sample(35), sample(25)] };
    const o = services.evaluate({ ...facts(unit(KL, { restarts: 0, upS: 600 })), memory: { history } }, judge);
    expect([o.state, o.summary]).toEqual([State.WARNING, 'kubelite restarted 4 times within the last hour']);
    expect(perf(o).restarts_kubelite).toBe('0c;;;0');
  });

  it('k8s-dqlite just restarted is WARNING, with NRestarts 0 too; failed is CRITICAL', () => {
    expect(services.evaluate(facts(unit(DQ, { restarts: 3, upS: 20 })), judge).state).toBe(State.WARNING);
    expect(services.evaluate(facts(unit(DQ, { restarts: 0, upS: 20 })), judge).state).toBe(State.WARNING);
    const failed = services.evaluate(facts(unit(DQ, { active: 'failed', restarts: 3794 })), judge);
    expect(failed.state).toBe(State.CRITICAL);
    expect(failed.summary).toMatch(/^k8s-dqlite is failed/);
  });

  it('every sample within --window counts: 18 restarts between 50m and 10m ago are CRITICAL, not hidden by the newest sample', () => {
    const started = (10_000 - 3600) * 1e6;
    const history = {
      [DQ]: [[AT - 3000_000, 0, started] as [number, number, number], [AT - 600_000, 18, started] as [number, number, number]],
    };
    const o = services.evaluate({ ...facts(unit(DQ, { restarts: 18 })), memory: { history } }, judge);
    expect([o.state, o.summary]).toEqual([State.CRITICAL, 'k8s-dqlite restarted 18 times within the last hour']);
  });

  it('no sample within --window (the checks paused): the newest older one is the base, restarts before it not counted again', () => {
    const started = (10_000 - 3600) * 1e6;
    const history = {
      [DQ]: [[AT - 3 * 3600_000, 0, started] as [number, number, number], [AT - 2 * 3600_000, 30, started] as [number, number, number]],
    };
    const o = services.evaluate({ ...facts(unit(DQ, { restarts: 30 })), memory: { history } }, judge);
    expect([o.state, o.summary]).toEqual([State.OK, '1 unit active, 0 restarts in 2h']);
    expect(perf(o).restarts_per_hour).toBe('0;3;10;0');
  });

  it('the first line spans the longest history among the units, one sampled since a while less', () => {
    const KL = serviceUnit('kubelite');
    const started = (10_000 - 3600) * 1e6;
    const history = {
      [DQ]: [[AT - 3000_000, 0, started] as [number, number, number]],
      [KL]: [[AT - 600_000, 0, started] as [number, number, number]],
    };
    const o = services.evaluate({ ...facts(unit(DQ), unit(KL, { restarts: 1 })), memory: { history } }, judge);
    expect([o.state, o.summary]).toEqual([State.OK, '2 units active, 1 restart in 50m (kubelite)']);
  });

  it("k8s-dqlite failed with NRestarts 0 and no rate yet: the crash loop's advice, never another unit's journal", () => {
    const o = services.evaluate(facts(unit(DQ, { active: 'failed' })), judge);
    expect([o.state, o.summary]).toEqual([State.CRITICAL, 'k8s-dqlite is failed']);
    expect(o.details).toContain('Never restart kubelite on other nodes while k8s-dqlite crash-loops: one more node down loses quorum.');
    expect(o.details.join('\n')).not.toMatch(/journalctl -u <unit>/);
  });

  // A host read over SSH: its boot clock (which counts a suspend) and its wall clock, as at AT.
  const host = (sleptS: number) => ({ on: 'host' as const, bootUs: (10_000 + sleptS) * 1e6, wallMs: AT, errorMs: 20 });

  it('over SSH, a host that slept an hour before kubelite restarted 20 s ago: WARNING on the wall clock, not up for an hour', () => {
    const o = services.evaluate({ ...facts(unit(DQ, { upS: 20 })), clock: host(3600) }, judge);
    expect(o.state).toBe(State.WARNING);
    expect(o.summary).toMatch(/^k8s-dqlite restarted 19s ago /);
    // One that started before it slept is up for the time it slept too.
    const before = { ...unit(DQ, { upS: 600 }), startedAt: AT - 4200_000 };
    expect(perf(services.evaluate({ ...facts(before), clock: host(3600) }, judge)).uptime_k8s_dqlite).toBe('4200s;;;0');
  });

  it('over SSH, a state change stamped after what the wall clock there reads: UNKNOWN, how long activating cannot be told', () => {
    const stuck = { ...unit(DQ, { active: 'activating', upS: 600 }), changedAt: AT + 600_000 };
    const o = services.evaluate({ ...facts(stuck), clock: host(0) }, judge);
    expect(o.state).toBe(State.UNKNOWN);
    expect(o.summary).toBe(
      'how long k8s-dqlite has been activating cannot be told: systemd stamped the change to activating at ' +
        '2026-12-04T12:10:00Z, after what the clock there reads now (2026-12-04T12:00:00Z): set back since?',
    );
  });
});
