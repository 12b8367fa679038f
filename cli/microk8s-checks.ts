// `microk8s-checks all`: every check that applies on this host, run concurrently in this one
// process under one deadline (the Kubernetes client loads once), as a table, or as a JSON array
// for CI smoke jobs; the exit code is the worst state.
import { existsSync } from 'node:fs';
import yargs from 'yargs';
import { REGISTRY, type Entry, type Needs, type Passes } from '../checks/registry.ts';
import { silentLogger, type Logger } from '../lib/log.ts';
import { Deadline } from '../lib/plugin/deadline.ts';
import { renderMany, requestedFormat, summaryText, unknownOutcome } from '../lib/plugin/output.ts';
import { UsageError } from '../lib/errors.ts';
import { finish } from '../lib/plugin/exit.ts';
import {
  cannotTell,
  checkTimeout,
  guardProcess,
  outcomeOf,
  prepare,
  reasonOf,
  VERSION,
  type CheckDefinition,
} from '../lib/plugin/runner.ts';
import { State, stateName, worst } from '../lib/plugin/state.ts';
import type { Outcome, Skipped } from '../lib/plugin/verdict.ts';
import { shareReads, type SharedReads } from '../lib/shared-reads.ts';
import { MICROK8S_CERT_DIR } from '../lib/sources/certs.ts';
import { DQLITE_BACKEND } from '../lib/sources/dqlite.ts';
import { loadKubeConfig } from '../lib/sources/kube/client.ts';

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

/** A check with its command line; a bad option is its own UNKNOWN, not the whole run's. */
function plan<A>(def: CheckDefinition<A>, argv: string[]): Run {
  return {
    def,
    start: async (deadline, log, shared) => {
      try {
        return await outcomeOf(def, prepare(def, argv), deadline, log, shared);
      } catch (err) {
        return cannotTell(def, reasonOf(err), err instanceof UsageError);
      }
    },
  };
}

/** Whether a check can run on this host, and why not. */
function applies(needs: Needs, have: { journal: boolean; restart: boolean; api?: string }): string | undefined {
  switch (needs) {
    case 'journal':
      return have.journal ? undefined : 'no journalctl on this host (read journal files with --journal-dir/--journal-file)';
    // systemd's own test for "booted with systemd" (sd_booted): without it there are no units to read.
    case 'systemd':
      return existsSync('/run/systemd/system') ? undefined : 'systemd is not running on this host';
    case 'backend':
      return existsSync(DQLITE_BACKEND) ? undefined : `not a MicroK8s node: no ${DQLITE_BACKEND}`;
    case 'api':
      return have.api;
    case 'certs':
      return have.api ?? (existsSync(MICROK8S_CERT_DIR) ? undefined : `not a MicroK8s node: no ${MICROK8S_CERT_DIR}`);
    case 'restart':
      return (
        have.api ?? (have.restart ? undefined : 'runs only for a restart being planned: give --node (and journal files or a local journal)')
      );
  }
}

