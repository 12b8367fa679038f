// `microk8s-checks cycle`: one process evaluates the check commands NRPE has been asking for,
// each with its own command line and its own -t, and publishes each answer the moment that
// check finishes, for the launchers to serve (docs/poll-cycle.md). A launcher started with
// --cycle SECONDS runs this when it finds no fresh answer and nobody working on one; the next
// launchers of the cycle then start no Node at all, and each waits only for its own answer.
import { createHash } from 'node:crypto';
import { linkSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { REGISTRY } from '../checks/registry.ts';
import { AGE_LINE_ROOM, ANSWER_END, ANSWER_MAGIC, CYCLE_ENVIRONMENT, FIRST_LINE_ONLY } from '../lib/cycle-protocol.ts';
import { UsageError } from '../lib/errors.ts';
import { mayReplace, writeFileAtomic } from '../lib/files.ts';
import { silentLogger } from '../lib/logger.ts';
import { Deadline } from '../lib/plugin/deadline.ts';
import { finish } from '../lib/plugin/exit.ts';
import { timedFirst } from '../lib/plugin/head-start.ts';
import { render } from '../lib/plugin/output.ts';
import { prepare } from '../lib/plugin/arguments.ts';
import { type CheckDefinition, cannotTell, outcomeOf, reasonOf } from '../lib/plugin/runner.ts';
import type { Outcome } from '../lib/plugin/verdict.ts';
import { shareReads } from '../lib/shared-reads.ts';
import { writeState } from '../lib/state-file.ts';

/** A command line not asked for in this many of its cycles is no longer evaluated. */
const KNOWN_FOR_CYCLES = 3;

/**
 * The boot clock in hundredths of a second, as the launcher reads it (/proc/uptime): it never
 * steps back, so a wall clock set back cannot make an old answer look new. With the boot id, an
 * answer from before a reboot is never taken for a fresh one.
 */
export function bootClock(): { boot: string; cs: number } {
  const [up] = readFileSync('/proc/uptime', 'utf8').split(' ');
  const [whole, frac = ''] = up!.split('.');
  return {
    boot: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
    cs: Number(whole) * 100 + Number(`${frac}00`.slice(0, 2)),
  };
}

interface Known {
  key: string;
  argv: string[];
  /** The caller's --cycle SECONDS. */
  maxAge: number;
  /** When its launcher last asked (the record's mtime, ms since the epoch). */
  askedMs: number;
  /** When each of its launchers still running asked (boot clock), oldest first: those may be waiting for it. */
  running: number[];
  /** Asked for in this run's directory and environment (a run answers only those). */
  here: boolean;
}

/**
 * A record of the launcher: "SECONDS BOOT_ID ASKED\n" (ASKED on the boot clock; a launcher of an
 * older version writes SECONDS alone; BOOT_ID is NOT_WAITING once it stopped waiting), the command
 * line NUL-separated, then its key and "\n".
 */
const RECORD = /^([1-9]\d{0,3})(?: ([0-9a-f-]{36}) (\d{1,14}))?\n(.*\0)([0-9a-f]{64})\n$/s;

/**
 * The launchers' records of the command lines asked for (launcher.mjs): one file per launcher,
 * named by its process id, holding "SECONDS BOOT_ID ASKED\n", its argv NUL-separated, and last the sha256 of the
 * argv part (written once the rest is whole). The newest record of each command line counts; a
 * line not asked for in its last few cycles is dropped, answer too.
 */
function knownCommands(dir: string): Known[] {
  const now = bootClock();
  const skew = startSkew(now);
  const newest = new Map<string, Known>();
  const files = new Map<string, string[]>();
  const running = new Map<string, number[]>();
  const alive = new Set<string>();
  for (const name of readdirSync(join(dir, 'known'))) {
    const file = join(dir, 'known', name);
    try {
      const m = RECORD.exec(readFileSync(file, 'latin1'));
      const maxAge = Number(m?.[1]);
      const record = Buffer.from(m?.[4] ?? '', 'latin1');
      // Not the launcher's whole record (being written, an older version's): left for an hour.
      const askedMs = statSync(file).mtimeMs;
      if (!m || maxAge > 3600 || createHash('sha256').update(record).digest('hex') !== m[5]) {
        if (Date.now() - askedMs > 3600_000) unlinkSync(file);
        continue;
      }
      const key = m[5]!;
      files.set(key, [...(files.get(key) ?? []), file]);
      const asks = running.get(key) ?? [];
      running.set(key, asks);
      // When it asked on the boot clock: a wall clock stepped since moves the record's mtime, not
      // this. Of another boot, its launcher is gone; of none (NOT_WAITING), it stopped waiting and
      // runs its check alone: neither waits for this run. An older launcher's, from the mtime as before.
      const askedCs = m[2] === undefined ? now.cs - Math.round((Date.now() - askedMs) / 10) : m[2] === now.boot ? Number(m[3]) : undefined;
      if (askedCs !== undefined && stillRunning(Number(name), askedCs + skew)) {
        asks.push(askedCs);
        alive.add(file);
      }
      const kept = newest.get(key);
      if (kept && kept.askedMs >= askedMs) continue;
      const fields = record.subarray(0, -1).toString('utf8').split('\0');
      const env = fields.splice(0, CYCLE_ENVIRONMENT.length);
      const here = env.every((field, i) => field === `${CYCLE_ENVIRONMENT[i]}=${process.env[CYCLE_ENVIRONMENT[i]!] ?? ''}`);
      newest.set(key, { key, argv: fields, maxAge, askedMs, running: asks, here });
    } catch {
      // Gone meanwhile (another run dropped it): nothing to answer.
    }
  }
  const known: Known[] = [];
  for (const k of newest.values()) {
    k.running.sort((a, b) => a - b);
    // Only the newest record of a line says anything; a line not asked for in its last few cycles goes.
    const stale = Date.now() - k.askedMs > KNOWN_FOR_CYCLES * k.maxAge * 1000;
    for (const file of files.get(k.key)!) {
      // An older record stays while its launcher runs: it may be waiting still, and counts.
      if (stale || (statMs(file) < k.askedMs && !alive.has(file))) rmSync(file, { force: true });
    }
    if (stale) rmSync(join(dir, 'results', k.key), { force: true });
    else if (k.here) known.push(k);
  }
  return known;
}

/**
 * Whether a launcher (its record is named by its process id) may still wait for its answer: it
 * runs yet. One already served (its answer since gone, to a cache cleaner) waits for nothing, and
 * a run that charged its line the time since that ask would judge it within what is left of a -t
 * nobody counts on any more, and serve the next polls a timeout. Another user's process of that
 * id (EPERM) is not it: the cycle's directory is its user's alone (mode 700), so every launcher
 * writing there runs as this run does, and under hidepid /proc says nothing of the others. A
 * process of that id begun after the record was written is not it either (the id reused: a busy
 * node with pid_max 32768 goes round in minutes), nor is a zombie. `askedTicks`: when it asked,
 * on the clock of /proc/PID/stat's start times.
 */
function stillRunning(pid: number, askedTicks: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 1) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const seen = startOf(pid);
  // 1 s of slack: a record of an older launcher has its ask from the mtime's wall clock, and the
  // container offset (startSkew) is measured to the hundredth at best.
  return seen === undefined || (seen.state !== 'Z' && seen.startCs <= askedTicks + 100);
}

