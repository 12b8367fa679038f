import { ReasonedError } from '../errors.ts';
import { shorten } from '../text.ts';
import type { CommandRunner } from './command.ts';
import { validateUnit } from './journal.ts';

export class SystemdError extends ReasonedError {
  override readonly name = 'SystemdError';
}

/** A unit as `systemctl show` describes it. Times are CLOCK_MONOTONIC microseconds (0: never). */
export interface UnitState {
  id: string;
  /** loaded, not-found, masked, error ... */
  load: string;
  /** active, activating, deactivating, inactive, failed, reloading */
  active: string;
  sub: string;
  /** success, exit-code, signal, core-dump, timeout, start-limit-hit ... */
  result: string;
  restarts: number;
  /** When the main process last started. */
  startedUs: number;
  /** When ActiveState last changed. */
  changedUs: number;
}

export const UNIT_PROPERTIES = [
  'Id',
  'Names',
  'LoadState',
  'ActiveState',
  'SubState',
  'Result',
  'NRestarts',
  'ExecMainStartTimestampMonotonic',
  'StateChangeTimestampMonotonic',
];

/** The name systemctl answers under: a name without a unit type is a service (as systemctl reads it). */
export const unitId = (unit: string): string => (/\.[a-z]+$/.test(unit) ? unit : `${unit}.service`);

/** The argv that reads these units: one read-only `systemctl show`, never a shell. */
export function showArgv(units: string[]): string[] {
  return ['systemctl', 'show', '--no-pager', `--property=${UNIT_PROPERTIES.join(',')}`, '--', ...units.map(validateUnit)];
}

/**
 * `systemctl show -p ...` prints one block of `Key=Value` lines per unit, in systemd's own order
 * of properties (not the -p order), blocks separated by an empty line; a unit that does not exist
 * still gets a block, with LoadState=not-found. Blocks are paired with the units asked by `Id=`
 * (or, for an alias, `Names=`), never by position: an answer for a unit not asked, or no answer
 * for one asked, is not what systemctl prints.
 */
export function parseShow(text: string, units: string[]): UnitState[] {
  const blocks = text
    .split(/\n\s*\n/)
    .map((b) => b.trim())
    .filter(Boolean)
    .map((b) => new Map(b.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const)));
  const answered = (p: Map<string, string>, unit: string) =>
    p.get('Id') === unitId(unit) || (p.get('Names') ?? '').split(' ').includes(unitId(unit));
  return units.map((unit) => {
    const matching = blocks.filter((b) => answered(b, unit));
    if (matching.length === 0) {
      const ids = blocks.map((b) => b.get('Id') ?? '(no Id)').join(', ');
      throw new SystemdError(`systemctl show gave no answer for ${unit} (answers for: ${ids || 'nothing'}): not what systemctl prints`);
    }
    const p = matching[0]!;
    const number = (key: string) => {
      const v = p.get(key);
      if (v === undefined || !/^\d+$/.test(v))
        throw new SystemdError(`systemctl show gave ${key}=${v ?? '(nothing)'} for ${unit}: not a number`);
      return Number(v);
    };
    const word = (key: string) => {
      const v = p.get(key);
      if (!v) throw new SystemdError(`systemctl show gave no ${key} for ${unit}`);
      return v;
    };
    return {
      id: word('Id'),
      load: word('LoadState'),
      active: word('ActiveState'),
      sub: word('SubState'),
      result: word('Result'),
      restarts: p.get('LoadState') === 'not-found' ? 0 : number('NRestarts'),
      startedUs: number('ExecMainStartTimestampMonotonic'),
      changedUs: number('StateChangeTimestampMonotonic'),
    };
  });
}

/** The units' states, and the clock they are measured on, read through a runner (local or SSH). */
export async function readUnits(
  run: CommandRunner,
  units: string[],
  signal: AbortSignal,
  monotonicNowUs: () => Promise<number>,
): Promise<{ units: UnitState[]; nowUs: number }> {
  let text: string;
  // One question per unit: systemctl answers a unit named twice once or twice, depending on its version.
  units = [...new Set(units)];
  try {
    text = await run(showArgv(units), signal);
  } catch (err) {
    if (signal.aborted) throw err;
    throw new SystemdError('cannot ask systemd about the units', {
      cause: err,
      fix: 'run the check on a host where systemd runs (systemctl show must work for the check user)',
    });
  }
  const [states, nowUs] = [parseShow(text, units), await monotonicNowUs()];
  return { units: states, nowUs };
}

/** CLOCK_MONOTONIC now, in microseconds: the clock systemd's *Monotonic stamps are on. */
export const localMonotonicUs = async (): Promise<number> => Number(process.hrtime.bigint() / 1000n);

/** /proc/uptime as the kernel writes it (fs/proc/uptime.c, "%lu.%02lu %lu.%02lu\n"): the boot clock, then idle time. */
const UPTIME = /^(\d+)\.(\d{2}) \d+\.\d{2}$/;

/**
 * A remote host's monotonic clock, from /proc/uptime (boot time: the same as the monotonic clock
 * on a host that never suspends, which servers do not).
 */
export function remoteMonotonicUs(run: CommandRunner, signal: AbortSignal): () => Promise<number> {
  return async () => {
    const text = await run(['cat', '/proc/uptime'], signal);
    // Its last line: a login's greeting (.bashrc, a ForceCommand) comes before what cat prints.
    const last = text.trimEnd().split('\n').pop() ?? '';
    const m = UPTIME.exec(last);
    if (!m)
      throw new SystemdError(`/proc/uptime says '${shorten(last, 60)}': not an uptime`, {
        fix: 'keep the shell there quiet for commands run over SSH (.bashrc, a ForceCommand)',
      });
    // Printed in hundredths, rounded down.
    return (Number(m[1]) * 100 + Number(m[2])) * 10_000;
  };
}
