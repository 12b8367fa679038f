// check_dqlite with a stand-in dqlite CLI that prints what go-dqlite's shell prints (`.cluster`:
// "<hex id>|<address>|<role>" per member; `.leader`: the address, nothing without one; errors as
// cobra prints them, exit 1), a backend directory of real node store files, and voters that are
// real TCP listeners on loopback addresses (or closed ports).
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { node } from '../apiserver/objects.ts';
import { useCluster, type TestCluster } from '../helpers/cluster.ts';
import { freePort } from '../helpers/sshd.ts';
import { runBuilt } from '../helpers/run.ts';

const cluster = useCluster();
let c: TestCluster;
beforeEach(() => {
  c = cluster();
});

interface Voter {
  address: string;
  server?: Server;
}
const listeners: Server[] = [];
async function listen(host: string): Promise<Voter> {
  const server = createServer((s) => s.destroy());
  await new Promise<void>((ok) => server.listen(0, host, ok));
  listeners.push(server);
  return { address: `${host}:${(server.address() as { port: number }).port}`, server };
}
/** An address where nothing listens. */
const closed = async (host: string): Promise<Voter> => ({ address: `${host}:${await freePort()}` });
afterAll(() => {
  for (const s of listeners) s.close();
});

const ROLE_NUMBER = { voter: 0, 'stand-by': 1, spare: 2 } as const;
type Role = keyof typeof ROLE_NUMBER;
const ids = ['2dc171858c3155be', '5e1b6ddbb9d2b5b1', 'a4b4c23b1f21bd60', '6c1e3a09f2ab33c7', '1f0e2d3c4b5a6978'];