/**
 * How far the start times of /proc/PID/stat run ahead of /proc/uptime, in hundredths: none where
 * both are the kernel's boot clock. In a container given an uptime of its own (LXD's lxcfs, a common
 * home of MicroK8s) the start times stay the host's: every launcher looked begun long after it
 * asked, judged gone, and a line it waited for got its whole -t, past the launcher's own ("no
 * answer"). Told by this process: its start there against the boot clock less its age.
 */
function startSkew(now: { cs: number }): number {
  const own = startOf(process.pid);
  const skew = own === undefined ? 0 : own.startCs - (now.cs - Math.round(process.uptime() * 100));
  // On one clock, a process's start is never after the boot clock less its age (the grain aside).
  return skew > 100 ? skew : 0;
}

/**
 * A process's state and when it began on the boot clock, from /proc/PID/stat: its start in clock
 * ticks since boot (USER_HZ, 100 on every architecture Node runs on: the boot clock's hundredths).
 * Undefined where /proc cannot say (another PID namespace's view, a race with its end).
 */
function startOf(pid: number): { state: string; startCs: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) may hold spaces and parentheses: the fields after it follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    if (!fields[0] || !Number.isFinite(ticks)) return undefined;
    return { state: fields[0], startCs: ticks };
  } catch {
    return undefined;
  }
}

