// check_dqlite against a real dqlite: Debian's go-dqlite runs dqlite-demo nodes (a go-dqlite app,
// like k8s-dqlite) on loopback addresses, and its v1 `dqlite` CLI is the CLI asked. Nodes are
// stopped with SIGKILL for real quorum loss. What cannot run here, the v2/v3 CLI and a TLS
// backend, is a stand-in printing what go-dqlite's source prints (named beside each).
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lease, node, nodeLease } from '../apiserver/objects.ts';
import { useCluster, type TestCluster } from '../helpers/cluster.ts';
import { DEMO_DATABASE, DQLITE_CLI, DqliteCluster, type DqliteNode, dqliteUnavailable, startDqlite } from '../helpers/dqlite.ts';
import { freePort } from '../helpers/sshd.ts';
import { runBuilt } from '../helpers/run.ts';
import { healthyNode, type HealthyNode } from '../helpers/standins.ts';
import { DQLITE_BACKEND, DQLITE_BIN, SUDO_CLI_SECONDS, sudoersRules } from '../../lib/sources/dqlite.ts';
import { pattern } from '../helpers/pattern.ts';
import { until } from '../helpers/wait.ts';
import { nagiosIds } from '../helpers/users.ts';

const nagios = nagiosIds();

const cluster = useCluster();
let c: TestCluster;
beforeEach(() => {
  c = cluster();
});

const HOME = mkdtempSync(join(tmpdir(), 'mk8s-home-'));
const run = (args: string[], opts: Parameters<typeof runBuilt>[2] = {}) =>
  runBuilt('check_dqlite', args, { env: { ...process.env, HOME, KUBECONFIG: '' }, ...opts });
const on = (n: DqliteNode) => ['--dqlite-bin', DQLITE_CLI, '--backend-dir', n.backend, '--database', DEMO_DATABASE];
/** -t + 1 s is the promise; counted here from the spawn, and a machine under heavy load (2 cores, many test runs) starts node slowly. */
const SLACK_MS = 3000;
const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether a process runs (a zombie left for a parent that is gone does not). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** dqlite CLI processes still running against this backend (none may outlive a run). */
function cliLeft(backend: string): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv[0] === DQLITE_CLI && argv.some((a) => a.includes(backend)) && running(Number(pid))) pids.push(Number(pid));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

