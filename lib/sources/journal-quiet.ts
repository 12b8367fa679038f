import { inOrder, SIBLINGS_MS, type Patience } from '../in-order.ts';
import { parseShortUnix } from './logline.ts';
import {
  epoch,
  execText,
  holdsEntry,
  JournalError,
  journalNames,
  journalProblem,
  sourceArgs,
  type JournalQuery,
  type StreamExec,
} from './journalctl.ts';

/**
 * One thing made sure of a location that yielded no line: what journalctl is asked (`ask`, whose
 * answer `key` names all it depends on, so that a shared run asks it once for every check), and
 * what that answer means to the check that asked (`judge`: throws where it is not vouched for, with
 * that check's own fix, whatever option another check sharing the answer would be offered).
 */
export interface QuietStep {
  key: string;
  /**
   * Asked whether or not the location yielded lines: a line of one unit says nothing of another
   * named beside it (a typo, whose lines, had it been right, would have been the storm).
   */
  always?: true;
  /** Whether it asks about the window (an entry in it): what holds for a window holds for a wider one. */
  window?: true;
  ask: (signal: AbortSignal, exec: StreamExec, patience?: Patience) => Promise<QuietAnswer>;
  judge: (answer: QuietAnswer) => void;
}

/** What a quiet step found: the units of those asked with no entry at all, or the window's entries. */
export type QuietAnswer = { missing: string[] } | WindowAnswer;

/**
 * What a location of a query (see locations) that yielded no line is vouched for, in order: that
 * each unit named logged here (`each`, asked of one that yielded lines too: `always`), that journal
 * files given hold an entry in the window (a damaged file reads as a quiet one: vouchForEmpty), that
 * one of the default units logged here (`any`).
 */
export function quietSteps(loc: JournalQuery): QuietStep[] {
  const where = [loc.directories ?? [], loc.files ?? []];
  const steps: QuietStep[] = [];
  const named = loc.logged === 'each' ? (loc.named ?? loc.units) : [];
  // Read whatever was named (the gate's own units): asked as the defaults are.
  const others = loc.logged === 'any' ? loc.units : loc.logged === 'each' ? loc.units.filter((u) => !named.includes(u)) : [];
  if (named.length) {
    const each = { ...loc, units: named };
    steps.push({
      key: JSON.stringify(['each', named, where]),
      always: true,
      ask: (signal, exec, patience) => unitsLogged(each, signal, exec, 'each', patience),
      judge: (answer) => {
        if ('missing' in answer) unitsMissing(each, answer.missing, 'each');
      },
    });
  }
  if (loc.directories?.length || loc.files?.length)
    steps.push({
      key: JSON.stringify(['window', loc.since, loc.until ?? null, where]),
      window: true,
      ask: (signal, exec) => windowEntries(loc, signal, exec),
      judge: (answer) => {
        if ('held' in answer) vouchForEmpty(loc, answer);
      },
    });
  if (others.length) {
    const any = { ...loc, units: others };
    steps.push({
      key: JSON.stringify(['any', others, where]),
      ask: (signal, exec) => unitsLogged(any, signal, exec, 'any'),
      judge: (answer) => {
        if ('missing' in answer) unitsMissing(any, answer.missing, 'any');
      },
    });
  }
  return steps;
}

/** journalctl's own reading of a unit name: without a type it means a service. */
const unitName = (unit: string) => (/\.[a-z]+$/.test(unit) ? unit : `${unit}.service`);

/**
 * A unit named with --unit that never wrote a line to this journal is a typo far more often than
 * a quiet unit: a quiet window is OK only for units the journal knows (`each`). Of the units read
 * by default, at least one must be known (`any`: a worker's k8s-dqlite never logs): a journal
 * without any of them is no MicroK8s node's (a laptop, a CI runner), and its quiet is about nothing.
 *
 * Asked as the newest entry of the unit (`--lines=1 _SYSTEMD_UNIT=...`), which journalctl finds
 * through that value's own index: the list of every unit the journal knows (`--field`) grows with
 * each SSH login's session-N.scope, to megabytes on a node watched over SSH, and read in part it
 * lost the node's units.
 */
