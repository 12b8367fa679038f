// --format openmetrics: the checks' states and perfdata as gauges, for Prometheus (node_exporter's
// textfile collector) and Alertmanager. The text is valid both as OpenMetrics and as Prometheus'
// text format 0.0.4, which is what the textfile collector and `promtool check metrics` read: only
// gauges (a counter's family and sample names differ between the two), `# UNIT` (a comment to the
// older format) and `# EOF` (a comment too).
import type { Perfdata, TimeUnit, Uom } from './perfdata.ts';
import type { Range } from './range.ts';
import type { Outcome, Skipped } from './verdict.ts';

/**
 * How a Nagios unit (or a time unit Nagios has none for) becomes a Prometheus base unit: the name's
 * suffix, the factor to it and, where the label names the unit itself (min_days), that word, which
 * the name drops: promtool's lint reads a unit word anywhere in a name ("use base unit seconds
 * instead of days").
 */
const UNITS: Record<Uom | TimeUnit, { unit: string; factor: number; word?: string }> = {
  '': { unit: '', factor: 1 },
  s: { unit: 'seconds', factor: 1 },
  ms: { unit: 'seconds', factor: 1e-3 },
  us: { unit: 'seconds', factor: 1e-6 },
  d: { unit: 'seconds', factor: 86_400, word: 'days' },
  '%': { unit: 'ratio', factor: 0.01 },
  B: { unit: 'bytes', factor: 1 },
  // A check prints sizes in B (perfdata.ts). KB, MB and TB are read as Icinga 2 reads them (since
  // 2.11, its developer guidelines): multiples of 1000, as the plugin guidelines' units are SI.
  KB: { unit: 'bytes', factor: 1000 },
  MB: { unit: 'bytes', factor: 1000 ** 2 },
  TB: { unit: 'bytes', factor: 1000 ** 4 },
  // A Nagios counter here is a count read from the cluster (restarts, lease transitions): it can
  // reset when its object is recreated, and OpenMetrics and Prometheus' text format name a
  // counter's samples differently, so it stays a gauge without a unit; increase() reads it.
  c: { unit: '', factor: 1 },
};

/** The check label's value: the name of the first line, in lower case (DQLITE-LOCK -> dqlite-lock). */
export const checkLabel = (check: string) => check.toLowerCase();

/** A name part in Prometheus' snake case: [a-z0-9_], no doubled or trailing underscores. */
const snake = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');

/** A label value with OpenMetrics' three escapes. */
const labelValue = (text: string) => text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** HELP text with its two escapes. */
const help = (text: string) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

// 15 significant digits: a unit's factor leaves no float noise (0.07 s, not 0.07000000000000001).
const number = (n: number) => (n === Infinity ? '+Inf' : n === -Infinity ? '-Inf' : String(Number(n.toPrecision(15))));

interface Family {
  name: string;
  unit: string;
  help: string;
  samples: string[];
}

/** A metric's unit: its time unit where Nagios has no UOM for it, else its UOM. */
const unitOf = (p: Perfdata) => UNITS[p.timeUnit ?? p.uom ?? ''];

/** The family name of one perfdata metric: microk8s_<check>_<label>[_<unit>]. */
function metricName(check: string, p: Perfdata): { base: string; unit: string } {
  const { unit, word } = unitOf(p);
  let label = snake(p.label);
  // free_pct as a ratio is free_ratio, not free_pct_ratio.
  if (unit === 'ratio') label = label.replace(/_?(pct|percent)$/, '') || label;
  // min_days in seconds is min_seconds, days_ca is ca_seconds (the word anywhere: a host suffix follows it).
  if (word)
    label = label
      .split('_')
      .filter((w) => w !== word)
      .join('_');
  const base = label ? `microk8s_${snake(check)}_${label}` : `microk8s_${snake(check)}`;
  return { base, unit };
}

/** The bounds a Nagios range alerts outside of (or, with @, inside of), scaled to the base unit. */
function bounds(range: Range, factor: number): { low: number; high: number; alert: 'outside' | 'inside' } {
  return { low: range.start * factor, high: range.end * factor, alert: range.inside ? 'inside' : 'outside' };
}

