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

  it('closing connections, no budget exhausted: the restarts wait for check_dqlite_lock to be OK (before any restart)', () => {
    // The runbook's broken connections are those left after a storm; a k8s-dqlite and kubelite restart while
    // 'database is locked' still floods in feeds it ("If either is already WARNING, do not proceed").
    const t = kine.fresh();
    t.closing = 2;
    const o = kine.evaluate({ tally: t, seconds: 300, source: 'journal' }, limits);
    expect(o.state).toBe(State.WARNING);
    expect(o.details).toContain(
      'Recovery, one node at a time, once check_dqlite_lock is OK (a restart during a write storm feeds it): ' +
        'restart k8s-dqlite FIRST (kubelite restarts do not clear its kine state), then kubelite:',
    );
    // With the storm too (budgets exhausted): the same condition after it.
    t.exhausted = 12;
    const both = kine.evaluate({ tally: t, seconds: 300, source: 'journal' }, limits);
    expect(both.details.join('\n')).toContain('once no retry budget is exhausted any more and check_dqlite_lock is OK, then,');
  });

  // k8s-dqlite formats one `(try: N)` per error, the retry wrapper's around the SQL driver's own
  // error (pkg/kine/drivers/generic/generic.go query/executePrepared: fmt.Errorf("query (try: %d):
  // %w", i, err)), and logs the client's key raw before it (pkg/kine/server/server.go: "error while
  // range on %s %s: %v", r.Key, r.RangeEnd, err; 1.7's "update transaction failed for key <key>:").
  // A key holding that text puts one before the line's own: the count is the last, whether the
  // quoted one is larger or smaller.
  it("a key quoting '(try: N)' before the line's own count: the wrapper's, the last, is the line's", () => {
    const quoted = (key: string, tries: string) =>
      `time="2026-11-28T02:59:00Z" level=error msg="error while range on ${key} : query (try: ${tries}): context canceled"`;
    const cancelled = kine.evaluate({ tally: count(quoted('/probe (try: 500)', '0')), seconds: 300, source: 'journal' }, limits);
    expect([cancelled.state, cancelled.summary]).toEqual([
      State.OK,
      'no kine retry exhaustion or etcd-client retry storm in the last 5m (journal)',
    ]);
    expect(perf(cancelled)).toMatchObject({ exhausted: '0;2;10;0', max_try: '0;;;0', cancelled: '1;;;0' });
    const spent =
      'time="2026-11-28T02:59:00Z" level=error msg="error in txn: update transaction failed for key /probe (try: 0): ' +
      'exec (try: 500): database is locked"';
    const o = kine.evaluate({ tally: count(spent, spent, spent), seconds: 300, source: 'journal' }, limits);
    expect(o.state).toBe(State.WARNING);
    expect(o.summary).toMatch(/^3 k8s-dqlite errors at the full retry budget \(try: 500\) in the last 5m/);
    expect(perf(o)).toMatchObject({ exhausted: '3;2;10;0', max_try: '500;;;0', cancelled: '0;;;0' });
  });
});
