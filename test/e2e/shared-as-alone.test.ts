// A shared run (`microk8s-checks all`, the poll cycle) says for each check what the check says
// alone (#29), where what they share is read differently for one of them than it would read
// alone: a wider window, a shorter -t, a Retry-After that fits one deadline and not another.
// Each test runs the check alone against the same state and compares the first lines.
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { pod } from '../apiserver/objects.ts';
import { addHealthyCluster, type TestCluster, useCluster } from '../helpers/cluster.ts';
import { at, LOCK_TXN, logrus } from '../helpers/fixtures.ts';
import { DQLITE, haveJournalRemote, KUBELITE, makeJournal } from '../helpers/journal.ts';
import { runBuilt } from '../helpers/run.ts';
import { controlPlane, freshState } from '../helpers/shared-run.ts';

const cluster = useCluster();
let c: TestCluster;
beforeEach(() => {
  c = cluster();
});

const kc = () => ['--kubeconfig', c.kubeconfig];

interface Row {
  check: string;
  code: number;
  summary: string;
}
const line = (r: Row) => `${r.check} ${['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'][r.code]} - ${r.summary}`;
/** A first line without its perfdata. */
const head = (first: string) => first.split(' | ')[0]!;
const rowsOf = (stdout: string) => Object.fromEntries((JSON.parse(stdout) as Row[]).map((r) => [r.check, r]));

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
  it('a journal check whose window is quiet says so as alone, though the pass over a wider window saw lines', async () => {
    addHealthyCluster(c.api);
    // The journal's newest entry is 7 minutes old (a copy, written no more): inside the gate's 10
    // minutes, before the 5 of dqlite-lock and kine-retries, which alone find no entry at all in their window.
    const journal = makeJournal([{ age: 420, service: DQLITE, message: logrus(at(420), 'error', LOCK_TXN) }], undefined, { tail: false });
    const all = await runBuilt(
      'microk8s-checks',
      ['all', ...kc(), '--node', 'k8s01', '--journal-file', journal, '--snap-data', controlPlane(), '--format', 'json'],
      { env: freshState() },
    );
    const by = rowsOf(all.stdout);
    for (const command of ['check_dqlite_lock', 'check_kine_retries']) {
      const alone = await runBuilt(command, ['--journal-file', journal]);
      expect(alone.first, command).toMatch(/UNKNOWN - journal .* holds no entry in the window/);
      const row = Object.values(by).find((r) => alone.first.startsWith(`${r.check} `));
      expect(line(row!), command).toBe(head(alone.first));
    }
  });

  it('a journal with nothing in the window: its fix names --since where the check has it, not the gate, alone and in all', async () => {
    addHealthyCluster(c.api);
    // Its newest entry 20 minutes old: before the gate's 10 minutes (--settle) and the storm checks' 5.
    const journal = makeJournal([{ age: 1200, service: DQLITE, message: logrus(at(1200), 'error', LOCK_TXN) }], undefined, { tail: false });
    const gateArgs = [...kc(), '--node', 'k8s01', '--journal-file', journal, '--snap-data', controlPlane()];
    const gate = await runBuilt('check_restart_preflight', gateArgs, { env: freshState() });
    expect(gate.code, gate.stdout).toBe(2);
    expect(gate.first).toMatch(/^RESTART-PREFLIGHT CRITICAL - NO-GO: .*journal \S+ holds no entry in the window .*\(fix: give a journal /);
    // check_restart_preflight has no --since: 'Unknown argument: since' was all the fix led to.
    expect(gate.first).not.toMatch(/--since/);
    const lock = await runBuilt('check_dqlite_lock', ['--journal-file', journal]);
    expect(lock.first).toMatch(/holds no entry in the window .*\(fix: give a journal that covers the window, or a wider --since\)$/);
    const all = await runBuilt('microk8s-checks', ['all', ...gateArgs, '--format', 'json'], { env: freshState() });
    const by = rowsOf(all.stdout);
    expect(line(by['RESTART-PREFLIGHT']!)).toBe(head(gate.first));
    expect(line(by['DQLITE-LOCK']!)).toBe(head(lock.first));
    // A log file last written before the window, alike.
    const old = join(mkdtempSync(join(tmpdir(), 'mk8s-log-')), 'kubelite.log');
    writeFileSync(old, `${new Date(Date.now() - 1_200_000).toISOString()} k8s01 microk8s.daemon-kubelite[1]: Starting kubelite\n`);
    utimesSync(old, new Date(Date.now() - 1_200_000), new Date(Date.now() - 1_200_000));
    const logGate = await runBuilt('check_restart_preflight', [...gateArgs.slice(0, 4), '--log-file', old, '--snap-data', controlPlane()], {
      env: freshState(),
    });
    expect(logGate.first).toMatch(
      /log file \S+ was last written \S+, before the window \(the last 10m\): nothing to judge \(fix: give a log that covers/,
    );
    expect(logGate.first).not.toMatch(/--since/);
    const logLock = await runBuilt('check_dqlite_lock', ['--log-file', old]);
    expect(logLock.first).toMatch(
      /before the window \(the last 5m\): nothing to judge \(fix: give a log that covers the window, or a wider --since\)$/,
    );
  });

  it("in the poll cycle, a journal with nothing in the window: each line's fix is its own, whichever line came first", async () => {
    addHealthyCluster(c.api);
    const journal = makeJournal([{ age: 1200, service: DQLITE, message: logrus(at(1200), 'error', LOCK_TXN) }], undefined, { tail: false });
    const gate: [string, string[]] = [
      'check_restart_preflight',
      [...kc(), '--node', 'k8s01', '--journal-file', journal, '--snap-data', controlPlane()],
    ];
    const lock: [string, string[]] = ['check_dqlite_lock', ['--journal-file', journal]];
    const env = freshState();
    const aloneLock = await runBuilt(lock[0], lock[1]);
    expect(aloneLock.first).toMatch(/\(fix: give a journal that covers the window, or a wider --since\)$/);
    const aloneGate = await runBuilt(gate[0], gate[1], { env });
    expect(aloneGate.first).toMatch(/holds no entry in the window .*\(fix: give a journal that covers the window\)/);
    // The gate's line first, then dqlite-lock's: the gate asked dqlite-lock's narrower window first.
    for (const lines of [
      [gate, lock],
      [lock, gate],
    ]) {
      const cycle = sharedCycle(lines, freshState());
      await cycle.know();
      const served = await cycle.run();
      const by = Object.fromEntries(lines.map((l, i) => [l[0], served[i]!]));
      expect(by.check_dqlite_lock!.first).toBe(aloneLock.first);
      expect(head(by.check_restart_preflight!.first)).toBe(head(aloneGate.first));
    }
  });

  it('in the poll cycle, a journal given that ends inside the window: each line as alone, never an OK after its end', async () => {
    addHealthyCluster(c.api);
    // A copy taken 3 minutes ago: its newest entry 190 s old, inside every window.
    const journal = makeJournal([{ age: 190, service: DQLITE, message: logrus(at(190), 'info', 'compacted') }], undefined, {
      tail: false,
    });
    const lines: [string, string[]][] = [
      ['check_restart_preflight', [...kc(), '--node', 'k8s01', '--journal-file', journal, '--snap-data', controlPlane()]],
      ['check_dqlite_lock', ['--journal-file', journal]],
      ['check_kine_retries', ['--journal-file', journal]],
    ];
    const cycle = sharedCycle(lines, freshState());
    await cycle.know();
    const served = await cycle.run();
    expect(served[0]!.first).toMatch(
      /^RESTART-PREFLIGHT CRITICAL - NO-GO: .*journal \S+ ends at \S+Z, 3m ago: the last 3m of the 10m window /,
    );
    for (const [i, [command, args]] of lines.entries()) {
      if (i === 0) continue;
      const alone = await runBuilt(command, args);
      expect(alone.first, command).toMatch(/ UNKNOWN - journal \S+ ends at \S+Z, 3m ago: the last 3m of the 5m window are not in it /);
      expect(served[i]!.first, command).toBe(alone.first);
    }
  });

  it('in the poll cycle, a line with the default --since is answered as alone beside one with --since 1h', async () => {
    const journal = makeJournal([{ age: 1200, service: DQLITE, message: logrus(at(1200), 'error', LOCK_TXN) }], undefined, { tail: false });
    const lines: [string, string[]][] = [
      ['check_dqlite_lock', ['--journal-file', journal]],
      ['check_dqlite_lock', ['--journal-file', journal, '--since', '1h']],
    ];
    const cycle = sharedCycle(lines);
    await cycle.know();
    const [narrow, wide] = await cycle.run();
    // Its newest entry 20 minutes old, inside the hour: said in whole minutes, which a run a second later may pass.
    const minutes = (text: string) => head(text).replace(/\b\d+m\b/g, 'Nm');
    expect(minutes(wide!.first)).toBe(minutes((await runBuilt(lines[1]![0], lines[1]![1])).first));
    const alone = await runBuilt(lines[0]![0], lines[0]![1]);
    expect(alone.first).toMatch(/^DQLITE-LOCK UNKNOWN - journal .* holds no entry in the window/);
    expect(narrow!.first).toBe(alone.first);
  });

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

  it('a quiet journal file: whether it holds an entry, and a unit of ours, is asked once for the three checks', async () => {
    addHealthyCluster(c.api);
    const journal = makeJournal([{ age: 30, service: DQLITE, message: logrus(at(30), 'info', 'compacted') }]);
    // journalctl as found on PATH, writing down each time it is started.
    const bin = mkdtempSync(join(tmpdir(), 'mk8s-path-'));
    const calls = join(bin, 'calls');
    writeFileSync(join(bin, 'journalctl'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${calls}'\nexec /usr/bin/journalctl "$@"\n`, {
      mode: 0o755,
    });
    const all = await runBuilt(
      'microk8s-checks',
      ['all', ...kc(), '--node', 'k8s01', '--journal-file', journal, '--snap-data', controlPlane(), '--format', 'json'],
      { env: { ...freshState(), PATH: `${bin}:${process.env.PATH}` } },
    );
    expect(rowsOf(all.stdout)['DQLITE-LOCK']!.summary).toMatch(/^no 'database is locked' in the last 5m/);
    const made = readFileSync(calls, 'utf8').split('\n');
    expect(made.filter((call) => / --lines=1 --since=/.test(call))).toHaveLength(1);
    // And whether a MicroK8s unit ever logged there, once: the gate's fix differs from theirs (it has
    // no --unit to offer), the answer does not.
    expect(made.filter((call) => /_SYSTEMD_UNIT=/.test(call))).toHaveLength(1);
  });

  it('a --unit that never logged, named beside one the pass gave lines: UNKNOWN in its row, as alone', async () => {
    addHealthyCluster(c.api);
    const file = makeJournal([
      ...[10, 40, 70, 100, 130, 160, 190, 220].map((age) => ({ age, service: DQLITE, message: logrus(at(age), 'error', LOCK_TXN) })),
      { age: 30, service: KUBELITE, message: 'E1207 status.go:71] rpc error: code = Unknown desc = exec (try: 500): database is locked' },
    ]);
    const units = ['--unit', KUBELITE.unit, '--unit', 'snap.microk8s.daemon-k8s-dqlit'];
    const alone = await runBuilt('check_dqlite_lock', ['--journal-file', file, ...units]);
    expect(alone.first).toMatch(/^DQLITE-LOCK UNKNOWN - no entry of unit snap\.microk8s\.daemon-k8s-dqlit\.service is in the journal/);
    const all = await runBuilt(
      'microk8s-checks',
      ['all', ...kc(), '--node', 'k8s01', '--journal-file', file, ...units, '--snap-data', controlPlane(), '--format', 'json'],
      { env: freshState() },
    );
    expect(line(rowsOf(all.stdout)['DQLITE-LOCK']!)).toBe(head(alone.first));
  });

  it("an entry of several lines before a check's window is none of its lines, though the pass read it for the gate", async () => {
    addHealthyCluster(c.api);
    // kubelite's message of several lines 7 minutes ago, inside the gate's 10 minutes only: each of
    // its lines after the first says 'database is locked', and carries no time of its own.
    const storm = ['an error of several lines:', ...Array.from({ length: 8 }, (_, i) => `  ${i}: database is locked`)].join('\n');
    const journal = makeJournal([
      { age: 420, service: KUBELITE, message: storm },
      { age: 30, service: DQLITE, message: logrus(at(30), 'info', 'compacted') },
    ]);
    const alone = await runBuilt('check_dqlite_lock', ['--journal-file', journal]);
    expect(alone.first).toMatch(/^DQLITE-LOCK OK - no 'database is locked' in the last 5m/);
    const all = await runBuilt(
      'microk8s-checks',
      ['all', ...kc(), '--node', 'k8s01', '--journal-file', journal, '--snap-data', controlPlane(), '--format', 'json'],
      { env: freshState() },
    );
    expect(line(rowsOf(all.stdout)['DQLITE-LOCK']!)).toBe(head(alone.first));
  });
});