/**
 * One exposition for any number of outcomes: microk8s_check_state{check} 0-3 (the exit code), a
 * gauge per perfdata metric, its thresholds as a _threshold family, and the checks that did not
 * apply as microk8s_check_skipped{check} 1.
 */
export function openMetrics(outcomes: Outcome[], skipped: Skipped[] = []): string {
  const families: Family[] = [];
  const byName = new Map<string, Family>();
  const family = (name: string, unit: string, text: string): Family => {
    let f = byName.get(name);
    if (!f) {
      f = { name, unit, help: text, samples: [] };
      byName.set(name, f);
      families.push(f);
    }
    return f;
  };
  const state = family(
    'microk8s_check_state',
    '',
    "the check's state, its Nagios exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (a gate's NO-GO is 2)",
  );
  for (const o of outcomes) state.samples.push(`microk8s_check_state{check="${labelValue(checkLabel(o.check))}"} ${o.state}`);
  if (skipped.length) {
    const f = family('microk8s_check_skipped', '', 'a check that does not apply on this host (microk8s-checks all), so it has no state');
    for (const s of skipped) f.samples.push(`microk8s_check_skipped{check="${labelValue(checkLabel(s.check))}"} 1`);
  }
  // Which metric each family was made for: one metric's hosts or units share its family, while
  // two labels that differ only in what snake case drops must not merge into one family (nor a
  // metric into another's _threshold). Names that differ by their unit do not merge:
  // check_dqlite_storage's free_pct and free (B) are free_ratio and free_bytes.
  const madeFor = new Map<string, string>();
  for (const o of outcomes) {
    for (const p of o.perfdata) {
      const { factor, word } = unitOf(p);
      const { base: plain, unit } = metricName(o.check, p);
      const metric = `${o.check}\0${p.label}\0${unit}`;
      const names = (b: string) => [withUnit(b, unit), withUnit(`${b}_threshold`, unit)];
      let base = plain;
      for (let n = 2; names(base).some((x) => (madeFor.get(x) ?? metric) !== metric); n++) base = `${plain}_${n}`;
      for (const x of names(base)) madeFor.set(x, metric);
      const name = withUnit(base, unit);
      const given = word ?? p.uom;
      const f = family(name, unit, `${o.check} perfdata '${p.label}'${given ? ` (${given} as ${unit || 'a count'})` : ''}`);
      const of = (p.of ?? []).map(([label, value]) => `${label}="${labelValue(value)}"`);
      const labels = (more: string[] = []) => (of.length || more.length ? `{${[...of, ...more].join(',')}}` : '');
      // An undetermined value (Nagios' U) is left out: no sample, not a NaN that compares false.
      if (Number.isFinite(p.value)) f.samples.push(`${name}${labels()} ${number(p.value * factor)}`);
      const ranges = (['warning', 'critical'] as const).flatMap((level) => {
        const r = level === 'warning' ? p.warn : p.crit;
        return r ? [{ level, ...bounds(r, factor) }] : [];
      });
      if (!ranges.length) continue;
      const tname = withUnit(`${base}_threshold`, unit);
      const t = family(tname, unit, `the thresholds of ${name}: it is judged when outside (or with alert="inside", inside) low..high`);
      for (const r of ranges)
        for (const bound of ['low', 'high'] as const)
          t.samples.push(`${tname}${labels([`level="${r.level}"`, `bound="${bound}"`, `alert="${r.alert}"`])} ${number(r[bound])}`);
    }
  }
  const lines: string[] = [];
  for (const f of families) {
    if (!f.samples.length) continue;
    lines.push(`# HELP ${f.name} ${help(f.help)}`, `# TYPE ${f.name} gauge`);
    if (f.unit) lines.push(`# UNIT ${f.name} ${f.unit}`);
    lines.push(...f.samples);
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

const withUnit = (base: string, unit: string) => (unit && !base.endsWith(`_${unit}`) ? `${base}_${unit}` : base);
