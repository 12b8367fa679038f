import type { Range } from './range.ts';

/**
 * The units the plugin guidelines list, no other: their bytes are B, KB, MB and TB, no GB. Icinga 2
 * reads GB, and pnp4nagios and Nagios::Plugin keep any word as the unit, but a reader written to
 * the list need not. A size is printed in B: Icinga 2 reads MB as 1000 * 1000 bytes (since 2.11;
 * 1024 * 1024 before) and pnp4nagios keeps the word, so only B is the same bytes to every reader.
 */
export type Uom = '' | 's' | 'ms' | 'us' | '%' | 'B' | 'KB' | 'MB' | 'TB' | 'c';
/** Time units Nagios has no UOM for, as the checks measure them (check_certs' days). */
export type TimeUnit = 'd';

/** One measured value, as it appears in perfdata and in --format json. */
export interface Metric {
  label: string;
  value: number;
  uom?: Uom;
  /**
   * A duration in a unit Nagios has no UOM for (days): perfdata and --format json carry the bare
   * number, its label naming the unit (min_days); --format openmetrics converts it to seconds.
   */
  timeUnit?: TimeUnit;
  min?: number;
  max?: number;
  /**
   * What the metric is of where one check measures the same on several hosts: Prometheus labels in
   * --format openmetrics, so one family holds every host; Nagios perfdata and --format json append
   * the values to the label (readyz_time_10.0.0.12:16443), as they always have.
   */
  of?: readonly (readonly [name: string, value: string])[];
}

/** The label as Nagios perfdata and --format json give it: the label, then what it is of. */
export const perfLabel = (m: Metric) => [m.label, ...(m.of ?? []).map(([, value]) => value)].join('_');

export interface Perfdata extends Metric {
  warn?: Range;
  crit?: Range;
}

/** 'label'=value[UOM];[warn];[crit];[min];[max] with trailing empty fields dropped. */
export function formatPerfdata(p: Perfdata): string {
  const fields = [
    // An undetermined value is a bare U (guidelines): "Us" would be no value at all.
    Number.isFinite(p.value) ? formatNumber(p.value) + (p.uom ?? '') : 'U',
    p.warn?.toString() ?? '',
    p.crit?.toString() ?? '',
    p.min === undefined ? '' : formatNumber(p.min),
    p.max === undefined ? '' : formatNumber(p.max),
  ];
  while (fields.length > 1 && fields[fields.length - 1] === '') fields.pop();
  return `${formatLabel(perfLabel(p))}=${fields.join(';')}`;
}

function formatLabel(label: string): string {
  // '=' ends a label and a lone quote ends a quoted one, so neither may pass through raw.
  const clean = label.replace(/=/g, '_');
  return /[\s'|;]/.test(clean) ? `'${clean.replace(/'/g, "''")}'` : clean;
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return 'U';
  if (Number.isInteger(n)) return n.toFixed(0);
  return String(Math.round(n * 1000) / 1000);
}
