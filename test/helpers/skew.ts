import { expect } from 'vitest';

const UNIT_SECONDS: Record<string, number> = { d: 86_400, h: 3600, m: 60, s: 1 };

/** Seconds in a duration as the checks word it: formatDuration's "2m", "1m59s", "119s"; a small skew's "1.4s". */
export function secondsOf(words: string): number {
  const parts = [...words.matchAll(/(\d+(?:\.\d+)?)([dhms])/g)];
  expect(parts.map((p) => p[0]).join(''), `'${words}' is no duration`).toBe(words);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNIT_SECONDS[unit!]!, 0);
}

/**
 * The skew said of `host`'s clock ("<host>'s clock is 2m behind this host's (±0.083s)"), judged
 * against the one its clock has (`seconds`, negative when behind). That clock is read (`date`)
 * at some moment of the reading's round trip, which the ± bounds: on a loaded machine a clock 2
 * minutes behind was read as 119.4 s behind, and said "119s" (1 run in 20 beside a second copy of
 * the test). The size said must be the true one within that bound and the rounding of its words,
 * in the right direction. Returns the words, which the first line says too.
 */
export function skewSaid(text: string, host: string, seconds: number): string {
  const m = new RegExp(`${host.replaceAll('.', '\\.')}'s clock is (\\S+) (ahead of|behind) this host's \\(±([\\d.]+)s\\)`).exec(text);
  expect(m, text).not.toBeNull();
  const [, words, way, error] = m as RegExpExecArray & [string, string, string, string];
  expect(way, text).toBe(seconds > 0 ? 'ahead of' : 'behind');
  // Under 10 s a skew is said to a tenth of a second, from there on to the second; the ± to the millisecond.
  const rounding = words.includes('.') ? 0.05 : 0.5;
  expect(Math.abs(secondsOf(words) - Math.abs(seconds)), text).toBeLessThanOrEqual(Number(error) + rounding + 0.001);
  return words;
}
