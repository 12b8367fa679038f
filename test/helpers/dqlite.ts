// A real dqlite cluster for the tests: Debian's go-dqlite package runs `dqlite-demo` (a go-dqlite
// app, like k8s-dqlite) and ships the v1 `dqlite` CLI. Each node's data directory
// `<dir>/<db address>/` holds the same files as MicroK8s' backend (cluster.yaml, info.yaml, closed
// segments, open-N, metadata1/2, snapshot-<term>-<index>-<ms since boot> with .meta), without the
// TLS files. Writes are `PUT /<key>` on the node's API; the database is called `demo`.
//
// Every cluster gets its own loopback address block (127.A.B.1-3), and each node listens on
// port 19001 as MicroK8s' dqlite does, so parallel test files and parallel checkouts never meet.
// Data lives on tmpfs where there is one: a raft commit fsyncs, and on disk a snapshot (1024
// entries) takes about 20 s of writes; on tmpfs about 4 s.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DQLITE_DEMO = '/usr/bin/dqlite-demo';
export const DQLITE_CLI = '/usr/bin/dqlite';
/** dqlite-demo's database name (MicroK8s' is `k8s`). */
export const DEMO_DATABASE = 'demo';
/** MicroK8s' dqlite port. */
export const DQLITE_PORT = 19001;

export function dqliteUnavailable(): string | undefined {
  if (!existsSync(DQLITE_DEMO) || !existsSync(DQLITE_CLI)) return 'no dqlite-demo or dqlite CLI (apt-get install go-dqlite)';
  return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class DqliteNode {
  /** The replication address, as cluster.yaml and info.yaml name it: `127.A.B.n:19001`. */
  readonly address: string;
  /** The demo's HTTP API, for writes. */
  readonly api: string;
  /** The data directory given with -D. */
  readonly dataDir: string;
  private readonly log: string;
  proc?: ChildProcess;

  constructor(address: string, api: string, dataDir: string, log: string) {
    this.address = address;
    this.api = api;
    this.dataDir = dataDir;
    this.log = log;
  }

  /** The directory that plays MicroK8s' backend: `<data dir>/<address>/`. */
  get backend(): string {
    return join(this.dataDir, this.address);
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Start (or restart, on the same data) this node; join: an existing member's address. */
  start(join?: string): void {
    const args = ['-a', this.api, '-d', this.address, '-D', this.dataDir];
    if (join) args.push('-j', join);
    const out = openSync(this.log, 'a');
    this.proc = spawn(DQLITE_DEMO, args, { stdio: ['ignore', out, out] });
  }

  /** Stop it for real: SIGKILL is a powered-off node, SIGTERM a clean stop. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.proc;
    if (!p || !this.running) return;
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(signal);
    await gone;
  }

  /** PUT one key through this node's API; the demo answers `done`, or `Error: ...` with a 200. */
  put(key: string, value: string, agent?: http.Agent): Promise<string> {
    const [host, port] = this.api.split(':');
    return new Promise((resolve) => {
      const req = http.request({ host, port: Number(port), path: `/${key}`, method: 'PUT', agent }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve(body.trim()));
      });
      req.on('error', (err) => resolve(`Error: ${err.message}`));
      req.end(value);
    });
  }
}

export class DqliteCluster {
  readonly dir: string;
  readonly nodes: DqliteNode[] = [];
  private keys = 0;

  constructor(size = 3) {
    const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
    this.dir = mkdtempSync(join(base, 'mk8s-dqlite-'));
    const [a, b] = randomBytes(2);
    const ip = (n: number) => `127.${1 + (a! % 250)}.${b}.${n}`;
    for (let n = 1; n <= size; n++) {
      const dataDir = join(this.dir, `node${n}`);
      mkdirSync(dataDir);
      this.nodes.push(new DqliteNode(`${ip(n)}:${DQLITE_PORT}`, `${ip(n)}:19002`, dataDir, join(this.dir, `node${n}.log`)));
    }
  }

  /** Starts the first node, joins the others to it, and waits until the CLI lists them all. */
  async start(timeoutMs = 30_000): Promise<void> {
    const [first, ...rest] = this.nodes;
    first!.start();
    await this.until(() => this.cli(first!, '.leader') === first!.address, timeoutMs, 'the first node to lead');
    for (const n of rest) n.start(first!.address);
    // go-dqlite keeps up to three voters, and with fewer than three nodes exactly one (app/roles.go).
    const voters = this.nodes.length >= 3 ? 3 : 1;
    await this.until(
      () => {
        const members = this.members(first!);
        return members.length === this.nodes.length && members.filter((m) => m.role === 'voter').length === voters;
      },
      timeoutMs,
      'every node to join',
    );
  }

  /** The v1 CLI against one node's address, with a bound: v1 has no --timeout of its own. */
  cli(node: DqliteNode, command: string, timeoutMs = 5000): string {
    try {
      return execFileSync(DQLITE_CLI, ['-s', node.address, DEMO_DATABASE, command], {
        encoding: 'utf8',
        timeout: timeoutMs,
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      return '';
    }
  }

  /** `.cluster` as the CLI prints it: `<id hex>|<address>|<voter|stand-by|spare>` lines. */
  members(node: DqliteNode): { id: string; address: string; role: string }[] {
    return this.cli(node, '.cluster')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [id, address, role] = l.split('|');
        return { id: id!, address: address!, role: role! };
      });
  }

  /** The node the CLI names as leader, asked through any running node. */
  leader(): DqliteNode | undefined {
    for (const n of this.nodes.filter((x) => x.running)) {
      const addr = this.cli(n, '.leader');
      if (addr) return this.nodes.find((x) => x.address === addr);
    }
    return undefined;
  }

  /**
   * Writes `count` keys one after another (dqlite has one writer: concurrent PUTs answer
   * `database is locked`), each a raft entry; 1024 entries make a snapshot on every node.
   */
  async write(count: number, valueBytes = 1000): Promise<void> {
    const via = this.nodes.find((n) => n.running)!;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const value = 'x'.repeat(valueBytes);
    try {
      for (let i = 0; i < count; i++) {
        const key = `k${this.keys++}`;
        let answer = await via.put(key, value, agent);
        for (let retry = 0; answer !== 'done' && retry < 20; retry++) {
          await sleep(100);
          answer = await via.put(key, value, agent);
        }
        if (answer !== 'done') throw new Error(`dqlite-demo did not take ${key}: ${answer}`);
      }
    } finally {
      agent.destroy();
    }
  }

  /** Snapshot files (without .meta) in a node's backend. */
  snapshots(node: DqliteNode): string[] {
    return readdirSync(node.backend).filter((f) => /^snapshot-\d+-\d+-\d+$/.test(f));
  }

  /** Writes until every running node keeps at least `count` snapshots. */
  async writeUntilSnapshots(count: number, timeoutMs = 120_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.nodes.some((n) => n.running && this.snapshots(n).length < count)) {
      if (Date.now() > end) throw new Error(`no ${count} snapshots within ${timeoutMs} ms`);
      await this.write(256);
    }
  }

  async until(ok: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!ok()) {
      if (Date.now() > end) throw new Error(`dqlite test cluster: timed out waiting for ${what} (logs in ${this.dir})`);
      await sleep(200);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop('SIGKILL')));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A started cluster; the caller stops it (afterAll). */
export async function startDqlite(size = 3): Promise<DqliteCluster> {
  const c = new DqliteCluster(size);
  try {
    await c.start();
  } catch (err) {
    await c.stop();
    throw err;
  }
  return c;
}
