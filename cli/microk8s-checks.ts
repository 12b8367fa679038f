// `microk8s-checks all`: every check that applies on this host, run concurrently in this one
// process under one deadline (the Kubernetes client loads once), as a table, or as a JSON array
// for CI smoke jobs; the exit code is the worst state.
import { existsSync } from 'node:fs';
import yargs from 'yargs';
import { check as calicoRoutes } from '../checks/calico-routes.ts';
import { check as dqlite } from '../checks/dqlite.ts';
import { check as dqliteStorage } from '../checks/dqlite-storage.ts';
import { check as dqliteLock } from '../checks/dqlite-lock.ts';
import { check as kineRetries } from '../checks/kine-retries.ts';
import { check as leases } from '../checks/leases.ts';
import { check as nodes } from '../checks/nodes.ts';
import { check as observedGeneration } from '../checks/observed-generation.ts';
import { check as restartPreflight } from '../checks/restart-preflight.ts';
import { check as scheduling } from '../checks/scheduling.ts';
import { check as services } from '../checks/services.ts';
import { check as staleJobs } from '../checks/stale-jobs.ts';
import { check as watchCache } from '../checks/watch-cache.ts';
import { shareJournalReads } from '../lib/log-input.ts';
import { silentLogger, type Logger } from '../lib/log.ts';
import { Deadline } from '../lib/plugin/deadline.ts';
import { summaryText, toJson } from '../lib/plugin/output.ts';
import { UsageError } from '../lib/errors.ts';
import { finish } from '../lib/plugin/exit.ts';
import { cannotTell, checkTimeout, guardProcess, outcomeOf, prepare, reasonOf, VERSION, type CheckDefinition } from '../lib/plugin/runner.ts';
import { State, stateName, worst } from '../lib/plugin/state.ts';
import type { Outcome } from '../lib/plugin/verdict.ts';
import { DQLITE_BACKEND } from '../lib/sources/dqlite.ts';
import { loadKubeConfig } from '../lib/sources/kube.ts';

const COLORS: Record<string, string> = { OK: '32', WARNING: '33', CRITICAL: '31', UNKNOWN: '35' };

/** A check `all` did not run here, and why: said in the table and the JSON, never left out silently. */
interface Skipped {
  check: string;
  why: string;
}

function table(outcomes: Outcome[], skipped: Skipped[], color: boolean): string {
  const w = Math.max(5, ...outcomes.map((o) => o.check.length), ...skipped.map((s) => s.check.length));
  const paint = (s: string, state: string) => (color ? `\u001b[${COLORS[state] ?? '0'}m${s}\u001b[0m` : s);
  const lines = [`${'CHECK'.padEnd(w)}  ${'STATE'.padEnd(8)}  SUMMARY`];
  for (const o of outcomes) lines.push(`${o.check.padEnd(w)}  ${paint(stateName(o.state).padEnd(8), stateName(o.state))}  ${summaryText(o.summary)}`);
  for (const s of skipped) lines.push(`${s.check.padEnd(w)}  ${'skipped'.padEnd(8)}  ${summaryText(s.why)}`);
  return lines.join('\n') + '\n';
}

const skippedJson = (s: Skipped) => ({ check: s.check, state: 'SKIPPED', code: null, summary: s.why, metrics: [], details: [] });

interface Run {
  def: Pick<CheckDefinition<unknown>, 'name' | 'gate'>;
  start: (deadline: Deadline, log: Logger) => Promise<Outcome>;
}

/** A check with its command line; a bad option is its own UNKNOWN, not the whole run's. */
function plan<A>(def: CheckDefinition<A>, argv: string[]): Run {
  return {
    def,
    start: async (deadline, log) => {
      try {
        return await outcomeOf(def, prepare(def, argv), deadline, log);
      } catch (err) {
        return cannotTell(def, reasonOf(err), err instanceof UsageError);
      }
    },
  };
}

