// `microk8s-checks all` stopped by a signal (NRPE's own timeout sends SIGTERM, an on-call engineer
// presses Ctrl-C): what was judged stays judged. Every check that finished keeps its row and state,
// every check still running is UNKNOWN "stopped by SIGTERM while <what it waited for>", the worst
// state is the exit code, in every --format, and no process the run started is left behind.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { writeKubeconfig } from '../apiserver/certs.ts';
import { pod } from '../apiserver/objects.ts';
import { addHealthyCluster, type TestCluster, useCluster } from '../helpers/cluster.ts';
import { at, klog, LOCK_TXN, logrus } from '../helpers/fixtures.ts';
import { DQLITE, haveJournalRemote, KUBELITE, makeJournal } from '../helpers/journal.ts';
import { pattern } from '../helpers/pattern.ts';
import { processesWith } from '../helpers/processes.ts';
import { DIST, runBuilt } from '../helpers/run.ts';
import { healthyNode } from '../helpers/standins.ts';

const cluster = useCluster();
let c: TestCluster;
beforeEach(() => {
  c = cluster();
});
const scratch = () => mkdtempSync(join(tmpdir(), 'mk8s-signals-'));

/** A healthy cluster of 300 pods whose node leases are renewed: every API check alone is OK. */
function healthy(): void {
  addHealthyCluster(c.api);
  for (let i = 0; i < 300; i++)
    c.api.add('pods', pod({ namespace: `team-${i % 5}`, name: `web-${i}`, node: `k8s0${(i % 3) + 1}`, ip: `10.1.${i >> 8}.${i & 255}` }));
}

/** The journal of a node in a lock storm (60 lines in 5 minutes), or of a quiet one. */
const stormJournal = () =>
  makeJournal(
    Array.from({ length: 60 }, (_, i) => ({ age: 5 + i * 4, service: DQLITE, message: logrus(at(5 + i * 4), 'error', LOCK_TXN) })),
  );
const quietJournal = () =>
  makeJournal([
    { age: 30, service: KUBELITE, message: klog(at(30), 'I', KUBELITE.pid, 'job_controller.go:562', '"enqueueing job" key="ops/b-1"') },
  ]);

/** readyz never answered: check_apiserver waits on, while every other check finishes. How often it was asked. */
const hangReadyz = () => {
  let asked = 0;
  c.api.healthGate = (endpoint) => {
    if (endpoint === 'readyz') asked++;
    return new Promise(() => undefined);
  };
  return () => asked;
};

/** The direct children of a process. */
const childrenOf = (pid: number): number[] => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};
const comm = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};
/**
 * The time a process's threads have run or waited for a CPU, in ns (schedstat): a process kept
 * from a CPU on a loaded machine still counts as busy, as its CPU time alone would not.
 */
const busyNs = (pid: number) =>
  readdirSync(`/proc/${pid}/task`).reduce((sum, tid) => {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
    return sum + Number(run) + Number(wait);
  }, 0);

/**
 * Wait until the checks that can finish have: the hung source was asked (`waiting`), no journalctl
 * runs, and the run (the Node process under the launcher) has been all but idle for a second (a
 * check still waiting keeps a 10 ms timer). Timing alone would not do on a loaded machine: the
 * signal must come after the others' verdicts.
 */
async function settled(launcher: number, waiting: () => boolean): Promise<void> {
  const giveUp = Date.now() + 30_000;
  let last: number | undefined;
  let quiet = 0;
  while (Date.now() < giveUp) {
    await new Promise((r) => setTimeout(r, 250));
    const [node] = childrenOf(launcher);
    if (node === undefined) continue;
    let busy: number;
    try {
      busy = busyNs(node);
    } catch {
      continue;
    }
    const journalctl = childrenOf(node).some((p) => comm(p) === 'journalctl');
    quiet = last !== undefined && busy - last < 50e6 && !journalctl && waiting() ? quiet + 1 : 0;
    last = busy;
    if (quiet >= 4) return;
  }
  throw new Error('the run never settled: the checks that can finish did not');
}

/**
 * `microk8s-checks all` through its launcher, stopped by `signal` once settled: once its hung
 * source (`hung`: how often it was asked, or how many of its processes run) was asked afresh.
 */
