// `npm run demo` as a user runs it: started, its printed `microk8s-checks all` line run exactly as
// printed, then stopped with SIGTERM. Every check of the registry must judge something (no UNKNOWN
// row, none left out), and nothing the demo started may outlive it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REGISTRY } from '../../checks/registry.ts';
import { haveJournalRemote } from '../helpers/journal.ts';
import { runProcess } from '../helpers/run.ts';

const DEMO = resolve(import.meta.dirname, '../demo/main.ts');
const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find(existsSync);

/** The demo's output up to its last printed line, and the process. */
async function startDemo(args: string[]): Promise<{ demo: ChildProcess; out: string }> {
  const demo = spawn(process.execPath, [DEMO, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  demo.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  await new Promise<void>((ready, fail) => {
    demo.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('Serving until Ctrl-C')) ready();
    });
    demo.on('exit', (code) => fail(new Error(`the demo exited (${code}) before it was up: ${err}`)));
  });
  return { demo, out };
}

/** Every process below pid, found by walking /proc's parent links. */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      parent.set(Number(p), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const below = (p: number): number[] => [...parent].filter(([, pp]) => pp === p).flatMap(([c]) => [c, ...below(c)]);
  return below(pid);
}

/** Whether a process runs (a zombie does not). */
const running = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** The rows of `all`'s table: check name and state. */
const rows = (table: string) =>
  table
    .split('\n')
    .slice(1)
    .filter((l) => l && !l.startsWith('worst:'))
    .map((l) => {
      const [check, state] = l.split(/\s+/);
      return { check: check!, state: state! };
    });

describe.skipIf(!haveJournalRemote)('npm run demo: the checks without a cluster', () => {
  it.each([
    { mode: 'storm (the default)', args: [], code: 2, journal: 'CRITICAL' },
    { mode: '--calm', args: ['--calm'], journal: 'OK' },
  ])(
    '$mode: the printed all line judges every check (no UNKNOWN, none skipped); SIGTERM stops and removes everything',
    async ({ args, code, journal }) => {
      const { demo, out } = await startDemo(args);
      const dir = /files in (\S+)/.exec(out)![1]!;
      const allLine = out.split('\n').find((l) => l.includes('/microk8s-checks all '))!;
      const dqliteDir = /--backend-dir (\/dev\/shm\/mk8s-dqlite-\w+)\//.exec(allLine)?.[1];
      const started = descendants(demo.pid!);
      try {
        const r = await runProcess('sh', ['-c', allLine]);
        const found = rows(r.stdout);
        expect(
          found.filter((row) => row.state === 'UNKNOWN' || row.state === 'skipped'),
          r.stdout,
        ).toEqual([]);
        expect(found.map((row) => row.check).sort()).toEqual(REGISTRY.map((e) => e.name).sort());
        // The storm shows in the journal checks; the calm has none.
        expect(found.find((row) => row.check === 'DQLITE-LOCK')?.state, r.stdout).toBe(journal);
        if (code !== undefined) expect(r.code).toBe(code);
        // Where every check judges, each one's OpenMetrics passes promtool without a lint problem.
        if (PROMTOOL) {
          const om = await runProcess('sh', ['-c', `${allLine} --format openmetrics`]);
          const lint = spawnSync(PROMTOOL, ['check', 'metrics'], { input: om.stdout, encoding: 'utf8' });
          expect({ code: lint.status, said: `${lint.stdout}${lint.stderr}` }, om.stdout).toEqual({ code: 0, said: '' });
          expect(om.stdout).not.toMatch(/^microk8s_check_skipped/m);
        }
        // Each check's own line as printed runs too, and judges.
        const own = out.split('\n').filter((l) => /\/check_dqlite_storage |\/check_services /.test(l));
        expect(own).toHaveLength(2);
        for (const line of own) expect((await runProcess('sh', ['-c', line])).first).toMatch(/^[A-Z-]+ (OK|WARNING|CRITICAL) - /);
      } finally {
        const exited = new Promise<number | null>((done) => demo.once('exit', (c) => done(c)));
        demo.kill('SIGTERM');
        expect(await exited).toBe(0);
      }
      expect(started.filter(running)).toEqual([]);
      expect(existsSync(dir)).toBe(false);
      if (dqliteDir) expect(existsSync(dqliteDir)).toBe(false);
    },
    240_000,
  );
});

describe('the demo and the test API server read their command line as the checks do', () => {
  const API = resolve(import.meta.dirname, '../apiserver/main.ts');
  it('-h/--help says how to run them; a mistyped option is one line naming it, never a stack trace', async () => {
    for (const [script, usage] of [
      [DEMO, /^usage: npm run demo \[-- --calm\]/],
      [API, /^usage: npm run test-api -- \[--nodes N\]/],
    ] as const) {
      const help = await runProcess(process.execPath, [script, '--help']);
      expect(help.code, script).toBe(0);
      expect(help.stdout, script).toMatch(usage);
      const typo = await runProcess(process.execPath, [script, '--clam']);
      expect(typo.code, script).toBe(2);
      expect(typo.stdout, script).toBe('');
      expect(typo.stderr, script).toMatch(/^[a-z-]+: Unknown option '--clam' \(usage: npm run [a-z-]+ /);
      expect(typo.stderr.trimEnd().split('\n'), script).toHaveLength(1);
    }
  });
});