/** A file's mtime, or Infinity when it is gone (nothing to remove). */
function statMs(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** When the answer kept for `key` was begun (boot clock), if it is one of this boot's. */
function answeredAt(dir: string, key: string, boot: string): number | undefined {
  try {
    const [magic, answerBoot, start] = readFileSync(join(dir, 'results', key), 'latin1')
      .split('\n', 1)[0]!
      .split(' ');
    return magic === ANSWER_MAGIC && answerBoot === boot ? Number(start) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Claim a command line for this run: `claims/<key>` made whole, then linked in (link fails where
 * it exists), so one command line is never evaluated by two runs at once. A claim whose run is
 * gone or past its own -t is taken over. False: another run works on it.
 */
function claim(dir: string, key: string, now: { boot: string; cs: number }, timeoutS: number): boolean {
  const file = join(dir, 'claims', key);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, `${process.pid} ${now.boot} ${now.cs} ${now.cs + Math.ceil(timeoutS * 100) + 100}\n`, { mode: 0o600 });
  } catch {
    // Not made (a full disk): not this run's line, its launcher runs it alone. Thrown, it ended the
    // run, its starting marker left for the other launchers to wait on until their -t.
    return false;
  }
  try {
    for (let tries = 0; tries < 2; tries++) {
      try {
        linkSync(tmp, file);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 0 || !stale(file, now)) return false;
        try {
          unlinkSync(file);
        } catch {
          // Taken over by another run meanwhile: the next link says.
        }
      }
    }
    return false;
  } finally {
    unlinkSync(tmp);
  }
}

function release(dir: string, key: string): void {
  try {
    unlinkSync(join(dir, 'claims', key));
  } catch {
    // Released already.
  }
}

