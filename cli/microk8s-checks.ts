// `microk8s-checks all`: every check that applies on this host, run concurrently in this one
// process under one deadline (the Kubernetes client loads once), as a table, or as a JSON array
// for CI smoke jobs; the exit code is the worst state.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import yargs from 'yargs';
import { REGISTRY, type Entry, type Needs } from '../checks/registry.ts';
import { createLogger, type Logger } from '../lib/logger.ts';
import { Deadline } from '../lib/plugin/deadline.ts';
import { type Format, headline, reasonsAside, renderMany, requestedFormat, summaryText, unknownOutcome } from '../lib/plugin/output.ts';
import { REINSTALL_FIX, UsageError } from '../lib/errors.ts';
import { finish } from '../lib/plugin/exit.ts';
import { timedFirst } from '../lib/plugin/head-start.ts';
import {
  bindDashValues,
  cannotTell,
  checkTimeout,
  declared,
  type DeclaredOption,
  guardProcess,
  numbersAsTyped,
  optionWord,
  type OptionSpec,
  optionSpecs,
  outcomeOf,
  PARSER_CONFIGURATION,
  prepareGiven,
  reasonOf,
  VERSION,
  type CheckDefinition,
  usageWording,
} from '../lib/plugin/runner.ts';
import { State, stateName, worst } from '../lib/plugin/state.ts';
import type { Outcome, Skipped } from '../lib/plugin/verdict.ts';
import { impliedNode, nodeChoice } from '../lib/names.ts';
import type { SshArgs } from '../lib/options/ssh.ts';
import { nodeToJudge } from '../lib/sources/ssh/host-name.ts';
import { shareReads, type SharedReads } from '../lib/shared-reads.ts';
import { MICROK8S_CERT_DIR } from '../lib/sources/certs.ts';
import { DQLITE_BACKEND } from '../lib/sources/dqlite.ts';
import { absent } from '../lib/files.ts';
import { isWorker, readLocks, runsDqlite, SNAP_DATA, SnapDataError } from '../lib/sources/snap-locks.ts';
import { CALICO_MANIFEST, otherCni } from '../lib/sources/snap-cni.ts';

const COLORS: Record<string, string> = { OK: '32', WARNING: '33', CRITICAL: '31', UNKNOWN: '35' };

function table(outcomes: Outcome[], skipped: Skipped[], color: boolean): string {
  const w = Math.max(5, ...outcomes.map((o) => o.check.length), ...skipped.map((s) => s.check.length));
  const paint = (s: string, state: string) => (color ? `\u001b[${COLORS[state] ?? '0'}m${s}\u001b[0m` : s);
  const lines = [`${'CHECK'.padEnd(w)}  ${'STATE'.padEnd(8)}  SUMMARY`];
  for (const o of outcomes)
    lines.push(`${o.check.padEnd(w)}  ${paint(stateName(o.state).padEnd(8), stateName(o.state))}  ${summaryText(o.summary)}`);
  for (const s of skipped) lines.push(`${s.check.padEnd(w)}  ${'skipped'.padEnd(8)}  ${summaryText(s.why)}`);
  return `${lines.join('\n')}\n`;
}

interface Run {
  def: Pick<CheckDefinition<unknown>, 'name' | 'gate'>;
  start: (deadline: Deadline, log: Logger, shared: SharedReads) => Promise<Outcome>;
}

/** A check with its share of the command line; a bad option is its own UNKNOWN, not the whole run's. */
function plan<A>(def: CheckDefinition<A>, specs: OptionSpec[], given: Record<string, unknown>): Run {
  return {
    def,
    start: async (deadline, log, shared) => {
      try {
        return await outcomeOf(def, prepareGiven(def, specs, given), deadline, log, shared);
      } catch (err) {
        return cannotTell(def, reasonOf(err), err instanceof UsageError);
      }
    },
  };
}

/** A check's definition, where it loaded. */
const loaded = (c: { check: unknown }): CheckDefinition<unknown> | undefined =>
  c.check && !(c.check instanceof Error) ? (c.check as CheckDefinition<unknown>) : undefined;

