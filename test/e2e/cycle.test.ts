// The shared NRPE cycle (--cycle=SECONDS), run directly: answers served from one shared run, and
// "since the previous run" meaning the previous answer served, whatever shared runs came between.
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { node, pod } from '../apiserver/objects.ts';
import { addHealthyCluster, type TestCluster, useCluster } from '../helpers/cluster.ts';
import { at, LOCK_TXN, logrus } from '../helpers/fixtures.ts';
import { DQLITE, haveJournalRemote, makeJournal } from '../helpers/journal.ts';
import { processesWith } from '../helpers/processes.ts';
import { DIST, type Run, runBuilt, runProcess } from '../helpers/run.ts';
import { until } from '../helpers/wait.ts';

const cluster = useCluster();
/** n 'database is locked' lines of k8s-dqlite, as a plain log (--log-file). */
const lockLines = (n: number) => Array.from({ length: n }, (_, i) => `${logrus(at(10 + i), 'error', LOCK_TXN)}\n`).join('');
let c: TestCluster;
beforeEach(() => {
  c = cluster();
});

describe('--cycle', () => {
  it('one shared run answers every known command line; a restart count is judged against the last answer served', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mk8s-cycle-'));
    const env = { ...process.env, XDG_CACHE_HOME: join(home, 'cache') };
    const answers = join(home, 'cache', 'microk8s-checks', 'cycle', 'results');
    const state = join(home, 'restarts.json');
    const expireAll = () => {
      for (const f of readdirSync(answers)) rmSync(join(answers, f));
    };
    const restarts = (n: number) => {
      c.api.clear('pods');
      const p = pod({ namespace: 'web', name: 'api', node: 'node1', ip: '10.1.22.7', restarts: n });
      p.metadata.uid = 'b5b1a0c4-2b8e-4a5e-9d55-0f1c6e8f6a11';
      c.api.add('pods', p);
    };
    c.api.add('nodes', node({ name: 'node1', ip: '10.0.0.11' }));
    const podRestarts = () => runBuilt('check_pod_restarts', ['--cycle=55', '--kubeconfig', c.kubeconfig, '--state-file', state], { env });
    // --cycle anywhere on the line, with its value apart.
    const nodes = () => runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig, '--cycle', '55'], { env });

    restarts(4);
    expect((await podRestarts()).first).toMatch(/restarts counted from now on/);
    // Served: its state became current (no pending state left).
    expect(existsSync(state)).toBe(true);
    expect(existsSync(`${state}.pending`)).toBe(false);
    expect((await nodes()).first).toMatch(/^NODES OK - 1 node, all Ready/);

    // A shared run made for check_nodes answers check_pod_restarts too, but nobody serves that
    // answer: the count it saw must not become the one the next served answer compares with.
    restarts(6);
    expireAll();
    await nodes();
    // Published as each check ends: check_pod_restarts' answer comes after check_nodes' own.
    for (let i = 0; i < 100 && readdirSync(answers).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    expect(readdirSync(answers)).toHaveLength(2);
    expireAll();
    restarts(9);
    const r = await podRestarts();
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^POD-RESTARTS WARNING - 1 pod restarted since the previous run \S+ ago: web\/api \|/);
    expect(r.stdout).toMatch(/restarts 4 -> 9/);

    // Served from the shared run: a second poll within the maximum age starts no check at all,
    // and says how old the answer is, in the long output and in JSON.
    const requests = c.api.requests.length;
    const served = await podRestarts();
    expect(served.first).toBe(r.first);
    expect(served.stdout.split('\n')[1]).toMatch(/^answer of the shared poll cycle, \d+\.\ds old \(--cycle 55\)$/);
    expect(c.api.requests.length).toBe(requests);
    const json = await runBuilt('check_nodes', ['--cycle=55', '--kubeconfig', c.kubeconfig, '--format', 'json'], { env });
    await runBuilt('check_nodes', ['--cycle=55', '--kubeconfig', c.kubeconfig, '--format', 'json'], { env });
    expect(JSON.parse(json.stdout)).toMatchObject({ check: 'NODES', code: 0, cycle: { age_s: expect.any(Number), max_age_s: 55 } });
  });

  it('an answer is served only to a caller for whom it is fresh: --cycle=1 never gets one older than 1 s', async () => {
    const env = { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'mk8s-cycle-')) };
    c.api.add('nodes', node({ name: 'node1', ip: '10.0.0.11' }));
    expect((await runBuilt('check_nodes', ['--cycle=55', '--kubeconfig', c.kubeconfig], { env })).first).toMatch(/^NODES OK - 1 node,/);
    c.api.add('nodes', node({ name: 'node2', ip: '10.0.0.12' }));
    // Still fresh for a 55 s caller...
    expect((await runBuilt('check_nodes', ['--cycle=55', '--kubeconfig', c.kubeconfig], { env })).first).toMatch(/^NODES OK - 1 node,/);
    await new Promise((r) => setTimeout(r, 1100));
    // ...never for a 1 s one.
    const r = await runBuilt('check_nodes', ['--cycle=1', '--kubeconfig', c.kubeconfig], { env });
    expect(r.first).toMatch(/^NODES OK - 2 nodes,/);
    // Begun within this call, not before it: no older than the call took. (Its age alone is not
    // under 1 s on a loaded machine, where the run made for this call takes longer than that.)
    const age = Number(/, (\d+\.\d)s old/.exec(r.stdout)?.[1]);
    expect(age).toBeLessThanOrEqual(r.ms / 1000);
  });

  it('--max-long-output 0 served from the cycle is the first line alone, as the check prints it', async () => {
    const { env } = cycleCache();
    c.api.add('nodes', node({ name: 'node1', ip: '10.0.0.11' }));
    const args = ['--kubeconfig', c.kubeconfig, '--max-long-output', '0'];
    const alone = await runBuilt('check_nodes', args, { env });
    expect(alone.stdout).toBe(`${alone.first}\n`);
    for (let i = 0; i < 2; i++) {
      const requests = c.api.requests.length;
      const shared = await runBuilt('check_nodes', ['--cycle=55', ...args], { env });
      expect([shared.code, shared.stdout]).toEqual([0, `${alone.first}\n`]);
      // The second served from the first's shared run: no request of its own.
      if (i === 1) expect(c.api.requests.length).toBe(requests);
    }
  });

  it('--max-long-output N served from the cycle keeps to N bytes, the line of its age counted in them', async () => {
    const { env } = cycleCache();
    const log = join(mkdtempSync(join(tmpdir(), 'mk8s-cycle-')), 'node.log');
    writeFileSync(log, lockLines(30));
    const long = (stdout: string) => Buffer.byteLength(stdout.slice(stdout.indexOf('\n') + 1));
    for (const budget of [300, 120, 60]) {
      const args = ['--log-file', log, '-w', '0', '--max-long-output', String(budget)];
      const alone = await runBuilt('check_dqlite_lock', args, { env });
      expect(long(alone.stdout), `alone ${budget}`).toBeLessThanOrEqual(budget);
      for (let i = 0; i < 2; i++) {
        const shared = await runBuilt('check_dqlite_lock', ['--cycle=55', ...args], { env });
        expect([shared.code, shared.first]).toEqual([alone.code, alone.first]);
        expect(long(shared.stdout), `shared ${budget}: ${shared.stdout}`).toBeLessThanOrEqual(budget);
        // Served (the second poll): it says so where the budget has room for that line.
        if (i === 1 && budget >= 120) expect(shared.stdout).toMatch(/\nanswer of the shared poll cycle, [\d.]+s old \(--cycle 55\)\n/);
      }
    }
  });

  it('--cycle is an option like the others: in -h, and a bad value is refused', async () => {
    const help = await runBuilt('check_nodes', ['-h', '--cycle', '55']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--cycle +serve the answer of a shared poll cycle/);
    for (const bad of [['--cycle=abc'], ['--cycle', '0'], ['--cycle=1.5'], ['--cycle=3601'], ['--cycle']]) {
      const r = await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig, ...bad]);
      expect(r.code, bad.join(' ')).toBe(3);
      expect(r.first, bad.join(' ')).toMatch(/^NODES UNKNOWN - .*cycle/);
    }
  });

  it('--cycle takes plain digits: 055, 0x10 or 1e3 is refused as written, never run alone without a word', async () => {
    c.api.add('nodes', node({ name: 'node1', ip: '10.0.0.11' }));
    const env = { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'mk8s-cycle-')) };
    // yargs' number type read these as 55, 16 and 1000; the launcher serves none of them.
    for (const [bad, shown] of [
      [['--cycle=055'], '055'],
      [['--cycle', '0x10'], '0x10'],
      [['--cycle=1e3'], '1e3'],
    ] as const) {
      const r = await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig, ...bad], { env });
      expect(r.code, bad.join(' ')).toBe(3);
      expect(r.first, bad.join(' ')).toBe(
        `NODES UNKNOWN - --cycle must be whole seconds from 1 to 3600, not '${shown}' (fix: give it as digits, e.g. --cycle 50)`,
      );
    }
    // The bundle run without its launcher judges the value alike.
    const bundle = await runProcess(process.execPath, [
      join(DIST, 'microk8s-checks.d', 'check_nodes.mjs'),
      '--cycle=0x10',
      '--kubeconfig',
      c.kubeconfig,
    ]);
    expect(bundle.code).toBe(3);
    expect(bundle.first).toMatch(/^NODES UNKNOWN - --cycle must be whole seconds from 1 to 3600, not '0x10'/);
  });

  // yargs read -t 1e1 and -t 0x10 as 10 and 16 s, where the launcher (its centis) reads digits and
  // one point only: with --cycle such a -t ran alone without a word. Refused as written, as --cycle is.
  // 22 runs one after another: 9.5 s on a loaded machine, past the default 30 s with start-ups 1.5 s slower.
  it('-t takes plain decimal seconds: 1e1, 0x10, +5 refused as written, by the check, the launcher and all alike', async () => {
    c.api.add('nodes', node({ name: 'node1', ip: '10.0.0.11' }));
    const env = { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'mk8s-cycle-')) };
    const said = (shown: string) =>
      `-t/--timeout must be seconds in digits (one decimal point at most), above 0 and at most 3600, not '${shown}' ` +
      '(fix: give it as digits, e.g. -t 8 or -t 0.5)';
    for (const [bad, shown] of [
      [['-t', '1e1'], '1e1'],
      [['-t1e1'], '1e1'],
      [['-t=0x10'], '0x10'],
      [['--timeout=+5'], '+5'],
      [['--cycle', '55', '-t', '0x10'], '0x10'],
      [['-t', '1e1', '--cycle=55'], '1e1'],
      // -t in a bundle of short flags, its value onto it or the next word: read as yargs reads it.
      [['-vt1e1'], '1e1'],
      [['-vt', '1e1'], '1e1'],
      [['-vvt', '1e1'], '1e1'],
      [['-vt=0x10'], '0x10'],
      [['-vt+5'], '+5'],
      [['--cycle', '55', '-vt1e1'], '1e1'],
      [['-vvt', '1e1', '--cycle=55'], '1e1'],
    ] as const) {
      const r = await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig, ...bad], { env });
      expect([r.code, r.stdout], bad.join(' ')).toEqual([3, `NODES UNKNOWN - ${said(shown)}\n`]);
    }
    for (const t of [['-t', '1e1'], ['-vt1e1']]) {
      const all = await runBuilt('microk8s-checks', ['all', '--kubeconfig', c.kubeconfig, ...t]);
      expect([all.code, all.first], t.join(' ')).toEqual([3, `MICROK8S-CHECKS UNKNOWN - ${said('1e1')}`]);
    }
    const bundle = await runProcess(process.execPath, [join(DIST, 'microk8s-checks.d', 'check_nodes.mjs'), '-t', '0x10']);
    expect([bundle.code, bundle.first]).toEqual([3, `NODES UNKNOWN - ${said('0x10')}`]);
    // Digits with one point, as the launcher reads them, are seconds: with --cycle too.
    for (const good of [
      ['-t', '0.5'],
      ['-t', '.5'],
      ['-t5.'],
      ['--timeout=007', '--cycle', '55'],
      ['-vt5', '--cycle', '55'],
      ['-vvt', '.5'],
    ]) {
      const r = await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig, ...good], { env });
      expect([r.code, r.first], good.join(' ')).toEqual([0, expect.stringMatching(/^NODES OK - /)]);
    }
  }, 60_000);

  // The launcher reads -t from the line as the check does, a bundle of short flags too: it waited
  // 10 s for `-vt1`, its default, past the check's own deadline. Its "no answer" names -t in
  // seconds as the checks write them ("timed out after 1s"), not as typed: `-t 1.` as (1.s).
  it('a launcher waits within -t however -t is written, and says it in seconds as the checks do', async () => {
    c.api.add('nodes', node({ name: 'node1', ip: '10.0.0.11' }));
    for (const [t, said] of [
      [['-vt1'], '1s'],
      [['-vvt', '1.50'], '1.5s'],
      [['-t', '1.'], '1s'],
      [['--timeout=01.0'], '1s'],
    ] as const) {
      const r = await neverStarted(['--cycle=55', '--kubeconfig', c.kubeconfig, ...t]);
      expect([r.code, r.first], t.join(' ')).toEqual([
        3,
        `NODES UNKNOWN - no answer from the shared poll cycle within -t (${said}) (fix: see docs/poll-cycle.md, or leave --cycle out)`,
      ]);
      // Within -t + 0.9 s (and what a loaded machine adds), never the default 10 s.
      expect(r.ms, t.join(' ')).toBeLessThan(8000);
    }
  }, 60_000);

  // The launcher took any -t in digits: -t 0.0 waited 0.9 s for a run to refuse the line, and then
  // said "no answer" unless it had; -t 3600.5 waited for as long as no run started, up to an hour.
  it("-t out of range with --cycle is the check's usage error at once, never a wait for a shared run", async () => {
    for (const [t, shown] of [
      [['-t', '0.0'], '0.0'],
      [['--timeout=3600.5'], '3600.5'],
    ] as const) {
      const r = await neverStarted(['--cycle=55', '--kubeconfig', c.kubeconfig, ...t]);
      expect([r.code, r.first], t.join(' ')).toEqual([
        3,
        `NODES UNKNOWN - -t/--timeout must be a number of seconds above 0 and at most 3600, not '${shown}'`,
      ]);
    }
  }, 60_000);

  it('--cycle empty or given twice is put back by the launcher, for the check to refuse', async () => {
    c.api.add('nodes', node({ name: 'node1', ip: '10.0.0.11' }));
    const env = { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'mk8s-cycle-')) };
    for (const empty of [['--cycle='], ['--cycle', '']]) {
      const r = await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig, ...empty], { env });
      expect(r.code, empty.join(' ')).toBe(3);
      expect(r.first, empty.join(' ')).toMatch(/^NODES UNKNOWN - --cycle must be whole seconds from 1 to 3600, not ''/);
    }
    // Given twice, as -t twice: refused, whichever the launcher would have kept.
    for (const twice of [
      ['--cycle=5', '--cycle=10'],
      ['--cycle', '55', '-t', '8', '--cycle=55'],
    ]) {
      const r = await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig, ...twice], { env });
      expect(r.code, twice.join(' ')).toBe(3);
      expect(r.first, twice.join(' ')).toMatch(/^NODES UNKNOWN - --cycle was given 2 times: it takes one value/);
    }
  });

  it('the cache directories are made 700 where any is missing, with nothing on stderr', async () => {
    c.api.add('nodes', node({ name: 'node1', ip: '10.0.0.11' }));
    const cache = mkdtempSync(join(tmpdir(), 'mk8s-cycle-'));
    const env = { ...process.env, XDG_CACHE_HOME: cache };
    const cycle = join(cache, 'microk8s-checks', 'cycle');
    const poll = () => runBuilt('check_nodes', ['--cycle=55', '--kubeconfig', c.kubeconfig], { env });
    const first = await poll();
    expect(first.first).toMatch(/^NODES OK - 1 node, all Ready/);
    for (const dir of [join(cache, 'microk8s-checks'), cycle, ...['known', 'results', 'claims'].map((d) => join(cycle, d))]) {
      expect((statSync(dir).mode & 0o777).toString(8), dir).toBe('700');
    }
    // claims/ left, known/ and results/ gone (a cleaner, a half-restored backup): made again.
    rmSync(join(cycle, 'known'), { recursive: true });
    rmSync(join(cycle, 'results'), { recursive: true });
    const again = await poll();
    expect(again.stderr).toBe('');
    expect(again.first).toMatch(/^NODES OK - 1 node, all Ready/);
    expect(existsSync(join(cycle, 'starting'))).toBe(false);
    const served = await poll();
    expect(served.stderr).toBe('');
    expect(served.stdout.split('\n')[1]).toMatch(/^answer of the shared poll cycle, \d+\.\ds old \(--cycle 55\)$/);
  });

  it('the key covers the working directory: the same relative file in two directories answers each for its own', async () => {
    const env = { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'mk8s-cycle-')) };
    const top = mkdtempSync(join(tmpdir(), 'mk8s-cwd-'));
    const [a, b] = ['a', 'b'].map((d) => join(top, d));
    mkdirSync(a!);
    mkdirSync(b!);
    // Relative, like --cert node.crt: "node.log" is another file in each directory.
    writeFileSync(join(a!, 'node.log'), lockLines(7));
    writeFileSync(join(b!, 'node.log'), lockLines(2));
    const poll = (cwd: string) => runBuilt('check_dqlite_lock', ['--cycle', '55', '--log-file', 'node.log'], { cwd, env });
    expect((await poll(b!)).perf.locked).toMatch(/^2;/);
    expect((await poll(a!)).perf.locked).toMatch(/^7;/);
    // Each then served its own answer.
    const again = await poll(b!);
    expect(again.perf.locked).toMatch(/^2;/);
    expect(again.stdout).toMatch(/answer of the shared poll cycle/);
  });

  it('the key covers the CAs Node trusts: a caller without the extra CA is never served the OK it let in', async () => {
    const plain: NodeJS.ProcessEnv = { ...cycleCache().env };
    for (const name of ['NODE_EXTRA_CA_CERTS', 'NODE_USE_SYSTEM_CA', 'SSL_CERT_FILE', 'SSL_CERT_DIR']) delete plain[name];
    c.api.add('nodes', node({ name: 'node1', ip: '10.0.0.11' }));
    // A kubeconfig without certificate-authority-data: the API server is trusted through Node's own
    // CA store, which NODE_EXTRA_CA_CERTS (or NODE_USE_SYSTEM_CA with SSL_CERT_FILE) widens.
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-noca-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, readFileSync(c.kubeconfig, 'utf8').replace(/^ *certificate-authority-data: .*\n/m, ''));
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, c.certs.ca);
    const args = ['--cycle=55', '--kubeconfig', kubeconfig];
    for (const trusting of [{ NODE_EXTRA_CA_CERTS: ca }, { NODE_USE_SYSTEM_CA: '1', SSL_CERT_FILE: ca }]) {
      const name = Object.keys(trusting).join(' ');
      const trusted = await runBuilt('check_nodes', args, { env: { ...plain, ...trusting } });
      expect([trusted.code, trusted.first], name).toEqual([0, expect.stringMatching(/^NODES OK - 1 node, all Ready \|/)]);
      // As alone: the API server's certificate is not trusted here.
      const untrusted = await runBuilt('check_nodes', args, { env: plain });
      expect([untrusted.code, untrusted.first], name).toEqual([
        3,
        expect.stringMatching(/^NODES UNKNOWN - TLS to https:\S+ failed: certificate problem/),
      ]);
    }
  });

  it("the key covers OpenSSL's configuration Node reads (OPENSSL_CONF): a caller whose TLS refuses is never served an OK", async () => {
    const plain: NodeJS.ProcessEnv = { ...cycleCache().env };
    delete plain.OPENSSL_CONF;
    c.api.add('nodes', node({ name: 'node1', ip: '10.0.0.11' }));
    // A host's stricter OpenSSL policy (a security level the API server's key does not meet).
    const conf = join(mkdtempSync(join(tmpdir(), 'mk8s-openssl-')), 'openssl.cnf');
    writeFileSync(
      conf,
      'nodejs_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = policy\n[policy]\nCipherString = DEFAULT@SECLEVEL=5\n',
    );
    const args = ['--cycle=55', '--kubeconfig', c.kubeconfig];
    const ok = await runBuilt('check_nodes', args, { env: plain });
    expect([ok.code, ok.first]).toEqual([0, expect.stringMatching(/^NODES OK - 1 node, all Ready \|/)]);
    const strict = await runBuilt('check_nodes', args, { env: { ...plain, OPENSSL_CONF: conf } });
    expect([strict.code, strict.first]).toEqual([3, expect.stringMatching(/^NODES UNKNOWN - TLS to https:\S+ failed/)]);
  });

  it("two installs of other builds (a package and a checkout, one user) never serve each other's answers", async () => {
    const { env } = cycleCache();
    c.api.add('nodes', node({ name: 'node1', ip: '10.0.0.11' }));
    // Another build: its bundle words its summary otherwise, and its launchers name that build.
    const other = join(mkdtempSync(join(tmpdir(), 'mk8s-install-')), 'dist');
    cpSync(DIST, other, { recursive: true });
    const suite = join(other, 'microk8s-checks.d', 'suite.cjs');
    writeFileSync(suite, readFileSync(suite, 'latin1').replaceAll('all Ready', 'all Ready, said by the other build'), 'latin1');
    for (const f of readdirSync(other).filter((f) => f.startsWith('check_'))) {
      const file = join(other, f);
      const text = readFileSync(file, 'utf8');
      writeFileSync(file, text.replaceAll(/compile-([0-9a-f]{16})/.exec(text)![1]!, '0123456789abcdef'));
    }
    const args = ['--cycle=55', '--kubeconfig', c.kubeconfig];
    const theirs = await runBuilt(join(other, 'check_nodes'), args, { env: { ...env, MICROK8S_CHECKS_NODE: process.execPath } });
    expect(theirs.first).toMatch(/^NODES OK - 1 node, all Ready, said by the other build/);
    const ours = await runBuilt('check_nodes', args, { env });
    expect(ours.first).toMatch(/^NODES OK - 1 node, all Ready \|/);
  });

  it('a command reading stdin (--log-file -) never uses the cycle: it reads its pipe', async () => {
    const env = { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'mk8s-cycle-')) };
    for (const n of [3, 7]) {
      const r = await runBuilt('check_dqlite_lock', ['--cycle=55', '--log-file', '-'], { env, input: lockLines(n) });
      expect(r.perf.locked).toMatch(new RegExp(`^${n};`));
    }
  });

  it('stdin by its path (/dev/stdin, /dev/fd/0) is read alone too, never by a shared run, another process', async () => {
    const env = { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'mk8s-cycle-')) };
    // A shared run opened its own stdin there (/dev/null: 'a device, not a file'); and one caller's
    // pipe was another's answer (/dev/fd/63 of bash's <(...) is every caller's name for its own).
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-stdin-'));
    for (const [n, log] of [
      [6, '/dev/stdin'],
      [7, '/dev/fd/0'],
      [8, '/proc/self/fd/0'],
      [9, '--log-file=/dev/stdin'],
      // Spelt otherwise, as a path may be: the same file.
      [10, '//dev/stdin'],
      [11, '/dev/./stdin'],
      [12, '--log-file=/proc/self/../self/fd/0'],
    ] as const) {
      const input = join(dir, `${n}.log`);
      writeFileSync(input, lockLines(n));
      const args = log.startsWith('--') ? [log] : ['--log-file', log];
      // Its stdin a file, as a shell's < gives it (a spawned child's stdin is a socket, which /dev/stdin cannot open).
      const r = await runProcess('/bin/sh', ['-c', 'exec "$0" "$@" <"$IN"', join(DIST, 'check_dqlite_lock'), '--cycle=55', ...args], {
        env: { ...env, IN: input },
      });
      expect([r.code, r.first], log).toEqual([
        1,
        expect.stringMatching(new RegExp(`^DQLITE-LOCK WARNING - ${n} 'database is locked' lines`)),
      ]);
    }
  });

  it('without a cache directory it can use, the check runs alone as usual', async () => {
    c.api.add('nodes', node({ name: 'node1', ip: '10.0.0.11' }));
    const r = await runBuilt('check_nodes', ['--cycle=55', '--kubeconfig', c.kubeconfig], {
      env: { ...process.env, XDG_CACHE_HOME: '/proc/nonexistent' },
    });
    expect(r.first).toMatch(/^NODES OK - 1 node, all Ready/);
  });

  it.skipIf(process.getuid?.() !== 0)('on a full cache filesystem the check runs alone, with nothing on stderr', async () => {
    c.api.add('nodes', node({ name: 'node1', ip: '10.0.0.11' }));
    const full = mkdtempSync(join(tmpdir(), 'mk8s-fullcache-'));
    try {
      // A 64 KiB tmpfs filled up, in a mount namespace of its own (root only).
      const script =
        'mount -t tmpfs -o size=64k tmpfs "$0" && { dd if=/dev/zero of="$0/fill" bs=4k 2>/dev/null; XDG_CACHE_HOME="$0" exec "$@"; }';
      const r = await runProcess('unshare', [
        '-m',
        'sh',
        '-c',
        script,
        full,
        `${DIST}/check_nodes`,
        '--cycle=55',
        '--kubeconfig',
        c.kubeconfig,
      ]);
      expect(r.first).toMatch(/^NODES OK - 1 node, all Ready/);
      expect(r.stderr).toBe('');
    } finally {
      rmSync(full, { recursive: true, force: true });
    }
  });

  it('without a home or XDG_CACHE_HOME it keeps no cache, and makes no directory anywhere', async () => {
    c.api.add('nodes', node({ name: 'node1', ip: '10.0.0.11' }));
    const cwd = mkdtempSync(join(tmpdir(), 'mk8s-nohome-'));
    try {
      // As root, a cache under a made-up home could be created; as env -i gives it: PATH only.
      const r = await runBuilt('check_nodes', ['--cycle=55', '--kubeconfig', c.kubeconfig], { cwd, env: { PATH: process.env.PATH! } });
      expect(r.first).toMatch(/^NODES OK - 1 node, all Ready/);
      expect(readdirSync(cwd)).toEqual([]);
      expect(existsSync('/nonexistent')).toBe(false);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

/**
 * An API server that accepts connections and never answers (a hung check line), for the describe
 * block that calls this: writes, in a directory, the test cluster's kubeconfig pointed at it.
 */
function useHungServer(): (dir: string) => string {
  let hung: Server;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    hung = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
  });
  afterAll(() => {
    for (const s of sockets) s.destroy();
    hung.close();
  });
  return (dir) => {
    const port = (hung.address() as { port: number }).port;
    const config = join(dir, 'kubeconfig');
    writeFileSync(config, readFileSync(c.kubeconfig, 'utf8').replace(/server: \S+/, `server: https://127.0.0.1:${port}`));
    return config;
  };
}

describe('--cycle with one hung command line', () => {
  const hungKubeconfig = useHungServer();
  let hungConfig: string;
  beforeEach(() => {
    hungConfig = hungKubeconfig(mkdtempSync(join(tmpdir(), 'mk8s-hung-')));
  });

  it.skipIf(!haveJournalRemote)(
    'every other command answers within its own -t, the journal check at once; the hung one says UNKNOWN in its -t',
    async () => {
      const cache = mkdtempSync(join(tmpdir(), 'mk8s-cycle-'));
      const env = { ...process.env, XDG_CACHE_HOME: cache };
      const results = join(cache, 'microk8s-checks', 'cycle', 'results');
      c.api.add('nodes', node({ name: 'node1', ip: '10.0.0.11' }));
      const journal = makeJournal([10, 20, 30].map((age) => ({ age, service: DQLITE, message: logrus(at(age), 'error', LOCK_TXN) })));
      const lock = () => runBuilt('check_dqlite_lock', ['--cycle=55', '--journal-file', journal, '-t', '8'], { env });
      const nodes = () => runBuilt('check_nodes', ['--cycle=55', '--kubeconfig', c.kubeconfig, '-t', '8'], { env });
      // Known to the cycle: both lines, answered once.
      expect((await lock()).perf.locked).toMatch(/^3;/);
      expect((await nodes()).first).toMatch(/^NODES OK/);
      for (const f of readdirSync(results)) rmSync(join(results, f));
      // The hung line starts a shared run that evaluates the other two as well.
      const api = runBuilt('check_apiserver', ['--cycle=55', '--kubeconfig', hungConfig, '-t', '6'], { env });
      await new Promise((r) => setTimeout(r, 1500));
      const l = await lock();
      const n = await nodes();
      expect(l.perf.locked).toMatch(/^3;/);
      expect(n.first).toMatch(/^NODES OK/);
      // Far within their -t, not after the hung line's 6 s (0.5 s here; loose for a loaded machine).
      expect(l.ms).toBeLessThan(3000);
      expect(n.ms).toBeLessThan(3000);
      // Their answers gone meanwhile, while the hung line is still being waited for: another run.
      for (const f of readdirSync(results)) rmSync(join(results, f));
      const again = await lock();
      expect(again.perf.locked).toMatch(/^3;/);
      expect(again.ms).toBeLessThan(3000);
      const hungAnswer = await api;
      expect(hungAnswer.code).toBe(3);
      expect(hungAnswer.first).toMatch(/^APISERVER UNKNOWN - .*timed out after/);
      // Within -t + 1 s, and a little for starting processes on a loaded machine.
      expect(hungAnswer.ms).toBeLessThan(8500);
    },
    60_000,
  );

  it("a run that cannot write a line's answer (a full disk) lets its launcher run the check alone at once", async () => {
    const { cache, env } = cycleCache();
    const results = join(cache, 'microk8s-checks', 'cycle', 'results');
    c.api.add('nodes', node({ name: 'node1', ip: '10.0.0.11' }));
    const nodes = () => runBuilt('check_nodes', ['--cycle=55', '--kubeconfig', c.kubeconfig, '-t', '4'], { env });
    expect((await nodes()).first).toMatch(/^NODES OK/);
    const key = readdirSync(results)[0]!;
    // The hung line known to the cycle: asked for once, its launcher stopped.
    const hung = spawn(join(DIST, 'check_apiserver'), ['--cycle=55', '--kubeconfig', hungConfig, '-t', '20'], { env, stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 1000));
    hung.kill('SIGTERM');
    await new Promise((r) => hung.on('close', r));
    // check_nodes' answer cannot be written (a directory where it goes, as ENOSPC does it).
    rmSync(join(results, key));
    mkdirSync(join(results, key));
    const r = await nodes();
    expect(r.first).toMatch(/^NODES OK/);
    // Alone as soon as its run gave up on it, not waiting for the hung line past its -t: no 'no answer'.
    expect(r.ms).toBeLessThan(3500);
    for (const pid of processesWith(cache)) process.kill(Number(pid), 'SIGTERM');
  }, 30_000);

  it("a claim the run cannot make (a full disk) is no crash: another launcher's line is answered within its -t", async () => {
    const { cache, env } = cycleCache();
    const cycle = join(cache, 'microk8s-checks', 'cycle');
    c.api.add('nodes', node({ name: 'node1', ip: '10.0.0.11' }));
    const hungLine = ['--cycle=55', '--kubeconfig', hungConfig, '-t', '6'];
    // The hung line known to the cycle: asked for once, its launcher stopped.
    const first = spawn(join(DIST, 'check_apiserver'), hungLine, { env, stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 1000));
    first.kill('SIGTERM');
    await new Promise((r) => first.on('close', r));
    // Its claim cannot be made (a directory where it goes: the claim's read fails as a write on a full disk would).
    const key = readFileSync(join(cycle, 'known', readdirSync(join(cycle, 'known'))[0]!), 'latin1')
      .trim()
      .slice(-64);
    for (let i = 0; i < 50 && readdirSync(join(cycle, 'claims')).length; i++) await new Promise((r) => setTimeout(r, 100));
    mkdirSync(join(cycle, 'claims', key));
    // NRPE polls every service at once: the hung line starts the run, check_nodes' launcher waits for it.
    const hung = runBuilt('check_apiserver', hungLine, { env });
    await new Promise((r) => setTimeout(r, 300));
    const nodes = await runBuilt('check_nodes', ['--cycle=55', '--kubeconfig', c.kubeconfig, '-t', '4'], { env });
    expect(nodes.first).toMatch(/^NODES OK/);
    // Within its -t: not once the starting run's marker, its process gone, was older than that -t.
    expect(nodes.ms).toBeLessThan(3500);
    expect((await hung).first).toMatch(/^APISERVER UNKNOWN - .*timed out after/);
    for (const pid of processesWith(cache)) process.kill(Number(pid), 'SIGTERM');
  }, 40_000);

  it('a line its run does not evaluate (an unknown option) says its usage error at once, not after the hung line', async () => {
    const { cache, env } = cycleCache();
    // The hung line known to the cycle: asked for once, its launcher stopped.
    const hung = spawn(join(DIST, 'check_apiserver'), ['--cycle=55', '--kubeconfig', hungConfig, '-t', '20'], { env, stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 1000));
    hung.kill('SIGTERM');
    await new Promise((r) => hung.on('close', r));
    const alone = await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig, '--no-such-option', '-t', '4'], { env });
    const r = await runBuilt('check_nodes', ['--cycle=55', '--kubeconfig', c.kubeconfig, '--no-such-option', '-t', '4'], { env });
    expect([r.code, r.first]).toEqual([3, alone.first]);
    expect(r.ms).toBeLessThan(3500);
    for (const pid of processesWith(cache)) process.kill(Number(pid), 'SIGTERM');
  }, 30_000);

  it('a launcher stopped by SIGTERM while it waits says UNKNOWN and leaves nothing running', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'mk8s-cycle-'));
    const child = spawn(join(import.meta.dirname, '../../dist/check_apiserver'), ['--cycle', '55', '--kubeconfig', hungConfig, '-t', '8'], {
      env: { ...process.env, XDG_CACHE_HOME: cache },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    await new Promise((r) => setTimeout(r, 1500));
    expect(processesWith(cache).length).toBeGreaterThan(0);
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(3);
    expect(out).toBe('APISERVER UNKNOWN - stopped by SIGTERM while waiting for the shared poll cycle (--cycle)\n');
    await new Promise((r) => setTimeout(r, 500));
    expect(processesWith(cache)).toEqual([]);
    expect(readdirSync(join(cache, 'microk8s-checks', 'cycle', 'claims'))).toEqual([]);
  }, 30_000);

  it("a launcher waiting on a stopped shared run's work gets its own answer, from a run of its own, never the stop", async () => {
    const cache = mkdtempSync(join(tmpdir(), 'mk8s-cycle-'));
    const env = { ...process.env, XDG_CACHE_HOME: cache };
    const cycle = join(cache, 'microk8s-checks', 'cycle');
    addHealthyCluster(c.api);
    const nodes = () => runBuilt('check_nodes', ['--cycle=55', '--kubeconfig', c.kubeconfig, '-t', '10'], { env });
    // check_nodes' line known to the cycle, its answer gone: the next shared run evaluates it too.
    expect((await nodes()).first).toMatch(/^NODES OK/);
    for (const f of readdirSync(join(cycle, 'results'))) rmSync(join(cycle, 'results', f));
    c.api.delayMs = 2500;
    // The hung line starts the shared run (its launcher is the one NRPE gives up on).
    const starter = spawn(`${DIST}/check_apiserver`, ['--cycle=55', '--kubeconfig', hungConfig, '-t', '20'], {
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    starter.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const starterClosed = new Promise((r) => starter.on('close', r));
    const claims = () => readdirSync(join(cycle, 'claims')).filter((f) => !f.endsWith('.tmp'));
    await until(
      () => `both lines claimed by the shared run (claims: ${claims().join(', ')})`,
      () => (claims().length === 2 ? true : undefined),
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    const run = `--notify ${starter.pid} `;
    expect(processesWith(run)).toHaveLength(1);
    // check_nodes' launcher comes while the shared run works on its line, and waits for it.
    const waiter = nodes();
    await new Promise((r) => setTimeout(r, 700));
    starter.kill('SIGTERM');
    expect(await starterClosed).toBe(3);
    expect(out).toBe('APISERVER UNKNOWN - stopped by SIGTERM while waiting for the shared poll cycle (--cycle)\n');
    const served = await waiter;
    expect(served.code).toBe(0);
    expect(served.first).toMatch(/^NODES OK - 3 nodes, all Ready/);
    expect(served.stdout).not.toContain('stopped by');
    // The stopped run is gone. The waiter's own run evaluates the hung line again, for its next
    // poll (every line asked for lately is); it is this test's to end.
    expect(processesWith(run)).toEqual([]);
    for (const pid of processesWith(cache)) process.kill(Number(pid), 'SIGTERM');
  }, 60_000);
});

/**
 * check_nodes with `args` in a cache where another launcher is forever starting a shared run (its
 * marker kept fresh, its process this one): the launcher waits for that run until its -t is spent.
 */
async function neverStarted(args: string[]): Promise<Run> {
  const cache = mkdtempSync(join(tmpdir(), 'mk8s-cycle-'));
  const cycle = join(cache, 'microk8s-checks', 'cycle');
  for (const d of ['known', 'results', 'claims']) mkdirSync(join(cycle, d), { recursive: true, mode: 0o700 });
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const mark = () => {
    const [up] = readFileSync('/proc/uptime', 'utf8').split(' ');
    writeFileSync(join(cycle, 'starting.new'), `${process.pid} ${boot} ${Math.round(Number(up) * 100)}\n`);
    renameSync(join(cycle, 'starting.new'), join(cycle, 'starting'));
  };
  mark();
  const fresh = setInterval(mark, 100);
  try {
    return await runBuilt('check_nodes', args, { env: { ...process.env, XDG_CACHE_HOME: cache } });
  } finally {
    clearInterval(fresh);
  }
}

/** A cache of its own for the cycle, and a way to drop its answers (a cache cleaner). */
function cycleCache() {
  const cache = mkdtempSync(join(tmpdir(), 'mk8s-cycle-'));
  const results = join(cache, 'microk8s-checks', 'cycle', 'results');
  const forgetAnswers = () => {
    for (const f of readdirSync(results)) rmSync(join(results, f));
  };
  return { cache, env: { ...process.env, XDG_CACHE_HOME: cache }, forgetAnswers, known: join(cache, 'microk8s-checks', 'cycle', 'known') };
}

describe('--cycle and a line asked for by a launcher already served', () => {
  /**
   * Its answer gone (a cache cleaner) `waitMs` after that launcher asked, well within its -t 4,
   * another line starts a shared run, which evaluates check_nodes' line too while the API server
   * answers slowly (2 s): the next poll of the line is served that run's answer, judged within its
   * whole 4 s (not what the ended launcher had left), or the check runs for it.
   */
  async function nextPollJudgedWithinItsWholeT(nodes: () => Promise<Run>, env: NodeJS.ProcessEnv, waitMs: number) {
    await new Promise((r) => setTimeout(r, waitMs));
    c.api.delayMs = 2000;
    const other = await runBuilt('check_nodes', ['--cycle=55', '--kubeconfig', c.kubeconfig, '-t', '10'], { env });
    expect(other.first).toMatch(/^NODES OK - 3 nodes/);
    const next = await nodes();
    expect(next.first).toMatch(/^NODES OK - 3 nodes/);
    expect(next.stdout).not.toMatch(/timed out/);
  }

  it('its answer gone, a shared run gives the line its whole -t: nobody waits on it, so no time of theirs is spent', async () => {
    const { env, forgetAnswers } = cycleCache();
    addHealthyCluster(c.api);
    const nodes = () => runBuilt('check_nodes', ['--cycle=55', '--kubeconfig', c.kubeconfig, '-t', '4'], { env });
    // Asked for and served: its launcher has ended.
    expect((await nodes()).first).toMatch(/^NODES OK - 3 nodes/);
    forgetAnswers();
    await nextPollJudgedWithinItsWholeT(nodes, env, 2500);
  }, 60_000);

  it("its launcher's process id taken since by another process (the id reused), the line still gets its whole -t", async () => {
    const { env, forgetAnswers, known } = cycleCache();
    addHealthyCluster(c.api);
    const nodes = () => runBuilt('check_nodes', ['--cycle=55', '--kubeconfig', c.kubeconfig, '-t', '4'], { env });
    expect((await nodes()).first).toMatch(/^NODES OK - 3 nodes/);
    // A process begun after that launcher ended, with its id: the record (named by the id, its
    // mtime the ask) moved to the later process's id, as the kernel's id going round makes it.
    await new Promise((r) => setTimeout(r, 1500));
    const later = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const [record] = readdirSync(known);
      renameSync(join(known, record!), join(known, String(later.pid)));
      forgetAnswers();
      await nextPollJudgedWithinItsWholeT(nodes, env, 1000);
    } finally {
      later.kill();
    }
  }, 60_000);
});

