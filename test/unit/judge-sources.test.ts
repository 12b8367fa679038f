// The judging of log sources (lib/logs/judge.ts): each source's tally, what was not read whole
// said, an unreadable host UNKNOWN beside the others.
import { ReasonedError } from '../../lib/errors.ts';
import { describe, expect, it } from 'vitest';
import { judgeSources } from '../../lib/logs/judge.ts';
import type { SourceResult } from '../../lib/logs/tally.ts';
import { perfLabel } from '../../lib/plugin/perfdata.ts';
import { State } from '../../lib/plugin/state.ts';
import { Verdict } from '../../lib/plugin/verdict.ts';

const evaluate = (n: number, source: string) => {
  const v = new Verdict('LOCK');
  v.measure({ label: 'locked', value: n, min: 0 });
  if (n > 5) v.find(State.WARNING, `${n} locked`);
  return v.conclude(`${n} lines (${source})`);
};

describe('judgeSources', () => {
  it("one local source is the check's own outcome; lines read by their ends only are said first", () => {
    const o = judgeSources('LOCK', [{ source: 'journal', tally: 2, cut: 1 }], evaluate);
    expect([o.state, o.summary]).toEqual([State.OK, '2 lines (journal)']);
    expect(o.details[0]).toBe('1 line longer than 64 KiB was read by its first and last 32 KiB only');
  });

  it('a matching line whose time cannot be read makes it UNKNOWN, never OK, and says how to give the lines', () => {
    const o = judgeSources('LOCK', [{ source: 'stdin', tally: 0, badStamps: 3 }], evaluate);
    expect(o.state).toBe(State.UNKNOWN);
    expect(o.summary).toBe('0 lines (stdin), 3 matching lines with a time stamp that cannot be read (not counted)');
    expect(o.details.at(-1)).toMatch(/journalctl -o short-iso/);
  });

  it('hosts are combined: an unreadable one is UNKNOWN with its reason, a WARNING one is not hidden', () => {
    const results: SourceResult<number>[] = [
      { host: 'k8s01', source: 'journal', tally: 9 },
      { host: 'k8s02', source: 'journal', error: new ReasonedError('ssh: handshake failed') },
      { host: 'k8s03', source: 'journal', tally: 0 },
    ];
    const o = judgeSources('LOCK', results, evaluate);
    expect(o.state).toBe(State.UNKNOWN);
    expect(o.summary).toBe('3 hosts: 1 WARNING, 1 UNKNOWN, 1 OK (UNKNOWN: k8s02)');
    expect(o.details).toContain('k8s01: WARNING - 9 lines (journal), 9 locked');
    expect(o.details).toContain('k8s02: UNKNOWN - ssh: handshake failed');
    expect(o.perfdata.map(perfLabel)).toEqual(['locked_k8s01', 'locked_k8s03']);
  });
});
