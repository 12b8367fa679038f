// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import { describe, expect, it } from 'vitest';
import * as kine from '../../../checks/kine-retries.ts';
import { parseTextLine } from '../../../lib/sources/logline.ts';
import { State } from '../../../lib/plugin/state.ts';
import { NOW, perf } from './helpers.ts';

describe('kine-retries', () => {
  const limits = kine.defaultLimits;
  const count = (...msgs: string[]) => {
    const t = kine.fresh();
    for (const m of msgs) kine.count(t, parseTextLine(`2026-11-28T02:59:00Z node1 k8s-dqlite[812]: ${m}`, NOW), kine.defaults.budget);
    return t;
  };
  const exhausted = 'time="2026-11-28T02:59:00Z" level=error msg="error in txn: exec (try: 500): database is locked"';

  it('nothing is OK', () => {
    const o = kine.evaluate({ tally: count(), seconds: 300, source: 'journal' }, limits);
    expect([o.state, o.summary]).toEqual([State.OK, 'no kine retry exhaustion or etcd-client retry storm in the last 5m (journal)']);
  });

  it('errors at the full budget are counted against -w/-c', () => {
    const o = kine.evaluate({ tally: count(exhausted, exhausted, exhausted), seconds: 300, source: 'journal' }, limits);
    expect(o.state).toBe(State.WARNING);
    expect(o.summary).toMatch(/^3 k8s-dqlite errors at the full retry budget \(try: 500\) in the last 5m/);
    expect(perf(o).exhausted).toBe('3;2;10;0');
  });
});
