// Which node a check run with --host judges without --node (lib/names.ts): the host it reads, not
// the host it runs on. On the Nagios server, `all --host k8s02` gated a restart of the Nagios
// server itself ("NO-GO for nagios: ... not in the cluster"), a CRITICAL on every poll.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lease, node } from '../apiserver/objects.ts';
import { useCluster } from '../helpers/cluster.ts';
import { at, klog } from '../helpers/fixtures.ts';
import { haveJournalRemote, KUBELITE, makeJournal } from '../helpers/journal.ts';
import { runBuilt } from '../helpers/run.ts';
import { healthyNode, type HealthyNode } from '../helpers/standins.ts';
import { sshdUnavailable, TestSshd } from '../helpers/sshd.ts';

const here = hostname().toLowerCase().split('.')[0];
const unavailable =
  sshdUnavailable() ??
  (haveJournalRemote ? undefined : 'no systemd-journal-remote') ??
  (here === 'localhost' ? 'this host is named localhost, the name the tests read over SSH' : undefined);
if (unavailable) console.warn(`implied node tests: ${unavailable}`);

describe.skipIf(unavailable)('--host without --node: the node read is the node judged', () => {
  const cluster = useCluster();
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-implied-'));
  let sshd: TestSshd;
  let standins: HealthyNode;
  let journal: string;
  let worker: string;
  beforeAll(async () => {
    standins = await healthyNode();
    // Commands over SSH find the node's systemctl (the stand-in) first, then a node's own
    // directories (not this process's PATH: a pyenv shim directory there rewrote itself meanwhile).
    sshd = new TestSshd({ path: `${standins.bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` });
    await sshd.start();
    // A worker's lock files: no k8s-dqlite there, so the gate asks no dqlite of it.
    worker = join(dir, 'worker');
    mkdirSync(join(worker, 'var', 'lock'), { recursive: true });
    for (const lock of ['no-k8s-dqlite', 'clustered.lock']) writeFileSync(join(worker, 'var', 'lock', lock), '');
    journal = makeJournal(
      [
        { age: 1500, service: KUBELITE, message: 'Starting kubelite' },
        { age: 30, service: KUBELITE, message: klog(at(30), 'I', KUBELITE.pid, 'job_controller.go:562', '"enqueueing job"') },
      ],
      mkdtempSync(join(dir, 'j-')),
    );
  });
  afterAll(() => {
    sshd.stop();
    standins.close();
  });

  const via = (hosts: string[]) => [
    ...hosts.flatMap((h) => ['--host', h]),
    ...['--ssh-port', String(sshd.port), '--ssh-key', sshd.clientKey, '--ssh-known-hosts', sshd.knownHosts(hosts), '--ssh-user', 'root'],
  ];
  const healthy = () => {
    const c = cluster();
    // The stand-in dqlite's leader listens on 127.0.0.1: k8s02's address, so that localhost leads nothing.
    c.api.add('nodes', node({ name: 'localhost', ip: '10.0.0.11' }), node({ name: 'k8s02', ip: '127.0.0.1' }));
    c.api.add('leases', lease('kube-controller-manager', 'k8s02'), lease('kube-scheduler', 'k8s02'));
    return c;
  };
  const run = (command: string, args: string[]) =>
    runBuilt(
      command,
      [...args, '--kubeconfig', healthy().kubeconfig, '--journal-file', journal, '--snap-data', worker, ...standins.dqliteArgs, '-t', '30'],
      { env: { ...process.env, PATH: standins.path } },
    );

  it('check_restart_preflight --host NODE gates NODE: GO for it, where it was NO-GO for this host', async () => {
    const r = await run('check_restart_preflight', via(['localhost']));
    expect(r.first).toMatch(/^RESTART-PREFLIGHT OK - GO: kubelite on localhost may be restarted/);
    expect(r.code, r.stdout).toBe(0);
  });

  it("this host's own address among several --host (a node's NRPE line reading all nodes by address): it gates this host", async () => {
    const own = Object.values(networkInterfaces())
      .flat()
      .find((n) => n && !n.internal && n.family === 'IPv4')?.address;
    if (!own) return console.warn('no address but loopback: nothing to try');
    // Known hosts for localhost alone: the own address is refused before any connection to it.
    const args = [...via(['localhost']).slice(2), '--host', own, '--host', 'localhost'];
    const r = await run('check_restart_preflight', args);
    expect(r.first.split(': ')[0]).toBe(`RESTART-PREFLIGHT CRITICAL - NO-GO for ${hostname().toLowerCase()}`);
    expect(r.code, r.stdout).toBe(2);
  });

  it('several --host, none of them this host: the gate asks for --node (UNKNOWN), alone; all leaves it and calico-routes out', async () => {
    const alone = await run('check_restart_preflight', via(['localhost', '127.0.0.1']));
    expect(alone.code, alone.stdout).toBe(3);
    expect(alone.first).toBe(
      `RESTART-PREFLIGHT UNKNOWN - give --node: 2 hosts are read with --host, and this host (${hostname()}) is none of them`,
    );

    const all = await run('microk8s-checks', ['all', ...via(['localhost', '127.0.0.1']), '--format', 'json']);
    const rows = new Map((JSON.parse(all.stdout) as { check: string; state: string; summary: string }[]).map((x) => [x.check, x]));
    expect(rows.get('RESTART-PREFLIGHT')).toMatchObject({
      state: 'SKIPPED',
      summary: `it gates one node's restart: give --node (2 hosts are read with --host, and this host (${hostname()}) is none of them)`,
    });
    // Alone it refuses a second --host: in all, every poll was UNKNOWN for it.
    expect(rows.get('CALICO-ROUTES')).toMatchObject({
      state: 'SKIPPED',
      summary: expect.stringMatching(/^it reads one node's routing table, /),
    });
    expect(rows.get('NODES')?.state).toBe('OK');
  });

  it('all --host ADDRESS ($HOSTADDRESS$): the gate and calico-routes, needing a node name, are left out, asking for --node', async () => {
    const all = await run('microk8s-checks', ['all', ...via(['127.0.0.1']), '--format', 'json']);
    const rows = new Map((JSON.parse(all.stdout) as { check: string; state: string; summary: string }[]).map((x) => [x.check, x]));
    const why = 'give --node (the node name of 127.0.0.1 cannot be derived from an address)';
    expect(rows.get('RESTART-PREFLIGHT')).toMatchObject({ state: 'SKIPPED', summary: `it gates one node's restart: ${why}` });
    // Alone a usage error; in all, calico-routes' UNKNOWN every poll.
    expect(rows.get('CALICO-ROUTES')).toMatchObject({ state: 'SKIPPED', summary: `it judges one node's pods: ${why}` });
  });

  it('all --host NODE: the gate and calico-routes judge NODE, each as alone', async () => {
    const all = await run('microk8s-checks', ['all', ...via(['localhost']), '--format', 'json']);
    const rows = new Map((JSON.parse(all.stdout) as { check: string; summary: string }[]).map((x) => [x.check, x.summary]));
    expect(rows.get('RESTART-PREFLIGHT')).toMatch(/^GO: kubelite on localhost may be restarted/);
    expect(rows.get('CALICO-ROUTES')).toMatch(/ on localhost\b/);
  });
});

describe('--host naming no valid node name, without --node', () => {
  it('the usage error names the --host given and asks for --node, never an option not given', async () => {
    for (const command of ['check_restart_preflight', 'check_calico_routes']) {
      const r = await runBuilt(command, ['--host', '[fd00::2]', '-t', '5']);
      expect(r.code, r.stdout).toBe(3);
      expect(r.first).toMatch(/^[A-Z-]+ UNKNOWN - give --node: the --host '\[fd00::2\]' is not a valid name \(RFC 1123: /);
    }
  });
});
