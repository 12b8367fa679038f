// `all`'s own command line: the options it passes on to the checks that take them, those it
// refuses (a check's own judgement, --max-long-output), and its usage errors, UNKNOWN as a check's.
import yargs from 'yargs';
import { type Entry, REGISTRY } from '../../checks/registry.ts';
import { reasonOf, UsageError } from '../../lib/errors.ts';
import {
  bindDashValues,
  checkTimeout,
  type DeclaredOption,
  numbersAsTyped,
  type OptionSpec,
  optionWord,
  PARSER_CONFIGURATION,
  usageWording,
} from '../../lib/plugin/arguments.ts';
import { finish } from '../../lib/plugin/exit.ts';
import { type Format, headline, reasonsAside, renderMany, requestedFormat, unknownOutcome } from '../../lib/plugin/output.ts';
import { SNAP_DATA } from '../../lib/sources/snap-locks.ts';
import { VERSION } from '../../lib/version.ts';
import type { Outcome } from '../../lib/plugin/verdict.ts';

/**
 * The options `all` passes on: every option a check declares (checks/*.ts, its `options`), so a
 * check's new input is `all`'s too, except those that tune one check's own judgement (thresholds,
 * windows, what counts, its memory): each check keeps its own default under `all`, and a value
 * meant for one would mislead another option of the same name (--min-age of stale-jobs is not
 * calico-routes'; two checks must never share one --state-file). --time-zone and --allow-taint
 * are passed on: where the controller-manager runs and which taints are this cluster's normal
 * state are facts about the cluster, the same to every check that takes them (check_nodes and
 * the gate), not a judgement.
 */
const OWN_JUDGEMENT = new Set([
  'since',
  'settle',
  'min-age',
  'min-uptime',
  'grace',
  'cadence-window',
  'window',
  'min-interval',
  'free-warning',
  'free-critical',
  'freelist',
  'attempt-warning',
  'socket-error-warning',
  'budget',
  'page-size',
  'iface-prefix',
  'kind',
  'selector',
  'newest-pod-warning',
  'newest-pod-critical',
  'state-file',
]);

/** Every check's thresholds: common to all of them, and each one's own. */
const THRESHOLDS = ['w', 'warning', 'c', 'critical'];

/**
 * The first option of a check's own judgement on the command line (OWN_JUDGEMENT, or -w/-c),
 * as written, with the checks that take it: given to `all` it is no typo, and the user is told
 * whose it is and to run that check alone, not only that `all` does not know it.
 */
export function ownJudgementGiven(argv: string[], defs: { command: string; file: string; options: DeclaredOption[] }[]) {
  for (const token of argv) {
    if (token === '--') break;
    const word = optionWord(token);
    if (!word) continue;
    const { name, flag } = word;
    if (THRESHOLDS.includes(name)) return { flag, whose: 'every check', first: defs[0]!.command };
    const takers = defs.filter((d) => d.options.some((o) => OWN_JUDGEMENT.has(o.key) && (o.key === name || o.aliases.includes(name))));
    if (takers.length) return { flag, whose: takers.map((d) => d.file).join(', '), first: takers[0]!.command };
  }
  return undefined;
}

/**
 * Whether --max-long-output is on the command line. Every check takes it, so given to `all` it is
 * no typo; but `all` has no long output to cut (its table is one summary per check, its other
 * formats are for machines and whole), so it is refused saying so, never taken and ignored.
 */
export const longOutputGiven = (argv: string[]) => {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((token) => optionWord(token)?.name === 'max-long-output');
};

/**
 * No command, where the word `all` was there as the value of an option written before it
 * (`microk8s-checks -n all`, `--host all`): the option is named, not only that the command is
 * missing, which would send the user looking for a command they did write.
 */
export function eatenCommand(argv: string[]): UsageError | undefined {
  for (let i = 1; i < argv.length && argv[i - 1] !== '--'; i++) {
    const word = optionWord(argv[i - 1]!);
    if (argv[i] !== 'all' || !word || word.attached !== undefined) continue;
    return new UsageError(`no command: ${word.flag} took 'all' as its value`, {
      fix: `give the command first, then the option with its value: microk8s-checks all ${word.flag} VALUE`,
    });
  }
  return undefined;
}

