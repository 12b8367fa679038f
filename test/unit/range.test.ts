import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Range } from '../../lib/plugin/range.ts';

const alerts = (range: string, value: number) => Range.parse(range).alerts(value);

describe('Nagios ranges (plugin guidelines)', () => {
  it.each([
    ['10', -1, true],
    ['10', 0, false],
    ['10', 10, false],
    ['10', 10.5, true],
    ['10:', 9.99, true],
    ['10:', 10, false],
    ['10:', 1e9, false],
    ['~:10', -1e9, false],
    ['~:10', 10, false],
    ['~:10', 11, true],
    ['10:20', 9, true],
    ['10:20', 10, false],
    ['10:20', 20, false],
    ['10:20', 21, true],
    ['@10:20', 9, false],
    ['@10:20', 10, true],
    ['@10:20', 20, true],
    ['@10:20', 21, false],
    ['-5:-1', -3, false],
    ['-5:-1', 0, true],
    ['0.5:1.5', 0.4, true],
    ['0.5:1.5', 1.5, false],
    ['@0', 0, true],
    ['@0', 1, false],
    ['0', 0, false],
    ['0', 1, true],
    // "start and ':' is not required if start=0": an empty start is 0, as nagios-plugins reads it.
    [':10', -1, true],
    [':10', 0, false],
    [':10', 10, false],
    [':10', 11, true],
  ] as const)('%s alerts on %d: %s', (range, value, expected) => {
    expect(alerts(range, value)).toBe(expected);
  });

  it.each(['banana', '', '@', '1:2:3', '20:10', '~', 'x:5', '5:x', '1e3'])('rejects %j', (text) => {
    expect(() => Range.parse(text)).toThrow(/Nagios range|greater than/);
  });

  // bash expands an unquoted ~:10 to /root:10 (or the user's home): said, with what to type instead.
  it.each([
    ['/root:10', "'~:10'"],
    ['@/home/nagios:5', "'@~:5'"],
  ])('a range whose ~ the shell expanded (%s) says to quote it', (text, quoted) => {
    expect(() => Range.parse(text, '-w/--warning')).toThrow(`(the shell made ~ a home directory: quote the range, ${quoted})`);
  });

  it('@start:end alerts exactly where start:end does not', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: -3000, max: 3000 }),
        (start, width, v) => {
          const plain = Range.parse(`${start}:${start + width}`);
          const inside = Range.parse(`@${start}:${start + width}`);
          expect(plain.alerts(v)).toBe(!inside.alerts(v));
          expect(plain.alerts(v)).toBe(v < start || v > start + width);
        },
      ),
    );
  });

  it('keeps the text it was given for perfdata', () => {
    expect(String(Range.parse('~:10'))).toBe('~:10');
    expect(String(Range.parse('@10:20'))).toBe('@10:20');
  });

  it('a range built from a computed number judges and reads as the same range written by hand', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: -20_000, max: 20_000 }), (n, v) => {
        expect(Range.below(n).alerts(v)).toBe(Range.parse(`${n}:`).alerts(v));
        expect(String(Range.below(n))).toBe(`${n}:`);
        expect(Range.above(n).alerts(v)).toBe(Range.parse(`~:${n}`).alerts(v));
        expect(String(Range.above(n))).toBe(`~:${n}`);
        expect(Range.above(n, { fromZero: true }).alerts(v)).toBe(Range.parse(`${n}`).alerts(v));
        expect(String(Range.above(n, { fromZero: true }))).toBe(`${n}`);
      }),
    );
  });
});
