import yargs, { type Argv } from 'yargs';
import { ReasonedError, UsageError, causeText } from '../errors.ts';
import { meant } from '../text.ts';
import { DEFAULT_LONG_OUTPUT_BYTES, FORMATS, type Format } from './output.ts';
import { Range } from './range.ts';
import type { CheckDefinition, CommonArgs } from './runner.ts';

/** The longest -t: an hour is far past any poller's own timeout, and Node's timers overflow at 24.8 days. */
export const MAX_TIMEOUT_SECONDS = 3600;

/** Seconds as -t takes them, and the launcher reads them: digits, one decimal point at most. */
const PLAIN_SECONDS = /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)$/;

const notPlainSeconds = (text: string) =>
  new UsageError(
    `-t/--timeout must be seconds in digits (one decimal point at most), above 0 and at most ${MAX_TIMEOUT_SECONDS}, not '${text}'`,
    { fix: 'give it as digits, e.g. -t 8 or -t 0.5' },
  );

const timeoutOutOfRange = (text: string, option = '-t/--timeout') =>
  new UsageError(`${option} must be a number of seconds above 0 and at most ${MAX_TIMEOUT_SECONDS}, not '${text}'`);

/** A deadline the run can keep: a number of seconds in (0, MAX_TIMEOUT_SECONDS]. */
export function checkTimeout(seconds: unknown, option = '-t/--timeout'): number {
  // `microk8s-checks all -t 5 -t 6`: its parser hands on both, where a check's refuses them (givenOnce).
  if (Array.isArray(seconds)) throw givenTimes(option, seconds.length);
  const n = Number(seconds);
  // What was typed out of range, or as no number at all, was refused as typed before (numbersAsTyped).
  if (typeof seconds !== 'number' || !Number.isFinite(n) || n <= 0 || n > MAX_TIMEOUT_SECONDS)
    throw timeoutOutOfRange(String(seconds), option);
  return n;
}

/** --max-long-output: whole bytes, 0 (no long output) or more; yargs hands on 'abc' as NaN. */
function checkLongOutput(bytes: number): void {
  if (Number.isInteger(bytes) && bytes >= 0) return;
  throw new UsageError(`--max-long-output must be a whole number of bytes, 0 or more, not '${String(bytes)}'`);
}

/** The longest --cycle: an hour, like -t. */
export const MAX_CYCLE_SECONDS = 3600;

/**
 * --cycle SECONDS: whole seconds from 1 to an hour, written plainly, as the launcher's own test
 * (launcher.mjs). As a number option yargs took 055, 0x10 and 1e3, which the launcher does not
 * serve: the check then ran alone without a word.
 */
export function checkCycle(seconds: unknown): number {
  const text = String(seconds);
  if (!/^[1-9][0-9]*$/.test(text) || Number(text) > MAX_CYCLE_SECONDS) {
    throw new UsageError(`--cycle must be whole seconds from 1 to ${MAX_CYCLE_SECONDS}, not '${text}'`, {
      fix: 'give it as digits, e.g. --cycle 50',
    });
  }
  return Number(text);
}

