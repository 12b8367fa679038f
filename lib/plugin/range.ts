import { UsageError } from '../errors.ts';

const NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/**
 * A Nagios threshold range (plugin guidelines, "Threshold and ranges"):
 *   10 -> alert outside 0..10;  10: -> below 10;  ~:10 -> above 10;
 *   10:20 -> outside 10..20;  @10:20 -> inside 10..20 (inclusive).
 */
export class Range {
  private constructor(
    readonly start: number,
    readonly end: number,
    readonly inside: boolean,
    readonly text: string,
  ) {}

  static parse(text: string, what = 'range'): Range {
    const hint = `${what} '${text}' is not a Nagios range (examples: 10, 10:, ~:10, 10:20, @10:20)`;
    let body = text.trim();
    const inside = body.startsWith('@');
    if (inside) body = body.slice(1);
    if (body === '') throw new UsageError(hint);
    let start = 0;
    let end: number;
    const colon = body.indexOf(':');
    if (colon === -1) {
      end = parseNumber(body, hint);
    } else {
      const lo = body.slice(0, colon);
      const hi = body.slice(colon + 1);
      start = lo === '~' ? -Infinity : lo === '' ? 0 : parseNumber(lo, hint);
      end = hi === '' ? Infinity : parseNumber(hi, hint);
    }
    if (start > end) throw new UsageError(`${what} '${text}': start ${start} is greater than end ${end}`);
    return new Range(start, end, inside, text.trim());
  }

  /** True when the value must raise an alert. */
  alerts(value: number): boolean {
    const within = value >= this.start && value <= this.end;
    return this.inside ? within : !within;
  }

  toString(): string {
    return this.text;
  }
}

function parseNumber(text: string, hint: string): number {
  if (!NUMBER.test(text)) throw new UsageError(hint);
  return Number(text);
}
