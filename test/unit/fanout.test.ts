// The one fan-out (lib/plugin/fanout.ts): each target's value or its error, judged and combined by
// the worst-state rule, what a user reads on the first line.
import { ReasonedError } from '../../lib/errors.ts';
import { describe, expect, it } from 'vitest';
import { Deadline } from '../../lib/plugin/deadline.ts';
import { fanOut, judgeEach, resultOf } from '../../lib/plugin/fanout.ts';
import { render } from '../../lib/plugin/output.ts';
import { perfLabel } from '../../lib/plugin/perfdata.ts';
import { State } from '../../lib/plugin/state.ts';
import { Verdict } from '../../lib/plugin/verdict.ts';

const deadline = (seconds: number) => new Deadline(seconds, () => undefined);
const said = (state: State, text: string) => {
  const v = new Verdict('X');
  v.measure({ label: 'n', value: 1 });
  if (state !== State.OK) v.find(state, text);
  return v.conclude(state === State.OK ? text : '');
};

describe('fanOut', () => {
  it("keeps the targets' order, runs at most cap at once, and a failing target fails alone", async () => {
    const d = deadline(10);
    let running = 0;
    let most = 0;
    const results = await fanOut(
      ['a', 'b', 'c', 'd', 'e'],
      d,
      async (target) => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, target === 'a' ? 30 : 5));
        running--;
        if (target === 'c') throw new Error('connection refused');
        return target.toUpperCase();
      },
      2,
    );
    d.cancel();
    expect(most).toBe(2);
    expect(results.map((r) => r.target)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(results.map((r) => (r.ok ? r.value : `error: ${(r.error as Error).message}`))).toEqual([
      'A',
      'B',
      'error: connection refused',
      'D',
      'E',
    ]);
  });

  it("a target that never answers ends by its own part of the deadline, before the run's", async () => {
    const d = deadline(1);
    const results = await fanOut(['slow', 'quick'], d, (target) =>
      target === 'quick' ? Promise.resolve(1) : new Promise<number>(() => undefined),
    );
    // Not aborted: the run's own deadline had not come when the slow target's part ended.
    expect(d.signal.aborted).toBe(false);
    d.cancel();
    expect(results[1]).toMatchObject({ target: 'quick', ok: true, value: 1 });
    expect(results[0]!.ok).toBe(false);
    expect(String(results[0]!.error)).toMatch(/timed out after [\d.]+s while waiting for slow/);
  });
});

describe('judgeEach', () => {
  it('an error is UNKNOWN with its reason; a CRITICAL target is never hidden by another one UNKNOWN', () => {
    const o = judgeEach(
      'X',
      [resultOf('k8s01', State.CRITICAL, undefined), resultOf<State>('k8s02', undefined, new ReasonedError('ssh: connection refused'))],
      (state, target) => said(state, `${target} broken`),
    );
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toBe('2 hosts: 1 CRITICAL, 1 UNKNOWN (CRITICAL: k8s01)');
    expect(o.details).toContain('k8s02: UNKNOWN - ssh: connection refused');
    expect(o.perfdata.map(perfLabel)).toEqual(['n_k8s01']);
  });

  it('names on the first line only the hosts not OK; the long output has a line per host, details only for those not OK', () => {
    const detailed = (state: State, target: string) => {
      const v = new Verdict('X');
      v.measure({ label: 'n', value: 1 });
      v.detail(`${target} detail`);
      if (state !== State.OK) v.find(state, `${target} broken`);
      return v.conclude(state === State.OK ? 'fine' : '');
    };
    const ok = judgeEach('X', [resultOf('k8s01', State.OK, undefined), resultOf('k8s02', State.OK, undefined)], detailed);
    expect(render(ok, 'nagios')).toBe('X OK - 2 hosts: 2 OK | n_k8s01=1 n_k8s02=1\nk8s01: OK - fine\nk8s02: OK - fine\n');
    const one = judgeEach('X', [resultOf('k8s01', State.OK, undefined), resultOf('k8s02', State.WARNING, undefined)], detailed);
    expect(render(one, 'nagios')).toBe(
      'X WARNING - 2 hosts: 1 OK, 1 WARNING (WARNING: k8s02) | n_k8s01=1 n_k8s02=1\n' +
        'k8s01: OK - fine\nk8s02: WARNING - k8s02 broken\n  k8s02 detail\n',
    );
  });

  it("alone, a single result is the check's own outcome; with a named target it says which", () => {
    const one = [resultOf('', State.OK, undefined)];
    expect(judgeEach('X', one, (s) => said(s, 'fine'), true).summary).toBe('fine');
    expect(judgeEach('X', [resultOf('k8s01', State.OK, undefined)], (s) => said(s, 'fine')).summary).toBe('k8s01: fine');
  });
});