/** yargs reads a lone '-' as a positional; `--log-file -` means stdin, so bind it to its option. */
export function bindDashValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (argv[i + 1] === '-' && /^--?[A-Za-z][\w-]*$/.test(arg)) {
      out.push(`${arg}=-`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/**
 * How a check's parser and `all`'s read a command line alike (`all` hands each check the values
 * its own parser read): unknown-option messages name the option as written, never also its
 * camelCase twin; no dot notation, where `--host.x y` would make --host an object, read as no
 * host (this host's journal); a repeatable option takes one value each time it is given, as its
 * help says, never every word after it (`microk8s-checks -n web all` read `all` as a namespace
 * and found no command; `--unit a b` judged a unit b).
 */
export const PARSER_CONFIGURATION = { 'camel-case-expansion': false, 'dot-notation': false, 'greedy-arrays': false } as const;

/** What every check's common options default to (its parser's, and `all`'s share of the line). */
const COMMON_DEFAULTS = { timeout: 10, verbose: 0, format: 'nagios' as Format, 'max-long-output': DEFAULT_LONG_OUTPUT_BYTES };

/** A check's parser. */
function parser<A>(def: CheckDefinition<A>, argv: string[]): Argv<A & CommonArgs> {
  const base = yargs(bindDashValues(argv))
    .scriptName(def.command)
    .help(false)
    .version(false)
    .usage(`${def.command} - ${def.description}\n\nUsage: ${def.command} [options]`)
    .option('warning', {
      alias: 'w',
      type: 'string',
      describe: `warning range for the primary metric${unitNote(def)}${def.defaultWarning ? ` (default ${def.defaultWarning})` : ''}`,
    })
    .option('critical', {
      alias: 'c',
      type: 'string',
      describe: `critical range for the primary metric${unitNote(def)}${def.defaultCritical ? ` (default ${def.defaultCritical})` : ''}`,
    })
    .option('timeout', {
      alias: 't',
      type: 'number',
      default: COMMON_DEFAULTS.timeout,
      describe: 'whole-run deadline in seconds; past it: UNKNOWN',
    })
    .option('verbose', { alias: 'v', type: 'count', describe: 'more detail on stderr (repeatable)' })
    .option('format', { type: 'string', choices: FORMATS, default: COMMON_DEFAULTS.format, describe: 'output format' })
    .option('max-long-output', {
      type: 'number',
      default: COMMON_DEFAULTS['max-long-output'],
      describe: 'long output limit in bytes, the marker of lines cut included (0: the first line alone)',
    })
    .option('cycle', {
      // A string: digits are judged as written (checkCycle), never as yargs reads a number.
      type: 'string',
      describe:
        `serve the answer of a shared poll cycle begun less than this many seconds ` +
        `(1-${MAX_CYCLE_SECONDS}) before, as NRPE's command lines do (docs/poll-cycle.md); without ` +
        `the launcher the check runs alone`,
    })
    .option('help', { alias: 'h', type: 'boolean', describe: 'show this help' })
    .option('version', { alias: 'V', type: 'boolean', describe: 'show the version' })
    .strict()
    .parserConfiguration(PARSER_CONFIGURATION)
    .exitProcess(false)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err instanceof ReasonedError) throw err;
      throw new UsageError(msg ? usageWording(msg, base, argv) : causeText(err), { fix: `see ${def.command} --help` });
    }) as unknown as Argv<CommonArgs>;
  const y0 = def.options(base);
  // An option that takes a value and is given none (`--kubeconfig` at the end of a line) must not
  // quietly fall back to its default.
  const { string, number } = optionKinds(y0);
  return y0.requiresArg([...string, ...number]);
}

const unitNote = (def: Pick<CheckDefinition<unknown>, 'thresholdUnit'>) => (def.thresholdUnit ? `, in ${def.thresholdUnit}` : '');

/** Examples each on its own lines, so a command can be copied whole whatever the terminal's width. */
export function examplesText(def: Pick<CheckDefinition<unknown>, 'examples'>): string {
  if (!def.examples?.length) return '';
  return `\nExamples:\n${def.examples.map(([cmd, text]) => `  ${text}:\n    ${cmd}\n`).join('')}`;
}

/** What a check needs besides the deadline: its parsed options and threshold ranges. */
export interface Prepared<A> {
  args: A & CommonArgs;
  warning?: Range;
  critical?: Range;
}

type Parsed<A> = Prepared<A> & { help?: boolean; version?: boolean; y: Argv<A & CommonArgs> };

/** Parse a check's command line; throws UsageError on anything wrong. */
export function prepare<A>(def: CheckDefinition<A>, argv: string[]): Parsed<A> {
  const y = parser(def, argv);
  numbersAsTyped(argv, y);
  return parse(def, y);
}

