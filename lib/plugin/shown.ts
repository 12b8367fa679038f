import type { Range } from './range.ts';

/**
 * A judged value as the text says it: one decimal, more where one would put it on the other side
 * of a range than the value is (50.04 MB is WARNING at -w 50, where "50 MB" reads as within it;
 * 19.96% free is WARNING below 20%, where "20%" reads as not below it).
 */
export function shown(value: number, judged: { range: Range; alerts: boolean }[]): number {
  for (let decimals = 1; decimals <= 9; decimals++) {
    const near = Math.round(value * 10 ** decimals) / 10 ** decimals;
    if (judged.every((j) => j.range.alerts(near) === j.alerts)) return near;
  }
  return value;
}

/** shown() of a value judged by these ranges themselves (none given: left out), on the side of each it is on. */
export function shownAgainst(value: number, ranges: readonly (Range | undefined)[]): number {
  return shown(
    value,
    ranges.flatMap((range) => (range ? [{ range, alerts: range.alerts(value) }] : [])),
  );
}