describe('the pod list read once', () => {
  it("a 429 whose Retry-After outlasts one line's -t is that line's answer, as alone, while another line waits for it", async () => {
    addHealthyCluster(c.api);
    c.api.add('pods', pod({ namespace: 'web', name: 'api-0', node: 'k8s01', ip: '10.1.23.4' }));
    const lines: [string, string[]][] = [
      ['check_scheduling', [...kc(), '-t', '2']],
      ['check_pod_restarts', [...kc(), '-t', '10']],
    ];
    const overloaded = () => c.api.faults.splice(0, c.api.faults.length, { path: '/pods', status: 429, retryAfter: 3, times: 1 });
    const cycle = sharedCycle(lines);
    await cycle.know();
    overloaded();
    const [short, long] = await cycle.run();
    overloaded();
    const alone = await runBuilt(lines[0]![0], lines[0]![1], { env: freshState() });
    expect(alone.first).toMatch(/^SCHEDULING UNKNOWN - API server \S+ answered 429 to list pods at cluster scope/);
    expect(short!.first).toBe(alone.first);
    // The other line waited the 3 s and read the pods.
    expect(long!.first).toMatch(/^POD-RESTARTS OK - /);
  }, 60_000);

  it('namespaces given in another order are read in the order each line gives them, as alone', async () => {
    addHealthyCluster(c.api);
    // Neither exists: each check alone names the first it gave.
    const lines: [string, string[]][] = [
      ['check_scheduling', [...kc(), '-n', 'gone-a', '-n', 'gone-b']],
      ['check_pod_restarts', [...kc(), '-n', 'gone-b', '-n', 'gone-a']],
    ];
    const cycle = sharedCycle(lines);
    await cycle.know();
    const served = await cycle.run();
    for (const [i, [command, args]] of lines.entries()) {
      const alone = await runBuilt(command, args, { env: freshState() });
      expect(alone.first, command).toMatch(/UNKNOWN - namespace gone-. does not exist/);
      expect(served[i]!.first, command).toBe(alone.first);
    }
  }, 60_000);

  it("under a short -t, a request waits for one of the run's kept connections no longer than half its time left", async () => {
    addHealthyCluster(c.api);
    // Four storage reads hanging past -t hold the run's four kept connections: the watch cache's
    // requests, begun after them, waited 2 s for one (all a -t of 2 s gives it) and timed out.
    const hung = /\/(pods|jobs|cronjobs|deployments)$/;
    c.api.intercept = (_req, _res, url) => hung.test(url.pathname);
    const all = await runBuilt('microk8s-checks', ['all', ...kc(), '--format', 'json', '-t', '2'], { env: freshState() });
    const by = rowsOf(all.stdout);
    for (const command of ['check_watch_cache', 'check_nodes', 'check_leases']) {
      const alone = await runBuilt(command, [...kc(), '-t', '2'], { env: freshState() });
      expect(alone.first, command).toMatch(/ OK - /);
      const row = Object.values(by).find((r) => alone.first.startsWith(`${r.check} `))!;
      expect(line(row), command).toBe(head(alone.first));
    }
  }, 60_000);

  it('a label selector with a blank the API server does not take for one (a pasted no-break space) is refused, as alone', async () => {
    addHealthyCluster(c.api);
    c.api.add('pods', pod({ namespace: 'web', name: 'api-0', node: 'k8s01', ip: '10.1.23.4', labels: { app: 'web' } }));
    const lines: [string, string[]][] = [
      ['check_scheduling', kc()],
      ['check_pod_restarts', [...kc(), '-l', 'app=web\u00a0']],
    ];
    const alone = await runBuilt(lines[1]![0], lines[1]![1], { env: freshState() });
    expect(alone.first).toMatch(/^POD-RESTARTS UNKNOWN - API server refused the request to list pods at cluster scope \(400: /);
    const cycle = sharedCycle(lines);
    await cycle.know();
    const [, labelled] = await cycle.run();
    expect(labelled!.first).toBe(alone.first);
  }, 60_000);
});