describe.skipIf(dqliteUnavailable() !== undefined)('check_dqlite against a real dqlite (dqlite-demo, the v1 CLI)', () => {
  describe('three nodes', () => {
    let d: DqliteCluster;
    beforeAll(async () => {
      d = await startDqlite(3);
    }, 60_000);
    afterAll(() => d?.stop());

    it('healthy: OK; one node killed: WARNING; two: CRITICAL quorum lost within -t + 1 s, also once the v1 CLI blocks', async () => {
      const leader = d.leader()!;
      const [a, b] = d.nodes.filter((n) => n !== leader) as [DqliteNode, DqliteNode];
      // A node's cluster.yaml follows the leader's view late (go-dqlite's app rewrites it on its own
      // schedule): once the CLI cannot answer it is all there is, so wait for it to show the cluster.
      const yamlVoters = () => (readFileSync(join(leader.backend, 'cluster.yaml'), 'utf8').match(/Role: 0/g) ?? []).length;
      await d.until(() => yamlVoters() === 3, 60_000, "the leader's cluster.yaml to list three voters");
      const ok = await run(on(leader));
      expect(ok.code).toBe(0);
      expect(ok.first).toBe(
        `DQLITE OK - 3 voters, leader ${leader.address}, 0 unreachable | ` +
          `unreachable_voters=0;0;;0;3 voters=3;;;0 standbys=0;;;0 spares=0;;;0 members=3;;;0`,
      );
      expect(ok.stdout).toMatch(new RegExp(`^${re(leader.address)} \\(id \\d+\\): voter, leader, this node$`, 'm'));
      expect(ok.stdout).toMatch(/^members from the dqlite CLI \(the leader\)$/m);
      expect(ok.stdout).toMatch(/^asked without TLS: no cluster\.crt or cluster\.key in /m);

      await a.stop();
      const one = await run(on(leader));
      expect(one.code).toBe(1);
      expect(one.first).toMatch(new RegExp(`^DQLITE WARNING - 1 voter unreachable \\(${re(a.address)}\\): one more failure loses quorum`));
      expect(one.stdout).toMatch(/unreachable: ECONNREFUSED/);
      // At risk, not lost: no restart elsewhere, the voter back first.
      expect(one.stdout).toMatch(/^Do not restart kubelite or k8s-dqlite on another node while quorum is at risk: /m);
      expect(one.stdout).toMatch(/^Bring the unreachable voter back first /m);

      await b.stop();
      // At once the survivor still names itself leader; the probes decide.
      const lost = await run([...on(leader), '-t', '4']);
      expect(lost.code).toBe(2);
      expect(lost.first).toMatch(/^DQLITE CRITICAL - quorum lost: 1 of 3 voters reachable, 2 needed/);
      expect(lost.ms).toBeLessThan(SLACK_MS + 5000);
      // Lost, writes have already stopped: no word of a risk still to come; the voters to bring back, named.
      expect(lost.stdout).not.toMatch(/at risk|one more node down/);
      expect(lost.stdout).toMatch(/^Quorum is lost: dqlite commits no write, so nothing in the cluster can change /m);
      const back = [a, b].map((n) => re(n.address)).sort();
      expect(lost.stdout).toMatch(
        new RegExp(`^Bring voters back \\((${back[0]}, ${back[1]}|${back[1]}, ${back[0]})\\) until a majority answers \\(2 of 3\\): `, 'm'),
      );
      // Then the v1 CLI blocks for good on .leader: still CRITICAL within -t + 1 s, the CLI killed.
      await d.until(() => d.cli(leader, '.leader', 1500) === '', 30_000, 'the v1 CLI to stop answering');
      const blocked = await run([...on(leader), '-t', '4']);
      expect(blocked.first).toMatch(
        /^DQLITE CRITICAL - quorum lost: 1 of 3 voters reachable, 2 needed, the dqlite CLI gave no answer in \d+(\.\d)?s: leader unknown/,
      );
      expect(blocked.code).toBe(2);
      expect(blocked.ms).toBeLessThan(SLACK_MS + 5000);
      // Killed before the run ended, gone once the kernel has run its exit (which may come after the run's).
      await d.until(() => cliLeft(leader.backend).length === 0, 5000, 'the blocked CLI, killed, to be gone');
    }, 90_000);
  });

  it('a voter hung (SIGSTOP: the kernel still accepts TCP) is unreachable: WARNING, then with one killed beside it CRITICAL', async () => {
    const d = await startDqlite(3);
    try {
      const leader = d.leader()!;
      const [hung, killed] = d.nodes.filter((n) => n !== leader) as [DqliteNode, DqliteNode];
      hung.proc!.kill('SIGSTOP');
      const one = await run([...on(leader), '-t', '5']);
      expect(one.first).toMatch(
        new RegExp(`^DQLITE WARNING - 1 voter unreachable \\(${re(hung.address)}\\): one more failure loses quorum`),
      );
      expect(one.code).toBe(1);
      expect(one.stdout).toMatch(
        new RegExp(`^${re(hung.address)} \\(id \\d+\\): voter, unreachable: accepts TCP, no answer within 2s`, 'm'),
      );
      expect(one.stdout).toMatch(/^Do not restart kubelite or k8s-dqlite on another node while quorum is at risk: /m);
      // A short -t: the hung member's probe keeps back the time the verdict needs, as the CLI's does.
      // It took all that was left, and the whole run read 'UNKNOWN - timed out after 2s while ...
      // probing the members' where the leader had answered and one voter hung.
      const short = await run([...on(leader), '-t', '2']);
      expect(short.first).toMatch(
        new RegExp(`^DQLITE WARNING - 1 voter unreachable \\(${re(hung.address)}\\): one more failure loses quorum \\(3 voters, leader `),
      );
      expect(short.stdout).toMatch(
        new RegExp(`^${re(hung.address)} \\(id \\d+\\): voter, unreachable: accepts TCP, no answer within 1`, 'm'),
      );
      expect(short.code).toBe(1);
      // Under a second left to it, the probe tells nothing of the member: said so, as the docs promise.
      const tiny = await run([...on(leader), '-t', '1']);
      expect(tiny.first).toMatch(/^DQLITE UNKNOWN - 1 voter not probed in the 0\.\d+s -t left \(fix: give a longer -t\)/);
      expect(tiny.code).toBe(3);
      // One hung and one powered off: no majority answers, writes have stopped.
      await killed.stop();
      const lost = await run([...on(leader), '-t', '5']);
      expect(lost.first).toMatch(/^DQLITE CRITICAL - quorum lost: 1 of 3 voters reachable, 2 needed/);
      expect(lost.code).toBe(2);
      expect(lost.stdout).not.toMatch(/at risk/);
    } finally {
      for (const n of d.nodes) if (n.running) n.proc!.kill('SIGCONT');
      await d.stop();
    }
  }, 60_000);

  // go-dqlite's app (app/app.go New) gives a node that is to join a cluster.yaml of the addresses it
  // was given, as NodeInfo{Address} (ID 0, Role 0), and a `join` file, both until the leader adds it.
  it("a node that never joined (go-dqlite's ID 0 seed in its cluster.yaml): UNKNOWN 'has not joined', never quorum lost", async () => {
    const d = new DqliteCluster(1);
    try {
      const n = d.nodes[0]!;
      // An address of the cluster's own block where nothing listens: the join never happens.
      const nowhere = n.address.replace(/\.1:/, '.9:');
      n.start(nowhere);
      await d.until(() => existsSync(join(n.backend, 'cluster.yaml')), 10_000, 'the joining node to write its node store');
      const r = await run([...on(n), '-t', '3']);
      expect(r.first).toMatch(
        new RegExp(
          `^DQLITE UNKNOWN - this node has not joined the dqlite cluster: \\S+ names only ${re(nowhere)}, the address it joins through`,
        ),
      );
      expect(r.stdout).not.toMatch(/quorum|Bring voters back/);
      expect(r.code).toBe(3);
    } finally {
      await d.stop();
    }
  }, 60_000);

  // A node removed from the dqlite cluster (`.remove` through the leader, as microk8s remove-node
  // asks it from another node). Running, its go-dqlite still finds the leader through its
  // cluster.yaml and rewrites that file from the leader's list, which names it no more (app/app.go
  // run, "Refresh our node store", once a round: 30 s). Stopped before its removal, nothing rewrites
  // its file until it starts again on its data, and go-dqlite then does at once (seen within 0.2 s).
  it("a node removed from the cluster: WARNING 'not a member' from its own cluster.yaml too, the leader not asked", async () => {
    const d = await startDqlite(3);
    try {
      const leader = d.leader()!;
      const [running, stopped] = d.nodes.filter((n) => n !== leader) as [DqliteNode, DqliteNode];
      const namesItself = (n: DqliteNode) => readFileSync(join(n.backend, 'cluster.yaml'), 'utf8').includes(n.address);
      const unasked = (n: DqliteNode) => ['--dqlite-bin', join(d.dir, 'no-such-cli'), '--backend-dir', n.backend];
      const removed = (n: DqliteNode, leading: string) =>
        new RegExp(
          `^DQLITE WARNING - this node \\(${re(n.address)}\\) is not a member of the dqlite cluster: removed from it\\? ` +
            `\\(1 voter, leader ${leading}, 0 unreachable\\) \\|`,
        );
      await stopped.stop();
      d.cli(leader, `.remove ${stopped.address}`);
      await d.until(() => !d.members(leader).some((m) => m.address === stopped.address), 30_000, 'the leader to drop the stopped node');
      // Stopped, its cluster.yaml still names it: read as the member it was, its own dqlite down.
      expect(namesItself(stopped)).toBe(true);
      const down = await run(unasked(stopped));
      expect(down.stdout).toMatch(new RegExp(`^${re(stopped.address)} \\(id \\d+\\): \\S+, this node, unreachable: ECONNREFUSED$`, 'm'));
      expect(down.first).not.toMatch(/not a member/);
      d.cli(leader, `.remove ${running.address}`);
      stopped.start();
      await d.until(() => !namesItself(running) && !namesItself(stopped), 90_000, 'both cluster.yaml files rewritten without them');
      for (const n of [running, stopped]) {
        const r = await run(unasked(n));
        expect(r.first).toMatch(removed(n, 'not asked'));
        expect(r.stdout).toMatch(new RegExp(`^members from ${re(n.backend)}/cluster\\.yaml$`, 'm'));
        expect(r.code).toBe(1);
      }
      // The leader asked, its word is the same.
      const asked = await run(on(running));
      expect(asked.first).toMatch(removed(running, re(leader.address)));
      expect(asked.code).toBe(1);
    } finally {
      await d.stop();
    }
  }, 150_000);

  it('two nodes: one voter and a spare, WARNING no fault tolerance', async () => {
    const d = await startDqlite(2);
    try {
      const r = await run(on(d.nodes[0]!));
      expect(r.code).toBe(1);
      expect(r.first).toMatch(
        /^DQLITE WARNING - no fault tolerance: 1 voter among 2 members, one failure stops every write \(1 voter, leader /,
      );
      expect(r.perf).toMatchObject({ voters: '1;;;0', spares: '1;;;0', members: '2;;;0' });
    } finally {
      await d.stop();
    }
  }, 60_000);

  it('one node: OK, its loopback member is this node even where no Node has its address', async () => {
    const d = await startDqlite(1);
    try {
      const only = d.nodes[0]!;
      c.api.add('nodes', node({ name: 'k8s01', ip: '10.0.0.11' }));
      const r = await run([...on(only), '--kubeconfig', c.kubeconfig]);
      expect(r.code).toBe(0);
      expect(r.first).toMatch(new RegExp(`^DQLITE OK - 1 voter, leader ${re(only.address)}, 0 unreachable \\|`));
      expect(r.stdout).not.toMatch(/stale|no matching node/);
    } finally {
      await d.stop();
    }
  }, 60_000);

  it.skipIf(process.getuid?.() !== 0)(
    '--sudo through a real sudo: the exact rules answer, another database is refused by sudo (UNKNOWN naming it)',
    async () => {
      const d = await startDqlite(1);
      const user = `mk8sdq${process.pid}`;
      const dropIn = `/etc/sudoers.d/mk8s-checks-test-${process.pid}`;
      try {
        const only = d.nodes[0]!;
        execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user]);
        const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }));
        // The node store files are readable; dqlite-demo has no TLS pair, so the rules have no -c/-k.
        for (let dir = only.backend; dir.startsWith(d.dir); dir = join(dir, '..')) chmodSync(dir, 0o755);
        for (const f of ['cluster.yaml', 'info.yaml']) chmodSync(join(only.backend, f), 0o644);
        const rules = join(mkdtempSync(join(tmpdir(), 'mk8s-sudoers-')), 'rules');
        writeFileSync(rules, sudoersRules(user, { bin: DQLITE_CLI, backend: only.backend, database: DEMO_DATABASE }, false));
        execFileSync('visudo', ['-cf', rules]);
        execFileSync('install', ['-m', '0440', rules, dropIn]);
        const env = { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', HOME: '/' };
        const ok = await runBuilt('check_dqlite', [...on(only), '--sudo'], { uid, gid: uid, env });
        expect(ok.first).toMatch(new RegExp(`^DQLITE OK - 1 voter, leader ${re(only.address)}, 0 unreachable`));
        const other = await runBuilt(
          'check_dqlite',
          ['--dqlite-bin', DQLITE_CLI, '--backend-dir', only.backend, '--database', 'k8s', '--sudo'],
          {
            uid,
            gid: uid,
            env,
          },
        );
        expect(other.code).toBe(3);
        expect(other.first).toMatch(/^DQLITE UNKNOWN - the dqlite CLI failed: .*sudo: a password is required/);
        // Its only voter gone, the v1 CLI (root's, under sudo) never answers: stopped through sudo all the same.
        await only.stop();
        const lost = await runBuilt('check_dqlite', [...on(only), '--sudo', '-t', '3'], { uid, gid: uid, env });
        expect(lost.first).toMatch(/^DQLITE CRITICAL - quorum lost: 0 of 1 voters reachable, 1 needed/);
        // Root's timeout ends it at the latest (SUDO_CLI_SECONDS), whatever became of sudo.
        await d.until(() => cliLeft(only.backend).length === 0, (SUDO_CLI_SECONDS + 2) * 1000, "root's CLI to end");
      } finally {
        rmSync(dropIn, { force: true });
        execFileSync('userdel', [user], { stdio: 'ignore' });
        await d.stop();
      }
    },
    60_000,
  );
});

