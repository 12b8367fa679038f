// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import { describe, expect, it } from 'vitest';
import * as rollout from '../../../checks/observed-generation.ts';
import type { Phantom } from '../../../lib/k8s/phantoms.ts';
import { State } from '../../../lib/plugin/state.ts';
import { type Lag, lagOf } from '../../../lib/workload-lag.ts';
import { deployment } from '../../apiserver/objects.ts';
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

  it('the lag dates from the newest spec write, wherever managedFields lists it: server-side Apply entries sort first', () => {
    // Flux applied a new image 30 s ago (server-side apply); `kubectl rollout restart` wrote the spec a week ago.
    // The API server sorts managedFields by operation (Apply before Update), then by time: the newest spec write comes first.
    // On a whole second, as the API server stamps managedFields.
    const now = Math.floor(Date.now() / 1000) * 1000;
    const at = (ago: number) => new Date(now - ago * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const d = deployment({ namespace: 'web', name: 'checkout', generation: 4, observedGeneration: 3 });
    const template = { 'f:spec': { 'f:template': { 'f:metadata': { 'f:annotations': { 'f:kubectl.kubernetes.io/restartedAt': {} } } } } };
    Object.assign(d.metadata, {
      managedFields: [
        {
          manager: 'kustomize-controller',
          operation: 'Apply',
          apiVersion: 'apps/v1',
          time: at(30),
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { 'f:image': {} } } } } },
          },
        },
        {
          manager: 'kubectl-rollout',
          operation: 'Update',
          apiVersion: 'apps/v1',
          time: at(7 * 86400),
          fieldsType: 'FieldsV1',
          fieldsV1: template,
        },
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          apiVersion: 'apps/v1',
          time: at(7 * 86400 - 5),
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:status': { 'f:observedGeneration': {} } },
          subresource: 'status',
        },
      ],
    });
    const lag = lagOf('deployment', d, now);
    const o = rollout.evaluate(
      { counts: new Map([['deployment', 1]]), lags: lag ? [lag] : [], stalled: [], phantoms: [] },
      rollout.defaultLimits,
    );
    expect([o.state, o.summary]).toEqual([State.OK, '0 of 1 Deployment lagging past 2m']);
    expect(o.details).toEqual(['within --grace deployment/web/checkout: generation 4 > observed 3 for 30s']);
  });

  it('names three lagging Deployments on the line and says there are more', () => {
    const o = rollout.evaluate(facts([lag('a', 300), lag('b', 300), lag('c', 300), lag('d', 300)]), rollout.defaultLimits);
    expect([o.state, o.summary]).toEqual([State.CRITICAL, '4 of 5 Deployments lagging past 2m, web/a, web/b, web/c, ...']);
  });

  it('a phantom ReplicaSet is WARNING with the status patch for it', () => {
    const o = rollout.evaluate(facts([], [{ namespace: 'web', name: 'a-6d4cf56db6', owner: 'a', available: 1 }]), {
      graceMs: 120_000,
      warning: r('0'),
      critical: r('2'),
    });
    expect([o.state, o.summary]).toEqual([State.WARNING, '0 of 5 Deployments lagging past 2m, 1 phantom ReplicaSet']);
    expect(o.details.join('\n')).toMatch(/kubectl -n web patch rs a-6d4cf56db6 --subresource=status/);
    // ArgoCD reverting the restart: the runbook's "step 2 of the stale watch recovery", k8s-dqlite first, not kubelite alone.
    expect(o.details).toContain(
      "  (if ArgoCD selfHeal reverts the restart annotation, restart the kcm leader's k8s-dqlite, then its kubelite, " +
        'as for a stale kcm cache, once check_dqlite_lock and check_kine_retries are OK).',
    );
  });
  it("a lag of 2m30s: the kcm leader's restart waits for the runbook's 5 minutes and for the write-contention checks to be OK", () => {
    // Runbook: restart the leader only once its cache is stuck (no reconciliation for over 5 minutes), and no kubelite
    // restart while microk8s-dqlite-lock or microk8s-kine is WARNING: a restart during a write storm feeds it.
    const o = rollout.evaluate(facts([lag('a', 150)]), { graceMs: 120_000, warning: r('0'), critical: r('2') });
    expect(o.state).toBe(State.WARNING);
    const long = o.details.join('\n');
    const before = long.slice(0, long.indexOf('sudo systemctl restart'));
    expect(before).toContain('only once nothing has reconciled for over 5 minutes');
    expect(before).toContain('check_dqlite_lock and check_kine_retries are OK');
    // The Lease's holder is '<hostname>_<uuid>': the node to ssh to and cordon is the part before '_'.
    expect(o.details).toContainEqual(expect.stringMatching(/^Stale kcm informer cache: find the leader's node, the name before '_' in /));
  });
});
