import { junit } from './junit.ts';
import { openMetrics } from './openmetrics.ts';
import { formatPerfdata, perfLabel } from './perfdata.ts';
import { State, stateName } from './state.ts';
import type { Outcome, Skipped } from './verdict.ts';

/** Every format a check prints; each but nagios also serves `microk8s-checks all` (renderMany). */
export const FORMATS = ['nagios', 'json', 'openmetrics', 'junit'] as const;
export type Format = (typeof FORMATS)[number];

export const DEFAULT_LONG_OUTPUT_BYTES = 4096;

/**
 * Text from logs or the cluster may hold '|' (which would start perfdata) and control
 * characters (which would start new lines or drive a terminal). Both are made harmless.
 */
export function sanitize(text: string): string {
  // Also Unicode's line and paragraph separators (a new line to JavaScript and Python readers of the
  // output) and its direction overrides and isolates, which reorder text in a web UI.
  return text.replace(/\|/g, '\u00a6').replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must not reach Nagios.
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g,
    ' ',
  );
}

/** The most of a summary the first line shows: a 100 KB option value echoed back must not be a 100 KB line. */
export const MAX_SUMMARY_CHARS = 1024;

/** The summary as the first line shows it: one line, no perfdata marker, bounded. */
export function summaryText(summary: string): string {
  const text = sanitize(summary);
  return text.length <= MAX_SUMMARY_CHARS ? text : `${text.slice(0, MAX_SUMMARY_CHARS - 3)}...`;
}

/** The first line as Nagios shows it, without perfdata: CHECK STATE - summary. */
export const headline = (outcome: Outcome) => `${outcome.check} ${stateName(outcome.state)} - ${summaryText(outcome.summary)}`;

/**
 * What goes to stderr beside the output: for OpenMetrics, the first line of each check that is not
 * OK. Its states are numbers, and the format has no place for free text (a comment other than
 * HELP, TYPE and UNIT is invalid; a label with the reason would be a new series each time it
 * changes): without this nobody running it by hand, nor the journal of a textfile collector's
 * timer, could tell why a check was UNKNOWN. The other formats carry the summary themselves.
 * A check judging several hosts names on its first line the hosts not OK, not why: each one's
 * own line follows, indented, as in its long output.
 */
export function reasonsAside(outcomes: Outcome[], format: string): string {
  if (format !== 'openmetrics') return '';
  return outcomes
    .filter((o) => o.state !== State.OK)
    .flatMap((o) => [
      `${headline(o)}\n`,
      ...(o.hosts ?? [])
        .filter(({ outcome }) => outcome.state !== State.OK)
        .map(({ host, outcome }) => `  ${sanitize(host)}: ${stateName(outcome.state)} - ${summaryText(outcome.summary)}\n`),
    ])
    .join('');
}

/** The format a command line asks for, before it is parsed (a usage error is printed in it too). */
export function requestedFormat(argv: string[]): Format {
  for (const [i, arg] of argv.entries()) {
    const value = arg.startsWith('--format=') ? arg.slice('--format='.length) : arg === '--format' ? argv[i + 1] : undefined;
    const known = FORMATS.find((f) => f === value);
    if (known) return known;
  }
  return 'nagios';
}

export function render(outcome: Outcome, format: Format, longOutputBytes = DEFAULT_LONG_OUTPUT_BYTES): string {
  if (format === 'json') return `${JSON.stringify(toJson(outcome))}\n`;
  if (format !== 'nagios') return renderMany([outcome], [], format, outcome.check);
  const perf = outcome.perfdata.map(formatPerfdata).join(' ');
  const first = `${headline(outcome)}${perf ? ` | ${perf}` : ''}`;
  const long = capLines(outcome.details.map(sanitize), longOutputBytes);
  return `${[first, ...long].join('\n')}\n`;
}

/**
 * Keep whole lines within the byte budget, and say how many were cut. The marker is long output
 * too, so it is said only where it fits: `--max-long-output 0` asks for none, and a marker there
 * was a line nobody asked for (a display or a transport that takes one line got two).
 */
function capLines(lines: string[], budget: number): string[] {
  const size = (line: string) => Buffer.byteLength(line) + 1;
  if (lines.reduce((n, l) => n + size(l), 0) <= budget) return lines;
  const markerRoom = 80;
  const kept: string[] = [];
  let used = 0;
  for (const line of lines) {
    if (used + size(line) > budget - markerRoom) break;
    kept.push(line);
    used += size(line);
  }
  const cut = lines.length - kept.length;
  const marker = `... ${cut} more line${cut === 1 ? '' : 's'} cut at ${budget} bytes (--format json shows all)`;
  return size(marker) <= budget ? [...kept, marker] : kept;
}

/**
 * Outcomes in a format for machines, whole (no long output limit): one check's, or every check of
 * `microk8s-checks all` with those that did not apply (JSON: always an array). suite names a JUnit report.
 */
export function renderMany(outcomes: Outcome[], skipped: Skipped[], format: Exclude<Format, 'nagios'>, suite: string): string {
  if (format === 'openmetrics') return openMetrics(outcomes, skipped);
  if (format === 'junit') return junit(outcomes, skipped, { name: suite }, headline);
  return `${JSON.stringify([...outcomes.map(toJson), ...skipped.map(skippedJson)])}\n`;
}

const skippedJson = (s: Skipped) => ({ check: s.check, state: 'SKIPPED', code: null, summary: s.why, metrics: [], details: [] });

/** An outcome as --format json gives it, alone or as an element of `microk8s-checks all`'s array. */
export function toJson(outcome: Outcome): Record<string, unknown> {
  return {
    check: outcome.check,
    state: stateName(outcome.state),
    code: outcome.state as number,
    summary: outcome.summary,
    metrics: outcome.perfdata.map((p) => ({
      label: perfLabel(p),
      value: Number.isFinite(p.value) ? p.value : null,
      uom: p.uom ?? '',
      warn: p.warn?.toString() ?? null,
      crit: p.crit?.toString() ?? null,
      min: p.min ?? null,
      max: p.max ?? null,
    })),
    details: outcome.details,
  };
}

export function unknownOutcome(check: string, reason: string): Outcome {
  return { check, state: State.UNKNOWN, summary: reason, perfdata: [], details: [] };
}
