// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import { describe, expect, it } from 'vitest';
import * as services from '../../../checks/services.ts';
import { State } from '../../../lib/plugin/state.ts';
import { r } from './helpers.ts';

describe('services', () => {
  const unit = (id: string, o: Partial<{ active: string; restarts: number; upS: number }> = {}) => ({
    id,
    load: 'loaded',
    active: o.active ?? 'active',
    sub: 'running',
    result: 'success',
    restarts: o.restarts ?? 0,
    startedUs: (10_000 - (o.upS ?? 3600)) * 1e6,
    changedUs: (10_000 - (o.upS ?? 3600)) * 1e6,
  });
  const AT = Date.UTC(2026, 11, 4, 12);
  const facts = (...units: ReturnType<typeof unit>[]): services.ServiceFacts => ({
    units,
    nowUs: 10_000 * 1e6,
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
    expect(o.summary).toBe('k8s-dqlite restarted 18 times in 30m (18/h)');
  });

  it('k8s-dqlite just restarted is WARNING, with NRestarts 0 too; failed is CRITICAL', () => {
    expect(services.evaluate(facts(unit(DQ, { restarts: 3, upS: 20 })), judge).state).toBe(State.WARNING);
    expect(services.evaluate(facts(unit(DQ, { restarts: 0, upS: 20 })), judge).state).toBe(State.WARNING);
    const failed = services.evaluate(facts(unit(DQ, { active: 'failed', restarts: 3794 })), judge);
    expect(failed.state).toBe(State.CRITICAL);
    expect(failed.summary).toMatch(/^k8s-dqlite is failed/);
  });
});
