// A shared run (`microk8s-checks all`, the poll cycle) says for each check what the check says
// alone (#29), where what they share is read differently for one of them than it would read
// alone: a wider window, a shorter -t, a Retry-After that fits one deadline and not another.
// Each test runs the check alone against the same state and compares the first lines.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { type TestCluster, useCluster } from '../helpers/cluster.ts';
import { at, LOCK_TXN, logrus } from '../helpers/fixtures.ts';
import { DQLITE, haveJournalRemote, makeJournal } from '../helpers/journal.ts';
import { runBuilt } from '../helpers/run.ts';

const cluster = useCluster();
let c: TestCluster;
beforeEach(() => {
  c = cluster();
});

const _kc = () => ['--kubeconfig', c.kubeconfig];
/** A fresh home for what checks keep between runs (restart counts, lease transitions). */
const freshState = () => ({ ...process.env, XDG_STATE_HOME: mkdtempSync(join(tmpdir(), 'mk8s-state-')) });
/** $SNAP_DATA of a control-plane node, as far as `all` looks at it (its lock directory). */
const _controlPlane = () => {
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-snap-'));
  mkdirSync(join(dir, 'var', 'lock'), { recursive: true });
  return dir;
};

interface Row {
  check: string;
  code: number;
  summary: string;
}
const _line = (r: Row) => `${r.check} ${['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'][r.code]} - ${r.summary}`;
/** A first line without its perfdata. */
const _head = (first: string) => first.split(' | ')[0]!;
const _rowsOf = (stdout: string) => Object.fromEntries((JSON.parse(stdout) as Row[]).map((r) => [r.check, r]));

/**
 * A shared poll cycle of its own (a cache home for these command lines, in `env`): every line is
 * polled once to make it known, then all answers are expired, so that `run` makes one shared run
 * of all of them and returns each line's answer as served.
 */
function sharedCycle(lines: [string, string[]][], env: NodeJS.ProcessEnv = freshState()) {
  const home = mkdtempSync(join(tmpdir(), 'mk8s-cycle-'));
  const cached = { ...env, XDG_CACHE_HOME: join(home, 'cache') };
  const answers = join(home, 'cache', 'microk8s-checks', 'cycle', 'results');
  const poll = ([command, args]: [string, string[]]) => runBuilt(command, ['--cycle=55', ...args], { env: cached });
  const answered = async () => {
    for (let i = 0; i < 300 && readdirSync(answers).length < lines.length; i++) await new Promise((r) => setTimeout(r, 100));
  };
  const expire = () => {
    for (const f of readdirSync(answers)) rmSync(join(answers, f));
  };
  return {
    /** Every line known to the cycle, as after a minute of NRPE polls. */
    know: async () => {
      for (const l of lines) await poll(l);
      await answered();
      expire();
    },
    /** One shared run of every line (started by polling the first), each line's answer as served. */
    run: async () => {
      await poll(lines[0]!);
      await answered();
      const served = [];
      for (const l of lines) served.push(await poll(l));
      return served;
    },
  };
}

describe.skipIf(!haveJournalRemote)('the journal read in one pass', () => {
  it("in the poll cycle, a journal check waits for journalctl its own -t, not another line's shorter one", async () => {
    const journal = makeJournal([{ age: 30, service: DQLITE, message: logrus(at(30), 'error', LOCK_TXN) }]);
    // journalctl answering its reads 5 s late, as on a node whose disk is busy.
    const bin = mkdtempSync(join(tmpdir(), 'mk8s-bin-'));
    writeFileSync(join(bin, 'journalctl'), '#!/bin/sh\ncase "$*" in *--grep*) sleep 5 ;; esac\nexec /usr/bin/journalctl "$@"\n', {
      mode: 0o755,
    });
    const env = { ...freshState(), PATH: `${bin}:${process.env.PATH}` };
    const lines: [string, string[]][] = [
      ['check_dqlite_lock', ['--journal-file', journal, '-t', '3']],
      ['check_kine_retries', ['--journal-file', journal, '-t', '15']],
    ];
    const cycle = sharedCycle(lines, env);
    await cycle.know();
    const [short, long] = await cycle.run();
    expect(short!.first).toBe('DQLITE-LOCK UNKNOWN - timed out after 3s while reading the journal');
    const alone = await runBuilt(lines[1]![0], lines[1]![1], { env });
    expect(alone.first).toMatch(/^KINE-RETRIES OK - 1 k8s-dqlite error at the full retry budget/);
    expect(long!.first).toBe(alone.first);
  }, 60_000);
});
