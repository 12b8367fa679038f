import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { certFile } from '../apiserver/certs.ts';
import { MICROK8S_CERT_DIR } from '../../lib/sources/certs.ts';
import { DQLITE_BACKEND, sudoersRules } from '../../lib/sources/dqlite.ts';
import { calicoNode, deployment, lease, node, nodeLease, pod, unschedulablePod } from '../apiserver/objects.ts';
import { addHealthyCluster, useCluster, type TestCluster } from '../helpers/cluster.ts';
import { at, etcdRetry, klog, logrus, LOCK_TXN } from '../helpers/fixtures.ts';
import { bySystemd, DQLITE, haveJournalRemote, KUBELITE, makeJournal, type Entry } from '../helpers/journal.ts';
import { DQLITE_CLI, dqliteUnavailable, startDqlite } from '../helpers/dqlite.ts';
import { pattern } from '../helpers/pattern.ts';
import { runBuilt } from '../helpers/run.ts';
import { healthyNode, systemctlStandIn, unit, type HealthyNode, type Unit } from '../helpers/standins.ts';
import { nagiosIds } from '../helpers/users.ts';

const cluster = useCluster();
let c: TestCluster;
beforeEach(() => {
  c = cluster();
});

const healthy = () => addHealthyCluster(c.api);
const kc = () => ['--kubeconfig', c.kubeconfig];
/** $SNAP_DATA of a MicroK8s node, as far as `all` looks at it: its lock files (DOMAIN.md, "dqlite membership"). */
const snapData = (...locks: string[]) => {
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-snap-'));
  mkdirSync(join(dir, 'var', 'lock'), { recursive: true });
  for (const lock of locks) writeFileSync(join(dir, 'var', 'lock', lock), '');
  return dir;
};

/** The node with one of the kubelet's conditions True (MemoryPressure, DiskPressure, PIDPressure), as the kubelet writes it. */
function pressed(n: ReturnType<typeof node>, type: string, reason: string, message: string) {
  for (const cond of n.status.conditions) if (cond.type === type) Object.assign(cond, { status: 'True', reason, message });
  return n;
}