/** What `all` found on this host, and the inputs it was given. */
interface Host {
  journal: boolean;
  restart: boolean;
  /** Why no kubeconfig can be used, if so. */
  api?: string;
  /** Why this host is no MicroK8s node whose own inputs a check may read, if so. */
  notNode?: string;
  /** Why this node runs no dqlite of its own (a worker, or external etcd), if so. */
  noDqlite?: string;
  /** Why this node runs no API server of its own (a worker), if so. */
  worker?: string;
  /** Why this node has no calico routes (its files say another CNI), if so. */
  otherCni?: string;
  /** Why what this host is cannot be told (its $SNAP_DATA unreadable, or none), if so: no check of its own is left out on a guess. */
  unsure?: Unsure;
  /** The hosts read over SSH (--host). */
  hosts: string[];
  /** Why no node can be gated without --node (impliedNode), if so. */
  noGated?: string;
  /** The options given to `all`. */
  given: Set<string>;
}

/** The options that point a journal check at lines other than this host's own MicroK8s units. */
const LINES = ['host', 'journal-dir', 'journal-file', 'log-file', 'unit'];

/** Why a check of this node's own inputs can be neither run nor left out: its row is UNKNOWN saying so. */
class Unsure {
  constructor(readonly why: string) {}
}

/** Whether a check can run on this host: undefined, why not (it is left out), or why that cannot be told. */
function applies(needs: Needs, have: Host): string | Unsure | undefined {
  // A check that judges this node's own inputs, where they are not this node's: unless it was
  // pointed at them (over SSH with --host, or a directory given), it is left out, saying why.
  // Where what this host is cannot be told, neither: left out, a node's check would vanish from
  // the worst state on a guess.
  const own = (pointed: string[], why: string | undefined) => (pointed.some((o) => have.given.has(o)) ? undefined : (have.unsure ?? why));
  switch (needs) {
    // A host that is no node has no MicroK8s lines in its journal: a quiet OK there would be about nothing.
    case 'journal':
      return have.journal ? own(LINES, have.notNode) : 'no journalctl on this host (read journal files with --journal-dir/--journal-file)';
    case 'dqlite-journal':
      return applies('journal', have) ?? own(LINES, have.noDqlite && `${have.noDqlite}: no k8s-dqlite journal to read here`);
    // systemd's own test for "booted with systemd" (sd_booted): without it there are no units to
    // read, unless units were named (--unit): asked for, they are judged, and a systemctl that
    // cannot answer is check_services' UNKNOWN, as a kubeconfig asked for is the API checks'.
    case 'systemd':
      return (
        own(['host'], have.notNode) ??
        (existsSync('/run/systemd/system') || have.given.has('host') || have.given.has('unit')
          ? undefined
          : 'systemd is not running on this host (name units with --unit to judge them all the same)')
      );
    // Past own(...), the lock files say this is a control-plane node: what is missing is where its
    // files are (a --snap-data elsewhere), so the row says what to give, never "not a node".
    case 'backend':
      return (
        own(['host', 'backend-dir'], have.notNode ?? have.noDqlite) ??
        (!absent(DQLITE_BACKEND) || have.given.has('host') || have.given.has('backend-dir')
          ? undefined
          : `no dqlite backend at ${DQLITE_BACKEND} (give --backend-dir, or --host for a node over SSH)`)
      );
    case 'api':
      return have.api;
    case 'apiserver':
      return (
        have.api ??
        own(
          ['server'],
          have.worker &&
            `${have.worker}: its API server address is apiserver-proxy, which forwards to one control-plane node or another ` +
              '(judge the API server on the control-plane nodes, or give --server)',
        )
      );
    // The routes read are this host's (or --host's over SSH), judged as --node's, as the check
    // does alone: on a host that is no node they are no node's, and every pod would lack a route.
    case 'routes':
      return (
        have.api ??
        (have.hosts.length > 1
          ? `it reads one node's routing table, and --host names ${have.hosts.length} hosts (run check_calico_routes --host NODE for each)`
          : undefined) ??
        // Alone a usage error, here every poll's UNKNOWN: --host as an address ($HOSTADDRESS$) is usual.
        (have.noGated && `it judges one node's pods: give --node (${have.noGated})`) ??
        own(['host'], have.notNode && `this host's routing table is no node's (give --host for the node's, over SSH): ${have.notNode}`) ??
        own(['host'], have.otherCni)
      );
    // Files pointed at are judged whatever the kubeconfig (check_certs says it as an UNKNOWN part).
    case 'certs':
      return (
        (have.given.has('cert-dir') || have.given.has('cert') ? undefined : have.api) ??
        own(['cert-dir', 'cert'], have.notNode ?? (have.noDqlite && `${have.noDqlite}: its certificates are the control plane's`)) ??
        (!absent(MICROK8S_CERT_DIR) || have.given.has('cert-dir') || have.given.has('cert')
          ? undefined
          : `no MicroK8s certificates at ${MICROK8S_CERT_DIR} (give --cert-dir)`)
      );
    case 'restart':
      return (
        have.api ??
        (have.restart ? undefined : 'runs only for a restart being planned: give --node (and journal files or a local journal)') ??
        (have.noGated && `it gates one node's restart: give --node (${have.noGated})`) ??
        own(['host'], have.notNode ?? have.noDqlite)
      );
  }
}