describe('--cycle and a launcher that stopped waiting to run its check alone', () => {
  it('it waits for nothing: the next shared run gives its line its whole -t, and its next poller is not served a timeout', async () => {
    const { cache, env } = cycleCache();
    const claims = join(cache, 'microk8s-checks', 'cycle', 'claims');
    addHealthyCluster(c.api);
    // --cycle=1: a run begun more than a second before a call is not fresh for it. Every read
    // takes 4 s of the line's -t 7: 3 s left for a shared run's start-up (with 6, Node starting
    // 2 s late, run.ts' STARTUP_MS, timed the first poll out). A run charging the line from the
    // launcher before it, asked 3.2 s and more earlier, still times out: 3.2 + 4 s is past 7.
    c.api.delayMs = 4000;
    const nodes = () => runBuilt('check_nodes', ['--cycle=1', '--kubeconfig', c.kubeconfig, '-t', '7'], { env });
    const first = nodes();
    await until(
      () => "the first poll's shared run claimed the line",
      () => (existsSync(claims) && readdirSync(claims).some((f) => !f.endsWith('.tmp')) ? true : undefined),
      { timeoutMs: 20_000, intervalMs: 20 },
    );
    // The next poll comes while that run works on the line, begun too long before it to be fresh
    // for it: this launcher stops waiting and runs the check alone (4 s).
    await new Promise((r) => setTimeout(r, 1300));
    const askedAlone = Date.now();
    let aloneDone = false;
    const alone = nodes().finally(() => (aloneDone = true));
    expect((await first).first).toMatch(/^NODES OK - 3 nodes/);
    await new Promise((r) => setTimeout(r, Math.max(0, askedAlone + 3200 - Date.now())));
    // Still running its check alone (it was asked for more than 3 s ago): the poll after it
    // starts a shared run, which must not charge the line the time since that launcher asked.
    expect(aloneDone).toBe(false);
    const next = nodes();
    const r = await alone;
    expect(r.first).toMatch(/^NODES OK - 3 nodes/);
    expect(r.stdout).not.toMatch(/answer of the shared poll cycle/);
    const n = await next;
    expect(n.first).toMatch(/^NODES OK - 3 nodes/);
    expect(n.stdout).toMatch(/answer of the shared poll cycle/);
  }, 60_000);
});

