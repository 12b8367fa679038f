// -v, -vv and -vvv are for a person debugging a check at 3 a.m.: what failed, of what kind, why
// (the cause chain) and how to fix it, as JSON lines on stderr. Never a stack trace (minified
// chunk paths help nobody and tell a reader where the code is) and never a secret.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { writeKubeconfig } from '../apiserver/certs.ts';
import { addHealthyCluster, TOKENS, useCluster, type TestCluster } from '../helpers/cluster.ts';
import { DIST, runBuilt, type Run } from '../helpers/run.ts';

const cluster = useCluster();
let c: TestCluster;
beforeEach(() => {
  c = cluster();
});
const scratch = () => mkdtempSync(join(tmpdir(), 'mk8s-verbose-'));

/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

interface LogLine {
  level: number;
  msg: string;
  err?: { type?: unknown; message?: unknown; fix?: unknown; causes?: unknown; stack?: unknown };
}

/** What a run said, checked for what must never be in it; its log lines, each parsed. */
function clean(r: Run, secret: string): LogLine[] {
  for (const text of [r.stdout, r.stderr]) {
    // A stack frame as V8 writes it, on a line of its own or inside a JSON string:
    // "    at fn (file:///...:3:974)", "    at async Promise.all (index 4)".
    expect(text).not.toMatch(/^\s+at \S/m);
    expect(text).not.toContain('    at ');
    expect(text).not.toMatch(/"stack"|\.[cm]js:\d+:\d+/);
    expect(text).not.toContain(secret);
  }
  // The plugin output: one UNKNOWN (or the gate's NO-GO) line first, stderr only JSON lines.
  expect(r.first).toMatch(/^[A-Z-]+ (UNKNOWN - |CRITICAL - NO-GO: )\S/);
  return r.stderr
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogLine);
}

/** The log line of the failure, at every level of -v. */
function failure(lines: LogLine[]): NonNullable<LogLine['err']> {
  const line = lines.find((l) => l.msg === 'check failed');
  expect(line?.err).toBeDefined();
  return line!.err!;
}

describe('-v never prints a stack trace or a secret, and still says what failed and why', () => {
  it('a kubeconfig pointing to a closed port: the error by kind, its fix and its cause, at -v and -vvv', async () => {
    const port = await closedPort();
    const kubeconfig = writeKubeconfig(scratch(), `https://127.0.0.1:${port}`, c.certs.ca, TOKENS.admin);
    for (const v of ['-v', '-vvv']) {
      const r = await runBuilt('check_nodes', ['--kubeconfig', kubeconfig, v]);
      expect(r.code).toBe(3);
      const err = failure(clean(r, TOKENS.admin));
      // Its class's name as written, never the build's minified one ('Ee').
      expect(err.type).toMatch(/^[A-Z][A-Za-z]+Error$/);
      expect(err.message).toBe(`API server https://127.0.0.1:${port} unreachable`);
      expect(err.fix).toMatch(/kubelite/);
      expect(err.causes).toEqual([expect.stringMatching(/^Error: connect ECONNREFUSED 127\.0\.0\.1:\d+/)]);
    }
  });

  it('a token the API server refuses: no token in the logs at -vvv, where every request is logged', async () => {
    const r = await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfigBadToken, '-vvv']);
    expect(r.code).toBe(3);
    const lines = clean(r, 'WrongToken0000000000000000000000x');
    expect(lines.some((l) => l.msg === 'API request')).toBe(true);
    expect(failure(lines).type).toMatch(/^[A-Z][A-Za-z]+Error$/);
  });

  it('a journal directory that is a file: the error by kind and message, at -v and -vv', async () => {
    const file = join(scratch(), 'not-a-dir');
    writeFileSync(file, '');
    for (const v of ['-v', '-vv']) {
      const r = await runBuilt('check_dqlite_lock', ['--journal-dir', file, v]);
      expect(r.code).toBe(3);
      const err = failure(clean(r, TOKENS.admin));
      expect(err.type).toBe('JournalError');
      expect(err.message).toMatch(/--journal-dir \S+not-a-dir is not a directory/);
    }
  });

  it('the gate that cannot reach the API server says NO-GO, with no stack in its logs', async () => {
    const port = await closedPort();
    const kubeconfig = writeKubeconfig(scratch(), `https://127.0.0.1:${port}`, c.certs.ca, TOKENS.admin);
    const r = await runBuilt('check_restart_preflight', ['--kubeconfig', kubeconfig, '--node', 'k8s01', '-vvv']);
    expect(r.code).toBe(2);
    expect(failure(clean(r, TOKENS.admin)).type).toMatch(/^[A-Z][A-Za-z]+Error$/);
  });

  it("-v's 'deadline reached' names what the first line says was waited for, a -t spent starting too", async () => {
    addHealthyCluster(c.api);
    // -t 0.01 is spent loading Node and the check: the first line says so, and the log said
    // 'listing nodes from ...', a read the run never waited for.
    const r = await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig, '-t', '0.01', '-v']);
    expect([r.code, r.first]).toEqual([3, 'NODES UNKNOWN - timed out after 0.01s while starting, before its first read']);
    const reached = clean(r, TOKENS.admin).filter((l) => l.msg === 'deadline reached');
    expect(reached).toEqual([expect.objectContaining({ activity: 'starting, before its first read' })]);
    // A read that was waited for (a server that accepts and never answers) is named in both alike.
    const stalled = createServer(() => undefined);
    await new Promise<void>((done) => stalled.listen(0, '127.0.0.1', done));
    try {
      const url = `https://127.0.0.1:${(stalled.address() as { port: number }).port}`;
      const slow = await runBuilt('check_nodes', [
        '--kubeconfig',
        writeKubeconfig(scratch(), url, c.certs.ca, TOKENS.admin),
        '-t',
        '2',
        '-v',
      ]);
      const waited = /^NODES UNKNOWN - timed out after 2s while (.+)$/.exec(slow.first)?.[1];
      expect(waited).toMatch(/^listing nodes from https:\/\/127\.0\.0\.1:\d+/);
      expect(clean(slow, TOKENS.admin).filter((l) => l.msg === 'deadline reached')).toEqual([
        expect.objectContaining({ activity: waited }),
      ]);
    } finally {
      stalled.close();
    }
  });

  it('logs that cannot be written (stderr on a full disk) are dropped: the verdict and its exit code stand', async () => {
    addHealthyCluster(c.api);
    const full = openSync('/dev/full', 'w');
    const run = (command: string, args: string[]) =>
      new Promise<{ code: number | null; stdout: string }>((done) => {
        const child = spawn(join(DIST, command), args, { stdio: ['ignore', 'pipe', full] });
        let stdout = '';
        child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.on('close', (code) => done({ code, stdout }));
      });
    try {
      const alone = await run('check_nodes', ['--kubeconfig', c.kubeconfig, '-vvv']);
      expect(alone.stdout.split('\n').filter((l) => /^NODES /.test(l))).toEqual([expect.stringMatching(/^NODES OK - 3 nodes, all Ready/)]);
      expect(alone.code).toBe(0);
      const all = await run('microk8s-checks', ['all', '--kubeconfig', c.kubeconfig, '--snap-data', '/nonexistent', '-vv']);
      expect(all.stdout).toMatch(/^NODES +OK +3 nodes, all Ready$/m);
      expect(all.code).toBe(0);
    } finally {
      closeSync(full);
    }
  });
});

