// Reads begun together that both fail: the reason said is the failure of the read first in the
// check's order (its own question first), never whichever failed sooner. Stand-in commands on
// the SSH host's PATH fail at once or after a delay, so that the read last in order fails first.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lease, node, nodeLease } from '../apiserver/objects.ts';
import { useCluster } from '../helpers/cluster.ts';
import { runBuilt } from '../helpers/run.ts';
import { controlPlane, freshState } from '../helpers/shared-run.ts';
import { healthyNode, systemctlStandIn, unit, type HealthyNode } from '../helpers/standins.ts';
import { sshdUnavailable, TestSshd } from '../helpers/sshd.ts';

const unavailable = sshdUnavailable();
if (unavailable) console.warn(`in-order tests: ${unavailable}`);

describe.skipIf(unavailable)('the reason of reads begun together over SSH', () => {
  const tools = mkdtempSync(join(tmpdir(), 'mk8s-order-'));
  // Each stand-in waits the seconds written in <tool>.delay (none: at once), then fails where
  // <tool>.fails exists, else runs the real tool.
  for (const [tool, real] of [
    ['find', '/usr/bin/find'],
    ['stat', '/usr/bin/stat'],
    ['date', '/bin/date'],
  ] as const) {
    writeFileSync(
      join(tools, tool),
      [
        '#!/bin/sh',
        `d='${tools}'`,
        `[ -e "$d/${tool}.delay" ] && sleep "$(cat "$d/${tool}.delay")"`,
        `[ -e "$d/${tool}.fails" ] && { echo '${tool}: stand-in failure' >&2; exit 1; }`,
        `exec ${real} "$@"`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
  }
  const sshd = new TestSshd({ path: `${tools}:/usr/bin:/bin` });
  let ssh: string[];
  beforeAll(async () => {
    await sshd.start();
    ssh = ['--ssh-port', String(sshd.port), '--ssh-key', sshd.clientKey, '--ssh-known-hosts', sshd.knownHosts(['127.0.0.1'])];
  });
  afterAll(() => sshd.stop());
  const missing = join(tools, 'no-backend-here');

  it('check_dqlite_storage --host without the backend: the listing is the reason, though stat -f failed sooner', async () => {
    setTools({ find: { delay: 0.5 } });
    const r = await runBuilt('check_dqlite_storage', ['--host', '127.0.0.1', ...ssh, '--backend-dir', missing]);
    expect(r.code, r.stdout).toBe(3);
    expect(r.first).toMatch(/^DQLITE-STORAGE UNKNOWN - 127\.0\.0\.1: cannot list \S+no-backend-here there: find .* failed/);
  });

  it('check_dqlite_storage --host: the listing is the reason, though the clock read beside it failed sooner', async () => {
    setTools({ find: { delay: 0.5 }, stat: { delay: 1 }, date: { fails: true } });
    const r = await runBuilt('check_dqlite_storage', ['--host', '127.0.0.1', ...ssh, '--backend-dir', missing]);
    expect(r.code, r.stdout).toBe(3);
    expect(r.first).toMatch(/^DQLITE-STORAGE UNKNOWN - 127\.0\.0\.1: cannot list \S+no-backend-here there: find .* failed/);
  });

  it("check_services --host: the boot clock's failure is the reason, though the wall clock's came sooner", async () => {
    setTools({});
    const stand = systemctlStandIn(
      ['k8s-dqlite', 'kubelite', 'containerd', 'cluster-agent', 'apiserver-kicker'].map((u) => ({
        ...unit(`snap.microk8s.daemon-${u}.service`, { upFor: 600 }),
        wallSince: Date.now() - 600_000,
      })),
      'asked',
      join(tools, 'systemctl-bin'),
    );
    const snapData = join(tools, 'snap-data');
    mkdirSync(join(snapData, 'var', 'lock'), { recursive: true });
    // cat /proc/uptime fails after date +%s.%N has (the stand-in systemctl's own date runs): stand-ins
    // in a directory of their own, before the others.
    const catDir = join(tools, 'cat-bin');
    mkdirSync(catDir, { recursive: true });
    writeFileSync(
      join(catDir, 'cat'),
      '#!/bin/sh\n[ "$1" = /proc/uptime ] && { sleep 0.5; echo \'cat: stand-in failure\' >&2; exit 1; }\nexec /bin/cat "$@"\n',
      { mode: 0o755 },
    );
    writeFileSync(
      join(catDir, 'date'),
      '#!/bin/sh\n[ "$1" = +%s.%N ] && { echo \'date: stand-in failure\' >&2; exit 1; }\nexec /bin/date "$@"\n',
      { mode: 0o755 },
    );
    const host = new TestSshd({ path: `${catDir}:${stand.dir}:${tools}:/usr/bin:/bin` });
    await host.start();
    try {
      const r = await runBuilt('check_services', [
        '--host',
        '127.0.0.1',
        '--ssh-port',
        String(host.port),
        '--ssh-key',
        host.clientKey,
        '--ssh-known-hosts',
        host.knownHosts(['127.0.0.1']),
        '--snap-data',
        snapData,
        '--state-file',
        join(tools, 'services.json'),
      ]);
      expect(r.code, r.stdout).toBe(3);
      expect(r.first).toMatch(/^SERVICES UNKNOWN - 127\.0\.0\.1: cannot read the boot clock of 127\.0\.0\.1: .*cat: stand-in failure/);
    } finally {
      host.stop();
    }
  });

  function setTools(given: Record<string, { delay?: number; fails?: boolean }>) {
    for (const tool of ['find', 'stat', 'date']) {
      const b = given[tool] ?? {};
      rmOr(join(tools, `${tool}.delay`), b.delay === undefined ? undefined : String(b.delay));
      rmOr(join(tools, `${tool}.fails`), b.fails ? '' : undefined);
    }
  }
});

describe('check_restart_preflight: the NO-GO reason of sources read at once', () => {
  const cluster = useCluster();
  let here: HealthyNode;
  beforeAll(async () => {
    here = await healthyNode();
  });
  afterAll(() => here.close());

  it('a journal that cannot be read is the reason, though the API server refused sooner', async () => {
    const c = cluster();
    c.api.add('nodes', node({ name: 'k8s01', ip: '127.0.0.1' }), node({ name: 'k8s02', ip: '10.0.0.12' }));
    c.api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s01'));
    c.api.add('leases', nodeLease('k8s01'), nodeLease('k8s02'));
    c.api.faults.push({ path: '/leases/', status: 403, times: 100 });
    // journalctl fails, after the API server's 403 on the leases.
    const bin = mkdtempSync(join(tmpdir(), 'mk8s-order-bin-'));
    writeFileSync(join(bin, 'journalctl'), "#!/bin/sh\nsleep 0.5\necho 'journalctl: stand-in failure' >&2\nexit 1\n", { mode: 0o755 });
    const r = await runBuilt('check_restart_preflight', ['--kubeconfig', c.kubeconfig, '--node', 'k8s02', ...here.dqliteArgs], {
      env: { ...process.env, PATH: `${bin}:${here.path}` },
    });
    expect(r.code, r.stdout).toBe(2);
    expect(r.first).toMatch(/^RESTART-PREFLIGHT CRITICAL - NO-GO: cannot establish that the cluster is healthy: .*journal/);
    expect(r.first).not.toMatch(/403|forbidden/i);
    // A journal that hangs holds the 403 known meanwhile no longer than half the time left: said before -t, not its timeout.
    writeFileSync(join(bin, 'journalctl'), '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const hung = await runBuilt(
      'check_restart_preflight',
      ['--kubeconfig', c.kubeconfig, '--node', 'k8s02', ...here.dqliteArgs, '-t', '6'],
      { env: { ...process.env, PATH: `${bin}:${here.path}` } },
    );
    expect(hung.code, hung.stdout).toBe(2);
    expect(hung.first).toMatch(/^RESTART-PREFLIGHT CRITICAL - NO-GO: cannot establish that the cluster is healthy: forbidden: .*\(403\)/);
  });
});

describe('API checks: the reason of lists and reads made at once', () => {
  const cluster = useCluster();

  it("check_observed_generation: the Deployments' list is the reason, though the ReplicaSets' was refused sooner", async () => {
    const c = cluster();
    // The Deployments' list refused once more slowly: a 429 retried after its Retry-After, then a 403.
    c.api.faults.push(
      { path: '/deployments', status: 429, retryAfter: 1, times: 1 },
      { path: '/deployments', status: 403, times: 5 },
      { path: '/replicasets', status: 403, times: 5 },
    );
    const r = await runBuilt('check_observed_generation', ['--kubeconfig', c.kubeconfig]);
    expect(r.code, r.stdout).toBe(3);
    expect(r.first).toMatch(/^OBSERVED-GENERATION UNKNOWN - forbidden: cannot list deployments\.apps /);
  });

  it("check_calico_routes: the pods' list is the reason, though the routing table failed sooner", async () => {
    const c = cluster();
    c.api.faults.push({ path: '/pods', status: 429, retryAfter: 1, times: 1 }, { path: '/pods', status: 403, times: 5 });
    const bin = mkdtempSync(join(tmpdir(), 'mk8s-order-ip-'));
    writeFileSync(join(bin, 'ip'), "#!/bin/sh\necho 'ip: stand-in failure' >&2\nexit 1\n", { mode: 0o755 });
    const r = await runBuilt('check_calico_routes', ['--kubeconfig', c.kubeconfig, '--node', 'node1'], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    expect(r.code, r.stdout).toBe(3);
    expect(r.first).toMatch(/^CALICO-ROUTES UNKNOWN - forbidden: cannot list pods /);
  });

  it('check_nodes: a node NotReady in the Nodes stays CRITICAL when the node leases cannot be listed; all Ready is UNKNOWN', async () => {
    const c = cluster();
    c.api.add('nodes', node({ name: 'k8s01', ip: '10.0.0.11' }), node({ name: 'k8s02', ip: '10.0.0.12', ready: false }));
    c.api.add('leases', nodeLease('k8s01'), nodeLease('k8s02', { renewedAgo: 300 }));
    // A token allowed the Nodes but not the node leases (an RBAC made before check_nodes read them).
    c.api.faults.push({ path: '/kube-node-lease/leases', status: 403, times: 100 });
    const r = await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig]);
    expect(r.code, r.stdout).toBe(2);
    expect(r.first).toMatch(/^NODES CRITICAL - 1 of 2 nodes NotReady: k8s02, cannot tell whether the kubelets are silent: forbidden: /);
    c.api.clear('nodes');
    c.api.add('nodes', node({ name: 'k8s01', ip: '10.0.0.11' }));
    const unknown = await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig]);
    expect(unknown.code, unknown.stdout).toBe(3);
    expect(unknown.first).toMatch(
      /^NODES UNKNOWN - 1 node, all Ready, cannot tell whether the kubelets are silent: forbidden: cannot list leases/,
    );
  });

  it('check_leases: the leases are the reason, though the dqlite CLI failed sooner', async () => {
    const c = cluster();
    c.api.faults.push({ path: '/leases/', status: 429, retryAfter: 1, times: 1 }, { path: '/leases/', status: 403, times: 5 });
    const backend = mkdtempSync(join(tmpdir(), 'mk8s-order-backend-'));
    for (const f of ['cluster.crt', 'cluster.key']) writeFileSync(join(backend, f), 'x\n');
    const cli = join(backend, 'dqlite');
    writeFileSync(cli, "#!/bin/sh\necho 'dqlite: stand-in failure' >&2\nexit 1\n", { mode: 0o755 });
    const state = join(backend, 'leases.json');
    const r = await runBuilt('check_leases', [
      '--kubeconfig',
      c.kubeconfig,
      '--dqlite-bin',
      cli,
      '--backend-dir',
      backend,
      '--state-file',
      state,
    ]);
    expect(r.code, r.stdout).toBe(3);
    expect(r.first).toMatch(/^LEASES UNKNOWN - forbidden: cannot get leases\.coordination\.k8s\.io /);
  });

  it("check_leases: the controller-manager's lease is the reason, though the scheduler's was refused sooner", async () => {
    const c = cluster();
    c.api.faults.push(
      { path: '/leases/kube-controller-manager', status: 429, retryAfter: 1, times: 1 },
      { path: '/leases/kube-controller-manager', status: 404, times: 5 },
      { path: '/leases/kube-scheduler', status: 403, times: 5 },
    );
    const r = await runBuilt('check_leases', [
      '--kubeconfig',
      c.kubeconfig,
      '--state-file',
      join(tmpdir(), `mk8s-order-${process.pid}.json`),
    ]);
    expect(r.code, r.stdout).toBe(3);
    expect(r.first, r.stdout).not.toMatch(/403|forbidden/i);
  });
});