/**
 * A first word that is no command: a check's name is its own command (`check_nodes`), the one a
 * person at 3 a.m. most likely meant; anything else, what this command runs.
 */
export function unknownCommand(word: string): UsageError {
  const short = word.length > 40 ? `${word.slice(0, 40)}...` : word;
  const check = REGISTRY.find((e) => [e.command, e.file, e.name].some((n) => n.toLowerCase() === word.toLowerCase()));
  if (check)
    return new UsageError(`${check.command} is a command of its own, not one of microk8s-checks'`, {
      fix: `run ${check.command} itself; microk8s-checks all runs every check that applies here`,
    });
  return new UsageError(`unknown command '${short}': microk8s-checks runs all`, {
    fix: `microk8s-checks all runs every check that applies here; one check runs as its own command (${REGISTRY[0]!.command}, ...)`,
  });
}

/** Each option `all` passes on, with the checks that take it. */
export function passedOptions(
  defs: { command: string; options: DeclaredOption[] }[],
): Map<string, DeclaredOption & { commands: string[] }> {
  const passed = new Map<string, DeclaredOption & { commands: string[] }>();
  for (const { command, options } of defs) {
    for (const o of options) {
      if (OWN_JUDGEMENT.has(o.key)) continue;
      const seen = passed.get(o.key);
      if (seen) seen.commands.push(command);
      else passed.set(o.key, { ...o, commands: [command] });
    }
  }
  return passed;
}

/**
 * A check's share of `all`'s command line: each given option the check itself declares, as
 * `all`'s parser read it (with the type every check that takes it declares, test/unit/options.test.ts).
 */
export function givenFor(specs: OptionSpec[], args: Record<string, unknown>): Record<string, unknown> {
  const given: Record<string, unknown> = {};
  for (const { key } of specs) if (args[key] !== undefined && !OWN_JUDGEMENT.has(key)) given[key] = args[key];
  return given;
}

/**
 * The whole run's one outcome (a usage error, a bug, a signal before any check started), in the
 * format asked for, so that a textfile collector or a CI reader gets an UNKNOWN it can read; as
 * Nagios text one line, as a check's (yargs' "Invalid values:" runs over three).
 */
export function shown(outcome: Outcome): string {
  const format = requestedFormat(process.argv.slice(2));
  return format === 'nagios' ? `${headline(outcome)}\n` : renderMany([outcome], [], format, 'microk8s-checks');
}

/** Why the whole run could not tell, on stderr where its format has no room for it (reasonsAside). */
export const aside = (outcome: Outcome) => reasonsAside([outcome], requestedFormat(process.argv.slice(2)));

/** A usage error of the whole run: UNKNOWN (3), like a check's, never a code a CI job reads as WARNING. */
export function usageError(reason: string): never {
  const outcome = unknownOutcome('MICROK8S-CHECKS', reason);
  finish(shown(outcome), 3, aside(outcome));
}

/** `all`'s command line as parsed, its -t, and the options given that it or a check takes. */
export interface AllLine {
  args: Record<string, unknown> & {
    timeout: number;
    format: 'table' | Exclude<Format, 'nagios'>;
    color?: boolean;
    'snap-data'?: string;
  };
  timeout: number;
  given: Set<string>;
}

/**
 * Parse `all`'s command line with every check's options (those it passes on: passedOptions); a
 * line it refuses ends the run here, UNKNOWN with why (usageError).
 */