describe('the sudoers example', () => {
  it('is what the checks run with --sudo at MicroK8s paths, exactly, and visudo accepts it', () => {
    const shipped = readFileSync(join(import.meta.dirname, '../../nrpe/sudoers.d/microk8s-checks'), 'utf8');
    const rules = shipped
      .split('\n')
      .filter((l) => l && !l.startsWith('#') && !l.startsWith('Defaults'))
      .join('\n');
    expect(`${rules}\n`).toBe(sudoersRules('nagios', { bin: DQLITE_BIN, backend: DQLITE_BACKEND, database: 'k8s' }));
    expect(rules).not.toMatch(/[*?]/);
    execFileSync('visudo', ['-cf', join(import.meta.dirname, '../../nrpe/sudoers.d/microk8s-checks')]);
  });
});

// Stand-ins for the v2/v3 CLI and a TLS backend. Formats, from go-dqlite's source:
// cmd/dqlite/dqlite.go runs each `;`-separated command through internal/shell/shell.go, whose
// processCluster prints `%x|%s|%s` (id, address, role) per member and processLeader the address
// (nothing without one), the same in v1, v2 and v3; an error is returned from cobra's RunE, which
// prints `Error: <message>` and the usage to stderr, and main exits 1. v2/v3 give up finding a
// leader with protocol.ErrNoAvailableLeader: "no available dqlite leader server found".
describe('check_dqlite with the v2/v3 CLI (stand-in) and a TLS backend', () => {
  interface Voter {
    address: string;
  }
  const listeners: Server[] = [];
  async function listen(host: string): Promise<Voter> {
    const server = createServer((s) => s.destroy());
    await new Promise<void>((ok) => server.listen(0, host, ok));
    listeners.push(server);
    return { address: `${host}:${(server.address() as { port: number }).port}` };
  }
  const closed = async (host: string): Promise<Voter> => ({ address: `${host}:${await freePort()}` });
  afterAll(() => {
    for (const s of listeners) s.close();
  });
  const ROLE_NUMBER = { voter: 0, 'stand-by': 1, spare: 2 } as const;
  type Role = keyof typeof ROLE_NUMBER;
  const ids = ['2dc171858c3155be', '5e1b6ddbb9d2b5b1', 'a4b4c23b1f21bd60', '6c1e3a09f2ab33c7', '1f0e2d3c4b5a6978', '7d2e4f6a8b0c1e3f'];
  const NO_LEADER =
    'echo "Error: no available dqlite leader server found" >&2\necho "Usage:" >&2\necho "  ' +
    'dqlite -s <servers> <database> [command] [flags]" >&2\nexit 1\n';

  /** A backend directory with a TLS pair and a stand-in CLI for these members; the first is this node. */
  function backend(members: { address: string; role: Role }[], leader: string | null, cliScript?: string) {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-dqlite-'));
    const yaml = (m: { address: string; role: Role }, i: number, list: boolean) =>
      `${list ? '- ' : ''}Address: ${m.address}\n${list ? '  ' : ''}ID: ` +
      `${BigInt(`0x${ids[i]}`)}\n${list ? '  ' : ''}Role: ${ROLE_NUMBER[m.role]}\n`;
    writeFileSync(join(dir, 'cluster.yaml'), members.map((m, i) => yaml(m, i, true)).join(''));
    writeFileSync(join(dir, 'info.yaml'), yaml(members[0]!, 0, false));
    writeFileSync(join(dir, 'cluster.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    writeFileSync(join(dir, 'cluster.key'), '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n', { mode: 0o600 });
    writeFileSync(join(dir, 'cluster.out'), `${members.map((m, i) => `${ids[i]}|${m.address}|${m.role}`).join('\n')}\n`);
    writeFileSync(join(dir, 'leader.out'), leader ? `${leader}\n` : '\n');
    const cli = join(dir, 'dqlite');
    const log = join(dir, 'argv.log');
    const body =
      cliScript ??
      (leader === null ? NO_LEADER : `case "$c" in\n.cluster) cat "${dir}/cluster.out" ;;\n.leader) cat "${dir}/leader.out" ;;\nesac\n`);
    writeFileSync(cli, `#!/bin/sh\nprintf '%s\\n' "$*" >> "${log}"\nfor c; do :; done\n${body}`, { mode: 0o755 });
    return { dir, cli, log, args: ['--dqlite-bin', cli, '--backend-dir', dir] };
  }
  let up: Voter[];
  beforeAll(async () => {
    up = [await listen('127.0.0.1'), await listen('127.0.0.2'), await listen('127.0.0.3')];
  });
  const voters = () => up.map((v) => ({ address: v.address, role: 'voter' as const }));

  it('three voters and a leader: OK; the CLI was asked .cluster and .leader of k8s with the TLS pair, nothing else', async () => {
    const b = backend(voters(), up[1]!.address);
    const r = await run(b.args);
    expect(r.code).toBe(0);
    expect(r.first).toMatch(new RegExp(`^DQLITE OK - 3 voters, leader ${re(up[1]!.address)}, 0 unreachable \\|`));
    const tls = `-s file://${b.dir}/cluster.yaml -c ${b.dir}/cluster.crt -k ${b.dir}/cluster.key k8s`;
    expect(readFileSync(b.log, 'utf8').split('\n').filter(Boolean).sort()).toEqual([`${tls} .cluster`, `${tls} .leader`]);
    expect(r.stdout).not.toMatch(/without TLS/);
  });

  it("the CLI's own no-leader answer: CRITICAL quorum lost, though every voter accepts TCP", async () => {
    const r = await run(backend(voters(), null).args);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(
      pattern(
        /^DQLITE CRITICAL - quorum lost: the dqlite CLI found no leader \(no available dqlite /,
        /leader server found\) \(3 voters, leader unknown, 0 unreachable\)/,
      ),
    );
    expect(r.stdout).toMatch(/members from \S+cluster\.yaml/);
    // Writes have stopped, and no voter is out of reach to bring back: the voters' journals say why none leads.
    expect(r.stdout).not.toMatch(/at risk/);
    expect(r.stdout).toMatch(/^Every voter accepts TCP, yet none leads: k8s-dqlite's journal on each voter says why /m);
  });

  it('a CLI that answers in 1 s at -t 2 is heard; one that never answers is WARNING "no answer", within -t + 1 s, and killed', async () => {
    const slow = backend(voters(), up[0]!.address);
    writeFileSync(slow.cli, readFileSync(slow.cli, 'utf8').replace('for c; do', 'sleep 1\nfor c; do'));
    const heard = await run([...slow.args, '-t', '2']);
    expect(heard.first).toMatch(/^DQLITE OK - 3 voters, leader /);
    const silent = backend(voters(), up[0]!.address, 'echo $$ >> "$(dirname "$0")/pids"\nexec sleep 60\n');
    const r = await run([...silent.args, '-t', '3']);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(
      /^DQLITE WARNING - the dqlite CLI gave no answer in \d+(\.\d)?s: leader unknown \(3 voters, leader unknown, 0 unreachable\)/,
    );
    expect(r.ms).toBeLessThan(SLACK_MS + 4000);
    // -t 0.1: what the CLI was given is said with the digits that tell it from 0, never 'in 0s'.
    const tiny = await run([...silent.args, '-t', '0.1']);
    // A CLI given so little that its silence tells nothing is no WARNING.
    expect(tiny.first).toMatch(/^DQLITE UNKNOWN - .*(no answer in the|timed out after) 0\.\d+s/);
    expect(tiny.first).not.toMatch(/ 0s\b/);
    // Killed (SIGKILL, to its process group) before the run ended: gone once the kernel has run its
    // exit, which on a loaded machine came after the run's (1 full suite in 5 here). A CLI never
    // killed would sleep on for a minute.
    const pids = readFileSync(join(silent.dir, 'pids'), 'utf8').trim().split('\n').map(Number);
    await until(
      () => `the silent CLI to be gone (still: ${pids.filter(running).join(', ')})`,
      () => (pids.some(running) ? undefined : true),
      { timeoutMs: 5000, intervalMs: 20 },
    );
  });

  it('nothing readable is UNKNOWN naming why: garbage, a failing CLI, an empty cluster.yaml without a CLI', async () => {
    const garbage = await run(backend(voters(), up[0]!.address, 'echo "<html>504 Gateway Timeout</html>"\n').args);
    expect(garbage.code).toBe(3);
    expect(garbage.first).toMatch(
      /^DQLITE UNKNOWN - the dqlite CLI failed: the dqlite CLI printed '<html>504 Gateway Timeout<\/html>', which is not a member/,
    );
    // A row of .cluster whose address is no host:port (a port past 65535) is refused as cluster.yaml's is, never probed as a voter.
    const row = '2dc171858c3155be|127.0.0.1:99999|voter';
    const badPort = await run(
      backend(voters(), up[0]!.address, `case "$c" in\n.cluster) echo '${row}' ;;\n.leader) echo 127.0.0.1:99999 ;;\nesac\n`).args,
    );
    expect(badPort.code, badPort.stdout).toBe(3);
    expect(badPort.first).toMatch(
      /^DQLITE UNKNOWN - the dqlite CLI failed: the dqlite CLI printed '2dc171858c3155be¦127\.0\.0\.1:99999¦voter', which is not a member/,
    );
    const failing = await run(backend(voters(), up[0]!.address, 'echo "Error: open servers store: permission denied" >&2\nexit 1\n').args);
    expect(failing.code).toBe(3);
    expect(failing.first).toMatch(/^DQLITE UNKNOWN - the dqlite CLI failed: .*Error: open servers store: permission denied/);
    const empty = backend(voters(), up[0]!.address);
    writeFileSync(join(empty.dir, 'cluster.yaml'), '[]\n');
    const none = await run(['--dqlite-bin', '/nonexistent/dqlite', '--backend-dir', empty.dir]);
    expect(none.code).toBe(3);
    expect(none.first).toMatch(/^DQLITE UNKNOWN - \S+cluster\.yaml lists no member/);
    // Thousands of members (each would be probed at once): refused, not run for minutes past -t.
    const huge = backend(voters(), up[0]!.address);
    const rows = Array.from({ length: 257 }, (_, i) => `- Address: 127.0.${i >> 8}.${i & 255}:19001\n  ID: ${i + 1}\n  Role: 2\n`);
    writeFileSync(join(huge.dir, 'cluster.yaml'), rows.join(''));
    const many = await run(['--dqlite-bin', '/nonexistent/dqlite', '--backend-dir', huge.dir]);
    expect(many.code).toBe(3);
    expect(many.first).toMatch(/^DQLITE UNKNOWN - \S+cluster\.yaml names more than 256 members/);
  });

  it('rows repeating one address are one voter: 1 of 2 distinct voters down is quorum lost', async () => {
    const down = await closed('127.0.0.4');
    const b = backend([{ address: up[0]!.address, role: 'voter' }], up[0]!.address);
    writeFileSync(
      join(b.dir, 'cluster.yaml'),
      `- Address: ${up[0]!.address}\n  ID: 1\n  Role: 0\n- Address: ${down.address}\n  ID: 2\n  ` +
        `Role: 0\n- ID: 3\n  Address: ${down.address}\n  Role: 0\n`,
    );
    const r = await run(['--dqlite-bin', '/nonexistent/dqlite', '--backend-dir', b.dir]);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^DQLITE CRITICAL - quorum lost: 1 of 2 voters reachable, 2 needed/);
    expect(r.stdout).toMatch(/1 repeated row counted once/);
    // One ID under two addresses (its address written anew, the old row left): one node, one voter.
    const moved = await closed('127.0.0.7');
    writeFileSync(
      join(b.dir, 'cluster.yaml'),
      `- Address: ${up[0]!.address}\n  ID: 1\n  Role: 0\n- Address: ${down.address}\n  ID: 2\n  Role: 0\n` +
        `- Address: ${moved.address}\n  ID: 2\n  Role: 0\n`,
    );
    const byId = await run(['--dqlite-bin', '/nonexistent/dqlite', '--backend-dir', b.dir]);
    expect(byId.first).toMatch(/^DQLITE CRITICAL - quorum lost: 1 of 2 voters reachable, 2 needed/);
    expect(byId.stdout).toMatch(/1 repeated row counted once/);
  });

  it('quorum lost, the API server hung (kine stalls with dqlite): CRITICAL quorum lost, the Nodes said unread', async () => {
    // The NRPE command passes --kubeconfig (stale members); without quorum the API server hangs.
    const down = [await closed('127.0.0.5'), await closed('127.0.0.6')];
    const b = backend(
      [{ address: up[0]!.address, role: 'voter' }, ...down.map((d) => ({ address: d.address, role: 'voter' as const }))],
      null,
    );
    c.api.delayMs = 60_000;
    const r = await run([...b.args, '--kubeconfig', c.kubeconfig, '-t', '4']);
    expect(r.code, r.stdout).toBe(2);
    expect(r.first).toMatch(/^DQLITE CRITICAL - quorum lost: 1 of 3 voters reachable, 2 needed/);
    expect(r.first).toMatch(/cannot judge stale members: timed out after [\d.]+s while listing nodes/);
  });

  it('port 99999 in cluster.yaml, and a missing cluster.yaml or cluster.key, are named as such', async () => {
    const b = backend(voters(), up[0]!.address);
    writeFileSync(join(b.dir, 'cluster.yaml'), '- Address: 127.0.0.1:99999\n  ID: 1\n  Role: 0\n');
    const port = await run(b.args);
    expect(port.code).toBe(3);
    expect(port.first).toMatch(/^DQLITE UNKNOWN - \S+cluster\.yaml names '127\.0\.0\.1:99999', which is no host:port address/);
    rmSync(join(b.dir, 'cluster.yaml'));
    const gone = await run(b.args);
    // The fix names the option that sets the path (the user may have given none: the default).
    expect(gone.first).toMatch(
      pattern(
        /^DQLITE UNKNOWN - cannot read dqlite node store \S+cluster\.yaml: no such file /,
        /\(fix: run the check on a MicroK8s node, or give --backend-dir\)$/,
      ),
    );
    const k = backend(voters(), up[0]!.address);
    rmSync(join(k.dir, 'cluster.key'));
    const key = await run(k.args);
    expect(key.code).toBe(0);
    expect(key.first).toMatch(/^DQLITE OK - 3 voters, leader not asked, 0 unreachable/);
    expect(key.stdout).toMatch(new RegExp(`^leader not asked: ${re(k.dir)}/cluster\\.key is missing$`, 'm'));
  });

  it('a down loopback member that matches no Node is this node, never stale; a down voter is still named', async () => {
    c.api.add('nodes', node({ name: 'k8s01', ip: '10.0.0.11' }));
    const down = await closed('127.0.0.9');
    const b = backend([...voters(), { address: down.address, role: 'spare' }], up[0]!.address);
    const r = await run([...b.args, '--kubeconfig', c.kubeconfig]);
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^DQLITE OK - 3 voters, leader /);
    expect(r.stdout).toMatch(new RegExp(`^${re(down.address)} \\(id \\d+\\): spare, unreachable: ECONNREFUSED$`, 'm'));
    expect(c.api.requests.every((q) => q.method === 'GET')).toBe(true);
  });

  it('`.leader` answered with nothing (processLeader prints no address without a leader): WARNING, never OK', async () => {
    const r = await run(backend(voters(), '').args);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^DQLITE WARNING - the dqlite CLI named no leader \(3 voters, leader unknown, 0 unreachable\) \|/);
  });

  /** Three voters listening on ::1 (accepting, then closing: a probe's reply is not awaited here). */
  const v6Voters = async () => {
    const v6 = [];
    for (let i = 0; i < 3; i++) {
      const server = createServer((s) => s.destroy());
      await new Promise<void>((ok) => server.listen(0, '::1', ok));
      listeners.push(server);
      v6.push({ address: `[::1]:${(server.address() as { port: number }).port}`, role: 'voter' as const });
    }
    return v6;
  };

  /** OK with `self` (the first voter) found, both as the CLI lists the members and, without the CLI, from the node store alone. */
  const v6Ok = async (b: { dir: string; args: string[] }, self: string) => {
    const asked = await run(b.args);
    expect(asked.first).toMatch(new RegExp(`^DQLITE OK - 3 voters, leader ${re(self)}, 0 unreachable \\|`));
    expect(asked.stdout).toMatch(new RegExp(`^${re(self)} \\(id \\d+\\): voter, leader, this node$`, 'm'));
    expect(asked.code).toBe(0);
    const own = await run(['--dqlite-bin', join(b.dir, 'no-such-cli'), '--backend-dir', b.dir]);
    expect(own.first).toMatch(/^DQLITE OK - 3 voters, leader not asked, 0 unreachable \|/);
    expect(own.stdout).toMatch(new RegExp(`^${re(self)} \\(id \\d+\\): voter, this node$`, 'm'));
    expect(own.code).toBe(0);
  };

  // go-dqlite writes the node store with gopkg.in/yaml.v2 (client/store.go; NodeInfo's fields in
  // the order ID, Address, Role), whose emitter (a port of libyaml's) cannot write a string that
  // starts with '[' plain: it single-quotes it. So an IPv6 member (MicroK8s joins by IPv6 since
  // canonical/microk8s#4097) reads `Address: '[fd00::11]:19001'` in cluster.yaml and info.yaml.
  it("IPv6 members, single-quoted as go-dqlite's yaml.v2 writes them: read, probed, OK", async () => {
    const v6 = await v6Voters();
    const b = backend(v6, v6[0]!.address);
    const quoted = (m: { address: string }, i: number, list: boolean) =>
      `${list ? '- ' : ''}ID: ${BigInt(`0x${ids[i]}`)}\n${list ? '  ' : ''}Address: '${m.address}'\n${list ? '  ' : ''}Role: 0\n`;
    writeFileSync(join(b.dir, 'cluster.yaml'), v6.map((m, i) => quoted(m, i, true)).join(''));
    writeFileSync(join(b.dir, 'info.yaml'), quoted(v6[0]!, 0, false));
    await v6Ok(b, v6[0]!.address);
  });

  // dqlite knows a node by its ID, given once for good (go-dqlite app.New writes it to info.yaml
  // before the node first starts); its address is a string kept as it was given, so one node's can
  // be written otherwise in another place (an IPv6 address in full, or compressed). This node is
  // found as check_dqlite_storage finds it: by its ID, then by its address.
  it('this node found by its ID first: an address written otherwise (IPv6 in full) is no removal', async () => {
    const v6 = await v6Voters();
    const b = backend(v6, v6[0]!.address);
    const full = v6[0]!.address.replace('[::1]', '[0:0:0:0:0:0:0:1]');
    writeFileSync(join(b.dir, 'info.yaml'), `ID: ${BigInt(`0x${ids[0]}`)}\nAddress: '${full}'\nRole: 0\n`);
    await v6Ok(b, v6[0]!.address);
  });

  // MicroK8s' "Recover from lost quorum" (microk8s.io/docs/restore-quorum) has cluster.yaml edited by
  // hand while dqlite is stopped; go-dqlite rewrites it only once it runs and reaches a leader, so a
  // recovery that did not take leaves the edit there. Comments and a document start are YAML go-dqlite reads.
  it('a cluster.yaml edited by hand (a comment line, a document start): read as dqlite reads it', async () => {
    const b = backend(voters(), up[0]!.address);
    const rows = readFileSync(join(b.dir, 'cluster.yaml'), 'utf8');
    writeFileSync(join(b.dir, 'cluster.yaml'), `---\n# 10.0.0.12 and 10.0.0.13 lost: removed as restore-quorum says\n${rows}`);
    const r = await run(['--dqlite-bin', join(b.dir, 'no-such-cli'), '--backend-dir', b.dir]);
    expect(r.first).toMatch(/^DQLITE OK - 3 voters, leader not asked, 0 unreachable \|/);
    expect(r.code).toBe(0);
  });

  it("a joining node whose CLI reached the leader through its seed: 'has not joined', not 'removed from it?'", async () => {
    const b = backend(voters(), up[0]!.address);
    const self = await closed('127.0.0.8');
    // go-dqlite's seed (app/app.go: NodeInfo{Address}, ID 0 and Role 0 as yaml.v2 writes zero values).
    writeFileSync(join(b.dir, 'cluster.yaml'), `- ID: 0\n  Address: ${up[0]!.address}\n  Role: 0\n`);
    writeFileSync(join(b.dir, 'info.yaml'), `ID: 1311768467294899695\nAddress: ${self.address}\nRole: 0\n`);
    const r = await run(b.args);
    expect(r.first).toMatch(
      pattern(
        /^DQLITE WARNING - the dqlite leader does not list it: this node has not joined the dqlite cluster: /,
        new RegExp(`its cluster\\.yaml names only ${re(up[0]!.address)}, the address it joins through \\(ID 0\\)`),
      ),
    );
    expect(r.first).toMatch(/ \(3 voters, leader \S+, 0 unreachable\) \|/);
    expect(r.code).toBe(1);
  });

  it('two voters, every member reachable: WARNING, no fault tolerance (a majority of two is both)', async () => {
    const b = backend([...voters().slice(0, 2), { address: up[2]!.address, role: 'spare' }], up[0]!.address);
    const r = await run(b.args);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^DQLITE WARNING - no fault tolerance: 2 voters among 3 members, one failure stops every write \(2 voters, /);
    expect(r.perf).toMatchObject({ unreachable_voters: '0;0;;0;2', voters: '2;;;0', spares: '1;;;0' });
  });

  it("with the CLI, members come from .cluster: roles by word (voter, stand-by, spare), IDs in hex read as cluster.yaml's", async () => {
    const others = [await closed('127.0.0.5'), await closed('127.0.0.6'), await closed('127.0.0.7')];
    const roles: Role[] = ['stand-by', 'stand-by', 'spare'];
    const b = backend([...voters(), ...others.map((o, i) => ({ address: o.address, role: roles[i]! }))], up[0]!.address);
    const r = await run(b.args);
    expect(r.code).toBe(0);
    expect(r.perf).toMatchObject({ voters: '3;;;0', standbys: '2;;;0', spares: '1;;;0', members: '6;;;0' });
    expect(r.stdout).toMatch(/^members from the dqlite CLI \(the leader\)$/m);
    expect(r.stdout).toMatch(new RegExp(`^${re(others[2]!.address)} \\(id ${BigInt(`0x${ids[5]}`)}\\): spare, unreachable`, 'm'));
  });

  it('without a CLI, roles come from cluster.yaml by number: 0 voter, 1 stand-by, 2 spare', async () => {
    const others = [await closed('127.0.0.5'), await closed('127.0.0.6'), await closed('127.0.0.7')];
    const roles: Role[] = ['stand-by', 'stand-by', 'spare'];
    const b = backend([...voters(), ...others.map((o, i) => ({ address: o.address, role: roles[i]! }))], up[0]!.address);
    const r = await run(['--dqlite-bin', join(b.dir, 'no-such-cli'), '--backend-dir', b.dir]);
    expect(r.code).toBe(0);
    expect(r.perf).toMatchObject({ voters: '3;;;0', standbys: '2;;;0', spares: '1;;;0', members: '6;;;0' });
    expect(r.stdout).toMatch(new RegExp(`^${re(others[2]!.address)} \\(id \\d+\\): spare, unreachable`, 'm'));
  });

  it.skipIf(process.getuid?.() !== 0)(
    'cluster.key left root-only: members and quorum judged, the leader not asked, the CLI never run, the key never opened',
    async () => {
      const b = backend(voters(), up[0]!.address);
      chmodSync(b.dir, 0o755);
      for (const f of ['cluster.yaml', 'info.yaml', 'cluster.crt']) chmodSync(join(b.dir, f), 0o644);
      chownSync(join(b.dir, 'cluster.key'), 0, 0);
      mkdirSync(join(HOME, 'nobody'), { recursive: true });
      const r = await runBuilt('check_dqlite', b.args, {
        uid: 65534,
        gid: 65534,
        env: { PATH: '/usr/bin:/bin', HOME: join(HOME, 'nobody') },
      });
      expect(r.code).toBe(0);
      expect(r.first).toMatch(/^DQLITE OK - 3 voters, leader not asked, 0 unreachable \|/);
      expect(r.stdout).toMatch(
        new RegExp(`^leader not asked: no read access to ${re(b.dir)}/cluster\\.key \\(leave the key root-only and use --sudo`, 'm'),
      );
      expect(() => readFileSync(b.log)).toThrow();
    },
  );

  // Root's 0700 backend (or a directory above it) that nagios cannot enter: no file there can be
  // seen, so none is said to be unreadable or missing; the directory is named, with its owner and
  // mode, and the fix that lets nagios in: its group where the group may enter, else an ACL.
  it.skipIf(!nagios)('a backend directory nagios cannot enter: UNKNOWN naming the directory that stops it, with the fix', async () => {
    const asNagios = { uid: nagios!.uid, gid: nagios!.gid, env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent' } };
    const own = backend(voters(), up[0]!.address);
    const locked = await runBuilt('check_dqlite', own.args, asNagios);
    expect(locked.code, locked.stdout).toBe(3);
    expect(locked.first).toBe(
      `DQLITE UNKNOWN - cannot enter the dqlite backend directory ${own.dir} (root:root 0700): permission denied for user ` +
        `nagios (fix: give user nagios search access to ${own.dir}: sudo setfacl -m u:nagios:x ${own.dir})`,
    );
    // The backend itself open to all, a directory above it root's: that one is named.
    const above = mkdtempSync(join(tmpdir(), 'mk8s-above-'));
    const inner = backend(voters(), up[0]!.address);
    const moved = join(above, 'backend');
    execFileSync('mv', [inner.dir, moved]);
    chmodSync(moved, 0o755);
    const deep = await runBuilt('check_dqlite', ['--dqlite-bin', inner.cli, '--backend-dir', moved], asNagios);
    expect(deep.code, deep.stdout).toBe(3);
    expect(deep.first).toBe(
      `DQLITE UNKNOWN - cannot enter ${above} (root:root 0700) on the way to the dqlite backend directory ${moved}: ` +
        `permission denied for user nagios (fix: give user nagios search access to ${above}: sudo setfacl -m u:nagios:x ${above})`,
    );
    // A group that may enter it (0750 root:microk8s on a node), nagios not in it: joining it is the fix.
    const group = `mk8sbg${process.pid}`;
    execFileSync('groupadd', [group]);
    try {
      const grouped = backend(voters(), up[0]!.address);
      chownSync(grouped.dir, 0, Number(execFileSync('getent', ['group', group], { encoding: 'utf8' }).split(':')[2]));
      chmodSync(grouped.dir, 0o750);
      const r = await runBuilt('check_dqlite', grouped.args, asNagios);
      expect(r.code, r.stdout).toBe(3);
      expect(r.first).toBe(
        `DQLITE UNKNOWN - cannot enter the dqlite backend directory ${grouped.dir} (root:${group} 0750): permission denied ` +
          `for user nagios (fix: add user nagios to the group ${group}, which may search it: sudo usermod -aG ${group} nagios, ` +
          'then restart nrpe)',
      );
    } finally {
      execFileSync('groupdel', [group]);
    }
  });

  // The directory open, info.yaml root's 0600: the fix is for that file and this user, not a template
  // naming nagios and <backend>; the key is still never to be shared.
  it.skipIf(!nagios)('a node store nagios may not read: UNKNOWN naming it, with the ACL for that file', async () => {
    const b = backend(voters(), up[0]!.address);
    chmodSync(b.dir, 0o755);
    const info = join(b.dir, 'info.yaml');
    chmodSync(info, 0o600);
    const r = await runBuilt('check_dqlite', b.args, {
      uid: nagios!.uid,
      gid: nagios!.gid,
      env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent' },
    });
    expect(r.code, r.stdout).toBe(3);
    expect(r.first).toBe(
      `DQLITE UNKNOWN - cannot read dqlite node store ${info}: permission denied for user nagios: it (root:root 0600) cannot be read ` +
        `(fix: give user nagios read access to ${info}: sudo setfacl -m u:nagios:r ${info}; ` +
        'never cluster.key (for the leader use --sudo))',
    );
  });
});

describe('check_restart_preflight reads the same dqlite view', () => {
  let here: HealthyNode;
  beforeAll(async () => {
    here = await healthyNode();
  });
  afterAll(() => here.close());

  it('NO-GO when the dqlite view has nothing to judge, or cannot be read', async () => {
    c.api.add('nodes', node({ name: 'k8s01', ip: '127.0.0.1' }), node({ name: 'k8s02', ip: '10.0.0.12' }));
    c.api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s01'));
    c.api.add('leases', nodeLease('k8s01'), nodeLease('k8s02'));
    const log = join(mkdtempSync(join(tmpdir(), 'mk8s-gate-')), 'quiet.log');
    writeFileSync(log, 'Nov 28 00:00:00 k8s02 microk8s.daemon-kubelite[1]: I1128 ok\n');
    const gate = (dqlite: string[]) =>
      runBuilt('check_restart_preflight', ['--kubeconfig', c.kubeconfig, '--node', 'k8s02', '--log-file', log, ...dqlite], {
        env: { ...process.env, PATH: here.path },
      });
    const go = await gate(here.dqliteArgs);
    expect(go.first).toMatch(/^RESTART-PREFLIGHT OK - GO/);
    const backend = here.dqliteArgs[3]!;
    const store = readFileSync(join(backend, 'cluster.yaml'), 'utf8');
    writeFileSync(join(backend, 'cluster.yaml'), '');
    const empty = await gate(['--dqlite-bin', '/nonexistent/dqlite', '--backend-dir', backend]);
    writeFileSync(join(backend, 'cluster.yaml'), store);
    expect(empty.code).toBe(2);
    expect(empty.first).toMatch(/^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: dqlite UNKNOWN: \S+cluster\.yaml lists no member/);
    const missing = await gate(['--backend-dir', '/nonexistent/backend']);
    expect(missing.code).toBe(2);
    expect(missing.first).toMatch(
      pattern(
        /NO-GO for k8s02: cannot tell the dqlite cluster's health \(cannot read dqlite node /,
        /store \/nonexistent\/backend\/\w+\.yaml: no such file/,
      ),
    );
  });

  it.skipIf(!nagios)('a backend directory nagios cannot enter: NO-GO naming the directory, as check_dqlite does', async () => {
    c.api.add('nodes', node({ name: 'k8s01', ip: '127.0.0.1' }), node({ name: 'k8s02', ip: '10.0.0.12' }));
    c.api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s01'));
    c.api.add('leases', nodeLease('k8s01'), nodeLease('k8s02'));
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-gate-'));
    chmodSync(dir, 0o755);
    const node01 = await healthyNode(join(dir, 'node'));
    try {
      const backend = node01.dqliteArgs[3]!;
      chmodSync(backend, 0o700);
      const log = join(dir, 'quiet.log');
      writeFileSync(log, 'Nov 28 00:00:00 k8s02 microk8s.daemon-kubelite[1]: I1128 ok\n');
      const kubeconfig = join(dir, 'kubeconfig');
      writeFileSync(kubeconfig, readFileSync(c.kubeconfig), { mode: 0o644 });
      const r = await runBuilt(
        'check_restart_preflight',
        ['--kubeconfig', kubeconfig, '--node', 'k8s02', '--log-file', log, ...node01.dqliteArgs],
        { uid: nagios!.uid, gid: nagios!.gid, env: { PATH: node01.path, HOME: '/nonexistent' } },
      );
      expect(r.code, r.stdout).toBe(2);
      expect(r.first).toMatch(
        new RegExp(
          `^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: cannot tell the dqlite cluster's health \\(cannot enter the dqlite ` +
            `backend directory ${re(backend)} \\(root:root 0700\\): permission denied for user nagios \\(fix: `,
        ),
      );
    } finally {
      node01.close();
    }
  });
});