async function main(): Promise<void> {
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
    .option('format', { type: 'string', choices: ['table', 'json'], default: 'table' })
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
      finish(`MICROK8S-CHECKS UNKNOWN - ${msg || err?.message} (fix: see microk8s-checks --help)\n`, 3);
    })
    .parseAsync();
  const timeout = checkTimeout(args.timeout);

  const journal = [...(args['journal-dir'] ?? []).flatMap((d) => ['--journal-dir', d]), ...(args['journal-file'] ?? []).flatMap((f) => ['--journal-file', f])];
  const kube = [...(args.kubeconfig ? ['--kubeconfig', args.kubeconfig] : []), ...(args.context ? ['--context', args.context] : [])];
  const node = args.node ? ['--node', args.node] : [];
  const runs: Run[] = [];
  const skipped: Skipped[] = [];
  const skip = (defs: { name: string }[], why: string) => skipped.push(...defs.map((d) => ({ check: d.name, why })));
  const haveJournal = journal.length > 0 || ['/usr/bin/journalctl', '/bin/journalctl'].some(existsSync);
  if (haveJournal) runs.push(plan(dqliteLock, journal), plan(kineRetries, journal));
  else skip([dqliteLock, kineRetries], 'no journalctl on this host (read journal files with --journal-dir/--journal-file)');
  // systemd's own test for "booted with systemd" (sd_booted): without it there are no units to read.
  if (existsSync('/run/systemd/system')) runs.push(plan(services, []));
  else skip([services], 'systemd is not running on this host');
  if (existsSync(DQLITE_BACKEND)) runs.push(plan(dqlite, kube), plan(dqliteStorage, []));
  else skip([dqlite, dqliteStorage], `not a MicroK8s node: no ${DQLITE_BACKEND}`);
  let noApi: string | undefined;
  try {
    loadKubeConfig({ kubeconfig: args.kubeconfig, context: args.context });
  } catch (err) {
    noApi = reasonOf(err);
  }
  const apiChecks = [nodes, leases, watchCache, staleJobs, observedGeneration, scheduling, calicoRoutes];
  if (noApi === undefined) {
    runs.push(plan(nodes, kube), plan(leases, kube), plan(watchCache, kube), plan(staleJobs, kube), plan(observedGeneration, kube), plan(scheduling, kube), plan(calicoRoutes, [...kube, ...node]));
    if (journal.length || args.node) runs.push(plan(restartPreflight, [...kube, ...node, ...journal]));
    else skip([restartPreflight], 'runs only for a restart being planned: give --node (and journal files or a local journal)');
  } else skip([...apiChecks, restartPreflight], noApi);

  const log = silentLogger;
  const results: (Outcome | undefined)[] = runs.map(() => undefined);
  const report = (): never => {
    // Each check under its own view of the deadline: a row names what that check waited for.
    const outcomes = results.map((o, i) => o ?? cannotTell(runs[i]!.def, clocks[i]!.reason()));
    const state = outcomes.length ? worst(outcomes.map((o) => o.state)) : State.UNKNOWN;
    if (args.format === 'json') finish(JSON.stringify([...outcomes.map(toJson), ...skipped.map(skippedJson)]) + '\n', state);
    if (!outcomes.length) finish(`MICROK8S-CHECKS UNKNOWN - no check applies on this host\n${table([], skipped, false)}`, state);
    finish(table(outcomes, skipped, args.color ?? (Boolean(process.stdout.isTTY) && !process.env.NO_COLOR)) + `worst: ${stateName(state)}\n`, state);
  };
  const deadline = new Deadline(timeout, report);
  const clocks = runs.map(() => deadline.child());
  // dqlite-lock, kine-retries and restart-preflight read the same journal: once, together.
  shareJournalReads(deadline);
  await Promise.all(
    runs.map(async (r, i) => {
      results[i] = await r.start(clocks[i]!, log);
    }),
  );
  deadline.cancel();
  report();
}

guardProcess({ name: 'MICROK8S-CHECKS' }, () => 'nagios');
void main();
