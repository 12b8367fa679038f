// `microk8s-checks all`: every check that applies on this host, run concurrently in this one
// process under one deadline (the Kubernetes client loads once), as a table, or as a JSON array
// for CI smoke jobs; the exit code is the worst state.
import { existsSync } from 'node:fs';
import yargs from 'yargs';
import { check as calicoRoutes } from '../checks/calico-routes.ts';
import { check as dqliteLock } from '../checks/dqlite-lock.ts';
import { check as kineRetries } from '../checks/kine-retries.ts';
import { check as leases } from '../checks/leases.ts';
import { check as nodes } from '../checks/nodes.ts';
import { check as observedGeneration } from '../checks/observed-generation.ts';
import { check as restartPreflight } from '../checks/restart-preflight.ts';
import { check as scheduling } from '../checks/scheduling.ts';
import { check as staleJobs } from '../checks/stale-jobs.ts';
import { shareJournalReads } from '../lib/log-input.ts';
import { silentLogger, type Logger } from '../lib/log.ts';
import { Deadline } from '../lib/plugin/deadline.ts';
import { sanitize } from '../lib/plugin/output.ts';
import { UsageError } from '../lib/errors.ts';
import { finish } from '../lib/plugin/exit.ts';
import { cannotTell, checkTimeout, guardProcess, outcomeOf, prepare, reasonOf, VERSION, type CheckDefinition } from '../lib/plugin/runner.ts';
import { State, stateName, worst } from '../lib/plugin/state.ts';
import type { Outcome } from '../lib/plugin/verdict.ts';
import { loadKubeConfig } from '../lib/sources/kube.ts';

const COLORS: Record<string, string> = { OK: '32', WARNING: '33', CRITICAL: '31', UNKNOWN: '35' };

function table(outcomes: Outcome[], color: boolean): string {
  const w = Math.max(5, ...outcomes.map((o) => o.check.length));
  const paint = (s: string, state: string) => (color ? `\u001b[${COLORS[state] ?? '0'}m${s}\u001b[0m` : s);
  const lines = [`${'CHECK'.padEnd(w)}  ${'STATE'.padEnd(8)}  SUMMARY`];
  for (const o of outcomes) lines.push(`${o.check.padEnd(w)}  ${paint(stateName(o.state).padEnd(8), stateName(o.state))}  ${sanitize(o.summary)}`);
  return lines.join('\n') + '\n';
}

const json = (o: Outcome) => ({ check: o.check, state: stateName(o.state), code: o.state as number, summary: o.summary, metrics: o.perfdata.map((p) => ({ ...p, warn: p.warn?.toString() ?? null, crit: p.crit?.toString() ?? null })), details: o.details });

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
    .version(VERSION)
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
  if (journal.length || ['/usr/bin/journalctl', '/bin/journalctl'].some(existsSync)) runs.push(plan(dqliteLock, journal), plan(kineRetries, journal));
  let haveApi = true;
  try {
    loadKubeConfig({ kubeconfig: args.kubeconfig, context: args.context });
  } catch {
    haveApi = false;
  }
  if (haveApi) {
    runs.push(plan(nodes, kube), plan(leases, kube), plan(staleJobs, kube), plan(observedGeneration, kube), plan(scheduling, kube), plan(calicoRoutes, [...kube, ...node]));
    if (journal.length || args.node) runs.push(plan(restartPreflight, [...kube, ...node, ...journal]));
  }

  const log = silentLogger;
  const results: (Outcome | undefined)[] = runs.map(() => undefined);
  const report = (): never => {
    const outcomes = results.map((o, i) => o ?? cannotTell(runs[i]!.def, deadline.reason()));
    const state = outcomes.length ? worst(outcomes.map((o) => o.state)) : State.UNKNOWN;
    if (args.format === 'json') finish(JSON.stringify(outcomes.map(json)) + '\n', state);
    if (!outcomes.length) finish('no check applies on this host: no journalctl and no kubeconfig\n', state);
    finish(table(outcomes, args.color ?? (Boolean(process.stdout.isTTY) && !process.env.NO_COLOR)) + `worst: ${stateName(state)}\n`, state);
  };
  const deadline = new Deadline(timeout, report);
  // dqlite-lock, kine-retries and restart-preflight read the same journal: once, together.
  shareJournalReads(deadline);
  await Promise.all(
    runs.map(async (r, i) => {
      results[i] = await r.start(deadline, log);
    }),
  );
  deadline.cancel();
  report();
}

guardProcess({ name: 'MICROK8S-CHECKS' }, () => 'nagios');
void main();