describe('--cycle and a line its own shared run gives no answer', () => {
  it('an unknown option: the check says its usage error at once, alone, and the line is no longer waited for', async () => {
    const { env, known } = cycleCache();
    addHealthyCluster(c.api);
    // The launcher passes options it does not know to the run, which answers no line it cannot
    // parse and ends: this launcher, seeing its own run gone without an answer, runs the check alone.
    const r = await runBuilt('check_nodes', ['--cycle=55', '--kubeconfig', c.kubeconfig, '--bogus', '-t', '20'], { env });
    expect(r.code).toBe(3);
    expect(r.first).toBe('NODES UNKNOWN - Unknown argument: bogus (fix: see check_nodes --help)');
    expect(r.stdout).not.toMatch(/shared poll cycle/);
    // Long before -t 20, which a launcher still waiting on its ended run would have spent.
    expect(r.ms).toBeLessThan(15_000);
    // Its record says it waits no more (lib/cycle-protocol.ts): no later run gives the line less than its whole -t.
    const records = readdirSync(known).map((f) => readFileSync(join(known, f), 'utf8').split('\n')[0]!.split(' ')[1]);
    expect(records).toEqual(['00000000-0000-0000-0000-000000000000']);
  }, 60_000);
});

describe('--cycle: a read shared by lines of different -t', () => {
  it("the leader leases: each line waits for the hung first lease within its own -t, and names the second's failure as alone", async () => {
    const { cache, env, forgetAnswers } = cycleCache();
    addHealthyCluster(c.api);
    const state = (t: string) => join(cache, `leases-${t}.json`);
    const leases = (t: string, cycle = true) =>
      runBuilt('check_leases', [...(cycle ? ['--cycle=55'] : []), '--kubeconfig', c.kubeconfig, '-t', t, '--state-file', state(t)], {
        env,
      });
    expect((await leases('3')).first).toMatch(/^LEASES OK/);
    expect((await leases('20')).first).toMatch(/^LEASES OK/);
    forgetAnswers();
    // The controller-manager's lease hangs; the scheduler's is refused at once.
    const hung: ServerResponse[] = [];
    c.api.intercept = (_req, res, url) => {
      if (!url.pathname.endsWith('/leases/kube-controller-manager')) return false;
      hung.push(res);
      return true;
    };
    c.api.faults.push({ path: '/leases/kube-scheduler', status: 403, times: 100 });
    try {
      const alone = await leases('3', false);
      expect(alone.first).toMatch(/^LEASES UNKNOWN - forbidden: cannot get leases\.coordination\.k8s\.io /);
      // The -t 20 line starts a shared run, which evaluates the -t 3 one beside it, from one read.
      const long = leases('20');
      await new Promise((r) => setTimeout(r, 4500));
      const short = await leases('3');
      expect(short.first.split(' | ')[0]).toBe(alone.first.split(' | ')[0]);
      expect((await long).first).toMatch(/^LEASES UNKNOWN - forbidden: /);
    } finally {
      for (const res of hung) res.destroy();
    }
  }, 60_000);
});

