// The one summary rule (lib/plugin/verdict.ts): a headline and the findings, worst first, by mode.
import { describe, expect, it } from 'vitest';
import { State } from '../../lib/plugin/state.ts';
import { summaryOf, Verdict } from '../../lib/plugin/verdict.ts';

describe('summaryOf', () => {
  const found = ['quorum lost', 'no fault tolerance'];

  it('words the findings after, before, instead of the headline, or named by it', () => {
    expect(summaryOf('3 voters', found)).toBe('3 voters, quorum lost, no fault tolerance');
    expect(summaryOf('3 voters', found, { problems: 'before' })).toBe('quorum lost, no fault tolerance (3 voters)');
    expect(summaryOf('3 voters', found, { problems: 'instead' })).toBe('quorum lost, no fault tolerance');
    expect(summaryOf('GO with care for k8s01', found, { problems: 'named' })).toBe(
      'GO with care for k8s01: quorum lost, no fault tolerance',
    );
  });

  it('with nothing found: the headline, or the one for a clear run; an empty headline leaves the findings alone', () => {
    for (const problems of ['after', 'before', 'instead', 'named'] as const) {
      expect(summaryOf('3 voters', [], { problems })).toBe('3 voters');
      expect(summaryOf('readyz 0.010s', [], { problems, whenClear: 'ready and live' })).toBe('ready and live');
      expect(summaryOf('', found, { problems })).toBe('quorum lost, no fault tolerance');
    }
  });
});

describe('Verdict.conclude', () => {
  it('puts the findings worst first, equal states in the order found, and leaves OK findings out', () => {
    const v = new Verdict('X');
    v.find(State.WARNING, 'w1');
    v.find(State.OK, 'fine');
    v.find(State.CRITICAL, 'c');
    v.find(State.UNKNOWN, 'u');
    v.find(State.WARNING, 'w2');
    const o = v.conclude('head', { problems: 'before' });
    expect([o.state, o.summary]).toEqual([State.CRITICAL, 'c, u, w1, w2 (head)']);
  });
});