/**
 * An option as a check declares it: the settings its `options` gives yargs. Checks call nothing
 * but .option() there, which optionSpecs relies on (test/unit/options.test.ts).
 */
export interface OptionSpec {
  key: string;
  type?: 'string' | 'number' | 'boolean';
  alias?: string | readonly string[];
  array?: boolean;
  default?: unknown;
  choices?: readonly unknown[];
  coerce?: (value: never) => unknown;
  describe?: string;
  hidden?: boolean;
}

/**
 * The options a check declares, read from its definition without building a parser. `all` reads
 * its command line once and hands each check its share (prepareGiven): a yargs parser built and
 * run per check cost it about 55 ms of CPU for 17 checks, its largest cost after the reads.
 */
export function optionSpecs(def: Pick<CheckDefinition<unknown>, 'options'>): OptionSpec[] {
  const specs: OptionSpec[] = [];
  const recorder = {
    option(key: string, settings: Omit<OptionSpec, 'key'>) {
      specs.push({ key, ...settings });
      return recorder;
    },
  };
  def.options(recorder as unknown as Argv<CommonArgs>);
  return specs;
}

/** An option a check declares of its own (the common ones, -w/-c/-t/..., are not among them). */
export interface DeclaredOption {
  key: string;
  aliases: string[];
  type: 'string' | 'number' | 'boolean';
  array: boolean;
  describe: string;
}

export const declared = (specs: OptionSpec[]): DeclaredOption[] =>
  specs.map((s) => ({ key: s.key, aliases: aliasesOf(s), type: s.type ?? 'string', array: s.array === true, describe: s.describe ?? '' }));

const aliasesOf = (s: OptionSpec): string[] => (s.alias === undefined ? [] : typeof s.alias === 'string' ? [s.alias] : [...s.alias]);

/**
 * A check's arguments in `all`: the values given for its own options, as `all`'s one parser read
 * them (each with the type this check declares), else their defaults; then judged as the check's
 * own parser judges a command line (coerce, choices, one value, none empty, its default
 * thresholds): the arguments its parser makes of `--key=value` for each given
 * (test/unit/options.test.ts compares the two).
 */
export function prepareGiven<A>(def: CheckDefinition<A>, specs: OptionSpec[], given: Record<string, unknown>): Prepared<A> {
  const args: Record<string, unknown> = { ...COMMON_DEFAULTS };
  const help = { fix: `see ${def.command} --help` };
  for (const s of specs) {
    let value = given[s.key] ?? s.default;
    if (value !== undefined && s.coerce) {
      try {
        value = s.coerce(value as never);
      } catch (err) {
        // As the check's parser says it: yargs hands on a coerce error's message alone.
        throw new UsageError(err instanceof Error ? err.message : String(err), help);
      }
    }
    if (value === undefined) continue;
    const wrong = s.choices && [value].flat().find((v) => !s.choices!.includes(v));
    if (wrong !== undefined) throw new UsageError(`--${s.key} must be one of ${s.choices!.join(', ')}, not '${String(wrong)}'`, help);
    for (const name of [s.key, ...aliasesOf(s)]) args[name] = value;
  }
  const keys = (test: (s: OptionSpec) => boolean) => specs.filter(test).map((s) => s.key);
  const kinds: YargsOptions = {
    key: Object.fromEntries(specs.map((s) => [s.key, true])),
    alias: Object.fromEntries(specs.map((s) => [s.key, aliasesOf(s)])),
    string: keys((s) => (s.type ?? 'string') === 'string'),
    number: keys((s) => s.type === 'number'),
    boolean: keys((s) => s.type === 'boolean'),
    array: keys((s) => s.array === true),
  };
  return judged(def, args as A & CommonArgs, kinds);
}