describe('journal checks: the reason of journals read at once', () => {
  /** Two empty journal directories, A and B, and a directory for a stand-in journalctl (`script`, given A's path). */
  function twoJournals(prefix: string, script: (a: string) => string): { a: string; b: string; path: string } {
    const base = mkdtempSync(join(tmpdir(), prefix));
    const [a, b] = [join(base, 'a'), join(base, 'b')];
    for (const d of [a, b]) mkdirSync(d);
    const bin = join(base, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'journalctl'), script(a), { mode: 0o755 });
    return { a, b, path: `${bin}:${process.env.PATH}` };
  }

  it("check_dqlite_lock --journal-dir A --journal-dir B: A's failure is the reason, though B's came sooner", async () => {
    // journalctl reading A fails after B's has.
    const { a, b, path } = twoJournals(
      'mk8s-order-journals-',
      (a) =>
        `#!/bin/sh\ncase "$*" in *'${a}'*) sleep 0.5; echo 'A: stand-in failure' >&2;; *) echo 'B: stand-in failure' >&2;; esac\nexit 1\n`,
    );
    const r = await runBuilt('check_dqlite_lock', ['--journal-dir', a, '--journal-dir', b], { env: { ...process.env, PATH: path } });
    expect(r.code, r.stdout).toBe(3);
    expect(r.first).toMatch(/^DQLITE-LOCK UNKNOWN - .*A: stand-in failure/);
  });

  it('check_dqlite_lock --journal-dir A --journal-dir B: its row in microk8s-checks all says what it says alone', async () => {
    // A's failure comes 2 s after B's: longer than the pass of `all` waits for it, shorter than half of -t.
    const { a, b, path } = twoJournals(
      'mk8s-order-journals-',
      (a) =>
        `#!/bin/sh\ncase "$*" in *'${a}'*) sleep 2; echo 'A: stand-in failure' >&2;; *) echo 'B: stand-in failure' >&2;; esac\nexit 1\n`,
    );
    const env = { ...freshState(), PATH: path };
    const paths = ['--journal-dir', a, '--journal-dir', b];
    const alone = await runBuilt('check_dqlite_lock', paths, { env });
    const all = await runBuilt('microk8s-checks', ['all', ...paths, '--snap-data', controlPlane(), '--format', 'json'], { env });
    const row = (JSON.parse(all.stdout) as { check: string; code: number; summary: string }[]).find((r) => r.check === 'DQLITE-LOCK');
    expect(alone.code, alone.stdout).toBe(3);
    expect(`DQLITE-LOCK UNKNOWN - ${row?.summary}`).toBe(alone.first);
  });

  it('check_dqlite_lock -t 3: a failure held by reads hung at three depths is said before -t, not as its timeout', async () => {
    // Every read of A hangs; of B, where it begins and its first time slice hang, its last slice
    // (no --until) fails: each depth (the directories, B's beginning and slices, the slices) waits.
    const { a, b, path } = twoJournals('mk8s-order-depths-', (a) =>
      [
        '#!/bin/sh',
        'grep=; until=; a=',
        `for x; do case "$x" in *'${a}'*) a=1;; --grep*) grep=1;; --until*) until=1;; esac; done`,
        '[ -n "$grep" ] && [ -z "$until" ] && [ -z "$a" ] && { echo \'B: stand-in failure\' >&2; exit 1; }',
        'exec sleep 30',
        '',
      ].join('\n'),
    );
    const r = await runBuilt('check_dqlite_lock', ['--journal-dir', a, '--journal-dir', b, '-t', '3'], {
      env: { ...process.env, PATH: path },
    });
    expect(r.code, r.stdout).toBe(3);
    expect(r.first).toMatch(/^DQLITE-LOCK UNKNOWN - .*B: stand-in failure/);
  });

  it("check_dqlite_lock, a --journal-dir of two machines: the first machine's failure is the reason, the second's sooner", async () => {
    const base = mkdtempSync(join(tmpdir(), 'mk8s-order-machines-'));
    const dir = join(base, 'remote');
    mkdirSync(dir);
    const bin = join(base, 'bin');
    mkdirSync(bin);
    const [m1, m2] = ['1'.repeat(32), '2'.repeat(32)];
    // A central log host's directory of two machines: where each begins is asked of it, the first's failing after the second's.
    writeFileSync(
      join(bin, 'journalctl'),
      [
        '#!/bin/sh',
        'case "$*" in',
        `  *_MACHINE_ID=${m1}*) sleep 0.5; echo 'machine 1: stand-in failure' >&2; exit 1;;`,
        `  *_MACHINE_ID=${m2}*) echo 'machine 2: stand-in failure' >&2; exit 1;;`,
        `  *--field=_MACHINE_ID*) printf '%s\\n' ${m1} ${m2};;`,
        'esac',
        'exit 0',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const r = await runBuilt('check_dqlite_lock', ['--journal-dir', dir], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    expect(r.code, r.stdout).toBe(3);
    expect(r.first).toMatch(/^DQLITE-LOCK UNKNOWN - .*machine 1: stand-in failure/);
  });

  it("check_services: of two failed units' journals, the first unit's failure is the one said", async () => {
    const base = mkdtempSync(join(tmpdir(), 'mk8s-order-units-'));
    const failed = (u: string) => ({
      ...unit(`snap.microk8s.daemon-${u}.service`, { active: 'failed', sub: 'failed', result: 'exit-code' }),
    });
    const healthy = (u: string) => ({ ...unit(`snap.microk8s.daemon-${u}.service`, { upFor: 600 }), wallSince: Date.now() - 600_000 });
    const stand = systemctlStandIn(
      [failed('k8s-dqlite'), failed('kubelite'), ...['containerd', 'cluster-agent', 'apiserver-kicker'].map(healthy)],
      'asked',
      join(base, 'bin'),
    );
    // k8s-dqlite's journal, asked first, fails after kubelite's.
    writeFileSync(
      join(stand.dir, 'journalctl'),
      '#!/bin/sh\ncase "$*" in *k8s-dqlite*) sleep 0.5; echo \'k8s-dqlite: stand-in failure\' >&2;; ' +
        "*) echo 'kubelite: stand-in failure' >&2;; esac\nexit 1\n",
      { mode: 0o755 },
    );
    const snapData = join(base, 'snap-data');
    mkdirSync(join(snapData, 'var', 'lock'), { recursive: true });
    const r = await runBuilt('check_services', ['--snap-data', snapData, '--state-file', join(base, 'services.json')], {
      env: { ...process.env, PATH: stand.path },
    });
    expect(r.code, r.stdout).toBe(2);
    expect(r.stdout).toMatch(/\(journal not read: .*k8s-dqlite: stand-in failure/);
  });
});

function rmOr(file: string, content: string | undefined) {
  if (content === undefined) rmSync(file, { force: true });
  else writeFileSync(file, content);
}
