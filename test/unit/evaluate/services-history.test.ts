// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import { describe, expect, it } from 'vitest';
import * as history from '../../../lib/restart-history.ts';

describe('restart history', () => {
  it('a count that went down was reset: its new value is growth; a new main process with no count is one restart', () => {
    expect(history.growth([0, 40, 5], [1, 3, 9])).toBe(3);
    expect(history.growth([0, 4, 5], [1, 4, 9])).toBe(1);
    expect(history.growth([0, 4, 5], [1, 4, 5])).toBe(0);
  });
  it('one restart between close runs is not extrapolated: at least an hour is the span', () => {
    expect(
      history.rateOf([
        [0, 0, 1],
        [60_000, 1, 2],
      ])!.perHour,
    ).toBe(1);
    expect(
      history.rateOf([
        [0, 0, 1],
        [7200_000, 44, 2],
      ])!.perHour,
    ).toBe(22);
    expect(history.rateOf([[0, 0, 1]])).toBeUndefined();
  });
  it('a damaged history is refused, not half read', () => {
    expect(history.historyOf({ a: [[1, 2, 3]] })).toEqual({ a: [[1, 2, 3]] });
    expect(history.historyOf({ a: [[1, null, 3]] })).toBeUndefined();
    expect(history.historyOf({ a: null })).toBeUndefined();
    expect(history.historyOf([])).toBeUndefined();
  });
});