describe('--cycle answers that are not whole', () => {
  it('a cut answer file, or one with an exit code that is no state, is never served: the check runs', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'mk8s-cycle-'));
    const env = { ...process.env, XDG_CACHE_HOME: cache };
    const results = join(cache, 'microk8s-checks', 'cycle', 'results');
    c.api.add('nodes', node({ name: 'node1', ip: '10.0.0.11' }));
    const nodes = () => runBuilt('check_nodes', ['--cycle=55', '--kubeconfig', c.kubeconfig], { env });
    await nodes();
    const [key] = readdirSync(results);
    const whole = readFileSync(join(results, key!), 'utf8');
    const [head, ...rest] = whole.split('\n');
    const fields = head!.split(' ');
    const forged = (code: string, body: string[]) => `${[...fields.slice(0, 3), code, ...fields.slice(4)].join(' ')}\n${body.join('\n')}`;
    const text = rest.join('\n').replace(/NODES OK - [^|]*/, 'NODES OK - FORGED ');
    for (const bad of [
      // Cut inside the perfdata, as a full disk leaves it.
      forged('0', [text.slice(0, text.indexOf('|') + 8)]),
      // Whole but without its last line.
      forged('0', [text.slice(0, text.lastIndexOf('end '))]),
      forged('7', [text]),
    ]) {
      writeFileSync(join(results, key!), bad);
      const r = await nodes();
      expect(r.first).toMatch(/^NODES OK - 1 node, all Ready \|/);
      expect(r.code).toBe(0);
    }
    // The same file whole is served (the forgery is only refused for what is cut).
    writeFileSync(join(results, key!), forged('0', [text]));
    expect((await nodes()).first).toMatch(/^NODES OK - FORGED/);
  });
});

