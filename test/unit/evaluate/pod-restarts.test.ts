// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import { describe, expect, it } from 'vitest';
import * as restarts from '../../../checks/pod-restarts.ts';
import { State } from '../../../lib/plugin/state.ts';
import { NOW, r, perf } from './helpers.ts';

describe('pod-restarts', () => {
  const t = (key: string, n: number, crashLooping = false): restarts.Troubled => ({
    key,
    namespace: 'web',
    pod: key.split('/')[0]!,
    container: 'app',
    restarts: n,
    crashLooping,
  });

  it('counts pods whose containers restarted since the previous run; a new container counts from zero', () => {
    const o = restarts.evaluate(
      {
        now: NOW,
        pods: 10,
        troubled: [t('a/app', 9), t('b/app', 2), t('c/app', 1)],
        before: { at: NOW - 300_000, counts: { 'a/app': 4, 'b/app': 2 } },
      },
      { warning: r('0') },
    );
    expect([o.state, o.summary]).toEqual([State.WARNING, '2 pods restarted since the previous run 5m ago: web/a, web/c']);
    expect(perf(o).restarted).toBe('2;0;;0;10');
  });

  it('counts pods, not containers: two containers of one pod restarting and crash-looping are one pod each time', () => {
    const sidecar = (n: number): restarts.Troubled => ({ ...t('a/sidecar', n, true), pod: 'a', container: 'sidecar' });
    const o = restarts.evaluate(
      {
        now: NOW,
        pods: 4,
        troubled: [t('a/app', 6, true), sidecar(3)],
        before: { at: NOW - 300_000, counts: { 'a/app': 5, 'a/sidecar': 2 } },
      },
      { warning: r('0'), critical: r('1') },
    );
    expect([o.state, o.summary]).toEqual([
      State.WARNING,
      '1 pod restarted since the previous run 5m ago: web/a, 1 pod in CrashLoopBackOff: web/a',
    ]);
    expect(perf(o)).toMatchObject({ restarted: '1;0;1;0;4', crashlooping: '1;;;0;4' });
    // Each container once, by its growth; then where to look.
    expect(o.details).toEqual([
      'web/a container app: restarts 5 -> 6',
      'web/a container sidecar: restarts 2 -> 3',
      'Why a container exits: kubectl -n <namespace> logs <pod> -c <container> --previous, and kubectl describe pod.',
      'Many pods at once, after a kubelite restart or a write storm: their API watches broke; ' +
        'see check_kine_retries and check_watch_cache first.',
    ]);
  });

  it('no restart since the previous run: OK, with no advice on why containers exit', () => {
    const o = restarts.evaluate(
      { now: NOW, pods: 5, troubled: [t('a/app', 6)], before: { at: NOW - 60_000, counts: { 'a/app': 6 } } },
      restarts.defaultLimits,
    );
    expect([o.state, o.summary, o.details]).toEqual([State.OK, '0 pods restarted since the previous run 1m ago', []]);
    expect(perf(o)).toMatchObject({ restarted: '0;0;;0;5', crashlooping: '0;;;0;5', pods: '5;;;0' });
  });

  it('names three pods on the line and says there are more', () => {
    const pods = ['a', 'b', 'c', 'd'];
    const o = restarts.evaluate(
      {
        now: NOW,
        pods: 9,
        troubled: pods.map((p) => t(`${p}/app`, 7, true)),
        before: { at: NOW - 300_000, counts: Object.fromEntries(pods.map((p) => [`${p}/app`, 6])) },
      },
      { warning: r('0'), critical: r('3') },
    );
    expect([o.state, o.summary]).toEqual([
      State.CRITICAL,
      '4 pods restarted since the previous run 5m ago: web/a, web/b, web/c, ..., 4 pods in CrashLoopBackOff: web/a, web/b, web/c, ...',
    ]);
  });

  it('a pod in CrashLoopBackOff with no restart since the previous run: the crash loop leads the line, not the calm count', () => {
    const o = restarts.evaluate(
      { now: NOW, pods: 4, troubled: [t('a/app', 6, true)], before: { at: NOW - 60_000, counts: { 'a/app': 6 } } },
      { warning: r('0') },
    );
    expect([o.state, o.summary]).toEqual([
      State.WARNING,
      '1 pod in CrashLoopBackOff: web/a (0 pods restarted since the previous run 1m ago)',
    ]);
  });

  it('a count that went down on the same UID was reset: its new value is growth, and 0 is none', () => {
    const o = restarts.evaluate(
      {
        now: NOW,
        pods: 3,
        troubled: [t('a/app', 3), t('b/app', 5)],
        before: { at: NOW - 60_000, counts: { 'a/app': 40, 'b/app': 5, 'c/app': 7 } },
      },
      { warning: r('0') },
    );
    expect([o.state, o.summary]).toEqual([State.WARNING, '1 pod restarted since the previous run 1m ago: web/a']);
    expect(o.details[0]).toBe('web/a container app: restarts 40 -> 3 (the count was reset: 3 new)');
    expect([restarts.growth(40, 3), restarts.growth(4, 9), restarts.growth(7, 0), restarts.growth(5, 5)]).toEqual([3, 5, 0, 0]);
  });

  it('the first run judges no growth (U) but still sees CrashLoopBackOff', () => {
    const o = restarts.evaluate({ now: NOW, pods: 3, troubled: [t('a/app', 30, true)] }, { warning: r('0') });
    expect(o.state).toBe(State.WARNING);
    expect(perf(o).restarted).toBe('U;;;0;3');
  });
});
