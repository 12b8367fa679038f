import type { Argv } from 'yargs';
import { reasonOf, UsageError } from '../errors.ts';
import { createLogger, silentLogger, type Logger } from '../logger.ts';
import type { SharedReads } from '../shared-reads.ts';
import { Deadline } from './deadline.ts';
import { finish } from './exit.ts';
import { reasonsAside, render, requestedFormat, unknownOutcome, type Format } from './output.ts';
import type { Range } from './range.ts';
import { State } from './state.ts';
import { markJudged } from './code-cache.ts';
import type { Outcome } from './verdict.ts';

import { VERSION } from '../version.ts';
import { examplesText, prepare, type Prepared } from './arguments.ts';

export { VERSION, reasonOf };

export interface CommonArgs {
  warning?: string;
  critical?: string;
  timeout: number;
  verbose: number;
  format: Format;
  'max-long-output': number;
  /** Served by the launcher from the shared poll cycle (docs/poll-cycle.md); run directly, checked and ignored. */
  cycle?: string;
}

export interface RunContext<A> {
  args: A & CommonArgs;
  warning?: Range;
  critical?: Range;
  deadline: Deadline;
  log: Logger;
  /** Reads shared with the other checks of the same process (`microk8s-checks all`); none alone. */
  shared?: SharedReads;
  /**
   * Keep what the next run compares with (check_leases, check_pod_restarts). Alone: written now.
   * In a shared NRPE cycle: written beside, and made current only when the result is served, so
   * "since the previous run" means the previous run Nagios saw.
   */
  keepState?: (file: string, value: unknown) => void;
}

export interface CheckDefinition<A> {
  /** Upper-case name on the first line, e.g. DQLITE-LOCK. */
  name: string;
  /** Executable name, e.g. check_dqlite_lock. */
  command: string;
  description: string;
  defaultWarning?: string;
  defaultCritical?: string;
  /** What -w/-c count, for help and errors: "seconds", "days", "lines". */
  thresholdUnit?: string;
  options: (y: Argv<CommonArgs>) => Argv<A & CommonArgs>;
  examples?: [string, string][];
  /**
   * A gate (a go/no-go before a risky action) answers GO only when it established health: what
   * would make another check UNKNOWN (a source it cannot read, a deadline) is its NO-GO.
   */
  gate?: boolean;
  /**
   * What it judges is how long its source takes to answer (check_apiserver's readyz): in a run
   * shared with other checks it starts first, alone, and they after it (lib/plugin/head-start.ts).
   */
  timed?: boolean;
  run: (ctx: RunContext<A>) => Promise<Outcome>;
}

/**
 * The outcome of a run that could not reach a verdict. A bad command line stays UNKNOWN for
 * every check (nothing was looked at); anything else is UNKNOWN, or for a gate a NO-GO (CRITICAL)
 * that says why it cannot tell.
 */
export function cannotTell(def: Pick<CheckDefinition<unknown>, 'name' | 'gate'>, reason: string, usage = false): Outcome {
  if (!def.gate || usage) return unknownOutcome(def.name, reason);
  return { ...unknownOutcome(def.name, `NO-GO: cannot establish that the cluster is healthy: ${reason}`), state: State.CRITICAL };
}

/**
 * Whatever else ends the process ends it as UNKNOWN through finish(): an error nobody caught (a
 * bug, or a library's stray 'error' event) and the signals a poller or a person sends. Node's own
 * way out would be exit 1, which Nagios reads as WARNING, and would orphan the run's children.
 * A signal that comes once the run's deadline is set (`running`) ends it as that deadline would
 * (Deadline.stop): what was judged is reported, and what was still waited for says so.
 */
export function guardProcess(
  def: Pick<CheckDefinition<unknown>, 'name' | 'gate'>,
  show: (outcome: Outcome) => string,
  running: () => Deadline | undefined = () => undefined,
  log: () => Logger = () => silentLogger,
  aside: (outcome: Outcome) => string = () => '',
): void {
  const end = (reason: string) => {
    const outcome = cannotTell(def, reason);
    finish(show(outcome), outcome.state, aside(outcome));
  };
  // Logged as any failure is (lib/logger.ts: no stack), so that -vvv has something to report.
  const crashed = (err: unknown) => {
    log().error({ err }, 'uncaught error');
    end(reasonOf(err));
  };
  // The launcher's stub guarded the loading (build.mjs, loadGuard): from here this guard says it.
  const loading = (globalThis as Record<symbol, unknown>)[Symbol.for('microk8s-checks.load-guard')];
  if (typeof loading === 'function') process.off('uncaughtException', loading as (err: Error) => void);
  process.on('uncaughtException', crashed);
  process.on('unhandledRejection', crashed);
  // SIGQUIT (Ctrl-\) as well: its default, a core dump, would leave the check's own processes
  // (each in a session of its own, a credential plugin, journalctl) running after it.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT'] as const) {
    process.on(signal, () => {
      running()?.stop(signal);
      end(`stopped by ${signal}`);
    });
  }
}

/** Run a prepared check; any failure becomes its UNKNOWN outcome (the one mapping, reasonOf). */
export async function outcomeOf<A>(
  def: CheckDefinition<A>,
  p: Prepared<A>,
  deadline: Deadline,
  log: Logger,
  shared?: SharedReads,
  keepState?: (file: string, value: unknown) => void,
): Promise<Outcome> {
  try {
    const outcome = await def.run({ ...p, deadline, log, shared, keepState });
    // A verdict of its own: the code this run compiled is worth keeping (lib/plugin/code-cache.ts).
    if (outcome.state !== State.UNKNOWN) markJudged(def.name);
    return outcome;
  } catch (err) {
    log.error({ err }, 'check failed');
    return cannotTell(def, deadline.signal.aborted ? deadline.reason() : reasonOf(err), err instanceof UsageError);
  }
}

export async function runCheck<A>(def: CheckDefinition<A>, argv: string[] = process.argv.slice(2)): Promise<never> {
  let format = requestedFormat(argv);
  let deadline: Deadline | undefined;
  let log = silentLogger;
  const end: (outcome: Outcome, longOutputBytes?: number) => never = (outcome, longOutputBytes) =>
    finish(render(outcome, format, longOutputBytes), outcome.state, reasonsAside([outcome], format));
  guardProcess(
    def,
    (outcome) => render(outcome, format),
    () => deadline,
    () => log,
    (outcome) => reasonsAside([outcome], format),
  );
  let p: ReturnType<typeof prepare<A>>;
  try {
    p = prepare(def, argv);
  } catch (err) {
    end(cannotTell(def, reasonOf(err), err instanceof UsageError));
  }
  if (p.help) finish(`${await p.y.getHelp()}\n${examplesText(def)}`, 0);
  if (p.version) finish(`${def.command} ${VERSION} (microk8s-checks)\n`, 0);
  format = p.args.format;
  log = await createLogger(p.args.verbose ?? 0);
  // The process's own peak memory (children such as journalctl not included), for -vv and benchmarks.
  process.once('exit', (code) =>
    log.debug({ exitCode: code, maxRssKiB: process.resourceUsage().maxRSS, ms: Math.round(performance.now()) }, 'exit'),
  );
  deadline = Deadline.fromProcessStart(p.args.timeout, (d) => {
    log.warn({ activity: d.waitedFor() }, d.stoppedBy ? `stopped by ${d.stoppedBy}` : 'deadline reached');
    end(cannotTell(def, d.reason()));
  });
  const outcome = await outcomeOf(def, p, deadline, log);
  deadline.cancel();
  end(outcome, p.args['max-long-output']);
}