async function stopped(args: string[], signal: NodeJS.Signals, hung: () => number, env = process.env) {
  const before = hung();
  const child = spawn(`${DIST}/microk8s-checks`, ['all', ...args, '-t', '60'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const closed = new Promise<number | null>((done) => child.on('close', done));
  await settled(child.pid!, () => hung() > before);
  const sent = Date.now();
  child.kill(signal);
  const code = await closed;
  return { code, stdout, ms: Date.now() - sent };
}

/** Well within the 10 s NRPE waits by default, loose enough for a loaded machine. */
const PROMPT_MS = 5000;

interface Row {
  check: string;
  state: string;
  code: number | null;
  summary: string;
}

/**
 * A kubeconfig whose credential plugin never answers (its `sleep` runs on): every API read of the
 * run waits. `sleeping`: how many of its sleeps run.
 */
function hungPlugin() {
  const dir = scratch();
  const marker = `sleep 6${process.pid}${Date.now() % 100000}`;
  const plugin = join(dir, 'cred-plugin');
  writeFileSync(plugin, `#!/bin/sh\n${marker}\n:\n`, { mode: 0o755 });
  const config = writeKubeconfig(dir, c.api.url, c.certs.ca, { exec: plugin }, 'kubeconfig-exec');
  return { config, sleeping: () => processesWith(marker).length };
}

describe.skipIf(!haveJournalRemote)('all stopped by a signal keeps what was judged', { timeout: 90_000 }, () => {
  it('as a table: the finished checks keep their rows and states, the hung one is UNKNOWN saying what it waited for', async () => {
    healthy();
    const asked = hangReadyz();
    const r = await stopped(['--kubeconfig', c.kubeconfig, '--journal-file', stormJournal()], 'SIGTERM', asked);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^CHECK +STATE +SUMMARY$/);
    const state = (check: string) =>
      lines
        .find((l) => l.startsWith(`${check} `))
        ?.split(/ {2,}/)
        .slice(1);
    expect(state('DQLITE-LOCK')).toEqual(['CRITICAL', expect.stringMatching(/^60 'database is locked' lines in the last 5m/)]);
    expect(state('NODES')).toEqual(['OK', '3 nodes, all Ready']);
    expect(state('SCHEDULING')?.[0]).toBe('OK');
    expect(state('APISERVER')).toEqual(['UNKNOWN', expect.stringMatching(/^stopped by SIGTERM while .*127\.0\.0\.1:\d+/)]);
    // Only the hung check was stopped; no row of the whole run instead of the checks'.
    expect(lines.filter((l) => l.includes('stopped by'))).toHaveLength(1);
    expect(r.stdout).not.toContain('MICROK8S-CHECKS');
    expect(lines.at(-1)).toBe('worst: CRITICAL');
    expect(r.code).toBe(2);
    expect(r.ms).toBeLessThan(PROMPT_MS);
  });

  it('as JSON (SIGINT, Ctrl-C): the stopped check is the UNKNOWN that decides the exit code', async () => {
    healthy();
    const asked = hangReadyz();
    const r = await stopped(['--kubeconfig', c.kubeconfig, '--journal-file', quietJournal(), '--format', 'json'], 'SIGINT', asked);
    const rows = JSON.parse(r.stdout) as Row[];
    const judged = rows.filter((x) => x.state !== 'SKIPPED');
    expect(judged.map((x) => x.check)).toEqual(expect.arrayContaining(['DQLITE-LOCK', 'KINE-RETRIES', 'NODES', 'LEASES', 'APISERVER']));
    for (const x of judged) {
      if (x.check === 'APISERVER')
        expect(x).toMatchObject({ state: 'UNKNOWN', code: 3, summary: expect.stringMatching(/^stopped by SIGINT while /) });
      else expect(x, x.summary).toMatchObject({ state: 'OK', code: 0 });
    }
    expect(r.code).toBe(3);
    expect(r.ms).toBeLessThan(PROMPT_MS);
  });

  it('as OpenMetrics (SIGHUP) and JUnit (SIGTERM): each check its own state, whole documents', async () => {
    healthy();
    const asked = hangReadyz();
    const journal = quietJournal();
    const om = await stopped(['--kubeconfig', c.kubeconfig, '--journal-file', journal, '--format', 'openmetrics'], 'SIGHUP', asked);
    expect(om.stdout).toContain('microk8s_check_state{check="apiserver"} 3\n');
    expect(om.stdout).toContain('microk8s_check_state{check="nodes"} 0\n');
    expect(om.stdout).toContain('microk8s_check_state{check="dqlite-lock"} 0\n');
    expect(om.stdout).not.toContain('check="microk8s-checks"');
    expect(om.stdout.endsWith('# EOF\n')).toBe(true);
    expect(om.code).toBe(3);

    const ju = await stopped(['--kubeconfig', c.kubeconfig, '--journal-file', journal, '--format', 'junit'], 'SIGTERM', asked);
    expect(ju.stdout).toMatch(
      pattern(
        /<testcase classname="microk8s-checks" name="APISERVER">\n {6}/,
        /<error type="UNKNOWN" message="APISERVER UNKNOWN - stopped by SIGTERM while /,
      ),
    );
    expect(ju.stdout).toMatch(/<testcase classname="microk8s-checks" name="NODES">\n {6}<system-out>NODES OK - /);
    expect(ju.stdout).toMatch(/ errors="1" /);
    expect(ju.stdout.endsWith('</testsuites>\n')).toBe(true);
    expect(ju.code).toBe(3);
  });

  it('a hung credential plugin: the journal checks keep their CRITICAL, the API checks were stopped, no process is left', async () => {
    healthy();
    const { config, sleeping } = hungPlugin();
    const r = await stopped(['--kubeconfig', config, '--journal-file', stormJournal(), '--format', 'json'], 'SIGTERM', sleeping);
    const rows = JSON.parse(r.stdout) as Row[];
    expect(rows.find((x) => x.check === 'DQLITE-LOCK')).toMatchObject({ state: 'CRITICAL', code: 2 });
    expect(rows.find((x) => x.check === 'KINE-RETRIES')?.state).toBe('CRITICAL');
    for (const check of ['NODES', 'LEASES', 'APISERVER', 'SCHEDULING'])
      expect(rows.find((x) => x.check === check)).toMatchObject({
        state: 'UNKNOWN',
        summary: expect.stringMatching(/^stopped by SIGTERM/),
      });
    expect(r.code).toBe(2);
    expect(r.ms).toBeLessThan(PROMPT_MS);
    await new Promise((done) => setTimeout(done, 200));
    expect(sleeping()).toBe(0);
  });

  it('the gate (restart-preflight) stopped or timed out in all is its NO-GO, CRITICAL, as when it runs alone', async () => {
    healthy();
    const node = await healthyNode();
    try {
      const { config, sleeping } = hungPlugin();
      const env = { ...process.env, PATH: node.path };
      const args = ['--kubeconfig', config, '--journal-file', quietJournal(), '--node', 'k8s02', ...node.servicesArgs, ...node.dqliteArgs];
      const gate = (stdout: string) => (JSON.parse(stdout) as Row[]).find((x) => x.check === 'RESTART-PREFLIGHT');
      const r = await stopped([...args, '--format', 'json'], 'SIGTERM', sleeping, env);
      expect(gate(r.stdout)).toMatchObject({
        state: 'CRITICAL',
        summary: expect.stringMatching(/^NO-GO: cannot establish that the cluster is healthy: stopped by SIGTERM while /),
      });
      expect(r.code).toBe(2);
      const t = await runBuilt('microk8s-checks', ['all', ...args, '--format', 'json', '-t', '3'], { env });
      expect(gate(t.stdout)).toMatchObject({
        state: 'CRITICAL',
        summary: expect.stringMatching(/^NO-GO: cannot establish that the cluster is healthy: timed out after 3s while /),
      });
      expect(t.code).toBe(2);
    } finally {
      node.close();
    }
  });

  it('-t reached is each check\'s own too: the finished rows stay, the hung one is "timed out after"', async () => {
    healthy();
    hangReadyz();
    const r = await runBuilt('microk8s-checks', [
      'all',
      '--kubeconfig',
      c.kubeconfig,
      '--journal-file',
      stormJournal(),
      '--format',
      'json',
      '-t',
      '4',
    ]);
    const rows = JSON.parse(r.stdout) as Row[];
    expect(rows.find((x) => x.check === 'DQLITE-LOCK')?.state).toBe('CRITICAL');
    expect(rows.find((x) => x.check === 'NODES')?.state).toBe('OK');
    expect(rows.find((x) => x.check === 'APISERVER')).toMatchObject({
      state: 'UNKNOWN',
      summary: expect.stringMatching(/timed out after [\d.]+s while /),
    });
    expect(r.code).toBe(2);
  });
});

describe('one check judging several API servers, stopped by a signal', { timeout: 60_000 }, () => {
  it('names the server it still waited for, never the one that had answered', async () => {
    healthy();
    const asked: string[] = [];
    c.api.healthGate = async (endpoint) => void asked.push(endpoint);
    // A --server that takes the connection and never speaks TLS: its check waits on.
    const held: Socket[] = [];
    const silent = createServer((socket) => void held.push(socket));
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    const hung = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const answering = new URL(c.api.url).host;
    try {
      const child = spawn(`${DIST}/check_apiserver`, ['--kubeconfig', c.kubeconfig, '--server', `https://${hung}`, '-t', '60'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      const closed = new Promise<number | null>((done) => child.on('close', done));
      await settled(child.pid!, () => asked.includes('readyz') && asked.includes('livez') && held.length > 0);
      child.kill('SIGTERM');
      const code = await closed;
      const first = stdout.split('\n')[0]!;
      expect(first).toMatch(/^APISERVER UNKNOWN - stopped by SIGTERM while /);
      expect(first).toContain(hung);
      expect(first).not.toContain(answering);
      expect(code).toBe(3);
    } finally {
      for (const socket of held) socket.destroy();
      silent.close();
    }
  });
});