function parse<A>(def: CheckDefinition<A>, y: Argv<A & CommonArgs>): Parsed<A> {
  const args = y.parseSync() as unknown as A & CommonArgs & { help?: boolean; version?: boolean; _?: unknown[] };
  // strict() names a stray word, but not one after `--`: `-- --kubeconfig K` was quietly no kubeconfig.
  const [after] = args._ ?? [];
  if (after !== undefined) {
    throw new UsageError(`'${String(after)}' comes after '--', which ends the options: a check takes no other arguments`, {
      fix: "leave '--' out",
    });
  }
  return { ...judged(def, args, optionKinds(y)), help: args.help, version: args.version, y };
}

/** What a check's arguments must be beyond their types, and its threshold ranges. */
function judged<A>(def: CheckDefinition<A>, args: A & CommonArgs, kinds: YargsOptions): Prepared<A> {
  noNegatedValues(args, kinds.string);
  givenOnce(args, kinds);
  checkTimeout(args.timeout);
  checkLongOutput(args['max-long-output']);
  if (args.cycle !== undefined) checkCycle(args.cycle);
  noEmptyValues(args, kinds);
  const warningText = args.warning ?? def.defaultWarning;
  const criticalText = args.critical ?? def.defaultCritical;
  const warning = warningText === undefined || warningText === '' ? undefined : Range.parse(warningText, '-w/--warning', def.thresholdUnit);
  const critical =
    criticalText === undefined || criticalText === '' ? undefined : Range.parse(criticalText, '-c/--critical', def.thresholdUnit);
  const worse = worseOf(def);
  if (worse === 'less')
    notPlainWhereLessIsWorse(args.warning === undefined ? undefined : warning, args.critical === undefined ? undefined : critical);
  if (warning && critical)
    notInverted(warning, critical, { warning: args.warning === undefined, critical: args.critical === undefined }, worse);
  return { args, warning, critical };
}

interface YargsOptions {
  key: Record<string, boolean>;
  alias: Record<string, string[]>;
  string: string[];
  number: string[];
  boolean: string[];
  /** A check's parser lists -v here; a check's options as `all` hands them on (prepareGiven) have none. */
  count?: string[];
  array: string[];
}

/** Which options take strings and numbers, which repeat, and their aliases (yargs keeps this; its typings do not say so). */
const optionKinds = (y: Argv<unknown>) => (y as unknown as { getOptions(): YargsOptions }).getOptions();

/**
 * A value option that does not repeat (-w, --log-file) given twice is a mistake: yargs would hand
 * over both as a list ("a,b" as a file name, a crash on a range). Options that repeat (--host,
 * --server, --unit, --journal-file, -n) are declared as lists and take each value.
 */
function givenOnce(args: object, kinds: ReturnType<typeof optionKinds>): void {
  const repeatable = new Set(kinds.array.flatMap((k) => [k, ...(kinds.alias[k] ?? [])]));
  for (const key of [...kinds.string, ...kinds.number]) {
    const value = (args as Record<string, unknown>)[key];
    if (repeatable.has(key) || !Array.isArray(value)) continue;
    throw givenTimes(flagOf(key, kinds), value.length);
  }
}

/**
 * yargs' own words for a value missing at the end of the line or not among the choices, in the
 * suite's (as `all` words the same mistakes, prepareGiven): `-t/--timeout needs a value` for
 * "Not enough arguments following: t", `--format must be one of nagios, json, not 'xml'` for its
 * "Invalid values:" (three lines, the value in JSON). Anything else as yargs says it.
 */