describe('--cycle and two launchers of one line waiting for a run another launcher starts', () => {
  const hungKubeconfig = useHungServer();

  /**
   * check_nodes' line against an API server that never answers (-t 6), in a cache where another
   * launcher is starting a shared run (a busy node: its Node takes a while to come up): `run()`
   * then brings that run up, and it evaluates the lines asked for.
   */
  function waitingCycle(uptime = '/proc/uptime') {
    const home = mkdtempSync(join(tmpdir(), 'mk8s-cycle-'));
    const hungConfig = hungKubeconfig(home);
    const cache = join(home, 'cache');
    const cycle = join(cache, 'microk8s-checks', 'cycle');
    for (const d of ['known', 'results', 'claims']) mkdirSync(join(cycle, d), { recursive: true, mode: 0o700 });
    const env = { ...process.env, XDG_CACHE_HOME: cache, PWD: home };
    // Another /proc/uptime (a container's): each process started in a mount namespace that has it.
    const seeing = (file: string, args: string[]): [string, string[]] =>
      uptime === '/proc/uptime'
        ? [file, args]
        : ['unshare', ['-m', 'sh', '-c', 'mount --bind "$0" /proc/uptime && exec "$@"', uptime, file, ...args]];
    const [up] = readFileSync(uptime, 'utf8').split(' ');
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    writeFileSync(join(cycle, 'starting'), `${process.pid} ${boot} ${Math.round(Number(up) * 100)}\n`);
    const records = () =>
      readdirSync(join(cycle, 'known')).filter((f) => /\0[0-9a-f]{64}\n$/.test(readFileSync(join(cycle, 'known', f), 'utf8')));
    const recorded = (n: number) =>
      until(
        () => `launcher ${n} recorded its line`,
        () => (records().length === n ? true : undefined),
        { timeoutMs: 10_000, intervalMs: 20 },
      );
    const args = ['--cycle=55', '--kubeconfig', hungConfig, '-t', '6'];
    const launch = () => runProcess(...seeing(`${DIST}/check_nodes`, args), { env, cwd: home });
    const spawnLauncher = () => spawn(...seeing(`${DIST}/check_nodes`, args), { env, cwd: home, stdio: 'ignore' });
    const run = () =>
      spawn(...seeing(process.execPath, [join(DIST, 'microk8s-checks.d', 'microk8s-checks.mjs'), 'cycle', '--dir', cycle, '--starter']), {
        env,
        cwd: home,
        stdio: 'ignore',
      });
    return { cycle, known: join(cycle, 'known'), records, recorded, launch, spawnLauncher, run };
  }

  /** The launcher still waiting gets the check's own timeout within its -t, not "no answer". */
  async function ownTimeout(older: Promise<Run>, run: ReturnType<typeof spawn>) {
    try {
      const r = await older;
      expect(r.code).toBe(3);
      expect(r.first).toMatch(/^NODES UNKNOWN - .*timed out after/);
    } finally {
      run.kill('SIGTERM');
    }
  }

  it('the newer one stopped (Ctrl-C), the one still waiting gets the check\'s own timeout within its -t, not "no answer"', async () => {
    const c = waitingCycle();
    const older = c.launch();
    await c.recorded(1);
    const begun = Date.now();
    // The same line asked for again (a person running NRPE's line by hand), who gives up with Ctrl-C.
    const newer = c.spawnLauncher();
    await c.recorded(2);
    newer.kill('SIGINT');
    await new Promise((r) => newer.on('close', r));
    await new Promise((r) => setTimeout(r, Math.max(0, 2500 - (Date.now() - begun))));
    await ownTimeout(older, c.run());
  }, 60_000);

  it('the wall clock stepped forward while it waits (its record looks older), it still gets its own timeout within its -t', async () => {
    const c = waitingCycle();
    const older = c.launch();
    await c.recorded(1);
    // An NTP step of 5 s forward (or a VM resumed) seen from the run: the record's mtime 5 s
    // further back than when it was written. Taken for a process begun after its ask, its
    // launcher was not waiting, and the line got its whole -t: past the launcher's own.
    const [record] = c.records();
    const file = join(c.known, record!);
    const written = statSync(file).mtimeMs;
    utimesSync(file, written / 1000 - 5, written / 1000 - 5);
    await new Promise((r) => setTimeout(r, 2500));
    await ownTimeout(older, c.run());
  }, 60_000);

  it("the same line asked again later starts the run: the one asked first still gets the check's own timeout within its -t", async () => {
    const c = waitingCycle();
    const older = c.launch();
    await c.recorded(1);
    const [first] = c.records();
    await new Promise((r) => setTimeout(r, 2500));
    // The other launcher's run gone, the newer launcher is the one to start a run (the older one,
    // between two looks, held a moment so that it does not win the race).
    process.kill(Number(first), 'SIGSTOP');
    try {
      const newer = c.launch();
      await c.recorded(2);
      rmSync(join(c.cycle, 'starting'));
      await until(
        () => 'the run started by the newer launcher claimed the line',
        () => (readdirSync(join(c.cycle, 'claims')).length > 0 ? true : undefined),
        { timeoutMs: 10_000, intervalMs: 20 },
      );
      process.kill(Number(first), 'SIGCONT');
      const r = await older;
      expect(r.first).toMatch(/^NODES UNKNOWN - .*timed out after/);
      expect((await newer).first).toMatch(/^NODES UNKNOWN - .*timed out after/);
    } finally {
      try {
        process.kill(Number(first), 'SIGCONT');
      } catch {
        // Ended already.
      }
    }
  }, 60_000);

  it.skipIf(process.getuid?.() !== 0)(
    "in a container whose /proc/uptime is its own (LXD's lxcfs), the one waiting still gets the check's own timeout within its -t",
    async () => {
      const uptime = containerUptime();
      try {
        const c = waitingCycle(uptime.file);
        const older = c.launch();
        await c.recorded(1);
        await new Promise((r) => setTimeout(r, 2500));
        await ownTimeout(older, c.run());
      } finally {
        uptime.stop();
      }
    },
    60_000,
  );
});

/**
 * /proc/uptime as lxcfs gives it in an LXD container: the host's boot clock less when the
 * container began, while /proc/PID/stat's start times stay on the host's. Kept current in place
 * (one write of one width each time), to be bound over /proc/uptime in a mount namespace.
 */
function containerUptime(): { file: string; stop(): void } {
  const file = join(mkdtempSync(join(tmpdir(), 'mk8s-lxcfs-')), 'uptime');
  const [host] = readFileSync('/proc/uptime', 'utf8').split(' ');
  const began = Math.min(300, Math.floor(Number(host) / 2));
  const update = () => {
    const [up] = readFileSync('/proc/uptime', 'utf8').split(' ');
    writeFileSync(file, `${(Number(up) - began).toFixed(2).padStart(12, '0')} 0.00\n`, { flag: existsSync(file) ? 'r+' : 'w' });
  };
  update();
  const timer = setInterval(update, 10);
  return { file, stop: () => clearInterval(timer) };
}