describe('microk8s-checks all -v', () => {
  it("logs each check's failure as it would alone, each line naming its check, never a stack or a secret", async () => {
    const port = await closedPort();
    const kubeconfig = writeKubeconfig(scratch(), `https://127.0.0.1:${port}`, c.certs.ca, TOKENS.admin);
    const r = await runBuilt('microk8s-checks', ['all', '-v', '--kubeconfig', kubeconfig, '--snap-data', '/nonexistent/snap', '-t', '5']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^NODES +UNKNOWN +API server https:\/\/127\.0\.0\.1:\d+ unreachable/m);
    for (const text of [r.stdout, r.stderr]) {
      expect(text).not.toContain('    at ');
      expect(text).not.toMatch(/"stack"|\.[cm]js:\d+:\d+/);
      expect(text).not.toContain(TOKENS.admin);
    }
    const lines = r.stderr
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { check?: string; msg: string; err?: { type?: string; message?: string } });
    expect(lines.every((l) => typeof l.check === 'string')).toBe(true);
    const nodes = lines.find((l) => l.check === 'NODES' && l.msg === 'check failed');
    expect(nodes?.err).toMatchObject({ type: 'KubeError', message: expect.stringMatching(/unreachable/) });
    // Without -v, nothing on stderr.
    const quiet = await runBuilt('microk8s-checks', ['all', '--kubeconfig', kubeconfig, '--snap-data', '/nonexistent/snap', '-t', '5']);
    expect(quiet.stderr).toBe('');
  });

  it('-vv logs every API request, as a check alone does: the shared reads once, under their own name, never a token', async () => {
    addHealthyCluster(c.api);
    const args = ['all', '-vv', '--kubeconfig', c.kubeconfig, '--snap-data', '/nonexistent/snap', '-t', '20'];
    const r = await runBuilt('microk8s-checks', args);
    expect(r.stderr).not.toContain(TOKENS.admin);
    const requests = r.stderr
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { check?: string; msg: string; method?: string; path?: string; status?: number })
      .filter((l) => l.msg === 'API request');
    // Every request the server was sent is in the log, once (its own request log counts them).
    expect(requests.length).toBe(c.api.requests.length);
    expect(requests.every((l) => l.check === 'shared reads' && l.method === 'GET' && typeof l.status === 'number')).toBe(true);
    expect(requests.filter((l) => /^\/api\/v1\/pods\?/.test(l.path ?? ''))).toHaveLength(1);
    expect(requests.some((l) => l.path?.startsWith('/readyz'))).toBe(true);
  }, 60_000);
});
