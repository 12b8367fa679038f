// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import { describe, expect, it } from 'vitest';
import * as lock from '../../../checks/dqlite-lock.ts';
import { parseTextLine } from '../../../lib/sources/logline.ts';
import { render } from '../../../lib/plugin/output.ts';
import { State } from '../../../lib/plugin/state.ts';
import { NOW, r, perf } from './helpers.ts';

describe('dqlite-lock', () => {
  const win = { now: NOW, since: NOW - 300_000, seconds: 300, units: [] };
  const line = (agoS: number, ident = 'k8s-dqlite') =>
    parseTextLine(
      `${new Date(NOW - agoS * 1000).toISOString()} node1 ${ident}[812]: time="x" level=error msg="error in txn: database is locked"`,
      NOW,
    );
  const tally = (...ages: number[]) => {
    const t = lock.fresh();
    for (const a of ages) lock.count(t, line(a), win);
    return t;
  };

  it('none is OK and says where it looked', () => {
    const o = lock.evaluate({ tally: tally(), seconds: 300, source: 'journal' }, lock.defaultLimits);
    expect([o.state, o.summary]).toEqual([State.OK, "no 'database is locked' in the last 5m (journal)"]);
    expect(perf(o)).toMatchObject({ locked: '0;5;50;0', locked_last_min: '0;;;0' });
  });

  it('a burst in the last minute is WARNING, rising, with the runbook advice', () => {
    const o = lock.evaluate(
      { tally: tally(10, 20, 30, 40, 50, 55, 200), seconds: 300, source: 'journal' },
      { warning: r('5'), critical: r('50') },
    );
    expect(o.state).toBe(State.WARNING);
    expect(o.summary).toBe("7 'database is locked' lines in the last 5m (1.4/min, 6 in the last minute, rising)");
    expect(o.details.join('\n')).toMatch(/Do not restart kubelite/);
  });

  it("cutting the write load names the runbook's command for BackOff events, not only the words", () => {
    // At 3 a.m. the reader copies a command; the Jobs' are check_stale_jobs' (per namespace, listed first).
    const o = lock.evaluate({ tally: tally(10, 20, 30, 40, 50, 60), seconds: 300, source: 'journal' }, lock.defaultLimits);
    expect(o.details).toContain(
      'Cut the write load: delete finished Jobs (check_stale_jobs lists them) and BackOff events: ' +
        'kubectl delete events --all-namespaces --field-selector=reason=BackOff',
    );
  });

  it('lines from a thousand sources: a few are named, the rest summed, and the runbook advice still fits the long output', () => {
    // Each source named cost memory for good (3 million of them ran the heap out) and made one
    // detail line so long that the 4 KiB long output kept nothing after it, the advice included.
    const t = lock.fresh();
    for (let i = 0; i < 1000; i++) lock.count(t, line(10, `ident${i}`), win);
    lock.count(t, line(10, 'ident0'), win);
    const text = render(lock.evaluate({ tally: t, seconds: 300, source: 'x.log' }, lock.defaultLimits), 'nagios');
    expect(text).toMatch(/^by source: ident0 2, ident1 1, .*, ident19 1, 980 lines from other sources$/m);
    expect(text).toMatch(/^Do not restart kubelite on any node until this check is OK/m);
    expect(t.bySource.size).toBeLessThanOrEqual(20);
  });
});