/** A claim of a run that no longer works on it: another boot, past its deadline, its process gone. */
function stale(file: string, now: { boot: string; cs: number }): boolean {
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch {
    // Gone meanwhile (the link is tried again), or no claim that can be read: not taken over.
    return false;
  }
  const [pid, boot, , until] = text.trim().split(' ');
  if (boot !== now.boot || !(Number(until) > now.cs)) return true;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** The answer file (lib/cycle-protocol.ts): the output exactly as the check prints it, whole. */
function writeAnswer(dir: string, key: string, head: string, text: string, pending?: { from: string; to: string }): void {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  const lines = body.split('\n').length - 1;
  writeFileAtomic(
    join(dir, 'results', key),
    `${head} ${lines}\n${pending?.from ?? ''}\n${pending?.to ?? ''}\n${body}${ANSWER_END} ${key}\n`,
  );
}

export async function runCycle(argv: string[]): Promise<never> {
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    const value = i === -1 ? undefined : argv[i + 1];
    if (value === undefined) throw new UsageError(`cycle needs ${name}`);
    return value;
  };
  const dir = opt('--dir');
  const want = argv.includes('--want') ? opt('--want') : undefined;
  // When the launcher waiting for `want` was called (boot clock): its -t runs from then.
  const asked = want === undefined ? undefined : Number(opt('--asked'));
  const claimed = new Set<string>();
  // The launcher that started this run sleeps until woken (launcher.mjs): once its answer is
  // published, or as this run ends without one. Only while it is still this process's parent: a
  // process id freed by a launcher gone meanwhile may be anyone's now.
  const notify = argv.includes('--notify') ? Number(opt('--notify')) : undefined;
  let woken = false;
  const wake = () => {
    if (woken || notify === undefined || !(notify > 1) || process.ppid !== notify) return;
    woken = true;
    try {
      process.kill(notify, 'SIGUSR1');
    } catch {
      // Gone: nobody to wake.
    }
  };
  // Stopped (the launcher that started this run was): the claims not answered are given up, so
  // the launchers waiting for them start a run of their own.
  // The starting marker of the launcher that started this run (launcher.mjs), removed once this
  // run has claimed its lines, or as it ends before that: left, the next launchers waited on it.
  const starter = argv.includes('--starter');
  const started = () => {
    const marker = join(dir, 'starting');
    try {
      if (readFileSync(marker, 'latin1').split(' ')[0] === String(notify)) rmSync(marker, { force: true });
    } catch {
      // Gone already.
    }
  };
  process.on('exit', () => {
    for (const key of claimed) release(dir, key);
    if (starter) started();
    wake();
  });

  const shared = shareReads();
  const byCommand = new Map(REGISTRY.map((e) => [e.command, e]));
  // biome-ignore lint/suspicious/noExplicitAny: each check has its own option types; the cycle only runs them.
  type Check = CheckDefinition<any>;
  /** A command line this run will evaluate: its check loaded, its command line parsed. */
  const ready = async ({ key, argv: [command, ...args], maxAge, running }: Known) => {
    const entry = byCommand.get(basename(command ?? ''));
    if (!entry) return undefined;
    const now = bootClock();
    // The caller's own command line unless answered meanwhile, and every other one whose answer is
    // gone, from another boot, or past half its maximum age: the next polls of the minute are served.
    const at = answeredAt(dir, key, now.boot);
    if (at !== undefined && at <= now.cs && now.cs - at < maxAge * (key === want ? 100 : 50)) return undefined;
    const { check } = await entry.load().catch(() => ({ check: undefined as Check | undefined }));
    if (!check) return undefined;
    try {
      const prepared = prepare(check as Check, args);
      // The launchers that may be waiting for it now: running yet, asked within their -t, with no
      // answer fresh for them then. The one that asked first has the least time left: its -t counts.
      const waiting = running.find(
        (askedCs) => now.cs - askedCs < prepared.args.timeout * 100 && (at === undefined || askedCs - at >= maxAge * 100),
      );
      return prepared.help || prepared.version ? undefined : { key, check: check as Check, prepared, askedCs: waiting };
    } catch {
      // A command line that is a usage error is answered by the check itself.
      return undefined;
    }
  };
  const evaluate = async (c: { key: string; check: Check; prepared: ReturnType<typeof prepare>; askedCs?: number }) => {
    const { key, check, prepared } = c;
    const begun = bootClock();
    // What of its -t a launcher waiting for this line has spent already: the caller's from the
    // boot clock; another's from when it recorded its line (a launcher waiting meanwhile), if lately.
    // Of the caller's own line too, the first to ask counts: one that asked before the caller, still
    // waiting, gave up before an answer timed from the caller's ask ('no answer').
    const from = key === want && asked !== undefined ? Math.min(asked, c.askedCs ?? asked) : c.askedCs;
    const sinceAsked = from === undefined ? 0 : (begun.cs - from) * 10;
    const spentMs = Math.min(Math.max(0, sinceAsked), prepared.args.timeout * 1000);
    if (!claim(dir, key, begun, prepared.args.timeout - spentMs / 1000)) return undefined;
    claimed.add(key);
    let pending: { from: string; to: string } | undefined;
    const keepState = (file: string, value: unknown) => {
      if (file.includes('\n')) throw new Error('a state file name with a line break cannot be kept in a shared run');
      // The launcher renames the pending state over `file` as it serves: never over what the
      // check alone would leave as it is (a pipe, a directory; /dev/null, run as root).
      mayReplace(file);
      writeState(`${file}.pending`, value);
      pending = { from: `${file}.pending`, to: file };
    };
    // Each command under its own -t, as it would run alone; past it, its own UNKNOWN.
    return async () => {
      const outcome = await new Promise<Outcome>((resolve) => {
        const endsAt = Date.now() + prepared.args.timeout * 1000 - spentMs;
        const deadline = new Deadline(prepared.args.timeout, (d) => resolve(cannotTell(check, d.reason())), undefined, endsAt);
        outcomeOf(check, prepared, deadline, silentLogger, shared, keepState).then(
          (o) => {
            deadline.cancel();
            resolve(o);
          },
          (err) => resolve(cannotTell(check, reasonOf(err))),
        );
      });
      try {
        const format = prepared.args.format;
        // The line of its age is long output too: kept within --max-long-output, or not said where
        // there is no room for it (0 asks for the first line alone).
        const budget = prepared.args['max-long-output'];
        const aged = format === 'nagios' && budget >= AGE_LINE_ROOM;
        const served = format === 'nagios' && !aged ? FIRST_LINE_ONLY : format;
        const head = `${ANSWER_MAGIC} ${begun.boot} ${begun.cs} ${outcome.state} ${served}`;
        writeAnswer(dir, key, head, render(outcome, format, aged ? budget - AGE_LINE_ROOM : budget), pending);
      } catch {
        // An answer that cannot be written is simply not there: that launcher runs its check itself.
      } finally {
        claimed.delete(key);
        release(dir, key);
        if (key === want) wake();
      }
    };
  };
  // Every check loaded and its line parsed first, then all claimed at once (the caller's own
  // first), so a launcher that comes meanwhile finds its line claimed and waits; then all start
  // in one go, so that the journal checks read the journal together, in one pass.
  const candidates = (await Promise.all(knownCommands(dir).map(ready))).filter((c) => c !== undefined);
  candidates.sort((x, y) => Number(y.key === want) - Number(x.key === want));
  const runs: { timed: boolean; run: () => Promise<void> }[] = [];
  for (const c of candidates) {
    const run = await evaluate(c);
    if (run) runs.push({ timed: c.check.timed === true, run });
  }
  // This run was the one starting (launcher.mjs): the next launchers may start their own now.
  if (starter) started();
  // The caller's line not taken here (a usage error, -h, its check not loaded; another run's, or
  // answered meanwhile): its launcher is woken now, to wait on that run, serve or run it alone, not
  // once every other line has ended (a hung one's -t past its own served 'no answer').
  if (want !== undefined && !claimed.has(want)) wake();
  // A timed check (check_apiserver) first, alone: the others' work must not count in its time.
  await timedFirst(
    runs,
    (r) => r.timed,
    (r) => r.run(),
  );
  finish('', 0);
}
