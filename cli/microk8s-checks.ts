// `microk8s-checks all`: every check that applies on this host, run concurrently in this one
// process under one deadline (the Kubernetes client loads once), as a table, or as a JSON array
// for CI smoke jobs; the exit code is the worst state.
import { existsSync } from 'node:fs';
import { REGISTRY, type Entry } from '../checks/registry.ts';
import { createLogger, type Logger } from '../lib/logger.ts';
import { Deadline, partSeconds } from '../lib/plugin/deadline.ts';
import { headline, reasonsAside, renderMany, summaryText, unknownOutcome } from '../lib/plugin/output.ts';
import { REINSTALL_FIX, UsageError } from '../lib/errors.ts';
import { finish } from '../lib/plugin/exit.ts';
import { timedFirst } from '../lib/plugin/head-start.ts';
import { declared, type OptionSpec, optionSpecs, prepareGiven } from '../lib/plugin/arguments.ts';
import { cannotTell, guardProcess, outcomeOf, reasonOf, type CheckDefinition } from '../lib/plugin/runner.ts';
import { State, stateName, worst } from '../lib/plugin/state.ts';
import type { Outcome, Skipped } from '../lib/plugin/verdict.ts';
import { nodeChoice } from '../lib/names.ts';
import type { SshArgs } from '../lib/options/ssh.ts';
import { nodeToJudge } from '../lib/sources/ssh/host-name.ts';
import { shareReads, type SharedReads } from '../lib/shared-reads.ts';
import { SNAP_DATA } from '../lib/sources/snap-locks.ts';
import { applies, asNode, type Host, Unsure, whyNoNode } from './all/applies.ts';
import { aside, givenFor, parseLine, shown } from './all/command-line.ts';

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
  // Half of what is left, no more: the checks start only after it, and a host that never answers
  // (down, its login hung) held the question for the whole -t, every row (the API checks' too) a
  // bare 'timed out'. Past it, the rows that judge that node say so; the others read as before.
  const left = deadline.remainingMs();
  const asking = new Deadline(partSeconds(left / 2), () => undefined, deadline, Date.now() + left / 2);
  try {
    const { node, on } = await nodeToJudge(choice, args, asking, shared.ssh);
    return { node, held: on?.conn };
  } catch (error) {
    return { error };
  } finally {
    asking.done();
  }
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
  const { args, timeout, given } = await parseLine(defs);
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
    ...asNode(args['snap-data'] ?? SNAP_DATA),
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