export function usageWording(message: string, y: Argv<unknown>, argv: readonly string[]): string {
  const kinds = optionKinds(y);
  const missing = /^Not enough arguments following: (\S+)$/.exec(message);
  if (missing) return `${flagOf(keyOf(missing[1]!, kinds), kinds)} needs a value`;
  const unknown = /^Unknown arguments?: (.*)$/.exec(message);
  if (unknown) {
    // The likeliest option for each unknown word: --sinc is --since misspelt, at 3 a.m. more so.
    const names = [...Object.keys(kinds.key), ...Object.values(kinds.alias).flat()].filter((n) => n.length > 1);
    // Only for words written as options (`--sinc`): a stray value (`all more`) is no misspelt option.
    const written = new Set(argv.map((a) => optionWord(a)?.name));
    const hints = unknown[1]!.split(', ').flatMap((word) => {
      const near = written.has(word) ? meant(word, names) : undefined;
      return near ? [`--${near}`] : [];
    });
    return hints.length ? `${message} (did you mean ${hints.join(', ')}?)` : message;
  }
  const invalid = /^Invalid values:\s+Argument: (\S+), Given: (.*), Choices: (.*)$/m.exec(message);
  if (!invalid) return message;
  const unquoted = (json: string) => {
    try {
      return String(JSON.parse(json));
    } catch {
      return json;
    }
  };
  const flag = flagOf(keyOf(invalid[1]!, kinds), kinds);
  const given = unquoted(invalid[2]!);
  if (given === '') return `${flag} was given an empty value`;
  return `${flag} must be one of ${invalid[3]!.split(', ').map(unquoted).join(', ')}, not '${given}'`;
}

/** The option a name given on the command line (`t`, an alias) belongs to. */
const keyOf = (name: string, kinds: YargsOptions) =>
  Object.keys(kinds.alias).find((k) => k === name || kinds.alias[k]!.includes(name)) ?? name;

/** An option with all its names, as the messages about it name it: `-t/--timeout`. */
function flagOf(key: string, kinds: YargsOptions): string {
  const names = [key, ...(kinds.alias[key] ?? [])].sort((a, b) => a.length - b.length);
  return names.map((n) => `${n.length === 1 ? '-' : '--'}${n}`).join('/');
}

/**
 * A number option's value as written, judged before yargs reads it: given empty (`-t ''`,
 * `--attempt-warning=`: an unset shell variable) yargs reads 0, and a message then named a '0'
 * nobody wrote, or a threshold of 0 was judged; given something else (`-t 5s`, `--ssh-port abc`)
 * it reads NaN, and the message could only say "not a number". Only the command line as written
 * still says what was given. `all` asks it of its own parser too.
 */
export function numbersAsTyped(argv: string[], y: Argv<unknown>): void {
  const kinds = optionKinds(y);
  // Its names, aliases too (yargs lists `t` beside `timeout`).
  const numbers = new Set(kinds.number);
  const switches = new Set([...kinds.boolean, ...(kinds.count ?? [])].flatMap((k) => [k, ...(kinds.alias[k] ?? [])]));
  for (let i = 0; i < argv.length && argv[i] !== '--'; i++) {
    const word = shortNumber(argv[i]!, numbers, switches) ?? optionWord(argv[i]!);
    if (!word || !numbers.has(word.name)) continue;
    const value = word.attached ?? argv[i + 1];
    if (value === undefined) continue;
    const flag = flagOf(keyOf(word.name, kinds), kinds);
    if (value.trim() === '') throw emptyValue(flag);
    const typed = value.length > 40 ? `${value.slice(0, 40)}...` : value;
    const n = Number(value);
    if (Number.isNaN(n))
      throw new UsageError(`${flag} takes a number, not '${typed}'`, {
        fix: 'write it as a plain number, without a unit (5, not 5s or 5%)',
      });
    // 1e309 reads as Infinity and 1e-400 as 0: judged after, the message named a value nobody
    // wrote, and a limit like --budget took Infinity as "never".
    if (!Number.isFinite(n) || (n === 0 && /[1-9]/.test(value.replace(/e.*$/i, ''))))
      throw new UsageError(`${flag} takes a number, not '${typed}': it is ${n === 0 ? 'too small to tell from 0' : 'beyond any number'}`, {
        fix: 'write it as a plain number, e.g. 5',
      });
    if (keyOf(word.name, kinds) !== 'timeout') continue;
    // -t as the launcher reads it (launcher.mjs, centis): digits with one point at most. yargs read
    // 1e1 and 0x10 as 10 and 16 s, which the launcher cannot: with --cycle the check ran alone.
    if (!PLAIN_SECONDS.test(value)) throw notPlainSeconds(typed);
    // Out of range as typed: `-t 0.0` is refused as '0.0', not as the '0' read from it.
    if (!(n > 0 && n <= MAX_TIMEOUT_SECONDS)) throw timeoutOutOfRange(typed);
  }
}