describe('check_nodes', () => {
  it('OK when every node is Ready, uncordoned and untainted', async () => {
    healthy();
    const r = await runBuilt('check_nodes', kc());
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^NODES OK - 3 nodes, all Ready \| not_ready=0;;0;0;3 nodes=3;;;0 cordoned=0;;;0;3 tainted=0;;;0;3$/);
  });

  it('an API server that lists no nodes: UNKNOWN, saying so', async () => {
    const r = await runBuilt('check_nodes', kc());
    expect(r.code).toBe(3);
    expect(r.first).toMatch(/^NODES UNKNOWN - the API server lists no nodes \| not_ready=0;;0;0;0 nodes=0;;;0 /);
  });

  it('NotReady is CRITICAL; cordoned or tainted is WARNING; allowed taints are fine', async () => {
    c.api.add(
      'nodes',
      node({ name: 'k8s01', ip: '10.0.0.11', unschedulable: true }),
      node({ name: 'k8s02', ip: '10.0.0.12', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
      node({ name: 'k8s03', ip: '10.0.0.13' }),
    );
    const warn = await runBuilt('check_nodes', kc());
    expect(warn.code).toBe(1);
    expect(warn.perf).toMatchObject({ cordoned: '1;;;0;3', tainted: '1;;;0;3' });
    expect(warn.first).toMatch(/cordoned: k8s01/);
    expect(warn.stdout).toMatch(/tainted k8s02: dedicated=gpu:NoSchedule/);
    const allowed = await runBuilt('check_nodes', [...kc(), '--allow-taint', 'dedicated=gpu:NoSchedule']);
    expect(allowed.perf.tainted).toBe('0;;;0;3');
    c.api.add('nodes', node({ name: 'k8s04', ip: '10.0.0.14', ready: false }));
    const crit = await runBuilt('check_nodes', kc());
    expect(crit.code).toBe(2);
    expect(crit.first).toMatch(/^NODES CRITICAL - 1 of 4 nodes NotReady: k8s04/);
    expect(crit.stdout).toMatch(/k8s04 NotReady \(NodeStatusUnknown: Kubelet stopped posting node status\.\)/);
    expect(crit.perf.tainted).toBe('1;;;0;4');
  });

  it('a Ready node still carrying the unreachable taints (not lifted by a stale kcm) is tainted: WARNING, never OK', async () => {
    // k8s02 came back: its kubelet posts Ready and renews its Lease, but the node lifecycle controller, working
    // from a frozen cache, never saw it and left the taints it put on while the node was unreachable.
    const back = node({ name: 'k8s02', ip: '10.0.0.12' });
    Object.assign(back.spec, {
      taints: [
        { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
        {
          key: 'node.kubernetes.io/unreachable',
          effect: 'NoExecute',
          timeAdded: new Date(Date.now() - 900_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        },
      ],
    });
    c.api.add('nodes', node({ name: 'k8s01', ip: '10.0.0.11' }), back, node({ name: 'k8s03', ip: '10.0.0.13' }));
    c.api.add('leases', nodeLease('k8s01'), nodeLease('k8s02'), nodeLease('k8s03'));
    const r = await runBuilt('check_nodes', kc());
    expect(r.code, r.stdout).toBe(1);
    expect(r.first).toMatch(
      /^NODES WARNING - 3 nodes, all Ready, 1 node tainted \| not_ready=0;;0;0;3 nodes=3;;;0 cordoned=0;;;0;3 tainted=1;;;0;3$/,
    );
    expect(r.stdout).toMatch(/^tainted k8s02: node\.kubernetes\.io\/unreachable:NoSchedule, node\.kubernetes\.io\/unreachable:NoExecute$/m);
  });

  /** Three Ready nodes, k8s03's status posted `heartbeatAgo` s ago and its Lease as `lease` says (the others renewing). */
  const withK8s03 = (heartbeatAgo: number, lease: Parameters<typeof nodeLease>[1]) => {
    c.api.reset();
    c.api.add(
      'nodes',
      node({ name: 'k8s01', ip: '10.0.0.11' }),
      node({ name: 'k8s02', ip: '10.0.0.12' }),
      node({ name: 'k8s03', ip: '10.0.0.13', heartbeatAgo }),
    );
    c.api.add('leases', nodeLease('k8s01', { renewedAgo: 1 }), nodeLease('k8s02', { renewedAgo: 2 }), nodeLease('k8s03', lease));
  };

  it('a Node read Ready whose kubelet renewed no Lease for 5 minutes: CRITICAL, as the controller-manager would mark it', async () => {
    // k8s03's kubelet stopped 5 minutes ago (its last status 2 minutes before); a stale controller-manager left it Ready.
    const cluster = (renewedAgo: number) => withK8s03(420, { renewedAgo });
    cluster(300);
    const r = await runBuilt('check_nodes', kc());
    expect(r.code, r.stdout).toBe(2);
    expect(r.first).toMatch(
      /^NODES CRITICAL - 3 nodes, all Ready, kubelet silent on k8s03 \(no Lease renewed for 5m\d*s?\) \| not_ready=0;;0;0;3 nodes=3;;;0 /,
    );
    expect(r.stdout).toMatch(/^node k8s03's kubelet has not renewed its Lease for 5m\d*s? \(duration 40s\) yet the Node reads Ready$/m);
    expect(r.stdout).toMatch(/^ {2}ssh k8s03 systemctl status snap\.microk8s\.daemon-kubelite\.service$/m);
    // One list of the node leases, from storage: the request this check adds.
    const leaseReads = c.api.requests.filter((q) => q.path.endsWith('/namespaces/kube-node-lease/leases'));
    expect(leaseReads.map((q) => q.query.resourceVersion)).toEqual([undefined]);
    // Renewed 40 s ago, within the controller-manager's node-monitor-grace-period (50 s): OK.
    cluster(40);
    const renewed = await runBuilt('check_nodes', kc());
    expect(renewed.first).toMatch(/^NODES OK - 3 nodes, all Ready \|/);
  });

  // The commonest failure: a node powered off, marked NotReady by the controller-manager. Its silence is
  // what NotReady already says: a 'kubelet silent' beside it named it twice and sent to another remedy.
  it('a node down, NotReady, its Lease not renewed for 10 minutes: NotReady alone, never also a silent kubelet', async () => {
    c.api.reset();
    c.api.add(
      'nodes',
      node({ name: 'k8s01', ip: '10.0.0.11' }),
      node({ name: 'k8s02', ip: '10.0.0.12' }),
      node({ name: 'k8s03', ip: '10.0.0.13', ready: false, heartbeatAgo: 660 }),
    );
    c.api.add(
      'leases',
      nodeLease('k8s01', { renewedAgo: 1 }),
      nodeLease('k8s02', { renewedAgo: 2 }),
      nodeLease('k8s03', { renewedAgo: 600 }),
    );
    const r = await runBuilt('check_nodes', kc());
    expect(r.code, r.stdout).toBe(2);
    expect(r.first).toMatch(/^NODES CRITICAL - 1 of 3 nodes NotReady: k8s03 \| not_ready=1;;0;0;3 /);
    expect(r.stdout).not.toMatch(/kubelet silent|has not renewed its Lease/);
  });

  it("a worker's clock 5 minutes off the API server's that records its renewals: WARNING, UNKNOWN where it cannot be told", async () => {
    // Worker k8s03 renews every 10 s, but stamps renewTime and its status by its own clock; the API
    // server its apiserver-proxy reaches recorded the renewal 3 s ago (the Lease's managedFields).
    const worker = node({ name: 'k8s03', ip: '10.0.0.13', heartbeatAgo: 320 });
    delete (worker.metadata.labels as Record<string, string>)['node.kubernetes.io/microk8s-controlplane'];
    c.api.reset();
    c.api.add('nodes', node({ name: 'k8s01', ip: '10.0.0.11' }), node({ name: 'k8s02', ip: '10.0.0.12' }), worker);
    // Its clock ahead: its renewTime in this host's future is the one off, so the record stands.
    c.api.add('leases', nodeLease('k8s01'), nodeLease('k8s02'), nodeLease('k8s03', { renewedAgo: -297, recordedAgo: 3 }));
    const ahead = await runBuilt('check_nodes', kc());
    expect(ahead.code, ahead.stdout).toBe(1);
    expect(ahead.first).toMatch(
      /^NODES WARNING - 3 nodes, all Ready, k8s03's kubelet stamps its Lease 5m ahead of the API server's clock \| /,
    );
    expect(ahead.stdout).toMatch(/^node k8s03's kubelet stamps .*\(timedatectl\) on k8s03 and on the control-plane nodes\)$/m);
    expect(ahead.stdout).not.toMatch(/Do not restart kubelite/);
    // Its clock behind: alive by the record, silent by its own clock; which is right the Lease does
    // not say (the recording API server's clock 5 minutes ahead, and k8s03 down 5 minutes, read the same).
    c.api.clear('leases');
    c.api.add('leases', nodeLease('k8s01'), nodeLease('k8s02'), nodeLease('k8s03', { renewedAgo: 303, recordedAgo: 3 }));
    const behind = await runBuilt('check_nodes', kc());
    expect(behind.code, behind.stdout).toBe(3);
    expect(behind.first).toMatch(
      /^NODES UNKNOWN - 3 nodes, all Ready, cannot tell whether k8s03's kubelet is alive, k8s03's kubelet stamps its Lease 5m behind/,
    );
    expect(behind.stdout).toMatch(/^cannot tell whether node k8s03's kubelet is alive: its renewTime .* are 5m apart, /m);
    // A kubelet truly silent is still CRITICAL: the API server recorded no renewal for 5 minutes either.
    withK8s03(420, { renewedAgo: 300 });
    expect((await runBuilt('check_nodes', kc())).first).toMatch(/^NODES CRITICAL - 3 nodes, all Ready, kubelet silent on k8s03 /);
  });

  it("a control-plane node's clock 2 minutes off: a worker whose renewals its API server records is not called silent", async () => {
    // Each control-plane node's kubelet renews through its own API server (kubelet.config's
    // 127.0.0.1:16443), so k8s01's Lease carries its clock twice; worker k8s04's apiserver-proxy
    // forwards to k8s01: renewTime by k8s04's clock (right), the record by k8s01's.
    const worker = node({ name: 'k8s04', ip: '10.0.0.14' });
    delete (worker.metadata.labels as Record<string, string>)['node.kubernetes.io/microk8s-controlplane'];
    for (const off of [-120, 120]) {
      c.api.reset();
      c.api.add(
        'nodes',
        node({ name: 'k8s01', ip: '10.0.0.11', heartbeatAgo: 20 - off }),
        node({ name: 'k8s02', ip: '10.0.0.12' }),
        node({ name: 'k8s03', ip: '10.0.0.13' }),
        worker,
      );
      c.api.add(
        'leases',
        nodeLease('k8s01', { renewedAgo: 3 - off, recordedAgo: 3 - off }),
        nodeLease('k8s02'),
        nodeLease('k8s03'),
        nodeLease('k8s04', { renewedAgo: 3, recordedAgo: 3 - off }),
      );
      const r = await runBuilt('check_nodes', kc());
      // k8s01 as before: silent (behind) or heard from the future (ahead), its clock in both stamps.
      expect(r.first).toMatch(off < 0 ? /^NODES CRITICAL - 4 nodes, all Ready, kubelet silent on k8s01 \(/ : /k8s01's kubelet heard from/);
      expect(r.first).not.toMatch(/silent on k8s01, k8s04|k8s04's kubelet heard from/);
      expect(r.stdout).not.toMatch(/ssh k8s04 systemctl status/);
      // Which of the two clocks is off cannot be told from the Lease: both are named.
      expect(r.stdout).toMatch(/^node k8s04's kubelet stamps its Lease 2m .*on k8s04 and on the control-plane nodes\)$/m);
    }
  });

  it('Ready False is NotReady whatever other condition is True: a full disk (DiskPressure True) that stopped the kubelet', async () => {
    // As the kubelet and the node controller leave such a node: Ready False, DiskPressure True, both their taints.
    const full = node({ name: 'k8s02', ip: '10.0.0.12' });
    for (const cond of full.status.conditions) {
      if (cond.type === 'DiskPressure')
        Object.assign(cond, { status: 'True', reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure' });
      if (cond.type === 'Ready')
        Object.assign(cond, {
          status: 'False',
          reason: 'KubeletNotReady',
          message: 'PLEG is not healthy: pleg was last seen active 3m10.254s ago; threshold is 3m0s',
        });
    }
    Object.assign(full.spec, {
      taints: [
        { key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
      ],
    });
    c.api.add('nodes', node({ name: 'k8s01', ip: '10.0.0.11' }), full, node({ name: 'k8s03', ip: '10.0.0.13' }));
    const r = await runBuilt('check_nodes', kc());
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/k8s02 NotReady \(KubeletNotReady: PLEG is not healthy/);
    // not-ready is said as NotReady, disk-pressure as the kubelet's DiskPressure: neither again as a taint.
    expect(r.first).toMatch(
      /^NODES CRITICAL - 1 of 3 nodes NotReady: k8s02, DiskPressure: k8s02 \| not_ready=1;;0;0;3 .* tainted=0;;;0;3$/,
    );
    expect(r.stdout).toMatch(/^k8s02 DiskPressure \(KubeletHasDiskPressure: kubelet has disk pressure\)$/m);
    expect(r.stdout).not.toMatch(/^tainted /m);
  });

  // The node lifecycle controller mirrors MemoryPressure, DiskPressure, PIDPressure and NetworkUnavailable
  // True as NoSchedule taints of their own. Said as '1 node tainted' (an operator's taint, a restart left
  // half done?) they hid the kubelet's own finding and its words.
  it("a Ready node under disk pressure is said once, by the kubelet's condition, not as an operator's taint", async () => {
    const full = pressed(node({ name: 'k8s02', ip: '10.0.0.12' }), 'DiskPressure', 'KubeletHasDiskPressure', 'kubelet has disk pressure');
    Object.assign(full.spec, { taints: [{ key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' }] });
    c.api.add('nodes', node({ name: 'k8s01', ip: '10.0.0.11' }), full, node({ name: 'k8s03', ip: '10.0.0.13' }));
    const r = await runBuilt('check_nodes', kc());
    expect(r.code).toBe(1);
    expect(r.first).toMatch(
      /^NODES WARNING - 3 nodes, all Ready, DiskPressure: k8s02 \| not_ready=0;;0;0;3 nodes=3;;;0 cordoned=0;;;0;3 tainted=0;;;0;3$/,
    );
    expect(r.stdout).toMatch(/^k8s02 DiskPressure \(KubeletHasDiskPressure: kubelet has disk pressure\)$/m);
    expect(r.stdout).not.toMatch(/tainted k8s02/);
    // --allow-taint is for taints: the kubelet's condition is not silenced by allowing its echo.
    const allowed = await runBuilt('check_nodes', [...kc(), '--allow-taint', 'node.kubernetes.io/disk-pressure']);
    expect(allowed.code).toBe(1);
    // The same taint with no such condition True (placed by hand, or not yet lifted) is a taint, said as one.
    for (const cond of full.status.conditions)
      if (cond.type === 'DiskPressure')
        Object.assign(cond, { status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' });
    c.api.clear('nodes');
    c.api.add('nodes', node({ name: 'k8s01', ip: '10.0.0.11' }), full, node({ name: 'k8s03', ip: '10.0.0.13' }));
    const stale = await runBuilt('check_nodes', kc());
    expect(stale.first).toMatch(/^NODES WARNING - 3 nodes, all Ready, 1 node tainted \| /);
    expect(stale.stdout).toMatch(/^tainted k8s02: node\.kubernetes\.io\/disk-pressure:NoSchedule$/m);
  });
});

describe('check_leases', () => {
  it('names the holders; an expired lease is CRITICAL; churn since the last run is WARNING', async () => {
    healthy();
    const state = join(mkdtempSync(join(tmpdir(), 'mk8s-state-')), 'leases.json');
    const first = await runBuilt('check_leases', [...kc(), '--state-file', state]);
    expect(first.code).toBe(0);
    expect(first.first).toMatch(/^LEASES OK - leaders: kcm k8s01, scheduler k8s03 \|/);
    expect(first.perf).toMatchObject({ kcm_transitions: '12c;;;0', scheduler_transitions: '12c;;;0' });
    expect(first.stdout).toMatch(/dqlite leader: not asked/);
    // The Nodes only name the dqlite leader's node: with no dqlite CLI here, they are not listed
    // (one list more a minute against an API server that may be under write contention).
    expect(c.api.requests.filter((q) => q.path === '/api/v1/nodes')).toEqual([]);
    c.api.clear('leases');
    c.api.add(
      'leases',
      lease('kube-controller-manager', 'k8s02', { transitions: 14 }),
      lease('kube-scheduler', 'k8s03', { renewedAgo: 300 }),
    );
    const second = await runBuilt('check_leases', [...kc(), '--state-file', state]);
    expect(second.code).toBe(2);
    expect(second.first).toMatch(/scheduler lease expired \(renewed 5m\d*s? ago, duration 60s\): no kube-scheduler is leading/);
    expect(second.first).toMatch(/kcm leadership changed 2 times since the last run/);
    // Let go by its leader as client-go writes it (no holder, 1 s), polled seconds later: nobody leads, said as released.
    c.api.clear('leases');
    c.api.add('leases', lease('kube-controller-manager', undefined, { transitions: 14 }), lease('kube-scheduler', 'k8s03'));
    const released = await runBuilt('check_leases', [...kc(), '--state-file', state]);
    expect(released.code).toBe(2);
    expect(released.first).toMatch(/^LEASES CRITICAL - leaders: kcm none, scheduler k8s03, kcm lease released \(no holder\): no kube-/);
  });

  it('a leader lease that does not exist: UNKNOWN naming it and what makes it, not a namespace or a resource to check', async () => {
    // Leader election makes the Lease when its first leader takes it; deleted, the leader makes it again within 2 s.
    c.api.add('leases', lease('kube-controller-manager', 'k8s01'));
    const state = join(mkdtempSync(join(tmpdir(), 'mk8s-state-')), 'leases.json');
    const r = await runBuilt('check_leases', [...kc(), '--state-file', state]);
    expect(r.code).toBe(3);
    expect(r.first).toBe(
      'LEASES UNKNOWN - no Lease kube-system/kube-scheduler: no kube-scheduler has led since it was made or deleted, ' +
        'or it runs with --leader-elect=false (fix: check that kubelite runs on the control-plane nodes ' +
        '(journalctl -u snap.microk8s.daemon-kubelite): a leader makes the Lease when it takes the lead)',
    );
  });

  it('a lease deleted and made again counts its churn afresh and says so, from a state file of counts alone too', async () => {
    healthy();
    const state = join(mkdtempSync(join(tmpdir(), 'mk8s-state-')), 'leases.json');
    // As an earlier version kept it: counts alone, no uid. The scheduler's count went down (12 to 0).
    writeFileSync(state, JSON.stringify({ 'kube-controller-manager': 12, 'kube-scheduler': 12 }));
    c.api.clear('leases');
    c.api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s03', { transitions: 0, uid: 'b' }));
    const first = await runBuilt('check_leases', [...kc(), '--state-file', state]);
    expect(first.first).toMatch(/^LEASES OK - leaders: kcm k8s01, scheduler k8s03 \|/);
    expect(first.stdout).toMatch(/^kube-scheduler: lease recreated since the last run \(0 transitions, were 12\): /m);
    // Made again with the same count as before, and changed hands 12 times since: churn, not none.
    c.api.clear('leases');
    c.api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s02', { transitions: 12, uid: 'c' }));
    const second = await runBuilt('check_leases', [...kc(), '--state-file', state]);
    expect(second.code).toBe(1);
    expect(second.first).toMatch(
      /^LEASES WARNING - leaders: kcm k8s01, scheduler k8s02, scheduler leadership changed 12 times since its lease /,
    );
    expect(second.stdout).toMatch(/^kube-scheduler: lease recreated since the last run \(uid c, was b\): /m);
  });

  // MicroK8s' 60 s lease with its 30 s renew deadline: the leader gives the lead up once renewals have
  // failed that long (kcm exits, taking kubelite down), and nobody may take it before 60 s. It read OK.
  it('a lease past its renew deadline, not yet expired, is WARNING, with -w/-c on renew_age or without', async () => {
    healthy();
    c.api.clear('leases');
    c.api.add('leases', lease('kube-controller-manager', 'k8s01', { renewedAgo: 40 }), lease('kube-scheduler', 'k8s03'));
    const state = join(mkdtempSync(join(tmpdir(), 'mk8s-state-')), 'leases.json');
    for (const limits of [[], ['-w', '55', '-c', '58']]) {
      const r = await runBuilt('check_leases', [...kc(), '--state-file', state, ...limits]);
      expect(r.code).toBe(1);
      expect(r.first).toMatch(
        pattern(
          /^LEASES WARNING - leaders: kcm k8s01, scheduler k8s03, kcm lease not renewed for \d+s \(renew deadline 30s\): /,
          /its leader is giving it up, nobody can take it before 60s \| /,
        ),
      );
      expect(r.stdout).toMatch(/^A leader whose renewals fail for its renew deadline stops leading \(kcm exits, taking kubelite down\)/m);
    }
  });
});

/** A dqlite CLI that names `leader` for .leader, and the backend directory of a healthy node to ask it with. */
function leaderCli(here: { dqliteArgs: string[] }, leader: string): { cli: string; backend: string } {
  const cli = join(mkdtempSync(join(tmpdir(), 'mk8s-cli-')), 'dqlite');
  writeFileSync(cli, `#!/bin/sh\nfor c; do :; done\n[ "$c" = .leader ] && echo ${leader}\n`, { mode: 0o755 });
  return { cli, backend: here.dqliteArgs[here.dqliteArgs.indexOf('--backend-dir') + 1]! };
}

describe('check_leases naming the dqlite leader', () => {
  it("finds the leader's node by any of its addresses: dqlite may listen on a NIC other than the InternalIP", async () => {
    // join.py rewrites kubelet's --node-ip only where it was set: dqlite can be on the other NIC.
    const here = await healthyNode();
    try {
      const { cli, backend } = leaderCli(here, '192.168.7.14:19001');
      healthy();
      const k8s04 = node({ name: 'k8s04', ip: '10.0.0.14' });
      k8s04.status.addresses.push({ type: 'ExternalIP', address: '192.168.7.14' });
      c.api.add('nodes', k8s04);
      const state = join(mkdtempSync(join(tmpdir(), 'mk8s-state-')), 'leases.json');
      const r = await runBuilt('check_leases', [...kc(), '--state-file', state, '--dqlite-bin', cli, '--backend-dir', backend]);
      expect(r.code).toBe(0);
      expect(r.first).toMatch(/^LEASES OK - leaders: kcm k8s01, scheduler k8s03, dqlite k8s04 \|/);
      expect(r.stdout).toContain('dqlite leader: 192.168.7.14:19001 (node k8s04)');
    } finally {
      here.close();
    }
  });
});

describe('check_leases and a dqlite node store its user cannot read', () => {
  // No TLS files, so the real v1 CLI reads cluster.yaml as the check's user: 'open servers store:
  // open <path>: permission denied'. Said with the fix every other unreadable file gets.
  it.skipIf(process.getuid?.() !== 0 || !existsSync(DQLITE_CLI))(
    'the leader not asked: UNKNOWN naming cluster.yaml, with the ACL or --sudo to let it be read',
    async () => {
      healthy();
      const dir = mkdtempSync(join(tmpdir(), 'mk8s-nobody-'));
      chmodSync(dir, 0o777);
      const backend = join(dir, 'backend');
      mkdirSync(backend, { mode: 0o755 });
      writeFileSync(join(backend, 'cluster.yaml'), '- Address: 127.0.0.1:19001\n  ID: 3297041220608546238\n  Role: 0\n', { mode: 0 });
      const kubeconfig = join(dir, 'kubeconfig');
      copyFileSync(c.kubeconfig, kubeconfig);
      chmodSync(kubeconfig, 0o644);
      const r = await runBuilt(
        'check_leases',
        ['--kubeconfig', kubeconfig, '--state-file', join(dir, 'leases.json'), '--dqlite-bin', DQLITE_CLI, '--backend-dir', backend],
        { uid: 65534, gid: 65534, env: { PATH: '/usr/bin:/bin', HOME: dir } },
      );
      expect(r.code, r.stdout).toBe(3);
      const store = join(backend, 'cluster.yaml');
      expect(r.first).toMatch(/ \| kcm_renew_age=/);
      expect(r.first.split(' | ')[0]).toBe(
        `LEASES UNKNOWN - leaders: kcm k8s01, scheduler k8s03, cannot ask dqlite for its leader: the dqlite CLI cannot read ${store}: ` +
          'permission denied for user nobody: it (root:root 0000) cannot be read ' +
          `(fix: give user nobody read access to ${store}: sudo setfacl -m u:nobody:r ${store}, ` +
          'or ask as root: --sudo with a sudoers line for this command line)',
      );
    },
  );
});

describe('check_leases given a --backend-dir that is no dqlite backend', () => {
  // The real v1 CLI: 'open servers store: stat <path>: no such file or directory'. Said as
  // check_dqlite and the gate say the same mistake, with its fix, not as the CLI's argv and error.
  it.skipIf(!existsSync(DQLITE_CLI))('UNKNOWN naming the cluster.yaml not found, with the fix to check --backend-dir', async () => {
    healthy();
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-nobackend-'));
    const state = join(dir, 'leases.json');
    const r = await runBuilt('check_leases', [...kc(), '--state-file', state, '--dqlite-bin', DQLITE_CLI, '--backend-dir', dir]);
    expect(r.code, r.stdout).toBe(3);
    expect(r.first).toMatch(/ \| kcm_renew_age=/);
    expect(r.first.split(' | ')[0]).toBe(
      `LEASES UNKNOWN - leaders: kcm k8s01, scheduler k8s03, cannot ask dqlite for its leader: the dqlite CLI found no ` +
        `${join(dir, 'cluster.yaml')} (fix: run the check on a MicroK8s node, or give --backend-dir)`,
    );
    // The CLI's failure is said beside the leases, never in place of their verdict: an expired lease stays CRITICAL.
    c.api.clear('leases');
    c.api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s02', { renewedAgo: 300 }));
    const expired = await runBuilt('check_leases', [...kc(), '--state-file', state, '--dqlite-bin', DQLITE_CLI, '--backend-dir', dir]);
    expect(expired.code, expired.stdout).toBe(2);
    expect(expired.first).toMatch(
      /^LEASES CRITICAL - leaders: kcm k8s01, scheduler k8s02, scheduler lease expired .+, cannot ask dqlite for its leader: /,
    );
  });
});

describe('check_leases and a dqlite backend directory its user cannot enter', () => {
  const ids = nagiosIds();
  /** A backend as MicroK8s keeps it, the directory root's 0700, in a directory nagios can search; nagios' own home beside it. */
  function lockedBackend(): { dir: string; backend: string; home: string; kubeconfig: string } {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-bdir-'));
    chmodSync(dir, 0o755);
    const backend = join(dir, 'backend');
    mkdirSync(backend, { mode: 0o700 });
    writeFileSync(join(backend, 'cluster.yaml'), '- Address: 127.0.0.1:19001\n  ID: 3297041220608546238\n  Role: 0\n');
    writeFileSync(join(backend, 'info.yaml'), 'Address: 127.0.0.1:19001\nID: 3297041220608546238\nRole: 0\n');
    for (const f of ['cluster.crt', 'cluster.key']) writeFileSync(join(backend, f), 'PEM\n', { mode: 0o600 });
    const home = join(dir, 'home');
    mkdirSync(home, { mode: 0o700 });
    chownSync(home, ids!.uid, ids!.gid);
    const kubeconfig = join(dir, 'kubeconfig');
    copyFileSync(c.kubeconfig, kubeconfig);
    chmodSync(kubeconfig, 0o644);
    return { dir, backend, home, kubeconfig };
  }
  const asNagios = (home: string) => ({ uid: ids!.uid, gid: ids!.gid, env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', HOME: home } });

  // The real v1 CLI, as nagios, said 'open servers store: stat <backend>/cluster.yaml: permission
  // denied' after being asked without TLS, the TLS files unseen: recognised before it is asked.
  it.skipIf(!ids || !existsSync(DQLITE_CLI))(
    'root-only (0700), the leader asked as nagios: UNKNOWN naming the directory, with the ACL or --sudo; the CLI never asked',
    async () => {
      healthy();
      const { backend, home, kubeconfig } = lockedBackend();
      const r = await runBuilt(
        'check_leases',
        ['--kubeconfig', kubeconfig, '--state-file', join(home, 'leases.json'), '--dqlite-bin', DQLITE_CLI, '--backend-dir', backend],
        asNagios(home),
      );
      expect(r.code, r.stdout).toBe(3);
      expect(r.first).toMatch(/ \| kcm_renew_age=/);
      expect(r.first.split(' | ')[0]).toBe(
        'LEASES UNKNOWN - leaders: kcm k8s01, scheduler k8s03, cannot ask dqlite for its leader: ' +
          `cannot enter the dqlite backend directory ${backend} (root:root 0700): ` +
          `permission denied for user nagios (fix: give user nagios search access to ${backend}: sudo setfacl -m u:nagios:x ${backend}` +
          ', or ask as root: --sudo with the sudoers example (nrpe/sudoers.d/microk8s-checks))',
      );
      expect(r.stdout).not.toMatch(/without TLS|stat /);
    },
  );

  // With --sudo root's CLI reads the directory: asked with MicroK8s' TLS pair, as the sudoers rules
  // name it, never without TLS because nagios could not see the pair. Through the real sudo, a user
  // of the test's own (nagios' sudo rights are not touched), and a CLI that logs what it was given.
  it.skipIf(!ids)("root-only (0700) with --sudo: root's CLI asked with the TLS pair, the leader named", async () => {
    healthy();
    const { dir, backend, home, kubeconfig } = lockedBackend();
    const user = `mk8sbd${process.pid}`;
    const dropIn = `/etc/sudoers.d/mk8s-checks-bdir-${process.pid}`;
    const cli = join(dir, 'dqlite');
    const log = join(dir, 'argv.log');
    writeFileSync(cli, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nfor c; do :; done\n[ "$c" = .leader ] && echo 10.0.0.13:19001\n`, {
      mode: 0o755,
    });
    try {
      execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user]);
      const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }));
      const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }));
      chownSync(home, uid, gid);
      const rules = join(dir, 'rules');
      writeFileSync(rules, sudoersRules(user, { bin: cli, backend, database: 'k8s' }));
      execFileSync('visudo', ['-cf', rules]);
      execFileSync('install', ['-m', '0440', rules, dropIn]);
      const r = await runBuilt(
        'check_leases',
        ['--kubeconfig', kubeconfig, '--state-file', join(home, 'leases.json'), '--dqlite-bin', cli, '--backend-dir', backend, '--sudo'],
        { ...asNagios(home), uid, gid },
      );
      expect(r.code, r.stdout).toBe(0);
      expect(r.first, r.stdout).toMatch(/^LEASES OK - leaders: kcm k8s01, scheduler k8s03, dqlite k8s03 \|/);
      expect(readFileSync(log, 'utf8')).toBe(
        `-s file://${backend}/cluster.yaml -c ${backend}/cluster.crt -k ${backend}/cluster.key k8s .leader\n`,
      );
    } finally {
      rmSync(dropIn, { force: true });
      execFileSync('userdel', [user], { stdio: 'ignore' });
    }
  });
});

describe('check_leases when the Nodes cannot be listed', () => {
  it('an expired lease is CRITICAL all the same; the dqlite leader is named by its address, saying why', async () => {
    const here = await healthyNode();
    try {
      const { cli, backend } = leaderCli(here, '10.0.0.12:19001');
      healthy();
      c.api.clear('leases');
      c.api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s03', { renewedAgo: 300 }));
      const state = join(mkdtempSync(join(tmpdir(), 'mk8s-state-')), 'leases.json');
      const args = [...kc(), '--state-file', state, '--backend-dir', backend, '-t', '4'];
      // A list refused under load (the retry too), then a list that never answers.
      c.api.faults.push({ path: '/api/v1/nodes', status: 500, times: 2 });
      const refused = await runBuilt('check_leases', [...args, '--dqlite-bin', cli]);
      expect(refused.code).toBe(2);
      expect(refused.first).toMatch(
        /^LEASES CRITICAL - leaders: kcm k8s01, scheduler k8s03, dqlite 10\.0\.0\.12:19001, scheduler lease expired /,
      );
      expect(refused.stdout).toMatch(
        /^dqlite leader: 10\.0\.0\.12:19001 \(its node not named: API server \S+ answered 500 to list nodes /m,
      );
      c.api.intercept = (_req, _res, url) => url.pathname === '/api/v1/nodes';
      const hung = await runBuilt('check_leases', [...args, '--dqlite-bin', cli]);
      expect(hung.code).toBe(2);
      expect(hung.stdout).toMatch(/^dqlite leader: 10\.0\.0\.12:19001 \(its node not named: timed out after \S+ while listing nodes\)$/m);
      // Without a dqlite CLI the Nodes are not needed at all.
      const alone = await runBuilt('check_leases', [...args, '--dqlite-bin', join(backend, 'no-such-cli')]);
      expect(alone.code).toBe(2);
      expect(alone.first).toMatch(/^LEASES CRITICAL - leaders: kcm k8s01, scheduler k8s03, scheduler lease expired /);
    } finally {
      here.close();
    }
  });
});

describe('check_leases without a state file it can write', () => {
  it('UNKNOWN on every run, saying churn is not judged; an expired lease is still CRITICAL', async () => {
    healthy();
    // A directory given as the state file: left as it is, for root too.
    const state = mkdtempSync(join(tmpdir(), 'mk8s-state-'));
    for (const run of ['first', 'second']) {
      const r = await runBuilt('check_leases', [...kc(), '--state-file', state]);
      expect(r.code, run).toBe(3);
      expect(r.first, run).toMatch(
        new RegExp(
          `^LEASES UNKNOWN - leaders: kcm k8s01, scheduler k8s03, leaseTransitions cannot be kept in ${state} ` +
            '\\(it is a directory, not a file: left as it is\\): leadership churn not judged \\(fix: ',
        ),
      );
      expect(r.stdout.match(/cannot be kept/g), run).toHaveLength(1);
    }
    c.api.clear('leases');
    c.api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s03', { renewedAgo: 300 }));
    const expired = await runBuilt('check_leases', [...kc(), '--state-file', state]);
    expect(expired.code).toBe(2);
    expect(expired.first).toMatch(/scheduler lease expired .*, leaseTransitions cannot be kept in /);
  });
});

describe('check_leases beside a real dqlite', () => {
  // The v1 CLI (Debian's go-dqlite) blocks for good on .leader once quorum is gone (DOMAIN.md,
  // "Finding the leader"): the leases are judged all the same, within -t, and the leader is named
  // when the CLI answers.
  it.skipIf(dqliteUnavailable())(
    'names the dqlite leader; with quorum lost the blocked CLI costs no verdict',
    async () => {
      healthy();
      const dq = await startDqlite(3);
      try {
        const backend = dq.nodes[0]!.backend;
        const state = join(mkdtempSync(join(tmpdir(), 'mk8s-state-')), 'leases.json');
        // --dqlite-backend: check_leases' old name for --backend-dir, still taken.
        const args = (dir = '--backend-dir') => [...kc(), '--state-file', state, '--dqlite-bin', DQLITE_CLI, dir, backend, '-t', '6'];
        const up = await runBuilt('check_leases', args());
        expect(up.code).toBe(0);
        expect(up.stdout).toContain(`dqlite leader: ${dq.leader()!.address}`);
        await dq.nodes[1]!.stop();
        await dq.nodes[2]!.stop();
        // Until the survivor's own election timeout it still names itself: wait until the CLI blocks.
        await dq.until(() => dq.cli(dq.nodes[0]!, '.leader', 2000) === '', 30_000, 'the CLI to find no leader');
        c.api.clear('leases');
        c.api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s03', { renewedAgo: 300 }));
        const lost = await runBuilt('check_leases', args('--dqlite-backend'));
        expect(lost.code).toBe(2);
        expect(lost.first).toMatch(/^LEASES CRITICAL - .*no kube-scheduler is leading/);
        expect(lost.first).toContain('dqlite unknown');
        expect(lost.stdout).toMatch(/dqlite leader: no answer from the dqlite CLI in \d+(\.\d+)?s/);
        // Within -t (6 s) and the launcher's start-up, with room for a loaded machine: a CLI the
        // check waited on for good would have ended it UNKNOWN at -t instead (the code above).
        expect(lost.ms).toBeLessThan(6000 + 6000);
      } finally {
        await dq.stop();
      }
    },
    90_000,
  );
});

describe('check_scheduling', () => {
  it('counts pods waiting past --min-age and calls a scheduler that has not looked at one, binding nothing, stalled', async () => {
    healthy();
    c.api.add('pods', pod({ namespace: 'web', name: 'frontend-6b8f9c7d5-aaaaa', node: 'k8s01', ip: '10.1.12.10', startedAgo: 3600 }));
    const ok = await runBuilt('check_scheduling', kc());
    expect(ok.code).toBe(0);
    expect(ok.first).toMatch(/^SCHEDULING OK - 0 pods unscheduled for over 5m, newest bind 1h\d*m? ago/);
    // As the API server keeps a pod no scheduler has tried: Pending, no condition (a scheduler that
    // tried and failed writes PodScheduled=False), so its watch never brought the pod.
    const unseen = unschedulablePod('web', 'frontend-6b8f9c7d5-bbbbb', 600);
    Reflect.deleteProperty(unseen.status, 'conditions');
    c.api.add('pods', unseen);
    const stalled = await runBuilt('check_scheduling', kc());
    expect(stalled.code).toBe(2);
    expect(stalled.perf.unscheduled).toBe('1;0;5;0');
    expect(stalled.first).toMatch(/no pod bound anywhere since the oldest waiting one arrived 10m\d*s? ago: the scheduler looks stalled/);
    expect(stalled.stdout).toMatch(/web\/frontend-6b8f9c7d5-bbbbb waiting 10m\d*s?: not scheduled yet/);
  });

  it("a pod the scheduler judged unschedulable (it fits no node) is counted, but says the scheduler works: never 'stalled'", async () => {
    healthy();
    c.api.add('pods', pod({ namespace: 'web', name: 'frontend-6b8f9c7d5-aaaaa', node: 'k8s01', ip: '10.1.12.10', startedAgo: 3600 }));
    // A quiet cluster, no other pod created since: one pod asking for more memory than any node has.
    const big = unschedulablePod('ml', 'train-resnet-6d9f8b7c4-x7k2p', 600);
    big.status.conditions[0]!.message =
      '0/3 nodes are available: 3 Insufficient memory. ' +
      'preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
    c.api.add('pods', big);
    const r = await runBuilt('check_scheduling', kc());
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^SCHEDULING WARNING - 1 pod unscheduled for over 5m, newest bind 1h\d*m? ago \| unscheduled=1;0;5;0 /);
    expect(r.stdout).toMatch(/ml\/train-resnet-6d9f8b7c4-x7k2p waiting 10m\d*s?: 0\/3 nodes are available: 3 Insufficient memory/);
    expect(r.stdout).toMatch(/the scheduler judged 1 of them unschedulable/);
  });

  // The pod judged 20 minutes ago says nothing of the scheduler now: one created since that it never
  // wrote on says it stalled. The first line said 'since the oldest waiting one arrived 10m ago' above
  // a pod waiting 20m, and the long output 'it sees new pods' below 'the scheduler looks stalled'.
  it('a pod it judged before, one it never looked at since: stalled, dated by the one not looked at, not "it sees new pods"', async () => {
    healthy();
    c.api.add('pods', pod({ namespace: 'web', name: 'frontend-6b8f9c7d5-aaaaa', node: 'k8s01', ip: '10.1.12.10', startedAgo: 3600 }));
    const big = unschedulablePod('ml', 'train-resnet-6d9f8b7c4-x7k2p', 1200);
    big.status.conditions[0]!.message = '0/3 nodes are available: 3 Insufficient memory.';
    const unseen = unschedulablePod('web', 'frontend-6b8f9c7d5-bbbbb', 600);
    Reflect.deleteProperty(unseen.status, 'conditions');
    c.api.add('pods', big, unseen);
    const r = await runBuilt('check_scheduling', kc());
    expect(r.code).toBe(2);
    expect(r.first).toMatch(
      /no pod bound anywhere since the oldest waiting one it has not judged arrived 10m\d*s? ago: the scheduler looks stalled/,
    );
    expect(r.stdout).toMatch(/ml\/train-resnet-6d9f8b7c4-x7k2p waiting 20m\d*s?: 0\/3 nodes are available: 3 Insufficient memory/);
    expect(r.stdout).not.toContain('it sees new pods');
    expect(r.stdout).toContain("Stale scheduler informer cache: find the leader's node");
  });

  it("Pending, bound and pulling its image, is its kubelet's; unschedulable under --min-age, not yet: neither counted", async () => {
    healthy();
    c.api.add('pods', pod({ namespace: 'web', name: 'frontend-6b8f9c7d5-aaaaa', node: 'k8s01', ip: '10.1.12.10', startedAgo: 3600 }));
    // Bound to k8s02 20 minutes ago (PodScheduled True), its image not pulled since: Pending, the kubelet's to start.
    const pulling = pod({
      namespace: 'web',
      name: 'frontend-6b8f9c7d5-ccccc',
      node: 'k8s02',
      ip: '10.1.13.7',
      phase: 'Pending',
      startedAgo: 1200,
    });
    const waitingImage = pulling.status.containerStatuses[0]!;
    Object.assign(waitingImage, {
      state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "nginx:1.27"' } },
      lastState: {},
      imageID: '',
      started: false,
    });
    Reflect.deleteProperty(waitingImage, 'containerID');
    c.api.add('pods', pulling, unschedulablePod('web', 'frontend-6b8f9c7d5-ddddd', 120));
    const r = await runBuilt('check_scheduling', kc());
    expect(r.code, r.stdout).toBe(0);
    expect(r.first).toMatch(/^SCHEDULING OK - 0 pods unscheduled for over 5m, newest bind 20m\d*s? ago \| unscheduled=0;0;5;0 /);
    // The newest pod is the one waiting 2 minutes: created 122 s ago.
    expect(r.perf.newest_pod_age).toMatch(/^12\d(?:\.\d+)?s;;;0$/);
    // Bound by the scheduler, not given its node at creation; the newest bind on each node is said.
    expect(r.stdout).not.toMatch(/given its node directly/);
    expect(r.stdout).toMatch(/^newest pod on k8s01 bound 1h\d*m? ago$/m);
    expect(r.stdout).toMatch(/^newest pod on k8s02 bound 20m\d*s? ago$/m);
  });

  it('a pod being deleted waits for no scheduler: an unbound Job pod kept by its job-tracking finalizer is not counted', async () => {
    healthy();
    c.api.add('pods', pod({ namespace: 'web', name: 'frontend-6b8f9c7d5-aaaaa', node: 'k8s01', ip: '10.1.12.10', startedAgo: 3600 }));
    // Its Job deleted 5 minutes ago: the API server marks the unbound pod, the job controller has yet to drop the finalizer.
    const gone = unschedulablePod('batch', 'reindex-29383920-x7k2q', 900);
    const deleted = new Date(Date.now() - 300_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    Object.assign(gone.metadata, {
      deletionTimestamp: deleted,
      deletionGracePeriodSeconds: 0,
      finalizers: ['batch.kubernetes.io/job-tracking'],
      ownerReferences: [
        { apiVersion: 'batch/v1', kind: 'Job', name: 'reindex-29383920', uid: randomUUID(), controller: true, blockOwnerDeletion: true },
      ],
    });
    c.api.add('pods', gone);
    const r = await runBuilt('check_scheduling', kc());
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^SCHEDULING OK - 0 pods unscheduled for over 5m, newest bind 1h\d*m? ago \| unscheduled=0;0;5;0 /);
  });

  it('a pod given its node directly (kubectl debug node/) waits for that kubelet, not the scheduler: never "stalled"', async () => {
    healthy();
    c.api.add('pods', pod({ namespace: 'web', name: 'frontend-6b8f9c7d5-aaaaa', node: 'k8s01', ip: '10.1.12.10', startedAgo: 3600 }));
    // As `kubectl debug node/k8s02 -it --image=busybox` makes it, its node's kubelet down: spec.nodeName set at
    // creation (no scheduler binds it), tolerating every taint, and no condition, since no kubelet ever synced it.
    const debug = pod({ namespace: 'default', name: 'node-debugger-k8s02-x7k2p', node: 'k8s02', phase: 'Pending', startedAgo: 1800 });
    Object.assign(debug.spec, {
      hostNetwork: true,
      hostPID: true,
      hostIPC: true,
      restartPolicy: 'Never',
      tolerations: [{ operator: 'Exists' }],
    });
    Object.assign(debug, { status: { phase: 'Pending', qosClass: 'BestEffort' } });
    c.api.add('pods', debug);
    const r = await runBuilt('check_scheduling', kc());
    expect(r.code, r.stdout).toBe(0);
    expect(r.first).toMatch(/^SCHEDULING OK - 0 pods unscheduled for over 5m, newest bind 1h\d*m? ago \| unscheduled=0;0;5;0 /);
    expect(r.stdout.split('\n')).toContain(
      '1 pod given its node directly (spec.nodeName), not yet started by its kubelet, not counted: ' +
        'default/node-debugger-k8s02-x7k2p (k8s02)',
    );
  });

  it('a pod for another scheduler (spec.schedulerName) waits, counted, but says nothing of kube-scheduler: never "stalled"', async () => {
    healthy();
    c.api.add('pods', pod({ namespace: 'web', name: 'frontend-6b8f9c7d5-aaaaa', node: 'k8s01', ip: '10.1.12.10', startedAgo: 3600 }));
    // Volcano's pod, Volcano not running (uninstalled, or a schedulerName mistyped): kube-scheduler leaves a pod
    // of another scheduler alone, so it has no PodScheduled condition at all.
    const other = pod({ namespace: 'ml', name: 'train-resnet-0', node: '', phase: 'Pending', startedAgo: 1200 });
    Reflect.deleteProperty(other.spec, 'nodeName');
    Object.assign(other.spec, { schedulerName: 'volcano' });
    Object.assign(other, { status: { phase: 'Pending', qosClass: 'BestEffort' } });
    c.api.add('pods', other);
    const r = await runBuilt('check_scheduling', kc());
    expect(r.code, r.stdout).toBe(1);
    expect(r.first).toMatch(/^SCHEDULING WARNING - 1 pod unscheduled for over 5m, newest bind 1h\d*m? ago \| unscheduled=1;0;5;0 /);
    expect(r.stdout).toMatch(
      /^ml\/train-resnet-0 waiting 20m\d*s?: for scheduler volcano \(spec\.schedulerName\), not default-scheduler: not scheduled yet$/m,
    );
  });

  it("a pod held by scheduling gates (Kueue's admission) is no scheduler's to bind: not counted, never 'stalled', said", async () => {
    healthy();
    c.api.add('pods', pod({ namespace: 'web', name: 'frontend-6b8f9c7d5-aaaaa', node: 'k8s01', ip: '10.1.12.10', startedAgo: 3600 }));
    // As the API server keeps it while spec.schedulingGates is not empty (Kubernetes 1.30+).
    const gated = unschedulablePod('ml', 'train-resnet-4xk2p', 1200);
    Object.assign(gated.spec, { schedulingGates: [{ name: 'kueue.x-k8s.io/admission' }] });
    Object.assign(gated.status.conditions![0]!, {
      reason: 'SchedulingGated',
      message: 'Scheduling is blocked due to non-empty scheduling gates',
    });
    c.api.add('pods', gated);
    const r = await runBuilt('check_scheduling', kc());
    expect(r.code, r.stdout).toBe(0);
    expect(r.first).toMatch(/^SCHEDULING OK - 0 pods unscheduled for over 5m, newest bind 1h\d*m? ago \| unscheduled=0;0;5;0 /);
    expect(r.stdout).toMatch(
      /^1 pod held by scheduling gates \(spec\.schedulingGates\), not counted: ml\/train-resnet-4xk2p \(kueue\.x-k8s\.io\/admission\)$/m,
    );
  });
});

describe.skipIf(!haveJournalRemote)('check_restart_preflight', () => {
  // A healthy MicroK8s node under the gate: systemd and the dqlite CLI stand-ins; its one dqlite
  // voter listens on 127.0.0.1, which is k8s01's InternalIP here.
  let here: HealthyNode;
  beforeAll(async () => {
    here = await healthyNode();
  });
  afterAll(() => here.close());
  const healthy = () => {
    c.api.add(
      'nodes',
      node({ name: 'k8s01', ip: '127.0.0.1' }),
      node({ name: 'k8s02', ip: '10.0.0.12' }),
      node({ name: 'k8s03', ip: '10.0.0.13' }),
    );
    renewLeases();
  };
  /** The leader leases, and each kubelet's node Lease renewed `ago` seconds ago (the others a few seconds before). */
  const renewLeases = (ago = 2) => {
    c.api.clear('leases');
    c.api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s03'));
    c.api.add('leases', ...['k8s01', 'k8s02', 'k8s03'].map((n, i) => nodeLease(n, { renewedAgo: ago + i * 3 })));
  };
  const preflight = (args: string[]) =>
    runBuilt('check_restart_preflight', [...args, ...here.dqliteArgs], { env: { ...process.env, PATH: here.path } });
  const quiet = (): Entry[] => [
    { age: 900, service: KUBELITE, message: 'Starting kubelite' },
    {
      age: 30,
      service: KUBELITE,
      message: klog(at(30), 'I', KUBELITE.pid, 'job_controller.go:562', '"enqueueing job" key="ops/backup-29361840"'),
    },
  ];

  it('GO on a healthy cluster, with the sequence', async () => {
    healthy();
    const r = await preflight([...kc(), '--node', 'k8s02', '--journal-file', makeJournal(quiet())]);
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^RESTART-PREFLIGHT OK - GO: kubelite on k8s02 may be restarted \| blockers=0;;0;0$/);
    // The gate and the dqlite view it reads share one list of the Nodes.
    expect(c.api.requests.filter((q) => q.path === '/api/v1/nodes')).toHaveLength(1);
    expect(r.stdout).toMatch(/kubectl cordon k8s02/);
  });

  it('GO past a storm of 7 minutes ago: the lines of an entry of several lines are of its time, not the last 5 minutes', async () => {
    healthy();
    // kubelite's message of several lines 7 minutes ago (inside --settle's 10, before the storm checks' 5):
    // each of its lines after the first says 'database is locked', and carries no stamp of its own.
    const storm = ['E1207 status.go:71] errors:', ...Array.from({ length: 8 }, () => '  exec (try: 500): database is locked')];
    const r = await preflight([
      ...kc(),
      ...['--node', 'k8s02', '--journal-file', makeJournal([...quiet(), { age: 420, service: KUBELITE, message: storm.join('\n') }])],
    ]);
    expect(r.first).toMatch(/^RESTART-PREFLIGHT OK - GO: kubelite on k8s02 may be restarted \| blockers=0;;0;0$/);
    expect(r.code).toBe(0);
  });

  it("NO-GO while this API server's watch cache froze 5 minutes ago, as check_watch_cache judges it; GO while it follows", async () => {
    healthy();
    const journal = makeJournal(quiet());
    const follows = await preflight([...kc(), '--node', 'k8s02', '--journal-file', journal]);
    expect(follows.first).toMatch(/^RESTART-PREFLIGHT OK - GO: kubelite on k8s02 may be restarted \|/);
    // The cache froze when the node leases were last renewed 5 minutes ago; storage went on renewing.
    renewLeases(300);
    c.api.freezeCache();
    renewLeases();
    const frozen = await preflight([...kc(), '--node', 'k8s02', '--journal-file', journal]);
    expect(frozen.code).toBe(2);
    expect(frozen.first).toMatch(
      /^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: watch-cache CRITICAL: watch cache 4m5\ds behind storage \(node lease k8s01\) \|/,
    );
    // Its remedy is check_watch_cache's own long output, not repeated here.
    expect(frozen.stdout).not.toMatch(/daemon-k8s-dqlite\.service; sleep 10/);
    // Node leases it may not list: whether the cache follows cannot be established, so no GO.
    c.api.faults.push({ path: '/kube-node-lease/leases', status: 403, times: 100 });
    const unread = await preflight([...kc(), '--node', 'k8s02', '--journal-file', journal]);
    expect(unread.code).toBe(2);
    expect(unread.first).toMatch(/^RESTART-PREFLIGHT CRITICAL - NO-GO: cannot establish that the cluster is healthy: .*kube-node-lease/);
  });

  it('WARNING when the node holds the kcm lease: restart a non-leader first', async () => {
    healthy();
    const r = await preflight([...kc(), '--node', 'k8s01', '--journal-file', makeJournal(quiet())]);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/GO with care for k8s01: k8s01 holds the kube-controller-manager lease/);
  });

  it('NO-GO during a lock storm, after a recent kubelite restart, or with a node NotReady', async () => {
    healthy();
    const storm = makeJournal([
      ...quiet(),
      ...Array.from({ length: 12 }, (_, i) => ({ age: 10 + i * 10, service: DQLITE, message: logrus(at(10 + i * 10), 'error', LOCK_TXN) })),
    ]);
    const r = await preflight([...kc(), '--node', 'k8s02', '--journal-file', storm]);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(
      /^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: dqlite-lock WARNING: 12 'database is locked' lines in the last 5m/,
    );
    expect(r.stdout).toMatch(/kine-retries CRITICAL: 12 k8s-dqlite errors at the full retry budget/);
    expect(r.stdout).toMatch(/^Do not restart now: let the cluster absorb the write backlog, fix the above, then ask again\.$/m);
    const restarted = makeJournal([{ age: 120, service: KUBELITE, message: 'Starting kubelite' }]);
    const recent = await preflight([...kc(), '--node', 'k8s02', '--journal-file', restarted]);
    expect(recent.code).toBe(2);
    expect(recent.first).toMatch(/NO-GO for k8s02: kubelite restarted 2m\d*s? ago \(settle 10m\)/);
    c.api.add('nodes', node({ name: 'k8s04', ip: '10.0.0.14', ready: false }));
    const down = await preflight([...kc(), '--node', 'k8s02', '--journal-file', makeJournal(quiet())]);
    expect(down.code).toBe(2);
    expect(down.first).toMatch(/NO-GO for k8s02: node k8s04 is not Ready/);
    // No storm in sight: what to do next is the blocker's own fix, not waiting for a write backlog.
    expect(down.stdout).toMatch(/^Do not restart now: fix the above, then ask again\.$/m);
    expect(down.stdout).not.toMatch(/backlog/);
  });

  it("NO-GO while a Ready node's kubelet has not renewed its Lease for 5 minutes: a node down its Node does not show", async () => {
    // k8s03's kubelet stopped 5 minutes ago (its last status 2 minutes before that); a controller-manager
    // working from a stale cache never marked it NotReady. The others renewed just now.
    const cluster = (k8s03: { renewedAgo: number } | 'no lease', ready = true) => {
      c.api.reset();
      c.api.add(
        'nodes',
        node({ name: 'k8s01', ip: '127.0.0.1' }),
        node({ name: 'k8s02', ip: '10.0.0.12' }),
        node({ name: 'k8s03', ip: '10.0.0.13', heartbeatAgo: 420, ready }),
      );
      c.api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s01'));
      c.api.add('leases', nodeLease('k8s01', { renewedAgo: 1 }), nodeLease('k8s02', { renewedAgo: 2 }));
      if (k8s03 !== 'no lease') c.api.add('leases', nodeLease('k8s03', k8s03));
    };
    const journal = makeJournal(quiet());
    cluster({ renewedAgo: 300 });
    const silent = await preflight([...kc(), '--node', 'k8s02', '--journal-file', journal]);
    expect(silent.code, silent.stdout).toBe(2);
    expect(silent.first).toMatch(
      pattern(
        /^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: node k8s03's kubelet has not renewed its Lease for 5m\d*s? \(duration 40s\) /,
        /yet the Node reads Ready \| blockers=1;;0;0$/,
      ),
    );
    // What it likely means and what to do, as the runbook would: k8s03 first, then the controller-manager's cache.
    expect(silent.stdout).toMatch(/^A Node read Ready while its kubelet is silent \(k8s03 above\) is likely down: .* stale cache\.$/m);
    expect(silent.stdout).toMatch(/ssh k8s03 systemctl status snap\.microk8s\.daemon-kubelite\.service/);
    // The node leases the watch cache is judged by, read once from storage and once from the cache: no request more.
    expect(c.api.requests.filter((q) => q.path.endsWith('/namespaces/kube-node-lease/leases'))).toHaveLength(2);
    // In `all`, the same, check_nodes too: the node leases read once from storage (the watch cache, the gate and
    // check_nodes) and once from the cache.
    c.api.requests.length = 0;
    const all = await runBuilt(
      'microk8s-checks',
      ['all', ...kc(), '--node', 'k8s02', '--journal-file', journal, ...here.dqliteArgs, ...here.servicesArgs, '--format', 'json'],
      { env: { ...process.env, PATH: here.path } },
    );
    const rows = JSON.parse(all.stdout) as { check: string; summary: string }[];
    expect(rows.find((x) => x.check === 'RESTART-PREFLIGHT')?.summary).toMatch(
      /^NO-GO for k8s02: node k8s03's kubelet has not renewed its Lease for 5m\d*s? \(duration 40s\) yet the Node reads Ready$/,
    );
    expect(rows.find((x) => x.check === 'NODES')?.summary).toMatch(
      /^3 nodes, all Ready, kubelet silent on k8s03 \(no Lease renewed for 5m\d*s?\)$/,
    );
    const leaseReads = c.api.requests.filter((q) => q.path.endsWith('/namespaces/kube-node-lease/leases') && !q.query.continue);
    expect(leaseReads.map((q) => q.query.resourceVersion)).toEqual([undefined, '0']);
    // No Lease at all, its last status 7 minutes old: its kubelet's heartbeat is not there either.
    cluster('no lease');
    const none = await preflight([...kc(), '--node', 'k8s02', '--journal-file', journal]);
    expect(none.code, none.stdout).toBe(2);
    expect(none.first).toMatch(
      pattern(
        /NO-GO for k8s02: node k8s03 has no Lease in kube-node-lease /,
        /and its kubelet last posted its status 7m\d*s? ago, yet the Node reads Ready \|/,
      ),
    );
    // The cluster says NotReady already: that blocker alone, not a second one for its Lease.
    cluster({ renewedAgo: 300 }, false);
    const down = await preflight([...kc(), '--node', 'k8s02', '--journal-file', journal]);
    expect(down.first).toMatch(/^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: node k8s03 is not Ready \| blockers=1;;0;0$/);
    // Renewed 40 s ago: within the controller-manager's node-monitor-grace-period (50 s by default), so GO.
    cluster({ renewedAgo: 40 });
    const late = await preflight([...kc(), '--node', 'k8s02', '--journal-file', journal]);
    expect(late.first, late.stdout).toMatch(/^RESTART-PREFLIGHT OK - GO: kubelite on k8s02 may be restarted \|/);
  });

  it("NO-GO while a Deployment's controller has not observed its spec for 10 minutes: the runbook waits for it", async () => {
    healthy();
    c.api.add(
      'deployments',
      deployment({ namespace: 'web', name: 'checkout', generation: 5, observedGeneration: 4, specChangedAgo: 600 }),
      deployment({ namespace: 'web', name: 'cart' }),
    );
    const r = await preflight([...kc(), '--node', 'k8s02', '--journal-file', makeJournal(quiet())]);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(
      /^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: observed-generation WARNING: 1 of 2 Deployments lagging past 2m, web\/checkout \|/,
    );
    // Lags alone: no ReplicaSet or pod list for phantoms.
    expect(c.api.requests.filter((q) => /replicasets|pods/.test(q.path))).toEqual([]);
  });

  it('a kubelite start 7 minutes ago, before the 5 minutes storms are judged over, is inside --settle: NO-GO', async () => {
    healthy();
    const restarted = makeJournal([...quiet(), { age: 420, service: KUBELITE, message: 'Starting kubelite' }]);
    const r = await preflight([...kc(), '--node', 'k8s02', '--journal-file', restarted]);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: kubelite restarted 7m\d*s? ago \(settle 10m\)/);
  });

  it('a lock storm that ended before the last 5 minutes, kubelite settled: GO, as dqlite-lock and kine-retries judge now', async () => {
    healthy();
    const drained = makeJournal([
      ...quiet(),
      ...Array.from({ length: 12 }, (_, i) => 330 + i * 10).map((age) => ({
        age,
        service: DQLITE,
        message: logrus(at(age), 'error', LOCK_TXN),
      })),
    ]);
    const r = await preflight([...kc(), '--node', 'k8s02', '--journal-file', drained]);
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^RESTART-PREFLIGHT OK - GO: kubelite on k8s02 may be restarted \| blockers=0;;0;0$/);
    // A GO says which journals it judged calm: without --host only the one given (or this host's).
    expect(r.stdout).toContain(`\njournals judged calm over the last 5m: ${drained}\n`);
  });

  it('a pasted kubelite start that lost its stamp cannot be dated: taken as now, NO-GO, never GO', async () => {
    healthy();
    const r = await runBuilt('check_restart_preflight', [...kc(), '--node', 'k8s02', '--log-file', '-', ...here.dqliteArgs], {
      env: { ...process.env, PATH: here.path },
      input: 'microk8s.daemon-kubelite[53319]: Starting kubelite\n',
    });
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: kubelite restarted 1s ago \(settle 10m\)/);
  });

  it("kubelite started 4m ago by systemd's monotonic clock, its journal's start stamped 3h ago (clock stepped since): NO-GO", async () => {
    healthy();
    // No hardware clock: kubelite started after a reboot with the wall clock 3 hours behind, and NTP
    // stepped it forward since. systemd's wall stamp and the journal's lines read 3 hours old, the
    // monotonic stamp (CLOCK_MONOTONIC, never stepped) 4 minutes.
    const stepped = Date.now() - 3 * 3600_000;
    const systemd = systemctlStandIn([unit(DQLITE.unit, { upFor: 3600 }), unit(KUBELITE.unit, { upFor: 240, wallSince: stepped })]);
    const journal = makeJournal([
      { age: 3 * 3600, service: KUBELITE, message: 'Starting kubelite' },
      bySystemd(3 * 3600, KUBELITE, 'Started Service for snap application microk8s.daemon-kubelite.'),
      quiet()[1]!,
    ]);
    const r = await runBuilt('check_restart_preflight', [...kc(), '--node', 'k8s02', '--journal-file', journal, ...here.dqliteArgs], {
      env: { ...process.env, PATH: systemd.path },
    });
    expect(r.first, r.stdout).toMatch(
      /^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: kubelite restarted 4m\d*s? ago \(settle 10m\) \| blockers=1;;0;0$/,
    );
    expect(r.code).toBe(2);
    // Asked in the one systemctl show that asks about k8s-dqlite.
    expect(readFileSync(systemd.log, 'utf8')).toMatch(
      /^show .* -- snap\.microk8s\.daemon-k8s-dqlite\.service snap\.microk8s\.daemon-kubelite\.service$/m,
    );
  });

  it('kubelite auto-restarting, reloading or stopping, its ExecMainStart an hour old: NO-GO naming its state, never GO', async () => {
    healthy();
    const states: [Unit, string][] = [
      [
        unit(KUBELITE.unit, { upFor: 3600, active: 'activating', sub: 'auto-restart', result: 'exit-code', restarts: 3 }),
        'activating (exit-code)',
      ],
      [unit(KUBELITE.unit, { upFor: 3600, active: 'reloading', sub: 'reload' }), 'reloading'],
      [unit(KUBELITE.unit, { upFor: 3600, active: 'deactivating', sub: 'stop-sigterm' }), 'deactivating'],
    ];
    for (const [kubelite, state] of states) {
      const systemd = systemctlStandIn([unit(DQLITE.unit, { upFor: 3600 }), kubelite]);
      const args = [...kc(), '--node', 'k8s02', '--journal-file', makeJournal(quiet()), ...here.dqliteArgs];
      const r = await runBuilt('check_restart_preflight', args, { env: { ...process.env, PATH: systemd.path } });
      expect(r.first, r.stdout).toBe(`RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: kubelite is ${state} | blockers=1;;0;0`);
      expect(r.code).toBe(2);
    }
  });

  it('a dqlite CLI it cannot ask is GO with care, never a plain GO: whether --node leads dqlite is not known', async () => {
    healthy();
    const backend = here.dqliteArgs[here.dqliteArgs.indexOf('--backend-dir') + 1]!;
    const r = await runBuilt(
      'check_restart_preflight',
      [...kc(), '--node', 'k8s01', '--journal-file', makeJournal(quiet()), '--dqlite-bin', '/nonexistent/dqlite', '--backend-dir', backend],
      { env: { ...process.env, PATH: here.path } },
    );
    expect(r.code).toBe(1);
    expect(r.first).toMatch(
      pattern(
        /^RESTART-PREFLIGHT WARNING - GO with care for k8s01: .*/,
        /cannot tell whether k8s01 leads dqlite \(no dqlite CLI at \/nonexistent\/dqlite /,
      ),
    );
  });

  it('NO-GO while another node is cordoned or any node tainted; --node cordoned itself is GO', async () => {
    const journal = makeJournal(quiet());
    healthy();
    c.api.add('nodes', node({ name: 'k8s04', ip: '10.0.0.14', unschedulable: true }));
    const cordoned = await preflight([...kc(), '--node', 'k8s02', '--journal-file', journal]);
    expect(cordoned.code).toBe(2);
    expect(cordoned.first).toMatch(
      /^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: node k8s04 is cordoned \(an earlier restart not finished\?\)/,
    );
    const itself = await preflight([...kc(), '--node', 'k8s04', '--journal-file', journal]);
    expect(itself.code).toBe(0);
    c.api.clear('nodes');
    c.api.add(
      'nodes',
      node({ name: 'k8s01', ip: '127.0.0.1' }),
      node({ name: 'k8s02', ip: '10.0.0.12' }),
      node({ name: 'k8s04', ip: '10.0.0.14', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
    );
    const tainted = await preflight([...kc(), '--node', 'k8s02', '--journal-file', journal]);
    expect(tainted.code).toBe(2);
    expect(tainted.first).toMatch(/NO-GO for k8s02: node k8s04 is tainted: dedicated=gpu:NoSchedule/);
    const allowed = await preflight([...kc(), '--node', 'k8s02', '--journal-file', journal, '--allow-taint', 'dedicated=gpu']);
    expect(allowed.code).toBe(0);
    // Ready again after a restart, the not-ready taint never lifted (a stale controller-manager): new pods stay off it.
    c.api.clear('nodes');
    c.api.add(
      'nodes',
      node({ name: 'k8s01', ip: '127.0.0.1' }),
      node({ name: 'k8s02', ip: '10.0.0.12' }),
      node({ name: 'k8s04', ip: '10.0.0.14', taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] }),
    );
    const left = await preflight([...kc(), '--node', 'k8s02', '--journal-file', journal]);
    expect(left.code).toBe(2);
    expect(left.first).toMatch(/NO-GO for k8s02: node k8s04 is tainted: node\.kubernetes\.io\/not-ready:NoSchedule/);
  });

  it("NO-GO while a node is under pressure, said by the kubelet's condition, not as the taint mirroring it", async () => {
    const journal = makeJournal(quiet());
    const tight = pressed(
      node({ name: 'k8s04', ip: '10.0.0.14' }),
      'MemoryPressure',
      'KubeletHasInsufficientMemory',
      'kubelet has insufficient memory available',
    );
    Object.assign(tight.spec, { taints: [{ key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }] });
    healthy();
    c.api.add('nodes', tight);
    const r = await preflight([...kc(), '--node', 'k8s02', '--journal-file', journal]);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(
      pattern(
        /^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: node k8s04 has MemoryPressure /,
        /\(KubeletHasInsufficientMemory: kubelet has insufficient memory available\) \|/,
      ),
    );
    expect(r.stdout).not.toMatch(/is tainted/);
  });

  it('-t reached: the NO-GO names the source still unread (a hung API server), not the journal read long before', async () => {
    healthy();
    c.api.delayMs = 10_000;
    const r = await preflight([...kc(), '--node', 'k8s02', '-t', '2', '--journal-file', makeJournal(quiet())]);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(
      /^RESTART-PREFLIGHT CRITICAL - NO-GO: cannot establish that the cluster is healthy: timed out after 2s while reading the leader /,
    );
    expect(r.first).not.toMatch(/journal/);
  });

  it('NO-GO is CRITICAL whatever -w/-c say of the count of blockers', async () => {
    healthy();
    const restarted = makeJournal([{ age: 60, service: KUBELITE, message: 'Starting kubelite' }]);
    for (const range of [
      ['-c', '5'],
      ['-w', '5', '-c', '5'],
    ]) {
      const r = await preflight([...kc(), '--node', 'k8s02', ...range, '--journal-file', restarted]);
      expect(r.code, range.join(' ')).toBe(2);
      expect(r.first).toMatch(/^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: kubelite restarted (?:1m|6\ds) ago/);
    }
  });

  it("systemd's own restart of kubelite (a crash loop: no 'Starting kubelite' of its own) is a restart: NO-GO", async () => {
    healthy();
    // As in canonical/microk8s#2324: systemd[1] writes these under UNIT=, and -u shows them. Its job
    // line names the unit by its description; newer systemd (StatusUnitFormat=combined, Debian 12's
    // 252, Ubuntu 24.04's 255) by its name and description, or (StatusUnitFormat=name) its name alone.
    for (const started of [
      'Started Service for snap application microk8s.daemon-kubelite.',
      'Started snap.microk8s.daemon-kubelite.service - Service for snap application microk8s.daemon-kubelite.',
      'Started snap.microk8s.daemon-kubelite.service.',
    ]) {
      const looped = makeJournal([
        ...quiet(),
        bySystemd(125, KUBELITE, 'snap.microk8s.daemon-kubelite.service: Main process exited, code=exited, status=255/EXCEPTION'),
        bySystemd(121, KUBELITE, 'snap.microk8s.daemon-kubelite.service: Scheduled restart job, restart counter is at 124.'),
        bySystemd(120, KUBELITE, started),
      ]);
      const r = await preflight([...kc(), '--node', 'k8s02', '--journal-file', looped]);
      expect(r.code, started).toBe(2);
      expect(r.first).toMatch(/NO-GO for k8s02: kubelite restarted 2m\d*s? ago \(settle 10m\)/);
    }
  });

  it('a k8s-dqlite crash loop slower than 2 minutes (the runbook: one restart every 2m40s) is NO-GO, alone and in `all`', async () => {
    healthy();
    // Up 2m30s now, past check_services' --min-uptime: its state rules see a running unit. Its
    // journal holds systemd's automatic restarts, one every 2m35s, the last three of the loop.
    const systemd = systemctlStandIn([unit(DQLITE.unit, { restarts: 3794, upFor: 150 }), unit(KUBELITE.unit, { upFor: 3600 })]);
    const journal = makeJournal([
      ...quiet(),
      ...[460, 305, 150].flatMap((age, i) => [
        bySystemd(age + 1, DQLITE, 'snap.microk8s.daemon-k8s-dqlite.service: Main process exited, code=exited, status=1/FAILURE'),
        bySystemd(age, DQLITE, `snap.microk8s.daemon-k8s-dqlite.service: Scheduled restart job, restart counter is at ${3792 + i}.`),
        bySystemd(age, DQLITE, 'Started Service for snap application microk8s.daemon-k8s-dqlite.'),
      ]),
    ]);
    const env = { ...process.env, PATH: systemd.path };
    const r = await runBuilt('check_restart_preflight', [...kc(), '--node', 'k8s02', '--journal-file', journal, ...here.dqliteArgs], {
      env,
    });
    expect(r.code).toBe(2);
    // The last crash 2m30s ago when the journal was made; the third run (the cycle) comes seconds later on a loaded machine.
    const crashed = pattern(
      /k8s-dqlite restarted by systemd after a crash 3 times in the last 10m, /,
      /last 2m[3-5]\ds ago \(restart counter is at 3794\)/,
    );
    const noGo = pattern(/^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: /, crashed, / \| blockers=1;;0;0$/);
    expect(r.first).toMatch(noGo);
    const all = await runBuilt(
      'microk8s-checks',
      ['all', ...kc(), '--node', 'k8s02', '--journal-file', journal, ...here.dqliteArgs, ...here.servicesArgs, '--format', 'json'],
      { env },
    );
    const row = (JSON.parse(all.stdout) as { check: string; code: number; summary: string }[]).find((x) => x.check === 'RESTART-PREFLIGHT');
    expect(row?.code).toBe(2);
    expect(row?.summary).toMatch(pattern(/^NO-GO for k8s02: /, crashed, /$/));
    // And in the shared poll cycle, as alone.
    const cache = mkdtempSync(join(tmpdir(), 'mk8s-cycle-'));
    const args = [...kc(), '--node', 'k8s02', '--journal-file', journal, ...here.dqliteArgs, '--cycle', '55'];
    const cycled = await runBuilt('check_restart_preflight', args, { env: { ...env, XDG_CACHE_HOME: cache } });
    expect(cycled.code).toBe(2);
    expect(cycled.first).toMatch(noGo);
  });

  it('a crash systemd restarted k8s-dqlite after 4 minutes ago, its journal line unread (rotated away): NO-GO by systemd', async () => {
    healthy();
    // NRestarts counts systemd's own restarts since the unit last went down another way (a stop,
    // `systemctl restart`: the runbook's recovery flushes it at the next start, service.c): 2 now,
    // the main process up 4 minutes. The journal read holds no restart line.
    const systemd = systemctlStandIn([unit(DQLITE.unit, { restarts: 2, upFor: 240 }), unit(KUBELITE.unit, { upFor: 3600 })]);
    const journal = makeJournal(quiet());
    const run = () =>
      runBuilt('check_restart_preflight', [...kc(), '--node', 'k8s02', '--journal-file', journal, ...here.dqliteArgs], {
        env: { ...process.env, PATH: systemd.path },
      });
    const r = await run();
    expect(r.code, r.stdout).toBe(2);
    expect(r.first).toMatch(/NO-GO for k8s02: k8s-dqlite restarted by systemd after a crash 4m\d*s? ago \(NRestarts 2\), within 10m \|/);
    // Restarted by hand 4 minutes ago (the runbook's recovery: NRestarts flushed to 0): no blocker.
    systemd.set([unit(DQLITE.unit, { restarts: 0, upFor: 240 }), unit(KUBELITE.unit, { upFor: 3600 })]);
    expect((await run()).first).toMatch(/^RESTART-PREFLIGHT OK - GO: /);
  });

  it('a crash whose restart someone asked for while systemd waited to restart it is a crash all the same: NO-GO', async () => {
    healthy();
    const systemd = systemctlStandIn([unit(DQLITE.unit, { restarts: 3795, upFor: 150 }), unit(KUBELITE.unit, { upFor: 3600 })]);
    // Newer systemd's words for a start asked for while the unit waited out its RestartSec after it
    // exited (captured real journals show both forms beside each other).
    const journal = makeJournal([
      ...quiet(),
      bySystemd(151, DQLITE, 'snap.microk8s.daemon-k8s-dqlite.service: Main process exited, code=exited, status=1/FAILURE'),
      bySystemd(
        150,
        DQLITE,
        'snap.microk8s.daemon-k8s-dqlite.service: Scheduled restart job immediately on client request, restart counter is at 3795.',
      ),
      bySystemd(150, DQLITE, 'Started Service for snap application microk8s.daemon-k8s-dqlite.'),
    ]);
    const r = await runBuilt('check_restart_preflight', [...kc(), '--node', 'k8s02', '--journal-file', journal, ...here.dqliteArgs], {
      env: { ...process.env, PATH: systemd.path },
    });
    expect(r.code).toBe(2);
    expect(r.first).toMatch(
      /NO-GO for k8s02: k8s-dqlite restarted by systemd after a crash 1 time in the last 10m, .*\(restart counter is at 3795\)/,
    );
  });
});

describe.skipIf(!haveJournalRemote)('microk8s-checks all', () => {
  type Row = { check: string; code: number; state: string; summary: string; metrics: { label: string }[] };
  /** `all` on a journal file, with the argv of each journalctl it started (through a journalctl that notes them first). */
  const allCounted = async (journal: string): Promise<{ rows: Row[]; started: string[] }> => {
    const bin = mkdtempSync(join(tmpdir(), 'mk8s-path-'));
    const calls = join(bin, 'calls');
    const real = ['/usr/bin/journalctl', '/bin/journalctl'].find(existsSync)!;
    writeFileSync(join(bin, 'journalctl'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${calls}'\nexec ${real} "$@"\n`, { mode: 0o755 });
    const all = await runBuilt(
      'microk8s-checks',
      ['all', ...kc(), '--node', 'k8s02', '--journal-file', journal, '--snap-data', snapData(), '--format', 'json'],
      { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } },
    );
    return { rows: JSON.parse(all.stdout) as Row[], started: readFileSync(calls, 'utf8').trim().split('\n') };
  };
  /** `microk8s-checks all` for k8s02 reading `journal`, with `more`: its JSON rows, by check. */
  const allRows = async (journal: string, ...more: string[]): Promise<Record<string, Row>> => {
    const r = await runBuilt('microk8s-checks', [
      'all',
      ...kc(),
      '--node',
      'k8s02',
      '--journal-file',
      journal,
      ...more,
      '--format',
      'json',
    ]);
    return Object.fromEntries((JSON.parse(r.stdout) as Row[]).map((x) => [x.check, x]));
  };

  it('runs every applicable check concurrently, prints a table and exits with the worst state; JSON for CI', async () => {
    healthy();
    // The cluster runs Calico (calico-node on k8s01), and none on k8s02.
    c.api.add('pods', calicoNode({ name: 'calico-node-cp8hh', node: 'k8s01' }));
    const journal = makeJournal([{ age: 30, service: DQLITE, message: logrus(at(30), 'error', LOCK_TXN) }]);
    // This host as a control-plane node (it is not one: the gate's dqlite view would be left out).
    const args = ['all', ...kc(), '--node', 'k8s02', '--journal-file', journal, '--snap-data', snapData()];
    const json = await runBuilt('microk8s-checks', [...args, '--format', 'json']);
    const rows = JSON.parse(json.stdout) as { check: string; code: number }[];
    const ran = rows.filter((r) => (r as { state?: string }).state !== 'SKIPPED');
    expect(ran.map((r) => r.check).sort()).toEqual([
      'APISERVER',
      'CALICO-ROUTES',
      'CRONJOBS',
      'DQLITE-LOCK',
      'KINE-RETRIES',
      'LEASES',
      'NODES',
      'OBSERVED-GENERATION',
      'POD-RESTARTS',
      'RESTART-PREFLIGHT',
      'SCHEDULING',
      'STALE-JOBS',
      'WATCH-CACHE',
    ]);
    // Where systemd runs, check_services runs too; elsewhere it is listed as skipped, with why.
    expect(rows.map((r) => r.check)).toContain('SERVICES');
    // calico-node is absent on k8s02 in this cluster: CRITICAL, and so the worst.
    expect(rows.find((r) => r.check === 'CALICO-ROUTES')!.code).toBe(2);
    expect(json.code).toBe(2);
    const text = await runBuilt('microk8s-checks', args);
    expect(text.code).toBe(2);
    expect(text.stdout).toMatch(/^CHECK +STATE +SUMMARY$/m);
    expect(text.stdout).toMatch(/^NODES +OK +3 nodes, all Ready/m);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what is tested.
    expect(text.stdout).not.toMatch(/\u001b\[/);
    const colour = await runBuilt('microk8s-checks', [...args, '--color']);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what is tested.
    expect(colour.stdout).toMatch(/\u001b\[31mCRITICAL/);
    // Its speed against the slowest single check is measured by npm run bench (bench/RESULTS.md).
  });

  it('reads the journal in one pass for its three journal checks, and each answers as it does alone', async () => {
    healthy();
    const lock = (age: number): Entry => ({ age, service: DQLITE, message: logrus(at(age), 'error', LOCK_TXN) });
    const journal = makeJournal([
      { age: 900, service: KUBELITE, message: 'Starting kubelite' },
      ...[20, 40, 60, 80, 100, 120].map(lock),
      // Inside restart-preflight's 10-minute window, outside the 5 minutes of the other two: the
      // shared pass reads them, and only restart-preflight may see them.
      ...[420, 440, 460, 480].map(lock),
      { age: 30, service: KUBELITE, message: etcdRetry(at(30), 85, 'context deadline exceeded', '/etcdserverpb.KV/Txn') },
    ]);
    // journalctl as found on PATH, writing down each time it is started.
    const bin = mkdtempSync(join(tmpdir(), 'mk8s-path-'));
    const calls = join(bin, 'calls');
    const real = ['/usr/bin/journalctl', '/bin/journalctl'].find(existsSync)!;
    writeFileSync(join(bin, 'journalctl'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${calls}'\nexec ${real} "$@"\n`, { mode: 0o755 });
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const all = await runBuilt(
      'microk8s-checks',
      ['all', ...kc(), '--node', 'k8s02', '--journal-file', journal, '--snap-data', snapData(), '--format', 'json'],
      { env },
    );
    const rows = JSON.parse(all.stdout) as { check: string; code: number; summary: string }[];
    const started = readFileSync(calls, 'utf8').trim().split('\n');
    const greps = new Set(started.filter((call) => call.includes('--grep=')).map((call) => /--grep=(.*)$/.exec(call)?.[1]));
    expect(greps.size).toBe(1);
    // Whether the journal reaches back over the gate's window is asked once, for the shared pass.
    expect(started.filter((call) => call.includes('--reverse --lines=1 --until='))).toHaveLength(1);
    expect([...greps][0]).toMatch(/database is locked.*try: .*starting kubelite/);
    const alone: [string, string[]][] = [
      ['check_dqlite_lock', ['--journal-file', journal]],
      ['check_kine_retries', ['--journal-file', journal]],
      ['check_restart_preflight', [...kc(), '--node', 'k8s02', '--journal-file', journal]],
    ];
    for (const [command, args] of alone) {
      const r = await runBuilt(command, args);
      const row = rows.find((x) => r.first.startsWith(`${x.check} `))!;
      expect(`${row.check} ${['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'][row.code]} - ${row.summary}`).toBe(r.first.split(' | ')[0]);
      expect(row.code).toBe(r.code);
    }
    expect(rows.find((x) => x.check === 'DQLITE-LOCK')!.summary).toMatch(/^6 /);
  });

  it("a journal that begins inside the gate's window, not the others': the gate NO-GO, each other check as alone", async () => {
    healthy();
    const lock = (age: number): Entry => ({ age, service: DQLITE, message: logrus(at(age), 'error', LOCK_TXN) });
    // Its first entry 7 minutes ago: inside restart-preflight's 10, before dqlite-lock's 5.
    const journal = makeJournal([...[20, 40, 60, 80, 100, 120].map(lock), lock(420)], undefined, { anchor: false });
    const rows = await allRows(journal, '--snap-data', snapData());
    const row = (check: string) => rows[check]!;
    // The gate itself, NO-GO here also for want of systemd; its reach-back alone: trust.test.ts.
    expect(row('RESTART-PREFLIGHT').code).toBe(2);
    for (const command of ['check_dqlite_lock', 'check_kine_retries']) {
      const alone = await runBuilt(command, ['--journal-file', journal]);
      const r = Object.values(rows).find((x) => alone.first.startsWith(`${x.check} `))!;
      expect([r.code, `${r.check} ${['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'][r.code]} - ${r.summary}`]).toEqual([
        alone.code,
        alone.first.split(' | ')[0],
      ]);
    }
    expect(row('DQLITE-LOCK').summary).toMatch(/^6 /);
  });

  it('a journal that begins inside every window: dqlite-lock and kine-retries name the span seen, as alone; one reach-back', async () => {
    healthy();
    const lock = (age: number): Entry => ({ age, service: DQLITE, message: logrus(at(age), 'error', LOCK_TXN) });
    // Its first entry 134 s ago: inside the 5 minutes of dqlite-lock and kine-retries, and the gate's 10.
    const journal = makeJournal([...[20, 40, 60, 80, 100, 120, 134].map(lock)], undefined, { anchor: false });
    const { rows, started } = await allCounted(journal);
    // Asked once for the three readers that ask it (over the widest window); its first entry once.
    expect(started.filter((call) => call.includes('--reverse --lines=1 --until='))).toHaveLength(1);
    expect(started.filter((call) => call.includes('--header'))).toHaveLength(1);
    const row = (check: string) => rows.find((x) => x.check === check)!;
    expect(row('RESTART-PREFLIGHT').code).toBe(2);
    for (const command of ['check_dqlite_lock', 'check_kine_retries']) {
      const alone = await runBuilt(command, ['--journal-file', journal]);
      const r = rows.find((x) => alone.first.startsWith(`${x.check} `))!;
      // The span seen grows by the seconds between the two runs, and the rate with it: those masked.
      const timeless = (text: string) => text.replace(/in the last 2m\d+s/, 'in the last 2mNs').replace(/\(\d+\.\d\/min/, '(N/min');
      expect([r.code, timeless(`${r.check} ${['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'][r.code]} - ${r.summary}`)]).toEqual([
        alone.code,
        timeless(alone.first.split(' | ')[0]!),
      ]);
      expect(r.summary).toMatch(/in the last 2m1\ds \(\S+ begins inside the 5m window, at \S+Z\)/);
    }
    expect(row('DQLITE-LOCK').summary).toMatch(/^7 /);
  });

  it('a journal given that ends inside the window: each journal check as alone, the gate NO-GO; where it ends asked once', async () => {
    healthy();
    const version = (age: number): Entry => ({
      age,
      service: KUBELITE,
      message: klog(at(age), 'I', KUBELITE.pid, 'server.go:123', 'v1.32.3'),
    });
    // A copy taken 3 minutes ago: its newest entry 190 s old, inside every window.
    const journal = makeJournal([version(900), version(190)], undefined, { tail: false });
    const { rows, started } = await allCounted(journal);
    // Its newest entry asked once for the three readers.
    expect(started.filter((call) => /--reverse --lines=1 (?!--until=)/.test(call))).toHaveLength(1);
    const row = (check: string) => rows.find((x) => x.check === check)!;
    expect(row('RESTART-PREFLIGHT').code).toBe(2);
    expect(row('RESTART-PREFLIGHT').summary).toMatch(
      /journal \S+ ends at \S+Z, 3m ago: the last 3m of the 10m window are not in it \(fix: /,
    );
    for (const command of ['check_dqlite_lock', 'check_kine_retries']) {
      const alone = await runBuilt(command, ['--journal-file', journal]);
      expect(alone.code, command).toBe(3);
      expect(alone.first).toMatch(/ UNKNOWN - journal \S+ ends at \S+Z, 3m ago: the last 3m of the 5m window are not in it \(fix: /);
      const r = rows.find((x) => alone.first.startsWith(`${x.check} `))!;
      expect([r.code, `${r.check} ${['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'][r.code]} - ${r.summary}`]).toEqual([
        alone.code,
        alone.first.split(' | ')[0],
      ]);
    }
  });

  it("fits the host: this node's own checks are left out, saying why, where it is no MicroK8s node or a worker", async () => {
    healthy();
    // A healthy k8s02: calico-node Ready and a Running pod, whose route only k8s02's table has.
    c.api.add(
      'pods',
      calicoNode({ name: 'calico-node-x7k2p', node: 'k8s02' }),
      pod({ namespace: 'web', name: 'frontend-7d4b9c-abcde', node: 'k8s02', ip: '10.1.22.7' }),
    );
    const journal = makeJournal([{ age: 30, service: DQLITE, message: logrus(at(30), 'error', LOCK_TXN) }]);
    const rows = (...more: string[]) => allRows(journal, ...more);
    // Not a node (a CI runner, a laptop): no gate, no dqlite, no services, no certificates of its own.
    const laptop = await rows('--snap-data', '/nonexistent/snap');
    for (const check of ['RESTART-PREFLIGHT', 'DQLITE', 'DQLITE-STORAGE', 'SERVICES', 'CERTS', 'CALICO-ROUTES']) {
      expect(laptop[check], check).toMatchObject({ state: 'SKIPPED', summary: expect.stringMatching(/this host is not a MicroK8s node/) });
    }
    // This host's routing table is not k8s02's: judged by it, k8s02's pod would lack its route.
    expect(laptop['CALICO-ROUTES']!.summary).toMatch(/^this host's routing table is no node's \(give --host/);
    expect(laptop.NODES).toMatchObject({ state: 'OK' });
    expect(laptop['DQLITE-LOCK']).toMatchObject({ state: 'OK' });
    // Its own journal holds no MicroK8s unit: the journal checks run only on lines pointed at.
    const noJournal = await runBuilt('microk8s-checks', ['all', ...kc(), '--snap-data', '/nonexistent/snap', '--format', 'json']);
    const ownRows = Object.fromEntries((JSON.parse(noJournal.stdout) as { check: string }[]).map((x) => [x.check, x]));
    for (const check of ['DQLITE-LOCK', 'KINE-RETRIES'])
      expect(ownRows[check], check).toMatchObject({ state: 'SKIPPED', summary: expect.stringMatching(/this host is not a MicroK8s node/) });
    // Given a certificate directory, check_certs runs with it.
    const certs = mkdtempSync(join(tmpdir(), 'mk8s-certdir-'));
    certFile(certs, 'ca.crt', 3650);
    const withCerts = await rows('--snap-data', '/nonexistent/snap', '--cert-dir', certs);
    expect(withCerts.CERTS!.state).not.toBe('SKIPPED');
    expect(withCerts.CERTS!.metrics.map((m) => m.label)).toContain('days_ca');
    // A control-plane node by its lock files, whose dqlite backend is not where MicroK8s keeps it
    // (no /var/snap/microk8s here): it is a node, and the row says what to give instead.
    const moved = await rows('--snap-data', snapData());
    for (const check of ['DQLITE', 'DQLITE-STORAGE']) {
      expect(moved[check], check).toMatchObject({
        state: 'SKIPPED',
        summary: `no dqlite backend at ${DQLITE_BACKEND} (give --backend-dir, or --host for a node over SSH)`,
      });
    }
    expect(moved.CERTS).toMatchObject({
      state: 'SKIPPED',
      summary: `no MicroK8s certificates at ${MICROK8S_CERT_DIR} (give --cert-dir)`,
    });
    // A worker runs no dqlite: the gate and the dqlite checks are left out there.
    const worker = await rows('--snap-data', snapData('no-k8s-dqlite', 'clustered.lock'));
    for (const check of ['RESTART-PREFLIGHT', 'DQLITE', 'DQLITE-STORAGE']) {
      expect(worker[check], check).toMatchObject({ state: 'SKIPPED', summary: expect.stringMatching(/worker/) });
    }
    // Its 127.0.0.1:16443 is apiserver-proxy, forwarding to one control-plane node or another:
    // no API server of its own to time or to compare with storage, unless one is named.
    for (const check of ['APISERVER', 'WATCH-CACHE']) {
      expect(worker[check], check).toMatchObject({ state: 'SKIPPED', summary: expect.stringMatching(/worker: .*apiserver-proxy/) });
    }
    const named = await rows('--snap-data', snapData('no-k8s-dqlite', 'clustered.lock'), '--server', c.api.url);
    expect(named.APISERVER!.state).not.toBe('SKIPPED');
    // A journal given is read (kine-retries too); the worker's own journal holds no k8s-dqlite line.
    expect(worker['KINE-RETRIES']!.state).not.toBe('SKIPPED');
    const own = await runBuilt('microk8s-checks', ['all', ...kc(), '--snap-data', snapData('no-k8s-dqlite', 'clustered.lock')]);
    expect(own.stdout).toMatch(/^KINE-RETRIES +skipped +this node is a MicroK8s worker \(no dqlite of its own\): no k8s-dqlite journal/m);
    // A worker's routes are its own: its pods are judged by them, as check_calico_routes alone does.
    expect(worker['CALICO-ROUTES']).toMatchObject({
      state: 'CRITICAL',
      summary: expect.stringMatching(/^1 of 1 Running pod on k8s02 without/),
    });
    expect(worker['RESTART-PREFLIGHT']).toBeDefined();
  });

  it('a control-plane node on external etcd (no-k8s-dqlite alone): its dqlite checks left out, saying why; its API judged', async () => {
    healthy();
    const journal = makeJournal([{ age: 30, service: DQLITE, message: logrus(at(30), 'error', LOCK_TXN) }]);
    // MicroK8s on external etcd writes no-k8s-dqlite without clustered.lock: a control plane with no dqlite of its own.
    const etcd = await allRows(journal, '--snap-data', snapData('no-k8s-dqlite'));
    for (const check of ['RESTART-PREFLIGHT', 'DQLITE', 'DQLITE-STORAGE']) {
      expect(etcd[check], check).toMatchObject({ state: 'SKIPPED', summary: expect.stringMatching(/no-k8s-dqlite: external etcd/) });
    }
    expect(etcd['WATCH-CACHE']!.state).not.toBe('SKIPPED');
    const own = await runBuilt('microk8s-checks', ['all', ...kc(), '--snap-data', snapData('no-k8s-dqlite')]);
    const ownJournal = /^KINE-RETRIES +skipped +this node runs no dqlite of its own \(no-k8s-dqlite: external etcd\): no k8s-dqlite/m;
    expect(own.stdout).toMatch(ownJournal);
  });

  it("a node whose $SNAP_DATA shows another CNI than Calico leaves calico-routes out, saying which; Calico's runs it", async () => {
    healthy();
    // MicroK8s' cilium addon on k8s02: no calico-node anywhere, pods routed through cilium's lxc veths.
    c.api.add(
      'pods',
      pod({ namespace: 'kube-system', name: 'cilium-4k7zp', node: 'k8s02', hostNetwork: true, labels: { 'k8s-app': 'cilium' } }),
      pod({ namespace: 'web', name: 'frontend-7d4b9c-abcde', node: 'k8s02', ip: '10.1.22.7' }),
    );
    const journal = makeJournal([{ age: 30, service: DQLITE, message: logrus(at(30), 'error', LOCK_TXN) }]);
    /** A node's $SNAP_DATA with these files in args/cni-network (containerd's CNI conf_dir there). */
    const withCni = (...files: string[]) => {
      const dir = snapData();
      mkdirSync(join(dir, 'args', 'cni-network'), { recursive: true });
      for (const file of files) writeFileSync(join(dir, 'args', 'cni-network', file), '{}');
      return dir;
    };
    const skipped = (cni: string, file: string) =>
      `this node runs ${cni}, not Calico: its args/cni-network holds ${file} and no cni.yaml (Calico's manifest): ` +
      'no calico routes to judge (give --host to judge another node)';
    // The addon moved Calico's manifest aside and copied cilium's config in; Calico's old conflist stays.
    const cilium = await allRows(journal, '--snap-data', withCni('05-cilium-cni.conf', '10-calico.conflist', 'cni.yaml.disabled'));
    expect(cilium['CALICO-ROUTES']).toMatchObject({ state: 'SKIPPED', summary: skipped('cilium', '05-cilium-cni.conf') });
    const ovn = await allRows(journal, '--snap-data', withCni('01-kube-ovn.conflist', '10-calico.conflist', 'cni.yaml.backup'));
    expect(ovn['CALICO-ROUTES']).toMatchObject({ state: 'SKIPPED', summary: skipped('kube-ovn', '01-kube-ovn.conflist') });
    // ha-cluster disabled: MicroK8s' default flannel files in place of Calico's.
    const flannel = await allRows(journal, '--snap-data', withCni('cni.conf', 'flannel.conflist'));
    expect(flannel['CALICO-ROUTES']).toMatchObject({ state: 'SKIPPED', summary: skipped('flannel', 'flannel.conflist') });
    // cilium enabled on such a node renamed flannel's files, its disable leaves them so: flannel still.
    const renamed = await allRows(journal, '--snap-data', withCni('10-kubenet.conf', '20-flanneld.conflist'));
    expect(renamed['CALICO-ROUTES']).toMatchObject({ state: 'SKIPPED', summary: skipped('flannel', '20-flanneld.conflist') });
    // Calico's manifest in place: judged, and with no calico-node anywhere UNKNOWN, as alone.
    const calico = await allRows(journal, '--snap-data', withCni('cni.yaml', '10-calico.conflist', 'calico-kubeconfig'));
    expect(calico['CALICO-ROUTES']).toMatchObject({
      state: 'UNKNOWN',
      summary: expect.stringMatching(/^the cluster runs no calico-node pod/),
    });
    // No args/cni-network to read (not readable by the check's user, on a stock node): judged too.
    const unread = await allRows(journal, '--snap-data', snapData());
    expect(unread['CALICO-ROUTES']!.state).toBe('UNKNOWN');
    // Calico's manifest back beside another CNI's leftover config (kube-ovn's disable moves cni.yaml
    // back, and removes the conflist only where its cleanup ran): cni.yaml decides, judged.
    const back = await allRows(journal, '--snap-data', withCni('cni.yaml', '01-kube-ovn.conflist', '10-calico.conflist'));
    expect(back['CALICO-ROUTES']!.state).toBe('UNKNOWN');
    // --host: the routes read are that node's, whatever this one's files say (no sshd there: UNKNOWN).
    const remote = await allRows(journal, '--snap-data', withCni('05-cilium-cni.conf'), '--host', '127.0.0.1', '--ssh-port', '1');
    expect(remote['CALICO-ROUTES']).toMatchObject({ state: 'UNKNOWN', summary: expect.stringMatching(/127\.0\.0\.1/) });
  });

  it("on a host that is no MicroK8s node, no CRITICAL from judging the pods of --node by this host's routes", async () => {
    healthy();
    c.api.add(
      'pods',
      calicoNode({ name: 'calico-node-cp8hh', node: 'k8s01' }),
      pod({ namespace: 'web', name: 'checkout-5c6f7d8b9-q2w3e', node: 'k8s01', ip: '10.1.73.74' }),
    );
    // A quiet journal: every other row is OK, so the exit code is calico-routes' doing or not.
    c.api.add('leases', nodeLease('k8s01'));
    const journal = makeJournal([
      {
        age: 30,
        service: KUBELITE,
        message: klog(at(30), 'I', KUBELITE.pid, 'job_controller.go:562', '"enqueueing job" key="ops/backup-29361840"'),
      },
    ]);
    const args = ['all', ...kc(), '--node', 'k8s01', '--journal-file', journal, '--snap-data', '/nonexistent/snap'];
    const laptop = await runBuilt('microk8s-checks', args);
    const row = laptop.stdout.split('\n').find((l) => l.startsWith('CALICO-ROUTES '));
    expect(row).toMatch(/^CALICO-ROUTES +skipped +this host's routing table is no node's \(give --host for the node's, over SSH\): /);
    expect(row).toMatch(/: \/nonexistent\/snap does not exist: this host is not a MicroK8s node/);
    expect(laptop.code).toBe(0);
    expect(laptop.first).toMatch(/^CHECK +STATE +SUMMARY$/);
    // Alone, it is told this host is k8s01, and judges by this host's routes: that is the check's word.
    const alone = await runBuilt('check_calico_routes', [...kc(), '--node', 'k8s01']);
    expect(alone.code).toBe(2);
    expect(alone.first).toMatch(/^CALICO-ROUTES CRITICAL - 1 of 1 Running pod on k8s01 without a host route/);
  });

  it('a kubeconfig asked for that cannot be read makes each API check UNKNOWN, never a skipped row beside an OK', async () => {
    const journal = makeJournal([{ age: 30, service: DQLITE, message: logrus(at(30), 'error', LOCK_TXN) }]);
    const args = ['all', '--snap-data', '/nonexistent/snap', '--journal-file', journal];
    const typo = await runBuilt('microk8s-checks', [...args, '--kubeconfig', '/nonexistent/kubeconfig', '--format', 'json']);
    type Row = { check: string; state: string; summary: string };
    const rows = Object.fromEntries((JSON.parse(typo.stdout) as Row[]).map((x) => [x.check, x]));
    expect(rows['DQLITE-LOCK']).toMatchObject({ state: 'OK' });
    for (const check of ['NODES', 'LEASES', 'STALE-JOBS', 'CRONJOBS']) {
      expect(rows[check], check).toMatchObject({ state: 'UNKNOWN', summary: expect.stringMatching(/\/nonexistent\/kubeconfig/) });
    }
    expect(typo.code).toBe(3);
  });

  it('takes every option its checks take, each described in -h; an unknown one is named as written', async () => {
    const help = await runBuilt('microk8s-checks', ['all', '-h']);
    for (const option of [
      '-t, --timeout',
      '--format',
      '--color',
      '--backend-dir',
      '--dqlite-bin',
      '--cert-dir',
      '--snap-data',
      '--log-file',
      '--host',
      '--ssh-key',
      '--unit',
      '--server',
      '--exclude-namespace',
      '-n, --namespace',
    ]) {
      expect(help.stdout, option).toMatch(new RegExp(`^ +${option} +\\S`, 'm'));
    }
    // --snap-data decides which checks fit this host (a node, a worker, no node): -h says so.
    const snap = help.stdout.slice(help.stdout.indexOf('--snap-data'), help.stdout.indexOf('--host')).replace(/\s+/g, ' ');
    expect(snap).toMatch(/whether this host is a MicroK8s node, and a worker/);
    expect(snap).toMatch(/default \/var\/snap\/microk8s\/current/);
    // all refuses --log-file -, and its -h does not offer it as the checks' own -h does.
    const logFile = help.stdout.slice(help.stdout.indexOf('--log-file'), help.stdout.indexOf('--kubeconfig')).replace(/\s+/g, ' ');
    expect(logFile).toMatch(/from this file instead of the journal \(a file: all takes no stdin\)/);
    expect(logFile).not.toMatch(/for stdin/);
    const stdin = await runBuilt('microk8s-checks', ['all', '--log-file', '-'], { input: 'a line\n' });
    expect(stdin.code).toBe(3);
    expect(stdin.first).toMatch(/^MICROK8S-CHECKS UNKNOWN - all cannot read --log-file - \(stdin\)/);
    const u = await runBuilt('microk8s-checks', ['all', '--cert-dirr', '/x']);
    expect(u.stdout).toBe(
      'MICROK8S-CHECKS UNKNOWN - Unknown argument: cert-dirr (did you mean --cert-dir?) (fix: see microk8s-checks --help)\n',
    );
  });

  it('a check that cannot run is UNKNOWN in the table, not a failure of the whole run', async () => {
    healthy();
    const r = await runBuilt('microk8s-checks', ['all', ...kc(), '--node', 'bad;name', '--snap-data', snapData(), '--format', 'json']);
    const rows = JSON.parse(r.stdout) as { check: string; state: string; summary: string }[];
    expect(rows.find((x) => x.check === 'CALICO-ROUTES')).toMatchObject({
      state: 'UNKNOWN',
      summary: expect.stringMatching(/--node 'bad;name' is not a valid name/),
    });
    expect(rows.find((x) => x.check === 'NODES')).toMatchObject({ state: 'OK' });
    expect(r.code).toBe(3);
    // Its own usage errors are UNKNOWN too, on one line.
    for (const [argv, said] of [
      [[], 'say what to run: microk8s-checks all'],
      [['all', 'more'], 'Unknown argument: more'],
      [['all', '--bogus'], 'Unknown argument: bogus'],
    ] as const) {
      const u = await runBuilt('microk8s-checks', [...argv]);
      expect(u.code).toBe(3);
      expect(u.stdout).toBe(`MICROK8S-CHECKS UNKNOWN - ${said} (fix: see microk8s-checks --help)\n`);
    }
    const typo = await runBuilt('microk8s-checks', ['al']);
    expect(typo.code).toBe(3);
    expect(typo.first).toMatch(
      /^MICROK8S-CHECKS UNKNOWN - unknown command 'al': microk8s-checks runs all \(fix: microk8s-checks all runs /,
    );
  });
});
