// `microk8s-checks all` reads its command line once and hands each check its share without
// building the check's parser (lib/plugin/arguments.ts, prepareGiven). What a check gets there must
// be what its own parser makes of the same options written out (`--key=value` for each), the way
// `all` passed them before: the same arguments, or the same usage error.
import { describe, expect, it } from 'vitest';
import { REGISTRY } from '../../checks/registry.ts';
import { type OptionSpec, optionSpecs, prepare, prepareGiven } from '../../lib/plugin/arguments.ts';
import { type CheckDefinition, reasonOf } from '../../lib/plugin/runner.ts';

type Check = CheckDefinition<unknown>;

/** The options as `all` wrote them out for a check's parser. */
const written = (given: Record<string, unknown>): string[] =>
  Object.entries(given).flatMap(([key, value]) =>
    [value].flat().map((v) => (typeof v === 'boolean' ? `--${v ? '' : 'no-'}${key}` : `--${key}=${String(v)}`)),
  );

// Keys only a parser has: positionals, the script, help/version and the common options' aliases.
const PARSER_ONLY = ['_', '$0', 'help', 'h', 'version', 'V', 't', 'v', 'w', 'c'];

function outcome(run: () => { args: object; warning?: unknown; critical?: unknown }) {
  try {
    const p = run();
    const args = Object.fromEntries(Object.entries(p.args).filter(([k, v]) => !PARSER_ONLY.includes(k) && v !== undefined));
    return { args, warning: p.warning, critical: p.critical };
  } catch (err) {
    return { error: reasonOf(err) };
  }
}

/**
 * Values of each kind a user may give `all`, the awkward ones too, as `all`'s parser hands them
 * on: a list for a repeatable option, and for any other given twice. Not NaN: what is not a
 * number is refused as typed by both parsers (numbersAsTyped), before a check gets its share.
 */
function samples(s: OptionSpec): unknown[] {
  const one = s.choices
    ? [s.choices[0], 'not-a-choice']
    : s.type === 'number'
      ? [2222, 0, -1]
      : s.type === 'boolean'
        ? [true, false]
        : ['node-1', '', '-', '/tmp/a b'];
  // --no-<option> of a string option: yargs reads false, in `all`'s parser as in the check's own
  // (a number option reads 0, sampled already).
  const negated = !s.choices && (s.type ?? 'string') === 'string' ? [false] : [];
  if (s.array) return [...[...one, ...negated].map((v) => [v]), [one[0], one[1]]];
  return s.type === 'boolean' ? one : [...one, [one[0], one[0]], ...negated];
}

const checks = await Promise.all(REGISTRY.map(async (e) => ({ entry: e, check: (await e.load()).check as Check })));

describe("a check's share of `all`'s command line", () => {
  it.each(checks.map((c) => [c.entry.command, c.check] as const))('%s: its options read without a parser', (_, check) => {
    // Checks declare options with .option() only: anything else would throw here.
    const specs = optionSpecs(check);
    expect(specs.length).toBeGreaterThan(0);
    expect(specs.every((s) => ['string', 'number', 'boolean'].includes(s.type ?? ''))).toBe(true);
  });

  it.each(checks.map((c) => [c.entry.command, c.check] as const))('%s: the same arguments as its own parser makes', (_, check) => {
    const specs = optionSpecs(check);
    const cases: Record<string, unknown>[] = [{}];
    for (const s of specs) for (const v of samples(s)) cases.push({ [s.key]: v });
    for (const given of cases) {
      const direct = outcome(() => prepareGiven(check, specs, given));
      const parsed = outcome(() => prepare(check, written(given)));
      const line = `${check.command} ${written(given).join(' ')}`;
      // Refused alike; an empty value yargs reads as none (a list's) is one that needs a value.
      if (/ needs a value\b/.test(parsed.error ?? '')) expect(direct.error, line).toMatch(/ was given an empty value /);
      else expect(direct, line).toEqual(parsed);
    }
  });

  // A check's own rule for a value (--ssh-port's range, --database's plain name) sees both values
  // of an option given twice as a list: the one wording for that comes first, in both parsers.
  it.each(checks.map((c) => [c.entry.command, c.check] as const))('%s: a value option given twice is named so', (_, check) => {
    const specs = optionSpecs(check);
    for (const s of specs.filter((s) => !s.array && s.type !== 'boolean')) {
      const v = s.choices?.[0] ?? (s.type === 'number' ? 22 : s.key === 'database' ? 'k8s' : 'node-1');
      const said = /^-\S+ was given 2 times: it takes one value/;
      expect(outcome(() => prepare(check, written({ [s.key]: [v, v] }))).error, s.key).toMatch(said);
      expect(outcome(() => prepareGiven(check, specs, { [s.key]: [v, v] })).error, s.key).toMatch(said);
    }
  });

  // Read as 0 by yargs, it was judged as 0 (a threshold) or refused as a '0' nobody wrote.
  it.each(checks.map((c) => [c.entry.command, c.check] as const))('%s: a number option given empty says so', (_, check) => {
    const numbers = optionSpecs(check)
      .filter((s) => s.type === 'number')
      .map((s) => s.key);
    for (const key of [...numbers, 'timeout', 'max-long-output']) {
      for (const argv of [[`--${key}`, ''], [`--${key}=`]])
        expect(outcome(() => prepare(check, argv)).error, argv.join(' ')).toMatch(
          new RegExp(`^(-\\w/)?--${key} was given an empty value `),
        );
    }
  });

  // One value each time a repeatable option is given: the next word is no value of it.
  it.each(checks.map((c) => [c.entry.command, c.check] as const))('%s: a repeatable option takes one word', (_, check) => {
    for (const s of optionSpecs(check).filter((s) => s.array && !s.choices)) {
      expect(outcome(() => prepare(check, [`--${s.key}`, 'a', 'b'])).error, s.key).toMatch(/^Unknown argument: b /);
    }
  });

  it('is read with one type: every check that takes an option declares it alike', () => {
    const seen = new Map<string, { command: string; type?: string; array: boolean }>();
    const differ: string[] = [];
    for (const { check } of checks) {
      for (const s of optionSpecs(check)) {
        const first = seen.get(s.key);
        const mine = { command: check.command, type: s.type, array: s.array === true };
        if (!first) seen.set(s.key, mine);
        else if (first.type !== mine.type || first.array !== mine.array) differ.push(`--${s.key}: ${first.command} and ${check.command}`);
      }
    }
    expect(differ).toEqual([]);
  });
});