/**
 * A short number option in a word, alone or last of a bundle of short switches, as yargs reads it
 * (`-vt5`, `-vvt 5`, `-vt=5` are `-v -t 5`), with the value written onto it (`-t5`, `-t=5`; none:
 * the next word). Undefined for any other word. What follows a short number option in its word is
 * its value as typed (`-tv5`: 'v5'), where yargs would read another option.
 */
function shortNumber(word: string, numbers: Set<string>, switches: Set<string>): { name: string; attached?: string } | undefined {
  if (!/^-[^-]/.test(word)) return undefined;
  let at = 1;
  while (at < word.length && switches.has(word[at]!)) at++;
  const name = word[at];
  if (name === undefined || !numbers.has(name)) return undefined;
  const rest = word.slice(at + 1);
  return { name, attached: rest === '' ? undefined : rest.replace(/^=/, '') };
}

/**
 * A word of a command line that names an option, as written (`--since=5m`, `-t`): its name, the
 * flag as typed, the value attached with `=`. Undefined for a value or a bundle of short flags.
 */
export function optionWord(word: string): { name: string; flag: string; attached?: string } | undefined {
  const m = /^(?:--([^=]+)|-([^-=]))(?:=(.*))?$/s.exec(word);
  if (!m) return undefined;
  const name = (m[1] ?? m[2])!;
  return { name, flag: `${m[1] !== undefined ? '--' : '-'}${name}`, attached: m[3] };
}

const givenTimes = (flag: string, times: number) =>
  new UsageError(`${flag} was given ${times} times: it takes one value`, { fix: 'give it once' });

const alertsAbove = (r: Range) => !r.inside && r.start <= 0 && Number.isFinite(r.end);
const alertsBelow = (r: Range) => !r.inside && r.end === Infinity && Number.isFinite(r.start);

/**
 * Which way the check's primary metric is worse, as its default ranges say (check_certs' `30:`:
 * less; every other default: more); undefined where it has none (check_leases).
 */
function worseOf(def: Pick<CheckDefinition<unknown>, 'defaultWarning' | 'defaultCritical'>): 'more' | 'less' | undefined {
  for (const text of [def.defaultWarning, def.defaultCritical]) {
    if (!text) continue;
    const r = Range.parse(text);
    if (alertsBelow(r)) return 'less';
    if (alertsAbove(r)) return 'more';
  }
  return undefined;
}

/** What a range alerting above its number is told where less is worse (notPlainWhereLessIsWorse, notInverted). */
const LESS_IS_WORSE = "but less is worse here: a range ending in ':' alerts below its number";

/**
 * A plain number (`60`: alert above 60) given where less is worse (check_certs' days left): Nagios
 * syntax, but never what was meant. `-w 60` alone, the other the default `7:`, was WARNING for
 * every certificate with over 60 days left, `-w 7 -c 30` CRITICAL for every one over 30: refused
 * as notInverted refuses two such ranges, telling the check's own way. Only the plain form: `~:60`,
 * `0:60`, `@8:60` and `10:20` are written on purpose, and judged as written. Each range is the
 * one given on the command line, undefined where it was left to its default.
 */