async function unitsLogged(
  q: JournalQuery,
  signal: AbortSignal,
  exec: StreamExec,
  need: 'each' | 'any',
  patience: Patience = SIBLINGS_MS,
): Promise<{ missing: string[] }> {
  const units = q.units.map(unitName);
  // `any`: one journalctl, its matches on one field ORed; `each`: one per unit, the first unit's
  // failure the reason where several fail.
  const asked = need === 'each' ? units.map((u) => [u]) : [units];
  const found = await inOrder(
    asked.map(async (group) => {
      // No --quiet: journalctl then says on stderr what it could not read (journalProblem).
      const argv = [
        'journalctl',
        '--no-pager',
        '--lines=1',
        '--output=short-unix',
        ...sourceArgs(q),
        ...group.map((u) => `_SYSTEMD_UNIT=${u}`),
      ];
      const { code, stdout, stderr } = await execText(exec, argv, signal);
      const problem = journalProblem(stderr, code, { ...q, grep: undefined });
      if (problem) throw problem;
      return stdout.split('\n').some((l) => parseShortUnix(l) !== undefined);
    }),
    patience,
  );
  return { missing: need === 'each' ? units.filter((_, i) => !found[i]) : found[0] ? [] : units };
}

/** Units asked (unitsLogged) with no entry: where that is no quiet, said with the fix of the check that asked. */
function unitsMissing(q: JournalQuery, missing: string[], need: 'each' | 'any'): void {
  if (need === 'each' && missing.length) {
    throw new JournalError(`no entry of unit ${missing.join(', ')} is in the journal at all: not a unit of this host?`, {
      fix: 'check the name given with --unit (systemctl list-units "snap.microk8s.*")',
    });
  }
  if (need === 'any' && missing.length) {
    const paths = [...(q.directories ?? []), ...(q.files ?? [])];
    const where = paths.length ? `journal ${paths.join(', ')}` : 'the journal';
    throw new JournalError(`no entry of ${missing.join(' or ')} is in ${where} at all: not a MicroK8s node?`, {
      fix:
        "run it on a MicroK8s node, or read a node's journal (--journal-dir, --journal-file, --host)" +
        (q.nameUnits ? `, or name its units with ${q.nameUnits}` : ''),
    });
  }
}

/**
 * A journal file whose data is damaged reads as "-- No entries --" with exit 0, exactly like a
 * quiet window, and so does a file that ends before the window. Neither may pass for "nothing
 * matched": when journal files given explicitly yield no line, this asks journalctl for any
 * entry at all in the window (no unit, no grep); if there is none, their headers tell a damaged
 * file (entries recorded in the window, none readable) from one that does not cover the window.
 */
async function windowEntries(q: JournalQuery, signal: AbortSignal, exec: StreamExec): Promise<WindowAnswer> {
  const since = [`--since=${epoch(q.since * 1000)}`, ...(q.until !== undefined ? [`--until=${epoch(q.until * 1000 - 1)}`] : [])];
  if (await holdsEntry(q, ['--lines=1', ...since], signal, exec)) return { held: true };
  const header = await execText(exec, ['journalctl', '--no-pager', '--header', ...sourceArgs(q)], signal);
  const tails = [...header.stdout.matchAll(/^Tail realtime timestamp:.*\(([0-9a-f]+)\)\s*$/gm)].map((m) => parseInt(m[1]!, 16) / 1000);
  return { held: false, newest: tails.length ? Math.max(...tails) : undefined };
}

/** Whether the journal files hold an entry in the window (windowEntries), the newest their headers record if not. */
type WindowAnswer = { held: true } | { held: false; newest?: number };

/** A window of journal files with no entry (windowEntries): damaged, or before the window; said with the asking check's fix. */
function vouchForEmpty(q: JournalQuery, answer: WindowAnswer): void {
  if (answer.held) return;
  const where = journalNames(q);
  const { newest } = answer;
  if (newest !== undefined && newest >= q.since) {
    throw new JournalError(
      `journal ${where} is damaged: it records entries up to ${new Date(newest).toISOString()}, but none in the window can be read`,
      {
        fix: `see journalctl --verify ${sourceArgs(q).join(' ')}`,
      },
    );
  }
  throw new JournalError(
    `journal ${where} holds no entry in the ` +
      `window${newest !== undefined ? ` (its newest is from ${new Date(newest).toISOString()})` : ''}: ` +
      `nothing to judge`,
    {
      fix: `give a journal that covers the window${q.widen ? `, or a wider ${q.widen}` : ''}`,
    },
  );
}