/** Why --host implies no node for the gate (lib/names.ts), as the gate run alone would say. */
function whyNoNode(hosts: string[]): string | undefined {
  const implied = impliedNode(hosts, hostname());
  return 'why' in implied ? implied.why : undefined;
}

/** A check's share of the command line as it parses it, or nothing where it refuses it (its own usage error). */
function optionsOf(c: { check: unknown; specs?: OptionSpec[]; given: Record<string, unknown> }): SshArgs | undefined {
  const def = loaded(c);
  try {
    return def && c.specs ? (prepareGiven(def, c.specs, c.given).args as SshArgs) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The node of the one --host, where its own name is to be asked (nodeChoice's `ask`), over the
 * run's shared connection to it; nothing where the checks derive it alike without asking (or
 * refuse the --host themselves, as they do alone). The session asked on is held (`held`) until the
 * checks are done: let go at once, the connection closed before they started, a second login.
 */
async function hostNode(
  hosts: string[],
  args: SshArgs,
  deadline: Deadline,
  shared: SharedReads,
): Promise<{ node?: string; held?: { close(): void }; error?: unknown }> {
  let choice: ReturnType<typeof nodeChoice>;
  try {
    choice = nodeChoice(undefined, hosts);
  } catch {
    return {};
  }
  if ('node' in choice) return {};
  try {
    const { node, on } = await nodeToJudge(choice, args, deadline, shared.ssh);
    return { node, held: on?.conn };
  } catch (error) {
    return { error };
  }
}

/** This host as a MicroK8s node, from its lock files (lib/sources/snap-locks.ts). */
function node(snapData: string): { notNode?: string; noDqlite?: string; worker?: string; otherCni?: string; unsure?: Unsure } {
  let locks: ReturnType<typeof readLocks>;
  try {
    locks = readLocks(snapData);
  } catch (err) {
    // Only a $SNAP_DATA that is not there says no MicroK8s is here; one unreadable, or no
    // $SNAP_DATA at all (a mistyped --snap-data), says nothing of what this host is.
    if (err instanceof SnapDataError && err.notInstalled) return { notNode: reasonOf(err) };
    return { unsure: new Unsure(`cannot tell whether it applies here: ${reasonOf(err)}`) };
  }
  const other = otherCni(snapData);
  const cni = other && {
    otherCni:
      `this node runs ${other.cni}, not Calico: its args/cni-network holds ${other.file} and no ${CALICO_MANIFEST} (Calico's manifest): ` +
      'no calico routes to judge (give --host to judge another node)',
  };
  const worker = 'this node is a MicroK8s worker';
  if (isWorker(locks)) return { noDqlite: `${worker} (no dqlite of its own)`, worker, ...cni };
  if (!runsDqlite(locks)) return { noDqlite: 'this node runs no dqlite of its own (no-k8s-dqlite: external etcd)', ...cni };
  return { ...cni };
}

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
function ownJudgementGiven(argv: string[], defs: { command: string; file: string; options: DeclaredOption[] }[]) {
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
const longOutputGiven = (argv: string[]) => {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((token) => optionWord(token)?.name === 'max-long-output');
};

/**
 * No command, where the word `all` was there as the value of an option written before it
 * (`microk8s-checks -n all`, `--host all`): the option is named, not only that the command is
 * missing, which would send the user looking for a command they did write.
 */
function eatenCommand(argv: string[]): UsageError | undefined {
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
function unknownCommand(word: string): UsageError {
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
function passedOptions(defs: { command: string; options: DeclaredOption[] }[]): Map<string, DeclaredOption & { commands: string[] }> {
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
function givenFor(specs: OptionSpec[], args: Record<string, unknown>): Record<string, unknown> {
  const given: Record<string, unknown> = {};
  for (const { key } of specs) if (args[key] !== undefined && !OWN_JUDGEMENT.has(key)) given[key] = args[key];
  return given;
}

/**
 * The whole run's one outcome (a usage error, a bug, a signal before any check started), in the
 * format asked for, so that a textfile collector or a CI reader gets an UNKNOWN it can read; as
 * Nagios text one line, as a check's (yargs' "Invalid values:" runs over three).
 */
function shown(outcome: Outcome): string {
  const format = requestedFormat(process.argv.slice(2));
  return format === 'nagios' ? `${headline(outcome)}\n` : renderMany([outcome], [], format, 'microk8s-checks');
}

/** Why the whole run could not tell, on stderr where its format has no room for it (reasonsAside). */
const aside = (outcome: Outcome) => reasonsAside([outcome], requestedFormat(process.argv.slice(2)));

/** A usage error of the whole run: UNKNOWN (3), like a check's, never a code a CI job reads as WARNING. */
function usageError(reason: string): never {
  const outcome = unknownOutcome('MICROK8S-CHECKS', reason);
  finish(shown(outcome), 3, aside(outcome));
}

async function main(): Promise<void> {
  // The launchers' shared NRPE cycle (docs/poll-cycle.md): its own small command line.
  if (process.argv[2] === 'cycle') {
    const { runCycle } = await import('./cycle.ts');
    await runCycle(process.argv.slice(3));
  }
  // Every check's own options, from its definition: all the checks are loaded (they start at once).
  const defs = await Promise.all(
    REGISTRY.map(async (entry) => {
      const check = await entry.load().then(
        (m) => m.check,
        (err: unknown) => err,
      );
      // Its options, for `all`'s own parser now and its share of the line later.
      const specs = check instanceof Error || !check ? undefined : optionSpecs(check as CheckDefinition<unknown>);
      return { entry, check, specs, options: declared(specs ?? []) };
    }),
  );
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
    .parseAsync()) as Record<string, unknown> & {
    timeout: number;
    format: 'table' | Exclude<Format, 'nagios'>;
    color?: boolean;
    'snap-data'?: string;
  };
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
  const text = (key: string) => (typeof args[key] === 'string' ? (args[key] as string) : undefined);

  // No kubeconfig to be found is a host without API access: its API checks are left out. One
  // asked for (--kubeconfig, --context, $KUBECONFIG) that cannot be used is each API check's
  // UNKNOWN: left out, they would vanish from the worst state and let a typo read as OK.
  let api: string | undefined;
  // Asked for however it was given: given twice, or as --no-kubeconfig, each API check says so.
  const asked = args.kubeconfig !== undefined || args.context !== undefined || Boolean(process.env.KUBECONFIG);
  // What the checks read alike is read once: the journal, the kubeconfig, the Pods, Nodes and leases.
  // Its requests serve several checks: with -vv they are logged once, as the shared reads'.
  const shared = shareReads(await createLogger(Number(args.verbose ?? 0), { check: 'shared reads' }));
  try {
    shared.kube?.setup.config({ kubeconfig: text('kubeconfig'), context: text('context') });
  } catch (err) {
    if (!asked) api = reasonOf(err);
  }
  const hosts = Array.isArray(args.host) ? args.host.filter((h): h is string => typeof h === 'string') : [];
  const journalInput = ['journal-dir', 'journal-file', 'log-file', 'host'].some((k) => given.has(k));
  const have: Host = {
    journal: journalInput || ['/usr/bin/journalctl', '/bin/journalctl'].some(existsSync),
    restart: journalInput || given.has('node'),
    api,
    hosts,
    noGated: given.has('node') ? undefined : whyNoNode(hosts),
    ...node(args['snap-data'] ?? SNAP_DATA),
    given,
  };
  const chosen: {
    entry: Entry;
    check: unknown;
    specs?: OptionSpec[];
    given: Record<string, unknown>;
    unsure?: Unsure;
    /** Why the node it judges could not be asked of the one --host (hostNode). */
    unnamed?: unknown;
  }[] = [];
  const skipped: Skipped[] = [];
  for (const { entry, check, specs } of defs) {
    const why = applies(entry.needs, have);
    if (why === undefined || why instanceof Unsure) chosen.push({ entry, check, specs, given: givenFor(specs ?? [], args), unsure: why });
    else skipped.push({ check: entry.name, why });
  }

  // -v: each check logs as it does alone, its lines naming it (they interleave on stderr).
  const logs = await Promise.all(chosen.map(({ entry }) => createLogger(Number(args.verbose ?? 0), { check: entry.name })));
  const results: (Outcome | undefined)[] = chosen.map(() => undefined);
  const report = (): never => {
    // Each check under its own view of the deadline: a row names what that check waited for when
    // -t was reached or a signal stopped the run (Deadline.reason); the checks done keep theirs.
    // As the check itself: a gate (restart-preflight) still waiting is a NO-GO, never UNKNOWN.
    const outcomes = results.map((o, i) => o ?? cannotTell(loaded(chosen[i]!) ?? chosen[i]!.entry, clocks[i]!.reason()));
    const state = outcomes.length ? worst(outcomes.map((o) => o.state)) : State.UNKNOWN;
    // No check applies: UNKNOWN, the run's own, in every format as its usage errors are (a JSON row,
    // a JUnit error, OpenMetrics' state of microk8s-checks and its line on stderr), beside the skipped.
    const none = unknownOutcome('MICROK8S-CHECKS', 'no check applies on this host');
    if (args.format !== 'table') {
      const shown = outcomes.length ? outcomes : [none];
      finish(renderMany(shown, skipped, args.format, 'microk8s-checks'), state, reasonsAside(shown, args.format));
    }
    if (!outcomes.length) finish(`${headline(none)}\n${table([], skipped, false)}`, state);
    finish(
      `${table(outcomes, skipped, args.color ?? (Boolean(process.stdout.isTTY) && !process.env.NO_COLOR))}worst: ${stateName(state)}\n`,
      state,
    );
  };
  const deadline = Deadline.fromProcessStart(timeout, report);
  const clocks = chosen.map(() => deadline.child());
  // From here a signal (NRPE's own timeout, Ctrl-C) ends the run as -t would (guardProcess).
  running = deadline;
  // One --host without --node: the node the gate and calico-routes judge is the name that host
  // gives itself, asked once for the run, before any check starts. Asked by each, after the others
  // had begun, their lists missed the others' turn: the Pods and the Deployments were listed twice.
  const judging = chosen.filter((c) => !c.unsure && c.specs?.some((o) => o.key === 'node'));
  // Its SSH options as the checks read them: a line they refuse (--ssh-port twice) is their usage error, never asked on.
  const ssh = judging.length && !given.has('node') ? optionsOf(judging[0]!) : undefined;
  const named = ssh ? await hostNode(hosts, ssh, deadline, shared) : undefined;
  for (const c of judging) {
    if (named?.node !== undefined) c.given.node = named.node;
    if (named?.error !== undefined) c.unnamed = named.error;
  }
  // Every check starts in one turn (each was loaded above), so that what several read alike is
  // asked for together and read once: the journal (dqlite-lock, kine-retries, restart-preflight),
  // the Pods, the Nodes and the leader leases (lib/shared-reads.ts). A timed check (check_apiserver)
  // starts first, alone, so that their work does not count in its time (lib/plugin/head-start.ts).
  const isTimed = (i: number) => loaded(chosen[i]!)?.timed === true;
  await timedFirst(
    chosen.map((_, i) => i),
    isTimed,
    async (i) => {
      const { entry, check, specs, given, unsure, unnamed } = chosen[i]!;
      if (unsure) {
        // Its definition, not the registry's entry: the gate's cannot-tell is NO-GO, as any gate's.
        results[i] = cannotTell(loaded(chosen[i]!) ?? entry, unsure.why);
        return;
      }
      if (unnamed !== undefined) {
        // As the check says it alone: a name that is no node's is a usage error, a host that cannot be asked its reason.
        results[i] = cannotTell(loaded(chosen[i]!) ?? entry, reasonOf(unnamed), unnamed instanceof UsageError);
        return;
      }
      if (!check || check instanceof Error || !specs) {
        // Its bundle's files missing or of another version (an interrupted upgrade), as its launcher says it alone (build.mjs).
        const why = check instanceof Error ? check.message.split('\n')[0] : 'no check in its module';
        results[i] = cannotTell(entry, `cannot load ${entry.command}: ${why} (fix: ${REINSTALL_FIX})`);
        return;
      }
      results[i] = await plan(check as CheckDefinition<unknown>, specs, given).start(clocks[i]!, logs[i]!, shared);
    },
  );
  named?.held?.close();
  deadline.cancel();
  report();
}

/** The checks' deadline, once they start. */
let running: Deadline | undefined;
guardProcess({ name: 'MICROK8S-CHECKS' }, shown, () => running, undefined, aside);
void main();
