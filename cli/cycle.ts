// `microk8s-checks cycle`: one process evaluates every check command NRPE has been asking for,
// each with its own command line and its own -t, and leaves each answer for the launchers to
// serve (README, "One poll cycle"). A launcher started with --cycle=SECONDS runs this when it
// finds no fresh answer of its own; the next launchers of the cycle then start no Node at all.
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { REGISTRY } from '../checks/registry.ts';
import { UsageError } from '../lib/errors.ts';
import { silentLogger } from '../lib/log.ts';
import { Deadline } from '../lib/plugin/deadline.ts';
import { finish } from '../lib/plugin/exit.ts';
import { render } from '../lib/plugin/output.ts';
import { cannotTell, outcomeOf, prepare, reasonOf } from '../lib/plugin/runner.ts';
import type { Outcome } from '../lib/plugin/verdict.ts';
import { shareReads } from '../lib/shared-reads.ts';
import { writeState } from '../lib/state.ts';

/**
 * What a check reads from its environment (where its commands are found, the default kubeconfig
 * and state files, the SSH agent, the local time zone), recorded first with each command line by
 * the launcher. A shared run answers only command lines asked for in its own environment.
 */
const ENVIRONMENT = ['PATH', 'KUBECONFIG', 'HOME', 'XDG_STATE_HOME', 'SSH_AUTH_SOCK', 'TZ'];

/** A command line NRPE asked for within this long is evaluated by every shared run. */
const KNOWN_FOR_MS = 3_600_000;

interface Known {
  key: string;
  argv: string[];
}

/** The launchers' record of each command line (its argv, NUL-separated), named by the sha256 of that record. */
function knownCommands(dir: string): Known[] {
  const known: Known[] = [];
  const now = Date.now();
  for (const name of readdirSync(join(dir, 'known'))) {
    const file = join(dir, 'known', name);
    try {
      if (now - statSync(file).mtimeMs > KNOWN_FOR_MS) {
        unlinkSync(file);
        continue;
      }
      const record = readFileSync(file);
      const key = createHash('sha256').update(record).digest('hex');
      // A name that is not its record's hash is not the launcher's; it is never answered.
      if (key !== name || record.length === 0 || record[record.length - 1] !== 0) continue;
      const fields = record.subarray(0, -1).toString('utf8').split('\0');
      const env = fields.splice(0, ENVIRONMENT.length);
      if (env.some((field, i) => field !== `${ENVIRONMENT[i]}=${process.env[ENVIRONMENT[i]!] ?? ''}`)) continue;
      known.push({ key, argv: fields });
    } catch {
      // Gone meanwhile (another cycle removed it): nothing to answer.
    }
  }
  return known;
}

/**
 * The answer file: "<expires (epoch s)> <exit code>", the pending state to make current when it
 * is served and where (or two empty lines), then the output exactly as the check prints it.
 */
function writeAnswer(dir: string, key: string, expires: number, code: number, text: string, pending?: { from: string; to: string }): void {
  const file = join(dir, 'results', key);
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${expires} ${code}\n${pending?.from ?? ''}\n${pending?.to ?? ''}\n${text}`);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** The first line's expiry, when the answer is there and fresh. */
function fresh(dir: string, key: string): boolean {
  try {
    const expires = Number(readFileSync(join(dir, 'results', key), 'utf8').split(' ', 1)[0]);
    return Date.now() / 1000 < expires;
  } catch {
    return false;
  }
}

export async function runCycle(argv: string[]): Promise<never> {
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    const value = i === -1 ? undefined : argv[i + 1];
    if (value === undefined) throw new UsageError(`cycle needs ${name}`);
    return value;
  };
  const dir = opt('--dir');
  const maxAge = Number(opt('--max-age'));
  if (!Number.isInteger(maxAge) || maxAge < 1 || maxAge > 3600) throw new UsageError('--max-age must be whole seconds, 1 to 3600');
  const want = argv.includes('--want') ? opt('--want') : undefined;
  // Another launcher's shared run, finished while this one waited for the lock, answered already.
  if (want && fresh(dir, want)) finish('', 0);
  mkdirSync(join(dir, 'results'), { recursive: true, mode: 0o700 });

  // An answer is as old as the moment its run began: it expires max-age seconds after that.
  const expires = Math.floor(Date.now() / 1000) + maxAge;
  const shared = shareReads();
  const byCommand = new Map(REGISTRY.map((e) => [e.command, e]));
  const runs = knownCommands(dir).map(async ({ key, argv: [command, ...args] }) => {
    const entry = byCommand.get(basename(command ?? ''));
    if (!entry) return;
    const { check } = await entry.load().catch(() => ({ check: undefined }));
    if (!check) return;
    let prepared: ReturnType<typeof prepare>;
    try {
      prepared = prepare(check, args);
    } catch {
      // A command line that is a usage error, --help or -V is answered by the check itself.
      return;
    }
    if (prepared.help || prepared.version) return;
    let pending: { from: string; to: string } | undefined;
    const keepState = (file: string, value: unknown) => {
      if (file.includes('\n')) throw new Error('a state file name with a line break cannot be kept in a shared run');
      writeState(`${file}.pending`, value);
      pending = { from: `${file}.pending`, to: file };
    };
    // Each command under its own -t, as it would run alone; past it, its own UNKNOWN.
    const outcome = await new Promise<Outcome>((resolve) => {
      const deadline = new Deadline(prepared.args.timeout, (d) => resolve(cannotTell(check, d.reason())));
      outcomeOf(check, prepared, deadline, silentLogger, shared, keepState).then(
        (o) => {
          deadline.cancel();
          resolve(o);
        },
        (err) => resolve(cannotTell(check, reasonOf(err))),
      );
    });
    try {
      writeAnswer(dir, key, expires, outcome.state, render(outcome, prepared.args.format, prepared.args['max-long-output']), pending);
    } catch {
      // An answer that cannot be written is simply not there: that launcher runs its check itself.
    }
  });
  await Promise.all(runs);
  finish('', 0);
}