export async function parseLine(defs: { entry: Entry; options: DeclaredOption[] }[]): Promise<AllLine> {
  const passed = passedOptions(defs.map((d) => ({ command: d.entry.file, options: d.options })));
  let y = yargs(bindDashValues(process.argv.slice(2)))
    .scriptName('microk8s-checks')
    .usage('microk8s-checks all [options]: run every check that applies on this host, at once')
    // The one command is checked by hand: a yargs .command() renders the whole help text on every
    // run (its cache), and laying out help costs 20 ms of Unicode tables.
    .check((a) => {
      const [what, ...extra] = a._.map(String);
      if (what === undefined) throw eatenCommand(process.argv.slice(2)) ?? new Error('say what to run: microk8s-checks all');
      if (what !== 'all') throw unknownCommand(what);
      if (extra.length) throw new Error(`Unknown argument: ${extra[0]}`);
      return true;
    })
    .option('timeout', { alias: 't', type: 'number', default: 10, describe: 'deadline for all checks together, seconds' })
    .option('format', {
      choices: ['table', 'json', 'openmetrics', 'junit'] as const,
      default: 'table' as const,
      describe: 'output format: a table for a person; json, openmetrics or junit (one result per check) for a machine',
    })
    .option('color', { type: 'boolean', describe: 'colour the states (default: on a terminal, unless NO_COLOR)' })
    .option('verbose', { alias: 'v', type: 'count', describe: "each check's diagnostics on stderr, each line naming it (repeatable)" })
    .option('snap-data', {
      type: 'string',
      describe:
        `MicroK8s' $SNAP_DATA (default ${SNAP_DATA}): its lock files say whether this host is a MicroK8s node, and a worker, ` +
        `so which checks apply (also for ${passed.get('snap-data')?.commands.join(', ')})`,
    });
  for (const o of passed.values()) {
    // Declared above as all's own: what it decides here is more than what each check reads in it.
    if (o.key === 'snap-data') continue;
    const takes = o.commands.length === defs.length ? 'every check' : `for ${o.commands.join(', ')}`;
    // Its log checks cannot share one stdin: all refuses `--log-file -` (below), so its help does not offer it.
    const describe =
      o.key === 'log-file' ? 'read plain text lines from this file instead of the journal (a file: all takes no stdin)' : o.describe;
    y = y.option(o.key, {
      alias: o.aliases,
      type: o.type,
      array: o.array,
      describe: `${describe}${describe ? ' ' : ''}(${takes})`,
    });
  }
  // Given no value (`-t` at the end of the line, an unset variable), an option of `all`'s own or a
  // number must not fall back to its default: yargs hands on nothing for it. A text or list option
  // is handed on empty, each check's UNKNOWN.
  const numbers = [...passed.values()].filter((o) => o.type === 'number').map((o) => o.key);
  const args = (await y
    .requiresArg(['timeout', 'format', 'snap-data', ...numbers])
    .version(`microk8s-checks ${VERSION}`)
    .alias('V', 'version')
    .help()
    .alias('h', 'help')
    .strictOptions()
    .parserConfiguration(PARSER_CONFIGURATION)
    .fail((msg, err) => {
      if (err instanceof UsageError) usageError(reasonOf(err));
      const own = ownJudgementGiven(
        process.argv.slice(2),
        defs.map((d) => ({ command: d.entry.command, file: d.entry.file, options: d.options })),
      );
      if (own)
        usageError(
          `${own.flag} is a check's own judgement (${own.whose}), which all leaves at each check's default ` +
            `(fix: to change it, run that check alone: ${own.first} ${own.flag} ...)`,
        );
      if (longOutputGiven(process.argv.slice(2)))
        usageError(
          "--max-long-output cuts a check's long output, and all prints none: its table is each check's summary, and " +
            "--format json, junit and openmetrics keep every check's lines whole (fix: leave it out; to cut a check's long " +
            `output, run it alone: ${defs[0]!.entry.command} --max-long-output ...)`,
        );
      usageError(`${msg ? usageWording(msg, y, process.argv.slice(2)) : err?.message} (fix: see microk8s-checks --help)`);
    })
    .parseAsync()) as AllLine['args'];
  let timeout: number;
  try {
    numbersAsTyped(process.argv.slice(2), y);
    timeout = checkTimeout(args.timeout);
  } catch (err) {
    usageError(reasonOf(err));
  }
  // An unset variable: read as "no MicroK8s here", every check of this node's own would be left out.
  if (args['snap-data'] === '')
    usageError('--snap-data was given an empty value (fix: give it a value, or leave the option out for its default)');
  // Three checks read the log side by side; a pipe gives each line to one of them only.
  if (args['log-file'] === '-')
    usageError(
      'all cannot read --log-file - (stdin): its log checks would share one pipe (fix: save the lines to a file and give --log-file FILE)',
    );
  const given = new Set(Object.keys(args).filter((k) => args[k] !== undefined && (passed.has(k) || k === 'snap-data')));
  return { args, timeout, given };
}
