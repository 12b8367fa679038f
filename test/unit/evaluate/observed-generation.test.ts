// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import { describe, expect, it } from 'vitest';
import * as rollout from '../../../checks/observed-generation.ts';
import type { Phantom } from '../../../lib/k8s/phantoms.ts';
import { State } from '../../../lib/plugin/state.ts';
import type { Lag } from '../../../lib/workload-lag.ts';
import { r } from './helpers.ts';

describe('observed-generation', () => {
  const facts = (lags: Lag[], phantoms: Phantom[] = []): rollout.RolloutFacts => ({
    counts: new Map([['deployment', 5]]),
    lags,
    stalled: [],
    phantoms,
  });
  const lag = (name: string, seconds?: number): Lag => ({
    kind: 'deployment',
    namespace: 'web',
    name,
    generation: 4,
    observed: 3,
    seconds,
  });

  it('a lag within --grace is not counted; past it, it is, named in the summary', () => {
    expect(rollout.evaluate(facts([lag('a', 30)]), { graceMs: 120_000, warning: r('0'), critical: r('2') }).summary).toBe(
      '0 of 5 Deployments lagging past 2m',
    );
    const o = rollout.evaluate(facts([lag('a', 300), lag('b')]), { graceMs: 120_000, warning: r('0'), critical: r('2') });
    expect([o.state, o.summary]).toEqual([State.WARNING, '2 of 5 Deployments lagging past 2m, web/a, web/b']);
  });

  it('a phantom ReplicaSet is WARNING with the status patch for it', () => {
    const o = rollout.evaluate(facts([], [{ namespace: 'web', name: 'a-6d4cf56db6', owner: 'a', available: 1 }]), {
      graceMs: 120_000,
      warning: r('0'),
      critical: r('2'),
    });
    expect([o.state, o.summary]).toEqual([State.WARNING, '0 of 5 Deployments lagging past 2m, 1 phantom ReplicaSet']);
    expect(o.details.join('\n')).toMatch(/kubectl -n web patch rs a-6d4cf56db6 --subresource=status/);
  });
});
