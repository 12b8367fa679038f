import type { Argv } from 'yargs';
import { parseDuration } from '../duration.ts';
import { UsageError } from '../errors.ts';
import { DEFAULT_UNITS, validateUnit } from '../sources/journalctl.ts';
import { sshOptions, type SshArgs } from './ssh.ts';

/** Where a log check reads its lines from, and over which window. */
export interface LogArgs extends SshArgs {
  since: string;
  unit?: string[];
  'journal-dir'?: string[];
  'journal-file'?: string[];
  'log-file'?: string;
}

/** The log source options; defaultSince null: the check sets its own window (no --since). */
export function logOptions<T>(y: Argv<T>, defaultSince: string | null = '5m'): Argv<T & LogArgs & SshArgs> {
  const base =
    defaultSince === null
      ? sshOptions(y)
      : sshOptions(y).option('since', { type: 'string', default: defaultSince, describe: 'window to read: 90s, 5m, 1h' });
  return base
    .option('unit', {
      type: 'string',
      array: true,
      describe: `systemd unit to read (repeatable; default ${DEFAULT_UNITS.join(', ')})`,
      coerce: unitNames,
    })
    .option('journal-dir', { type: 'string', array: true, describe: 'read journal files in this directory (repeatable)' })
    .option('journal-file', { type: 'string', array: true, describe: 'read this journal file (repeatable)' })
    .option('log-file', {
      type: 'string',
      describe: "read plain text lines from this file ('-' for stdin) instead of the journal",
    }) as unknown as Argv<T & LogArgs & SshArgs>;
}

/**
 * --unit's values: systemd unit names, refused as the option's mistake before anything is read (a
 * name with a space reached systemctl's check and was said as 'run the check where systemd runs',
 * the gate's as its NO-GO). An empty one is left to the parser, which says so.
 */
export function unitNames(units: string[]): string[] {
  for (const unit of units) {
    // (--no-unit's false is kept as it is, for the parser to refuse.)
    if (typeof unit !== 'string' || unit === '') continue;
    try {
      validateUnit(unit);
    } catch {
      throw new UsageError(
        `--unit must be a systemd unit name (letters, digits, ':', '_', '.', '@', '\\', '-'), not '${unit.slice(0, 80)}'`,
      );
    }
  }
  return units;
}

export interface Window {
  now: number;
  since: number;
  seconds: number;
  units: string[];
  /** Whether a journal must reach back over the window, or says where it begins (JournalQuery.reachBack). */
  reachBack?: 'required' | 'reported';
  /** The option that widens it (JournalQuery.widen); none where the check sets its own window. */
  widen?: string;
  /** The option whose units replace the defaults (JournalQuery.nameUnits); none where it only adds to them. */
  nameUnits?: string;
}

/**
 * The window --since and --unit ask for. A second at least: the journal's stamps and the words
 * that say the window count seconds ('--since 0.0001s' judged a window said as "the last 0m").
 */
export function windowOf(args: LogArgs, now = Date.now()): Window {
  const seconds = parseDuration(args.since, '--since');
  if (seconds < 1) throw new UsageError(`--since must be at least 1s, not '${args.since}'`);
  // A check that judges the window --since names in its summary says how much of it a source held.
  return { ...windowOver(seconds, args.unit, now), reachBack: 'reported', widen: '--since', nameUnits: '--unit' };
}

/** The last `seconds` of the units (default DEFAULT_UNITS): for a check that sets its own window. */
export function windowOver(seconds: number, unit?: string[], now = Date.now()): Window {
  return { now, since: now - seconds * 1000, seconds, units: unit?.length ? unit : DEFAULT_UNITS };
}