/** A backend directory and a stand-in CLI for these members; the first member is this node. */
function backend(members: { address: string; role: Role }[], leader: string | null) {
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-dqlite-'));
  const yaml = (m: { address: string; role: Role }, i: number, list: boolean) =>
    `${list ? '- ' : ''}Address: ${m.address}\n${list ? '  ' : ''}ID: ${BigInt(`0x${ids[i]}`)}\n${list ? '  ' : ''}Role: ${ROLE_NUMBER[m.role]}\n`;
  writeFileSync(join(dir, 'cluster.yaml'), members.map((m, i) => yaml(m, i, true)).join(''));
  writeFileSync(join(dir, 'info.yaml'), yaml(members[0]!, 0, false));
  writeFileSync(join(dir, 'cluster.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  writeFileSync(join(dir, 'cluster.key'), '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n', { mode: 0o600 });
  const out = `${members.map((m, i) => `${ids[i]}|${m.address}|${m.role}`).join('\n') + (leader ? `\n${leader}` : '')}\n`;
  writeFileSync(join(dir, 'cli.out'), out);
  const cli = join(dir, 'dqlite');
  const log = join(dir, 'argv.log');
  const fail =
    leader === null
      ? 'echo "Error: no available dqlite leader server found" >&2\necho "Usage:" >&2\necho "  dqlite -s <servers> <database> [command] [flags]" >&2\nexit 1\n'
      : '';
  writeFileSync(cli, `#!/bin/sh\nprintf '%s\\n' "$*" >> "${log}"\n${fail}cat "${join(dir, 'cli.out')}"\n`, { mode: 0o755 });
  return { dir, cli, log, args: ['--dqlite-bin', cli, '--backend-dir', dir] };
}

const HOME = mkdtempSync(join(tmpdir(), 'mk8s-home-'));
const run = (args: string[], opts: Parameters<typeof runBuilt>[2] = {}) =>
  runBuilt('check_dqlite', args, { env: { ...process.env, HOME, KUBECONFIG: '' }, ...opts });

describe('check_dqlite', () => {
  let up: Voter[];
  beforeAll(async () => {
    up = [await listen('127.0.0.1'), await listen('127.0.0.2'), await listen('127.0.0.3')];
  });

  it('three voters, all reachable, a leader: OK; the CLI was only asked .cluster and .leader', async () => {
    const b = backend(
      up.map((v) => ({ address: v.address, role: 'voter' })),
      up[1]!.address,
    );
    const r = await run(b.args);
    expect(r.code).toBe(0);
    expect(r.first).toBe(
      `DQLITE OK - 3 voters, leader ${up[1]!.address}, 0 unreachable | unreachable_voters=0;0;;0;3 voters=3;;;0 standbys=0;;;0 spares=0;;;0 members=3;;;0`,
    );
    expect(r.stdout).toMatch(new RegExp(`^${up[0]!.address.replace(/\./g, '\\.')} \\(id 3297041220608546238\\): voter, this node$`, 'm'));
    expect(r.stdout).toMatch(/stale members not judged: no kubeconfig/);
    expect(readFileSync(b.log, 'utf8')).toBe(
      `-s file://${b.dir}/cluster.yaml -c ${b.dir}/cluster.crt -k ${b.dir}/cluster.key k8s .cluster;.leader\n`,
    );
  });

  it('one voter down: WARNING naming it; two of three: CRITICAL quorum lost', async () => {
    const down = await closed('127.0.0.3');
    const one = await run(
      backend(
        [up[0]!, up[1]!, down].map((v) => ({ address: v.address, role: 'voter' })),
        up[0]!.address,
      ).args,
    );
    expect(one.code).toBe(1);
    expect(one.first).toMatch(new RegExp(`^DQLITE WARNING - 1 voter unreachable \\(${down.address}\\): one more failure loses quorum`));
    expect(one.stdout).toMatch(/unreachable: ECONNREFUSED/);
    const down2 = await closed('127.0.0.2');
    const two = await run(
      backend(
        [up[0]!, down2, down].map((v) => ({ address: v.address, role: 'voter' })),
        up[0]!.address,
      ).args,
    );
    expect(two.code).toBe(2);
    expect(two.first).toMatch(/^DQLITE CRITICAL - quorum lost: 1 of 3 voters reachable, 2 needed/);
    expect(two.perf.unreachable_voters).toBe('2;0;;0;3');
  });

  it('no leader: CRITICAL, the members still read from cluster.yaml', async () => {
    const b = backend(
      up.map((v) => ({ address: v.address, role: 'voter' })),
      null,
    );
    const r = await run(b.args);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^DQLITE CRITICAL - no dqlite leader \(no available dqlite leader server found\) \(3 voters, 0 unreachable\)/);
    expect(r.stdout).toMatch(/members from \S+cluster\.yaml/);
  });

  it('five members with two voters: WARNING', async () => {
    const roles: Role[] = ['voter', 'voter', 'stand-by', 'spare', 'spare'];
    const all = [...up, await listen('127.0.0.4'), await listen('127.0.0.5')];
    const r = await run(
      backend(
        all.map((v, i) => ({ address: v.address, role: roles[i]! })),
        up[0]!.address,
      ).args,
    );
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/only 2 voters among 5 members: one failure can lose quorum/);
    expect(r.perf).toMatchObject({ voters: '2;;;0', standbys: '1;;;0', spares: '2;;;0', members: '5;;;0' });
  });

  it('a member with no matching Node: WARNING naming it (with a kubeconfig)', async () => {
    c.api.add('nodes', node({ name: 'k8s01', ip: '127.0.0.1' }), node({ name: 'k8s02', ip: '127.0.0.2' }));
    const b = backend(
      up.map((v) => ({ address: v.address, role: 'voter' })),
      up[0]!.address,
    );
    const r = await run([...b.args, '--kubeconfig', c.kubeconfig]);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(new RegExp(`^DQLITE WARNING - 1 member with no matching node: ${up[2]!.address}`));
    expect(r.stdout).toMatch(/This check removes nothing/);
    expect(c.api.requests.every((q) => q.method === 'GET')).toBe(true);
  });

  it.skipIf(process.getuid?.() !== 0)('an unreadable cluster.key: UNKNOWN naming it, with the least-privilege fix', async () => {
    const b = backend(
      up.map((v) => ({ address: v.address, role: 'voter' })),
      up[0]!.address,
    );
    chmodSync(b.dir, 0o755);
    for (const f of ['cluster.yaml', 'info.yaml', 'cluster.crt']) chmodSync(join(b.dir, f), 0o644);
    chownSync(join(b.dir, 'cluster.key'), 0, 0);
    mkdirSync(join(HOME, 'nobody'), { recursive: true });
    const r = await runBuilt('check_dqlite', b.args, {
      uid: 65534,
      gid: 65534,
      env: { PATH: '/usr/bin:/bin', HOME: join(HOME, 'nobody') },
    });
    expect(r.code).toBe(3);
    expect(r.first).toMatch(
      new RegExp(
        `^DQLITE UNKNOWN - cannot read ${b.dir.replace(/[.]/g, '\\.')}/cluster\\.key: permission denied \\(fix: give the check user read access to the backend files only: sudo setfacl`,
      ),
    );
  });
});
