// --format junit: one testcase per check in the JUnit XML that CI systems read (GitLab's
// artifacts:reports:junit, GitHub test reporters, Jenkins): testsuites > testsuite > testcase.
// WARNING and CRITICAL are a <failure>, UNKNOWN an <error> (the check could not tell), a check
// that does not apply here is <skipped>; the message is the Nagios first line without perfdata,
// the element's text the long output, and <system-out> the check's whole Nagios output.
import { hostname } from 'node:os';
import { formatPerfdata } from './perfdata.ts';
import { State, stateName } from './state.ts';
import type { Outcome, Skipped } from './verdict.ts';

/** Characters XML 1.0 cannot carry at all (a log line's control bytes) become spaces. */
const NOT_XML =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters XML forbids.
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const text = (s: string) => s.replace(NOT_XML, ' ').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** Attribute values keep their line breaks as character references. */
const attr = (s: string) => text(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');

/** Every testcase's class: the suite of plugins, whichever command ran. */
const CLASSNAME = 'microk8s-checks';

export interface SuiteInfo {
  /** The suite's name: the command that ran (microk8s-checks, check_dqlite_lock). */
  name: string;
  timestamp?: Date;
  host?: string;
}

function testcase(o: Outcome, firstLine: (o: Outcome) => string): string {
  const first = firstLine(o);
  const perf = o.perfdata.map(formatPerfdata).join(' ');
  const out = `${[perf ? `${first} | ${perf}` : first, ...o.details].join('\n')}\n`;
  const long = o.details.join('\n');
  const kind = o.state === State.UNKNOWN ? 'error' : o.state === State.OK ? undefined : 'failure';
  const verdict = kind ? `\n      <${kind} type="${stateName(o.state)}" message="${attr(first)}">${text(long)}</${kind}>` : '';
  return (
    `    <testcase classname="${CLASSNAME}" name="${attr(o.check)}">${verdict}\n      ` +
    `<system-out>${text(out)}</system-out>\n    </testcase>`
  );
}

/**
 * The report; firstLine is the Nagios first line without perfdata (output.ts words it, so the
 * message is what Nagios would show).
 */
export function junit(outcomes: Outcome[], skipped: Skipped[], suite: SuiteInfo, firstLine: (o: Outcome) => string): string {
  const count = (s: State) => outcomes.filter((o) => o.state === s).length;
  const failures = count(State.WARNING) + count(State.CRITICAL);
  const errors = count(State.UNKNOWN);
  const tests = outcomes.length + skipped.length;
  const totals = `tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped.length}"`;
  const stamp = (suite.timestamp ?? new Date()).toISOString().replace(/\.\d{3}Z$/, '');
  const cases = [
    ...outcomes.map((o) => testcase(o, firstLine)),
    ...skipped.map(
      (s) => `    <testcase classname="${CLASSNAME}" name="${attr(s.check)}">\n      <skipped message="${attr(s.why)}"/>\n    </testcase>`,
    ),
  ];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(suite.name)}" ${totals}>`,
    `  <testsuite name="${attr(suite.name)}" ${totals} timestamp="${stamp}" hostname="${attr(suite.host ?? hostname())}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