function notPlainWhereLessIsWorse(warning: Range | undefined, critical: Range | undefined): void {
  const plain = (r: Range | undefined): r is Range => r !== undefined && !r.inside && !r.text.includes(':');
  if (plain(warning) && plain(critical)) {
    const [high, low] = [Math.max(warning.end, critical.end), Math.min(warning.end, critical.end)];
    const order = critical.end > warning.end ? ', critical the smaller' : '';
    throw new UsageError(
      `-w '${warning.text}' and -c '${critical.text}' alert above their numbers, ${LESS_IS_WORSE}${order} (e.g. -w ${high}: -c ${low}:)`,
    );
  }
  for (const [r, flag] of [
    [warning, '-w'],
    [critical, '-c'],
  ] as const) {
    if (plain(r)) throw new UsageError(`${flag} '${r.text}' alerts above its number, ${LESS_IS_WORSE} (e.g. ${flag} ${r.end}:)`);
  }
}

/**
 * Ranges that alert above a bound (`10`, `~:10`: more is worse) or below one (`10:`: less is
 * worse) where critical is the milder of the two: WARNING could never be reached, and CRITICAL
 * would come first. Almost always the two values swapped, unless the check's metric is worse the
 * other way (`worse`, from its defaults): then the ranges were written the wrong way round
 * (check_certs -w 30 -c 7, days as check_ssl_cert takes them), and the swap would alert on health.
 */
function notInverted(
  warning: Range,
  critical: Range,
  isDefault: { warning: boolean; critical: boolean },
  worse: 'more' | 'less' | undefined,
): void {
  const said = (r: Range, flag: string, dflt: boolean) => `${flag} '${r.text}'${dflt ? ' (the default)' : ''}`;
  const w = said(warning, '-w', isDefault.warning);
  const c = said(critical, '-c', isDefault.critical);
  if (alertsAbove(warning) && alertsAbove(critical) && critical.end < warning.end) {
    if (worse === 'less')
      throw new UsageError(`${w} and ${c} alert above their numbers, ${LESS_IS_WORSE} (e.g. -w ${warning.end}: -c ${critical.end}:)`);
    throw new UsageError(
      `${c} is below ${w}: more is worse here, so critical must be the larger (e.g. -w ${critical.text} -c ${warning.text})`,
    );
  }
  if (alertsBelow(warning) && alertsBelow(critical) && critical.start > warning.start) {
    if (worse === 'more')
      throw new UsageError(
        `${w} and ${c} alert below their numbers, but more is worse here: a plain number alerts above it ` +
          `(e.g. -w ${warning.start} -c ${critical.start})`,
      );
    throw new UsageError(
      `${c} is above ${w}: less is worse here, so critical must be the smaller (e.g. -w ${critical.text} -c ${warning.text})`,
    );
  }
}

/**
 * yargs reads `--no-host` as --host false, for any option (a number option as 0): a string option
 * given so would be read as a host named "false", or crash the check. It takes a value; leaving it
 * out is its default.
 */
function noNegatedValues(args: object, strings: string[]): void {
  for (const key of strings) {
    const value = (args as Record<string, unknown>)[key];
    if (typeof value === 'boolean' || (Array.isArray(value) && value.some((v) => typeof v === 'boolean'))) {
      throw new UsageError(`--no-${key} is not an option: --${key} takes a value`, { fix: `leave --${key} out for its default` });
    }
  }
}

/**
 * `-w ''` or `--kubeconfig ''` (an unset shell variable) is a mistake, never "use the default";
 * so is a list option with no value at all (`microk8s-checks all --host` at the end of the line:
 * `all`'s parser hands on an empty list, which would read this host instead).
 */
function noEmptyValues(args: object, kinds: YargsOptions): void {
  for (const key of kinds.string) {
    const value = (args as Record<string, unknown>)[key];
    if (value === '' || (Array.isArray(value) && (value.length === 0 || value.includes('')))) {
      // Named with all its names (`-w/--warning`), as every other message about an option names it.
      throw emptyValue(flagOf(keyOf(key, kinds), kinds));
    }
  }
}

const emptyValue = (flag: string) =>
  new UsageError(`${flag} was given an empty value`, { fix: 'give it a value, or leave the option out for its default' });