async function main(): Promise<void> {
  // The launchers' shared NRPE cycle (README, "One poll cycle"): its own small command line.
  if (process.argv[2] === 'cycle') {
    const { runCycle } = await import('./cycle.ts');
    await runCycle(process.argv.slice(3));
  }
  const args = await yargs(process.argv.slice(2))
    .scriptName('microk8s-checks')
    .usage('microk8s-checks all [options]: run every check that applies on this host, at once')
    // The one command is checked by hand: a yargs .command() renders the whole help text on every
    // run (its cache), and laying out help costs 20 ms of Unicode tables.
    .check((a) => {
      const [what, ...extra] = a._.map(String);
      if (what === undefined) throw new Error('say what to run: microk8s-checks all');
      if (what !== 'all' || extra.length) throw new Error(`Unknown argument: ${what !== 'all' ? what : extra[0]}`);
      return true;
    })
    .option('timeout', { alias: 't', type: 'number', default: 10, describe: 'deadline for all checks together, seconds' })
    .option('format', { choices: ['table', 'json', 'openmetrics', 'junit'] as const, default: 'table' as const })
    .option('kubeconfig', { type: 'string' })
    .option('context', { type: 'string' })
    .option('node', { type: 'string', describe: 'node for calico-routes and restart-preflight (default: this host)' })
    .option('journal-dir', { type: 'string', array: true })
    .option('journal-file', { type: 'string', array: true })
    .option('color', { type: 'boolean', describe: 'colour the states (default: on a terminal, unless NO_COLOR)' })
    .version(`microk8s-checks ${VERSION}`)
    .alias('V', 'version')
    .help()
    .alias('h', 'help')
    .strictOptions()
    // A usage error is UNKNOWN (3), like the checks', never a code a CI job reads as WARNING.
    .fail((msg, err) => {
      const reason = `${msg || err?.message} (fix: see microk8s-checks --help)`;
      // In the format asked for: a textfile collector or CI reader gets an UNKNOWN it can read.
      const format = requestedFormat(process.argv.slice(2));
      if (format !== 'nagios') finish(renderMany([unknownOutcome('MICROK8S-CHECKS', reason)], [], format, 'microk8s-checks'), 3);
      finish(`MICROK8S-CHECKS UNKNOWN - ${reason}\n`, 3);
    })
    .parseAsync();
  const timeout = checkTimeout(args.timeout);

  const journal = [
    ...(args['journal-dir'] ?? []).flatMap((d) => ['--journal-dir', d]),
    ...(args['journal-file'] ?? []).flatMap((f) => ['--journal-file', f]),
  ];
  const passed: Record<Passes, string[]> = {
    journal,
    kube: [...(args.kubeconfig ? ['--kubeconfig', args.kubeconfig] : []), ...(args.context ? ['--context', args.context] : [])],
    node: args.node ? ['--node', args.node] : [],
  };
  let api: string | undefined;
  try {
    loadKubeConfig({ kubeconfig: args.kubeconfig, context: args.context });
  } catch (err) {
    api = reasonOf(err);
  }
  const have = {
    journal: journal.length > 0 || ['/usr/bin/journalctl', '/bin/journalctl'].some(existsSync),
    restart: journal.length > 0 || Boolean(args.node),
    api,
  };
  const chosen: Entry[] = [];
  const skipped: Skipped[] = [];
  for (const entry of REGISTRY) {
    const why = applies(entry.needs, have);
    if (why === undefined) chosen.push(entry);
    else skipped.push({ check: entry.name, why });
  }

  const log = silentLogger;
  const results: (Outcome | undefined)[] = chosen.map(() => undefined);
  const report = (): never => {
    // Each check under its own view of the deadline: a row names what that check waited for.
    const outcomes = results.map((o, i) => o ?? cannotTell(chosen[i]!, clocks[i]!.reason()));
    const state = outcomes.length ? worst(outcomes.map((o) => o.state)) : State.UNKNOWN;
    if (args.format !== 'table') finish(renderMany(outcomes, skipped, args.format, 'microk8s-checks'), state);
    if (!outcomes.length) finish(`MICROK8S-CHECKS UNKNOWN - no check applies on this host\n${table([], skipped, false)}`, state);
    finish(
      `${table(outcomes, skipped, args.color ?? (Boolean(process.stdout.isTTY) && !process.env.NO_COLOR))}worst: ${stateName(state)}\n`,
      state,
    );
  };
  const deadline = new Deadline(timeout, report);
  const clocks = chosen.map(() => deadline.child());
  // dqlite-lock, kine-retries and restart-preflight read the same journal: once, together.
  const shared = shareReads();
  // Only the checks that run are loaded, all at once; a check starts as soon as its own code is in.
  await Promise.all(
    chosen.map(async (entry, i) => {
      clocks[i]!.activity = 'loading the check';
      let run: Run;
      try {
        run = plan(
          (await entry.load()).check,
          entry.passes.flatMap((p) => passed[p]),
        );
      } catch (err) {
        results[i] = cannotTell(entry, reasonOf(err));
        return;
      }
      results[i] = await run.start(clocks[i]!, log, shared);
    }),
  );
  deadline.cancel();
  report();
}

guardProcess({ name: 'MICROK8S-CHECKS' }, () => 'nagios');
void main();
