// Which node a check run with --host judges without --node (lib/names.ts): the host it reads, not
// the host it runs on. On the Nagios server, `all --host k8s02` gated a restart of the Nagios
// server itself ("NO-GO for nagios: ... not in the cluster"), a CRITICAL on every poll.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calicoNode, lease, node, nodeLease } from '../apiserver/objects.ts';
import { useCluster } from '../helpers/cluster.ts';
import { at, klog } from '../helpers/fixtures.ts';
import { haveJournalRemote, KUBELITE, makeJournal } from '../helpers/journal.ts';
import { DIST, runBuilt, runProcess } from '../helpers/run.ts';
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
  // A host named localhost (a UTS namespace of its own), as the node it is read as: it is asked its name.
  const remote = sshNode('localhost', 'mk8s-implied-');

  const via = (hosts: string[]) => [
    ...hosts.flatMap((h) => ['--host', h]),
    ...[
      '--ssh-port',
      String(remote.sshd.port),
      '--ssh-key',
      remote.sshd.clientKey,
      '--ssh-known-hosts',
      remote.sshd.knownHosts(hosts),
      '--ssh-user',
      'root',
    ],
  ];
  const healthy = () => {
    const c = cluster();
    // The stand-in dqlite's leader listens on 127.0.0.1: k8s02's address, so that localhost leads nothing.
    c.api.add('nodes', node({ name: 'localhost', ip: '10.0.0.11' }), node({ name: 'k8s02', ip: '127.0.0.1' }));
    c.api.add('leases', lease('kube-controller-manager', 'k8s02'), lease('kube-scheduler', 'k8s02'));
    c.api.add('leases', nodeLease('localhost'), nodeLease('k8s02'));
    return c;
  };
  const run = (command: string, args: string[]) =>
    runBuilt(command, [...args, ...remote.onNode(healthy().kubeconfig)], { env: { ...process.env, PATH: remote.standins.path } });

  it('check_restart_preflight --host NODE gates NODE: GO for it, where it was NO-GO for this host', async () => {
    const before = remote.sshd.connections().length;
    const r = await run('check_restart_preflight', via(['localhost']));
    expect(r.first).toMatch(/^RESTART-PREFLIGHT OK - GO: kubelite on localhost may be restarted/);
    expect(r.code, r.stdout).toBe(0);
    // One login: the question of its name and the reads of its journal share it, as in `all`.
    expect(remote.sshd.connections().length - before).toBe(1);
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

  it('all --host NODE: the gate and calico-routes judge NODE, each as alone', async () => {
    const all = await run('microk8s-checks', ['all', ...via(['localhost']), '--format', 'json']);
    const rows = new Map((JSON.parse(all.stdout) as { check: string; summary: string }[]).map((x) => [x.check, x.summary]));
    expect(rows.get('RESTART-PREFLIGHT')).toMatch(/^GO: kubelite on localhost may be restarted/);
    expect(rows.get('CALICO-ROUTES')).toMatch(/ on localhost\b/);
  });

  // The gate and calico-routes each asked the host its name before they listed, so their lists missed
  // the other checks' turn: the Deployments and the Pods listed twice in one `all` (review18).
  it('all --host NODE lists the Deployments and the Pods once, the name asked once for the run', async () => {
    const c = healthy();
    const before = remote.sshd.connections().length;
    const all = await runBuilt('microk8s-checks', ['all', ...via(['localhost']), ...remote.onNode(c.kubeconfig), '--format', 'json'], {
      env: { ...process.env, PATH: remote.standins.path },
    });
    const rows = new Map((JSON.parse(all.stdout) as { check: string; summary: string }[]).map((x) => [x.check, x.summary]));
    expect(rows.get('RESTART-PREFLIGHT')).toMatch(/^GO: kubelite on localhost/);
    expect(rows.get('CALICO-ROUTES')).toMatch(/ on localhost\b/);
    const lists = (path: RegExp) => c.api.requests.filter((r) => path.test(r.path) && r.query.continue === undefined).length;
    expect(lists(/^\/apis\/apps\/v1\/(namespaces\/[^/]+\/)?deployments$/)).toBe(1);
    // The Pods in all namespaces (calico-routes' limit-1 lookups of calico-node elsewhere aside).
    expect(lists(/^\/api\/v1\/pods$/)).toBe(1);
    // One login for the run: the name asked on the connection its checks then share.
    expect(remote.sshd.connections().length - before).toBe(1);
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

// MicroK8s names a node after its host's own name (kubelet's default: the host name, lower-cased).
// --host k8s02.example.com judged a node "k8s02.example.com" the cluster does not have, and an
// address asked for --node: the host read is asked its own name, over SSH, and that node judged.
describe.skipIf(unavailable)('--host as a full domain name or an address: the host is asked its own name', () => {
  const cluster = useCluster();
  // A host named k8s02 (a UTS namespace of its own) on 127.0.0.1: this host's name is not it.
  const remote = sshNode('k8s02', 'mk8s-fqdn-');
  // The name resolves as a DNS name would: /etc/hosts of the check's own mount namespace.
  const hosts = join(remote.dir, 'hosts');
  beforeAll(() => writeFileSync(hosts, '127.0.0.1 localhost\n127.0.0.1 k8s02.example.com\n'));

  const run = (command: string, host: string, more: string[] = []) => {
    const c = cluster();
    // k8s01 leads (leases, the stand-in dqlite's leader on 127.0.0.1): k8s02 may be restarted.
    c.api.add('nodes', node({ name: 'k8s01', ip: '127.0.0.1' }), node({ name: 'k8s02', ip: '10.0.0.12' }));
    c.api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s01'));
    c.api.add('leases', nodeLease('k8s01'), nodeLease('k8s02'));
    c.api.add('pods', calicoNode({ name: 'calico-node-k8s02', node: 'k8s02', ready: true, restarts: 0 }));
    const ssh = [
      '--ssh-port',
      String(remote.sshd.port),
      '--ssh-key',
      remote.sshd.clientKey,
      '--ssh-known-hosts',
      remote.sshd.knownHosts([host]),
    ];
    return runProcess(
      'unshare',
      ['-m', '/bin/sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hosts, `${DIST}/${command}`, ...more, '--host', host, ...ssh],
      { env: { ...process.env, PATH: remote.standins.path } },
    );
  };
  const kube = () => ['--kubeconfig', cluster().kubeconfig];
  const onNode = () => remote.onNode(cluster().kubeconfig);

  it('check_calico_routes --host k8s02.example.com and --host 127.0.0.1 judge the pods of node k8s02', async () => {
    for (const host of ['k8s02.example.com', '127.0.0.1']) {
      const r = await run('check_calico_routes', host, kube());
      expect(r.first, host).toMatch(/^CALICO-ROUTES OK - 0 of 0 Running pods on k8s02 without a host route .*calico-node Ready/);
      expect(r.code, r.stdout).toBe(0);
    }
  });

  it('check_restart_preflight --host k8s02.example.com gates k8s02, the node its host names itself', async () => {
    const r = await run('check_restart_preflight', 'k8s02.example.com', onNode());
    expect(r.first).toMatch(/^RESTART-PREFLIGHT OK - GO: kubelite on k8s02 may be restarted/);
    expect(r.code, r.stdout).toBe(0);
  });

  it('all --host ADDRESS ($HOSTADDRESS$): the gate and calico-routes judge the node the host names itself', async () => {
    const all = await run('microk8s-checks', '127.0.0.1', ['all', '--format', 'json', ...onNode()]);
    const rows = new Map((JSON.parse(all.stdout) as { check: string; summary: string }[]).map((x) => [x.check, x.summary]));
    expect(rows.get('RESTART-PREFLIGHT')).toMatch(/^GO: kubelite on k8s02 may be restarted/);
    expect(rows.get('CALICO-ROUTES')).toMatch(/ on k8s02 /);
  });

  it('a host whose own name is no node name (k8s_02): UNKNOWN asking for --node, no node guessed', async () => {
    const odd = new TestSshd({ hostname: 'k8s_02' });
    await odd.start();
    try {
      const ssh = ['--ssh-port', String(odd.port), '--ssh-key', odd.clientKey, '--ssh-known-hosts', odd.knownHosts(['127.0.0.1'])];
      const r = await runBuilt('check_calico_routes', ['--host', '127.0.0.1', ...ssh, ...kube()]);
      expect(r.first).toMatch(
        /^CALICO-ROUTES UNKNOWN - give --node: the host name of 127\.0\.0\.1 'k8s_02' is not a valid name \(RFC 1123/,
      );
      expect(r.code, r.stdout).toBe(3);
    } finally {
      odd.stop();
    }
  });
});

/**
 * A node read over SSH as `name` (sshd in a UTS namespace of that host name) with the stand-ins on
 * its PATH, a worker's lock files (no k8s-dqlite there, so the gate asks no dqlite of it) and a
 * calm journal; started before the describe's tests, stopped after them.
 */
function sshNode(name: string, prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const remote = {
    dir,
    worker: join(dir, 'worker'),
    journal: '',
    sshd: undefined as unknown as TestSshd,
    standins: undefined as unknown as HealthyNode,
    /** Its inputs for a check judging it: the kubeconfig given, its journal, a worker's $SNAP_DATA, its dqlite stand-in. */
    onNode: (kubeconfig: string) => [
      ...['--kubeconfig', kubeconfig, '--journal-file', remote.journal, '--snap-data', remote.worker],
      ...[...remote.standins.dqliteArgs, '-t', '30'],
    ],
  };
  beforeAll(async () => {
    remote.standins = await healthyNode();
    // Commands over SSH find the node's systemctl (the stand-in) first, then a node's own
    // directories (not this process's PATH: a pyenv shim directory there rewrote itself meanwhile).
    remote.sshd = new TestSshd({
      path: `${remote.standins.bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      hostname: name,
      logins: true,
    });
    await remote.sshd.start();
    mkdirSync(join(remote.worker, 'var', 'lock'), { recursive: true });
    for (const lock of ['no-k8s-dqlite', 'clustered.lock']) writeFileSync(join(remote.worker, 'var', 'lock', lock), '');
    remote.journal = makeJournal(
      [
        { age: 1500, service: KUBELITE, message: 'Starting kubelite' },
        { age: 30, service: KUBELITE, message: klog(at(30), 'I', KUBELITE.pid, 'job_controller.go:562', '"enqueueing job"') },
      ],
      mkdtempSync(join(dir, 'j-')),
    );
  });
  afterAll(() => {
    remote.sshd.stop();
    remote.standins.close();
  });
  return remote;
}
