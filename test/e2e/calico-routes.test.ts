import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { calicoNode as calicoNodePod, node as k8sNode, pod } from '../apiserver/objects.ts';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { netnsUnavailable, TestNode } from '../helpers/netns.ts';
import { DIST, runProcess } from '../helpers/run.ts';
import { skewSaid } from '../helpers/skew.ts';
import { sshdUnavailable, TestSshd } from '../helpers/sshd.ts';
import { calicoIface } from '../../lib/k8s/calico.ts';

const unavailable = netnsUnavailable();
if (unavailable) console.warn(`check_calico_routes tests: ${unavailable}`);

describe.skipIf(unavailable)('check_calico_routes inside a network namespace with real kernel routes', () => {
  let node: TestNode;
  let c: TestCluster;
  beforeAll(async () => {
    node = new TestNode();
    c = await startCluster(node.hostIp);
    node.blackhole('10.1.73.64/26');
  });
  afterAll(async () => {
    await c?.close();
    node?.destroy();
  });
  beforeEach(() => {
    c.api.clear();
    c.api.requests.length = 0;
  });

  const calicoNode = (ready = true) => calicoNodePod({ name: 'calico-node-cp8hh', node: 'node1', ready, restarts: 2 });
  const run = (...args: string[]) =>
    runProcess('ip', ['netns', 'exec', node.name, `${DIST}/check_calico_routes`, '--kubeconfig', c.kubeconfig, ...args]);
  const realIp = execFileSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).trim();
  const checkLine = () => [`${DIST}/check_calico_routes`, '--kubeconfig', c.kubeconfig, '--node', 'node1'];
  /** The check in the node, with a stand-in for ip (this sh script) first on PATH. */
  const runWithIp = (script: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'ip-'));
    writeFileSync(join(dir, 'ip'), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    return runProcess(realIp, ['netns', 'exec', node.name, ...checkLine()], {
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
    });
  };
  let nextIp = 70;
  /** A Running pod on node1; with a route through its own veth unless told otherwise. */
  const workload = (name: string, route: 'own' | 'none' | { via: string } = 'own', extra: Partial<Parameters<typeof pod>[0]> = {}) => {
    const ip = `10.1.73.${nextIp++}`;
    const p = pod({ namespace: 'web', name, node: 'node1', ip, ...extra });
    if (route === 'own') node.podRoute(ip, calicoIface('web', name));
    else if (route !== 'none') node.podRoute(ip, route.via);
    c.api.add('pods', p);
    return { ip, iface: calicoIface('web', name) };
  };

  it('five Running pods on node1, one without a route: CRITICAL naming the pod and IP; others not counted', async () => {
    c.api.add('pods', calicoNode());
    for (let i = 0; i < 4; i++) workload(`frontend-7d4b9c8f6-a${i}x2z`);
    const lost = workload('checkout-5c6f7d8b9-q2w3e', 'none');
    workload('node-exporter-x9k2p', 'none', { hostNetwork: true });
    workload('migrate-29361840-7xk2p', 'none', { phase: 'Succeeded' });
    workload('api-6b8f9c7d5-zz9xk', 'none', { node: 'node2' });
    workload('just-started-6b8f9c7d5-k2x9z', 'none', { startedAgo: 3 });
    const r = await run('--node', 'node1');
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^CALICO-ROUTES CRITICAL - 1 of 5 Running pods on node1 without a host route through its veth/);
    expect(r.perf).toMatchObject({ missing: '1;;0;0', pods: '5;;;0', calico_restarts: '2c;;;0' });
    expect(r.stdout).toContain(
      `web/checkout-5c6f7d8b9-q2w3e ${lost.ip} (expected dev ${lost.iface}, no route: falls into blackhole 10.1.73.64/26)`,
    );
    expect(r.stdout).toContain('kubectl -n kube-system delete pod -l k8s-app=calico-node --field-selector=spec.nodeName=node1');
    expect(c.api.requests.every((q) => q.method === 'GET')).toBe(true);
    expect(c.api.requests.some((q) => q.query.fieldSelector === 'spec.nodeName=node1')).toBe(true);
  });

  it('routes of other tables are not the main table\'s: calico\'s WireGuard table "1" and the local table', async () => {
    c.api.add('pods', calicoNode());
    workload('web-ok-5c6f7d8b9-okkkk');
    // Each of these has a route through its own veth, but not in the main table, where calico puts
    // a local pod's route (its WireGuard table "1" holds other nodes' pods): no sign of the pod's.
    const wireguard = workload('web-wg-5c6f7d8b9-wgggg', 'none');
    node.podRoute(wireguard.ip, wireguard.iface, '1');
    const local = workload('web-local-5c6f7d8b9-lcccc', 'none');
    node.podRoute(local.ip, local.iface, 'local');
    // A main-table route through the wrong veth stays what the check judges, whatever table 1 says.
    const other = workload('web-other-5c6f7d8b9-otttt', { via: wireguard.iface });
    node.podRoute(other.ip, other.iface, '1');
    const r = await run('--node', 'node1');
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^CALICO-ROUTES CRITICAL - 3 of 4 Running pods on node1 without a host route through its veth/);
    expect(r.perf).toMatchObject({ missing: '3;;0;0', pods: '4;;;0' });
    const hole = 'no route: falls into blackhole 10.1.73.64/26';
    expect(r.stdout).toContain(`web/web-wg-5c6f7d8b9-wgggg ${wireguard.ip} (expected dev ${wireguard.iface}, ${hole})`);
    expect(r.stdout).toContain(`web/web-local-5c6f7d8b9-lcccc ${local.ip} (expected dev ${local.iface}, ${hole})`);
    expect(r.stdout).toContain(`web/web-other-5c6f7d8b9-otttt ${other.ip} (expected dev ${other.iface}, route via ${wireguard.iface})`);
  });

  it('two routes to one pod address in the main table: the one the kernel uses (lowest metric) is judged', async () => {
    c.api.add('pods', calicoNode());
    // Another program's route to the pod's /32 beside calico's (a VPN's, another CNI's left over),
    // with a metric of its own: `ip -j route` lists both, the kernel sends by the lowest metric.
    const extra = (ip: string, metric: string) =>
      execFileSync('ip', ['-n', node.name, 'route', 'add', ip, 'dev', 'eth0', 'metric', metric]);
    const kept = workload('web-kept-5c6f7d8b9-kpppp');
    extra(kept.ip, '100');
    const ok = await run('--node', 'node1');
    expect(ok.code).toBe(0);
    expect(ok.first).toMatch(/^CALICO-ROUTES OK - 0 of 1 Running pod on node1 without a host route through its veth/);
    const name = 'web-lost-5c6f7d8b9-lsttt';
    const lost = workload(name, 'none');
    node.podRoute(lost.ip, lost.iface, 'main', 100);
    extra(lost.ip, '50');
    const r = await run('--node', 'node1');
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^CALICO-ROUTES CRITICAL - 1 of 2 Running pods on node1 without a host route through its veth/);
    expect(r.stdout).toContain(`web/${name} ${lost.ip} (expected dev ${lost.iface}, route via eth0)`);
    expect(r.stdout).not.toContain('web-kept');
  });

  it('dual-stack pods: IPv4 and IPv6 routes judged from one run of ip', async () => {
    c.api.add('pods', calicoNode());
    node.blackhole('fd00:10:1:73::40/122');
    let n = 0;
    /** A pod with an IPv4 and an IPv6 address; routes for the families named. */
    const dual = (name: string, routed: ('v4' | 'v6')[]) => {
      const v4 = `10.1.73.${nextIp++}`;
      const hex = (0x40 + n++).toString(16);
      // Written out in full, as a pod's status may: ip prints it compressed (fd00:10:1:73::4x).
      const v6 = `fd00:10:1:73:0:0:0:${hex}`;
      const iface = calicoIface('web', name);
      if (routed.includes('v4')) node.podRoute(v4, iface);
      if (routed.includes('v6')) node.podRoute(v6, iface);
      c.api.add('pods', pod({ namespace: 'web', name, node: 'node1', ips: [v4, v6] }));
      return { v4, v6, iface };
    };
    dual('dual-ok-6b8f9c7d5-aaaaa', ['v4', 'v6']);
    const noV6 = dual('dual-nov6-6b8f9c7d5-bbbbb', ['v4']);
    const noV4 = dual('dual-nov4-6b8f9c7d5-ccccc', ['v6']);
    // A stand-in for ip first on PATH that logs each run, then runs the real one.
    const log = join(mkdtempSync(join(tmpdir(), 'ip-log-')), 'runs');
    const r = await runWithIp(`echo "$*" >> '${log}'\nexec '${realIp}' "$@"`);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^CALICO-ROUTES CRITICAL - 2 of 3 Running pods on node1 without a host route through its veth/);
    expect(r.perf).toMatchObject({ missing: '2;;0;0', pods: '3;;;0' });
    expect(r.stdout).toContain(
      `web/dual-nov6-6b8f9c7d5-bbbbb ${noV6.v6} (expected dev ${noV6.iface}, no route: falls into blackhole fd00:10:1:73::40/122)`,
    );
    expect(r.stdout).toContain(
      `web/dual-nov4-6b8f9c7d5-ccccc ${noV4.v4} (expected dev ${noV4.iface}, no route: falls into blackhole 10.1.73.64/26)`,
    );
    expect(r.stdout).not.toContain('dual-ok');
    // Each run of ip forks the whole check process: both families come from one.
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('no ip, or an ip without JSON output: UNKNOWN saying so', async () => {
    c.api.add('pods', calicoNode());
    workload('web-ok-5c6f7d8b9-nnnnn');
    const none = await runProcess(realIp, ['netns', 'exec', node.name, ...checkLine()], {
      env: { ...process.env, PATH: '/nonexistent' },
    });
    expect(none.code).toBe(3);
    expect(none.first).toMatch(
      /^CALICO-ROUTES UNKNOWN - cannot read the routing table\b.*\(fix: install iproute2 \(ip\) with JSON output\)$/,
    );
    // An iproute2 from before JSON output prints its plain text: here the real one without -j.
    const text = await runWithIp(`shift\nexec '${realIp}' "$@"`);
    expect(text.code).toBe(3);
    expect(text.first).toMatch(
      /^CALICO-ROUTES UNKNOWN - ip -j route show table all printed no JSON\b.*\(fix: use iproute2 4\.14 or newer\)$/,
    );
  });

  it("a route through another pod's veth counts as missing", async () => {
    c.api.add('pods', calicoNode());
    const a = workload('web-a-5c6f7d8b9-aaaaa');
    const b = workload('web-b-5c6f7d8b9-bbbbb', { via: a.iface });
    const r = await run('--node', 'node1');
    expect(r.code).toBe(2);
    expect(r.perf.missing).toBe('1;;0;0');
    expect(r.stdout).toContain(`web/web-b-5c6f7d8b9-bbbbb ${b.ip} (expected dev ${b.iface}, route via ${a.iface})`);
  });

  it("--iface-prefix names the veths as FELIX_INTERFACEPREFIX does: a route through tap<hash> is the pod's own only then", async () => {
    c.api.add('pods', calicoNode());
    const name = 'web-t-5c6f7d8b9-ttttt';
    const tap = calicoIface('web', name, 'tap');
    const { ip, iface } = workload(name, { via: tap });
    const asFelix = await run('--node', 'node1', '--iface-prefix', 'tap');
    expect(asFelix.code).toBe(0);
    expect(asFelix.perf.missing).toBe('0;;0;0');
    const asDefault = await run('--node', 'node1');
    expect(asDefault.code).toBe(2);
    expect(asDefault.stdout).toContain(`web/${name} ${ip} (expected dev ${iface}, route via ${tap})`);
  });

  it('all routes right and calico-node Ready: OK', async () => {
    c.api.add('pods', calicoNode());
    for (let i = 0; i < 3; i++) workload(`ok-6b8f9c7d5-${i}abcd`);
    const r = await run('--node', 'node1');
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^CALICO-ROUTES OK - 0 of 3 Running pods on node1 .*calico-node Ready \(2 restarts\)/);
  });

  /** calico-node Ready on node2: the cluster runs Calico, whatever node1 lacks. */
  const calicoElsewhere = () => calicoNodePod({ name: 'calico-node-x7k2p', node: 'node2' });

  it('calico-node not Ready, or absent here while it runs on node2: CRITICAL; a node the cluster does not have: UNKNOWN', async () => {
    c.api.add('nodes', k8sNode({ name: 'node1', ip: node.nodeIp }), k8sNode({ name: 'node2', ip: '10.0.0.12' }));
    c.api.add('pods', calicoElsewhere());
    workload('ok-6b8f9c7d5-zzzzz');
    const absent = await run('--node', 'node1');
    expect(absent.code).toBe(2);
    expect(absent.first).toMatch(/no calico-node pod on node1/);
    // A mistyped --node finds no calico-node either; it must not page as CRITICAL.
    const typo = await run('--node', 'nodel');
    expect(typo.code).toBe(3);
    expect(typo.first).toBe(
      "CALICO-ROUTES UNKNOWN - no node named 'nodel' in the cluster (fix: give --node as kubectl get nodes names it)",
    );
    c.api.add('pods', calicoNode(false));
    const notReady = await run('--node', 'node1');
    expect(notReady.code).toBe(2);
    expect(notReady.first).toMatch(/calico-node calico-node-cp8hh on node1 is not Ready/);
  });

  it('a pod ages from its startTime: created 10 minutes ago, unschedulable until it started 3 s ago, is within --min-age', async () => {
    c.api.add('pods', calicoNode());
    workload('web-6b8f9c7d5-keep2');
    const waited = pod({ namespace: 'web', name: 'web-6b8f9c7d5-wait2', node: 'node1', ip: `10.1.73.${nextIp++}`, startedAgo: 2 });
    Object.assign(waited.metadata, { creationTimestamp: new Date(Date.now() - 600_000).toISOString().replace(/\.\d{3}Z$/, 'Z') });
    c.api.add('pods', waited);
    const r = await run('--node', 'node1');
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^CALICO-ROUTES OK - 0 of 1 Running pod on node1 without a host route through its veth \(older than 30s\)/);
  });

  it('a pod being deleted is not judged: its veth and route go as its sandbox stops, before the API server forgets it', async () => {
    c.api.add('pods', calicoNode());
    workload('web-6b8f9c7d5-keep1');
    workload('web-6b8f9c7d5-gone1', 'none', { deletedAgo: 10 });
    const r = await run('--node', 'node1');
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^CALICO-ROUTES OK - 0 of 1 Running pod on node1 without a host route through its veth/);
  });

  it('calico-node is the kube-system pod labelled k8s-app=calico-node: calico-kube-controllers on the node is not it', async () => {
    c.api.add('nodes', k8sNode({ name: 'node1', ip: node.nodeIp }));
    c.api.add('pods', calicoElsewhere());
    const name = 'calico-kube-controllers-5947598c79-8xq2m';
    const ip = `10.1.73.${nextIp++}`;
    node.podRoute(ip, calicoIface('kube-system', name));
    c.api.add(
      'pods',
      pod({
        namespace: 'kube-system',
        name,
        node: 'node1',
        ip,
        labels: { 'k8s-app': 'calico-kube-controllers', 'pod-template-hash': '5947598c79' },
        containerName: 'calico-kube-controllers',
      }),
    );
    const r = await run('--node', 'node1');
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^CALICO-ROUTES CRITICAL - 0 of 1 Running pod on node1 .*, no calico-node pod on node1 \|/);
  });

  it('a cluster that runs no calico-node at all (cilium here): UNKNOWN, its routes not judged, asked with small lists', async () => {
    c.api.add('nodes', k8sNode({ name: 'node1', ip: node.nodeIp }), k8sNode({ name: 'node2', ip: '10.0.0.12' }));
    // MicroK8s' cilium addon: the cilium agent on each node (k8s-app=cilium), pods routed through its lxc veths.
    c.api.add(
      'pods',
      pod({ namespace: 'kube-system', name: 'cilium-8xq2m', node: 'node1', hostNetwork: true, labels: { 'k8s-app': 'cilium' } }),
      pod({ namespace: 'kube-system', name: 'cilium-4k7zp', node: 'node2', hostNetwork: true, labels: { 'k8s-app': 'cilium' } }),
    );
    workload('frontend-7d4b9c8f6-c1x2z', { via: 'lxc8a2f5e3c1d9b' });
    workload('checkout-5c6f7d8b9-c3w4e', { via: 'lxc3b9e7d2a4f10' });
    const r = await run('--node', 'node1');
    expect(r.code).toBe(3);
    expect(r.first).toBe(
      "CALICO-ROUTES UNKNOWN - the cluster runs no calico-node pod at all (another CNI, such as MicroK8s' cilium or kube-ovn addon, " +
        'or calico-node removed): the routes of 2 Running pods on node1 cannot be judged (fix: leave check_calico_routes out on ' +
        'such a cluster; if Calico should run: kubectl get ds -A --field-selector metadata.name=calico-node) ' +
        '| missing=U;;0;0 pods=2;;;0 calico_restarts=U;;;0',
    );
    expect(r.stdout).not.toContain('expected dev cali');
    // Whether calico-node runs anywhere: a list of at most one pod in each namespace it runs in
    // (MicroK8s' manifest's, the Tigera operator's), asked only as none is on node1.
    const asked = c.api.requests.filter((q) => q.query.labelSelector === 'k8s-app=calico-node');
    expect(asked.map((q) => [q.path, q.query.limit]).sort()).toEqual([
      ['/api/v1/namespaces/calico-system/pods', '1'],
      ['/api/v1/namespaces/kube-system/pods', '1'],
    ]);
    c.api.requests.length = 0;
    c.api.add('pods', calicoNode());
    expect((await run('--node', 'node1')).code).toBe(2);
    expect(c.api.requests.some((q) => q.query.labelSelector !== undefined)).toBe(false);
  });

  it("no calico-node anywhere, yet node1's pods routed through their cali veths (calico-node deleted, not back): CRITICAL", async () => {
    // A single-node cluster after the remedy below deleted its only calico-node, and the DaemonSet
    // (writing through the contended dqlite) not yet making another: Calico's cluster, not another CNI's.
    c.api.add('nodes', k8sNode({ name: 'node1', ip: node.nodeIp }));
    workload('frontend-7d4b9c8f6-d1x2z');
    const lost = workload('checkout-5c6f7d8b9-d3w4e', 'none');
    const r = await run('--node', 'node1');
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^CALICO-ROUTES CRITICAL - 1 of 2 Running pods on node1 /);
    expect(r.first).toMatch(/, no calico-node pod in the cluster \(Calico's veths route 1 pod on node1\) \|/);
    expect(r.perf).toMatchObject({ missing: '1;;0;0', pods: '2;;;0', calico_restarts: '0c;;;0' });
    expect(r.stdout).toContain(`web/checkout-5c6f7d8b9-d3w4e ${lost.ip} (expected dev ${lost.iface}, no route`);
    expect(r.stdout).toContain('kubectl get ds -A --field-selector metadata.name=calico-node');
  });

  it('calico-node of a Calico the Tigera operator installed (calico-system) is calico-node as in kube-system', async () => {
    c.api.add('nodes', k8sNode({ name: 'node1', ip: node.nodeIp }), k8sNode({ name: 'node2', ip: '10.0.0.12' }));
    // tigera/operator: its DaemonSet calico-node in calico-system, the pods labelled k8s-app=calico-node.
    const tigera = (name: string, on: string) => calicoNodePod({ namespace: 'calico-system', name, node: on });
    c.api.add('pods', tigera('calico-node-5q8wz', 'node1'));
    workload('frontend-7d4b9c8f6-t1x2z');
    const ok = await run('--node', 'node1');
    expect(ok.code).toBe(0);
    expect(ok.first).toMatch(/^CALICO-ROUTES OK - 0 of 1 Running pod on node1 .*calico-node Ready \(0 restarts\)/);
    // A pod without its route: the remedy restarts calico-node where it runs.
    workload('checkout-5c6f7d8b9-t3w4e', 'none');
    const missing = await run('--node', 'node1');
    expect(missing.code).toBe(2);
    expect(missing.stdout).toContain('kubectl -n calico-system delete pod -l k8s-app=calico-node --field-selector=spec.nodeName=node1');
    // None on node1, one on node2: the cluster runs Calico, node1 lacks its calico-node.
    c.api.clear();
    c.api.add('nodes', k8sNode({ name: 'node1', ip: node.nodeIp }), k8sNode({ name: 'node2', ip: '10.0.0.12' }));
    c.api.add('pods', tigera('calico-node-9r2mk', 'node2'));
    workload('frontend-7d4b9c8f6-t5x6z', { via: 'eth0' });
    const absent = await run('--node', 'node1');
    expect(absent.code).toBe(2);
    expect(absent.first).toMatch(/, no calico-node pod on node1 \|/);
    expect(absent.stdout).toContain('kubectl -n calico-system delete pod -l k8s-app=calico-node --field-selector=spec.nodeName=node1');
  });

  it('a pod labelled k8s-app=calico-node outside kube-system and calico-system is not calico-node, on the node or elsewhere', async () => {
    c.api.add('nodes', k8sNode({ name: 'node1', ip: node.nodeIp }), k8sNode({ name: 'node2', ip: '10.0.0.12' }));
    // Anyone's pod may carry the label (a copy of the manifest in a test namespace, a chart's own pod).
    c.api.add('pods', calicoNodePod({ namespace: 'web', name: 'calico-node-lookalike', node: 'node1' }));
    c.api.add('pods', calicoNodePod({ namespace: 'default', name: 'calico-node-elsewhere', node: 'node2' }));
    workload('frontend-7d4b9c8f6-l1x2z', { via: 'lxc8a2f5e3c1d9b' });
    const r = await run('--node', 'node1');
    // None in either namespace: the cluster runs no calico-node, whatever else wears its label.
    expect(r.code).toBe(3);
    expect(r.first).toMatch(/^CALICO-ROUTES UNKNOWN - the cluster runs no calico-node pod at all /);
  });

  /** check_calico_routes' options for node1 read over SSH through this sshd. */
  const sshLine = (sshd: TestSshd) => [
    '--host',
    node.nodeIp,
    '--node',
    'node1',
    '--ssh-port',
    String(sshd.port),
    '--ssh-key',
    sshd.clientKey,
    '--ssh-known-hosts',
    sshd.knownHosts([node.nodeIp]),
    '--ssh-user',
    'root',
    // An SSH handshake plus the API on a loaded two-core machine can pass the default 10 s.
    '-t',
    '30',
  ];

  it.skipIf(sshdUnavailable())('--host reads the routing table of that node over SSH', async () => {
    const sshd = new TestSshd({ listen: [node.nodeIp], netns: node.name });
    await sshd.start();
    try {
      c.api.add('pods', calicoNode());
      workload('remote-ok-6b8f9c7d5-aaaaa');
      const lost = workload('remote-lost-6b8f9c7d5-bbbbb', 'none');
      const ssh = sshLine(sshd);
      // Run from the host, outside the node's namespace: only SSH can see the node's routes.
      const r = await runProcess(`${DIST}/check_calico_routes`, ['--kubeconfig', c.kubeconfig, ...ssh]);
      expect(r.code).toBe(2);
      expect(r.perf).toMatchObject({ missing: '1;;0;0', pods: '2;;;0' });
      expect(r.stdout).toContain(`${lost.ip} (expected dev ${lost.iface}, no route: falls into blackhole 10.1.73.64/26)`);
      const noNode = await runProcess(`${DIST}/check_calico_routes`, [
        '--kubeconfig',
        c.kubeconfig,
        ...ssh.filter((a) => a !== '--node' && a !== 'node1'),
      ]);
      expect(noNode.code).toBe(3);
      expect(noNode.first).toMatch(/give --node/);
    } finally {
      sshd.stop();
    }
    // A login that greets before the command (a .bashrc's echo, a ForceCommand): named by host.
    const script = join(mkdtempSync(join(tmpdir(), 'mk8s-greet-')), 'greet');
    writeFileSync(script, '#!/bin/sh\necho "Welcome to node1"\nexec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n', { mode: 0o755 });
    const greeting = new TestSshd({ listen: [node.nodeIp], netns: node.name, forceCommand: script });
    await greeting.start();
    try {
      const r = await runProcess(`${DIST}/check_calico_routes`, ['--kubeconfig', c.kubeconfig, ...sshLine(greeting)]);
      expect(r.code).toBe(3);
      expect(r.first).toMatch(
        new RegExp(
          `^CALICO-ROUTES UNKNOWN - ip -j route show table all on ${node.nodeIp.replaceAll('.', '\\.')} printed no JSON ` +
            `\\(its first line: 'Welcome to node1'\\).*\\(fix: keep the shell on ${node.nodeIp.replaceAll('.', '\\.')} quiet`,
        ),
      );
    } finally {
      greeting.stop();
    }
  });

  it.skipIf(sshdUnavailable() || !existsSync('/usr/bin/faketime'))(
    "--host: pod ages are the node's clock's (its kubelet stamps startTime): one started 5 s ago there is within --min-age",
    async () => {
      // The node's clock 2 minutes behind ours, through the real libfaketime on every command there.
      const script = join(mkdtempSync(join(tmpdir(), 'mk8s-skew-')), 'skewed');
      writeFileSync(script, '#!/bin/sh\nexec /usr/bin/faketime -f -120s /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n', { mode: 0o755 });
      const sshd = new TestSshd({ listen: [node.nodeIp], netns: node.name, forceCommand: script });
      await sshd.start();
      try {
        c.api.add('pods', calicoNode());
        workload('remote-ok-6b8f9c7d5-aaaaa');
        // Started 5 s ago by the node's clock: 125 s before ours, as its kubelet stamped it.
        workload('remote-new-6b8f9c7d5-nnnnn', 'none', { startedAgo: 125 });
        const r = await runProcess(`${DIST}/check_calico_routes`, ['--kubeconfig', c.kubeconfig, ...sshLine(sshd)]);
        // Judged on our clock it was 2 minutes old, past --min-age: CRITICAL, its route missing.
        expect(r.code, r.stdout).toBe(0);
        expect(r.first).toMatch(/^CALICO-ROUTES OK - 0 of 1 Running pod on node1 without a host route through its veth \(older than 30s\)/);
        expect(r.stdout).toMatch(
          new RegExp(`^${node.nodeIp.replaceAll('.', '\\.')}'s clock is \\S+ behind this host's \\(±[\\d.]+s\\): `, 'm'),
        );
        // 2m, within the bound said ("119s" on a loaded machine).
        const said = skewSaid(r.stdout, node.nodeIp, -120);
        expect(r.first).toContain(`its clock is ${said} behind ours (pod ages taken on its clock) |`);
      } finally {
        sshd.stop();
      }
    },
  );

  it("refuses --node 'node1;reboot' before any request", async () => {
    const r = await run('--node', 'node1;reboot');
    expect(r.code).toBe(3);
    expect(r.first).toMatch(/^CALICO-ROUTES UNKNOWN - --node 'node1;reboot' is not a valid name/);
    expect(c.api.requests).toHaveLength(0);
  });
});
