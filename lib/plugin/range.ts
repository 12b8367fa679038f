import { parseDuration } from '../duration.ts';
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

  /** `unit`: what the numbers count ("seconds"), said when the text is not a range. */
  static parse(text: string, what = 'range', unit?: string): Range {
    const takes = `${what} takes a number${unit ? ` of ${unit}` : ''} or a Nagios range, not `;
    const examples = ' (examples: 10, 10:, ~:10, 10:20, @10:20)';
    const hint = `${takes}'${text}'${durationHint(text, unit)}${tildeHint(text)}${examples}`;
    // A number past what a number holds (309 digits) reads as Infinity: said as typed, as the number
    // options say it, never taken (beside -c 200, -w 99...9 could never be reached, and passed).
    const typed = text.length > 40 ? `${text.slice(0, 40)}...` : text;
    const beyond = `${takes}'${typed}': it is beyond any number${examples}`;
    let body = text.trim();
    const inside = body.startsWith('@');
    if (inside) body = body.slice(1);
    if (body === '') throw new UsageError(hint);
    let start = 0;
    let end: number;
    const colon = body.indexOf(':');
    if (colon === -1) {
      end = parseNumber(body, hint, beyond);
    } else {
      const lo = body.slice(0, colon);
      const hi = body.slice(colon + 1);
      start = lo === '~' ? -Infinity : lo === '' ? 0 : parseNumber(lo, hint, beyond);
      end = hi === '' ? Infinity : parseNumber(hi, hint, beyond);
    }
    if (start > end) throw new UsageError(`${what} '${text}': start ${start} is greater than end ${end}`);
    return new Range(start, end, inside, text.trim());
  }

  /** Alert below `min` (the range `min:`), built from a number a check computed, never from text. */
  static below(min: number): Range {
    return new Range(min, Infinity, false, `${min}:`);
  }

  /** Alert above `max` (the range `~:max`, or `max` where nothing below zero can happen). */
  static above(max: number, { fromZero = false } = {}): Range {
    return new Range(fromZero ? 0 : -Infinity, max, false, fromZero ? `${max}` : `~:${max}`);
  }

  /**
   * The same range in a unit `factor` times smaller: a threshold given in MB, judged and printed
   * against bytes (`50` MB is `52428800`, `@10:20` is `@10485760:20971520`).
   */
  scaled(factor: number): Range {
    // 15 significant digits: 0.3 MB is 314572.8 bytes, not 314572.80000000005.
    const [start, end] = [this.start, this.end].map((n) => Number((n * factor).toPrecision(15))) as [number, number];
    const low = start === -Infinity ? '~:' : start === 0 && end !== Infinity ? '' : `${start}:`;
    return new Range(start, end, this.inside, `${this.inside ? '@' : ''}${low}${end === Infinity ? '' : end}`);
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

/** '2m' for a range in seconds: what the user most likely meant, in the unit asked for. */
function durationHint(text: string, unit: string | undefined): string {
  if (!/^\s*[\d.]+\s*[a-z]+\s*$/.test(text)) return '';
  let seconds: number;
  try {
    seconds = parseDuration(text, 'range');
  } catch {
    return '';
  }
  if (unit === 'seconds') return ` (${text.trim()} is ${seconds})`;
  if (unit === 'days' && seconds % 86400 === 0) return ` (${text.trim()} is ${seconds / 86400})`;
  return '';
}

/** bash expands an unquoted `~:10` to `/root:10` (the home directory): a start no range can have. */
function tildeHint(text: string): string {
  const m = /^\s*(@?)\/[^:]*:(.*?)\s*$/.exec(text);
  return m ? ` (the shell made ~ a home directory: quote the range, '${m[1]}~:${m[2]}')` : '';
}

function parseNumber(text: string, hint: string, beyond: string): number {
  if (!NUMBER.test(text)) throw new UsageError(hint);
  const n = Number(text);
  if (!Number.isFinite(n)) throw new UsageError(beyond);
  return n;
}

/** -w/-c of a check's primary metric, parsed: what every check's limits start from. */
export interface Thresholds {
  warning?: Range;
  critical?: Range;
}

/** A check's default -w/-c, parsed once: the start of its exported default limits. */
export function thresholdsOf(defaults: { warning?: string; critical?: string }): Thresholds {
  return {
    warning: defaults.warning === undefined ? undefined : Range.parse(defaults.warning),
    critical: defaults.critical === undefined ? undefined : Range.parse(defaults.critical),
  };
}
