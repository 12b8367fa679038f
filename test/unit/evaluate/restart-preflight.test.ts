// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import type { V1Lease } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import * as lock from '../../../checks/dqlite-lock.ts';
import * as kine from '../../../checks/kine-retries.ts';
import * as preflight from '../../../checks/restart-preflight.ts';
import { State } from '../../../lib/plugin/state.ts';
import { lease, node } from '../../apiserver/objects.ts';
import { pattern } from '../../helpers/pattern.ts';
import { r, asNodes } from './helpers.ts';

describe('restart-preflight', () => {
  // One clock per test: the lease ages and watch-cache lags are counted back from the `now` it judges
  // with. Each taking its own Date.now() later, 0.7 s of delay (a loaded machine) read 41 s as 40 s and 6m1s as 6m.
  const healthy = (now = Date.now()): preflight.PreflightFacts => ({
    now,
    node: 'k8s02',
    journals: [
      { source: 'journal', tally: { lock: lock.fresh(), kine: kine.fresh(), lastStart: 0, crashes: { count: 0, last: 0, counter: 0 } } },
    ],
    leases: [lease('kube-controller-manager', 'k8s01', { now }), lease('kube-scheduler', 'k8s01', { now })] as unknown as V1Lease[],
    nodes: asNodes([
      node({ name: 'k8s01', ip: '10.0.0.11' }),
      node({ name: 'k8s02', ip: '10.0.0.12' }),
      node({ name: 'k8s03', ip: '10.0.0.13' }),
    ]),
    datastore: {
      members: [1, 2, 3].map((n) => ({ id: `${n}`, address: `10.0.0.1${n}:19001`, role: 'voter' as const })),
      from: 'the dqlite CLI (the leader)',
      duplicates: 0,
      leader: { kind: 'known', address: '10.0.0.11:19001' },
      notes: [],
      probes: new Map([1, 2, 3].map((n) => [`10.0.0.1${n}:19001`, { ok: true }])),
    },
    units: [{ facts: { units: [], clock: { on: 'monotonic', nowUs: 1 }, at: 0, lastWords: new Map(), leftOut: [] } }],
    rollouts: { counts: new Map([['deployment', 7]]), lags: [], stalled: [], phantoms: [] },
    // Every kubelet's node Lease, renewed seconds ago, the same in storage and in this API server's cache.
    watchCache: { storage: nodeLeases('1200', 0, now), cache: nodeLeases('1200', 0, now), server: 'https://127.0.0.1:16443' },
  });
  /** The three node leases as one list of them shows them, the newest renewed `ago` ms before `now`, each other 3 s before. */
  const nodeLeases = (resourceVersion: string, ago: number, now: number) => {
    const renewed = now - ago;
    const leases = new Map(['k8s01', 'k8s02', 'k8s03'].map((n, i) => [n, { renewed: renewed - i * 3000, created: renewed - 86_400_000 }]));
    return { leases, resourceVersion, ms: 4 };
  };

  it('GO: the node is uncordoned only once kubectl wait saw it Ready, never after a wait that timed out', () => {
    const o = preflight.evaluate(healthy(), { critical: r('0'), settleMs: 600_000 });
    expect(o.summary).toBe('GO: kubelite on k8s02 may be restarted');
    // '; kubectl uncordon' uncordoned a node kubelite did not bring back within 120 s (kine connections broken).
    expect(o.details).toContain('  kubectl wait node/k8s02 --for=condition=Ready --timeout=120s && kubectl uncordon k8s02');
    // sudo over ssh asks its password on a terminal: without -t, where sudo wants one, 'a terminal is required' and nothing restarts.
    expect(o.details).toContain('  ssh -t k8s02 sudo systemctl restart snap.microk8s.daemon-kubelite.service');
  });

  it("GO: before the sequence, the runbook's other step before any kubelite restart: the finished Jobs deleted", () => {
    // Runbook, "Before any kubelite restart": 1. a non-leader first, 2. delete accumulated stale jobs to reduce the
    // background write rate, 3. the lock and kine checks OK. The gate judges 1 and 3; 2 was said nowhere.
    const o = preflight.evaluate(healthy(), { critical: r('0'), settleMs: 600_000 });
    const at = (start: string) => o.details.findIndex((d) => d.startsWith(start));
    expect(at('Before it, cut the background write rate: delete finished Jobs (check_stale_jobs lists them')).toBeGreaterThan(-1);
    expect(at('Before it, cut')).toBeLessThan(at('Sequence (serial: 1'));
  });

  it("this API server's watch cache frozen 6 minutes ago: NO-GO, as check_watch_cache judges it (every controller reads it)", () => {
    const f = healthy();
    f.watchCache.cache = nodeLeases('880', 361_000, f.now);
    const o = preflight.evaluate(f, { critical: r('0'), settleMs: 600_000 });
    expect([o.state, o.summary]).toEqual([
      State.CRITICAL,
      'NO-GO for k8s02: watch-cache CRITICAL: watch cache 6m1s behind storage (node lease k8s01)',
    ]);
    // Its recovery is a restart of its own (cordon, k8s-dqlite, kubelite), not the gate's: no wait ends it.
    expect(o.details).toContainEqual(expect.stringMatching(/^A frozen watch cache .* restarts k8s-dqlite and then kubelite on that node/));
    // Behind past check_watch_cache's -w 30 alone is a blocker too: any state but OK.
    f.watchCache.cache = nodeLeases('1190', 45_000, f.now);
    expect(preflight.evaluate(f, { critical: r('0'), settleMs: 600_000 }).summary).toBe(
      'NO-GO for k8s02: watch-cache WARNING: watch cache 45s behind storage (node lease k8s01)',
    );
    // No node lease to compare: whether the cache follows cannot be told, so no GO.
    f.watchCache = { storage: nodeLeases('1200', 0, f.now), cache: nodeLeases('1200', 0, f.now) };
    f.watchCache.storage!.leases.clear();
    const unknown = preflight.evaluate(f, { critical: r('0'), settleMs: 600_000 });
    expect(unknown.summary).toBe(
      'NO-GO for k8s02: watch-cache UNKNOWN: no node Lease in kube-node-lease to compare: cannot tell whether the watch cache follows',
    );
    // Not known to be stale: no restart is suggested.
    expect(unknown.details).not.toContainEqual(expect.stringMatching(/^A frozen watch cache/));
  });

  it("a Deployment whose controller has not observed its spec past 2m: NO-GO (the runbook's wait between restarts)", () => {
    const f = healthy();
    const lag = { kind: 'deployment' as const, namespace: 'web', name: 'checkout', generation: 5, observed: 4 };
    f.rollouts.lags.push({ ...lag, seconds: 600 });
    const o = preflight.evaluate(f, { critical: r('0'), settleMs: 600_000 });
    expect([o.state, o.summary]).toEqual([
      State.CRITICAL,
      'NO-GO for k8s02: observed-generation WARNING: 1 of 7 Deployments lagging past 2m, web/checkout',
    ]);
    // The runbook waits for observedGeneration after a restart; the kcm leader is restarted only once stuck over 5 minutes.
    expect(o.details).toContainEqual(expect.stringMatching(/^Deployments lagging \(observed-generation above\): wait for /));
    expect(o.details).not.toContainEqual(expect.stringMatching(/^A frozen watch cache/));
    // Within check_observed_generation's default grace (120 s) a rollout is still being observed: GO.
    f.rollouts.lags[0]!.seconds = 60;
    expect(preflight.evaluate(f, { critical: r('0'), settleMs: 600_000 }).summary).toBe('GO: kubelite on k8s02 may be restarted');
  });

  it('a healthy cluster, a non-leader node: GO', () => {
    const o = preflight.evaluate(healthy(), { critical: r('0'), settleMs: 600_000 });
    expect([o.state, o.summary]).toEqual([State.OK, 'GO: kubelite on k8s02 may be restarted']);
  });

  it('the leader node: GO with care (WARNING)', () => {
    const o = preflight.evaluate({ ...healthy(), node: 'k8s01' }, { critical: r('0'), settleMs: 600_000 });
    expect(o.state).toBe(State.WARNING);
    expect(o.summary).toBe(
      'GO with care for k8s01: k8s01 holds the kube-controller-manager lease, k8s01 holds the ' +
        'kube-scheduler lease, k8s01 is the dqlite leader',
    );
  });

  it("a non-leader's GO does not send the user to another node first; the leader's GO with care does", () => {
    const first = 'Restart a non-leader node first where possible; leadership moves when this node restarts.';
    expect(preflight.evaluate(healthy(), { critical: r('0'), settleMs: 600_000 }).details).not.toContain(first);
    expect(preflight.evaluate({ ...healthy(), node: 'k8s01' }, { critical: r('0'), settleMs: 600_000 }).details).toContain(first);
  });

  it("the dqlite leader on a NIC other than its node's InternalIP (multi-NIC) is still that node: GO with care", () => {
    // join.py rewrites kubelet's --node-ip only where it was set: dqlite can listen on the other NIC.
    const f = healthy();
    f.nodes[0]!.status!.addresses!.push({ type: 'ExternalIP', address: '192.168.7.11' });
    const members = [1, 2, 3].map((n) => ({
      id: `${n}`,
      address: `${n === 1 ? '192.168.7.11' : `10.0.0.1${n}`}:19001`,
      role: 'voter' as const,
    }));
    f.datastore = {
      ...f.datastore,
      members,
      leader: { kind: 'known', address: '192.168.7.11:19001' },
      probes: new Map(members.map((m) => [m.address, { ok: true }])),
    };
    f.leases = [
      lease('kube-controller-manager', 'k8s02', { now: f.now }),
      lease('kube-scheduler', 'k8s02', { now: f.now }),
    ] as unknown as V1Lease[];
    const o = preflight.evaluate({ ...f, node: 'k8s01' }, { critical: r('0'), settleMs: 600_000 });
    expect([o.state, o.summary]).toEqual([State.WARNING, 'GO with care for k8s01: k8s01 is the dqlite leader']);
  });

  it('a recent kubelite start, a NotReady node or a journal it could not read: NO-GO', () => {
    const f = healthy();
    f.journals[0]!.tally!.lastStart = f.now - 60_000;
    f.nodes[2] = asNodes([node({ name: 'k8s03', ip: '10.0.0.13', ready: false })])[0]!;
    f.journals.push({ host: 'k8s02', source: 'journal', error: new Error('ssh: connection refused') });
    const o = preflight.evaluate(f, { critical: r('0'), settleMs: 600_000 });
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toBe('NO-GO for k8s02: kubelite restarted 1m ago (settle 10m) (+2 more)');
    expect(o.details.slice(0, 3)).toEqual([
      'kubelite restarted 1m ago (settle 10m)',
      expect.stringMatching(/^k8s02: cannot tell \(/),
      'node k8s03 is not Ready',
    ]);
  });

  it('a --node the cluster has no Node of (a host name kubelet was not given): NO-GO naming --node, as the other checks do', () => {
    const f = healthy();
    const o = preflight.evaluate({ ...f, node: 'vm' }, { critical: r('0'), settleMs: 600_000 });
    expect([o.state, o.summary]).toEqual([
      State.CRITICAL,
      'NO-GO for vm: node vm is not in the cluster (fix: give --node as kubectl get nodes names it)',
    ]);
  });

  it("k8s-dqlite restarting now or down: a blocker named as check_services' rules judge it, WARNING or CRITICAL", () => {
    // As docs/checks/restart-preflight.md shows them: just restarted is services' WARNING, inactive its CRITICAL.
    const dq = (o: { active: string; upS: number }) => ({
      id: 'snap.microk8s.daemon-k8s-dqlite.service',
      load: 'loaded',
      active: o.active,
      sub: o.active === 'active' ? 'running' : 'dead',
      result: 'success',
      restarts: 16,
      startedUs: (10_000 - o.upS) * 1e6,
      startedAt: 0,
      changedUs: (10_000 - o.upS) * 1e6,
      changedAt: 0,
    });
    const gate = (unit: ReturnType<typeof dq>) => {
      const f = healthy();
      f.units = [
        { facts: { units: [unit], clock: { on: 'monotonic', nowUs: 10_000 * 1e6 }, at: f.now, lastWords: new Map(), leftOut: [] } },
      ];
      const o = preflight.evaluate(f, { critical: r('0'), settleMs: 600_000 });
      return [o.state, o.summary];
    };
    expect(gate(dq({ active: 'active', upS: 28 }))).toEqual([
      State.CRITICAL,
      'NO-GO for k8s02: services WARNING: k8s-dqlite restarted 28s ago (NRestarts 16): restarting now',
    ]);
    expect(gate(dq({ active: 'inactive', upS: 28 }))).toEqual([
      State.CRITICAL,
      'NO-GO for k8s02: services CRITICAL: k8s-dqlite is inactive',
    ]);
  });

  describe("kubelite's start by systemd's monotonic clock, beside its journal's line", () => {
    const KL = 'snap.microk8s.daemon-kubelite.service';
    /** kubelite as systemd stamps it, started upS seconds ago on CLOCK_MONOTONIC (10000 s now), its wall stamp `wallAgoS` before `now`. */
    const kubelite = (now: number, o: { upS: number; wallAgoS?: number; active?: string; result?: string; load?: string }) => ({
      id: KL,
      load: o.load ?? 'loaded',
      active: o.active ?? 'active',
      sub: (o.active ?? 'active') === 'active' ? 'running' : 'dead',
      result: o.result ?? 'success',
      restarts: 0,
      startedUs: (10_000 - o.upS) * 1e6,
      startedAt: now - (o.wallAgoS ?? o.upS) * 1000,
      changedUs: (10_000 - o.upS) * 1e6,
      changedAt: now - (o.wallAgoS ?? o.upS) * 1000,
    });
    const gate = (journalAgoS: number | undefined, unit: ReturnType<typeof kubelite> | ((now: number) => ReturnType<typeof kubelite>)) => {
      const f = healthy();
      if (journalAgoS !== undefined) f.journals[0]!.tally!.lastStart = f.now - journalAgoS * 1000;
      const u = typeof unit === 'function' ? unit(f.now) : unit;
      f.units = [{ facts: { units: [u], clock: { on: 'monotonic', nowUs: 10_000 * 1e6 }, at: f.now, lastWords: new Map(), leftOut: [] } }];
      return preflight.evaluate(f, { critical: r('0'), settleMs: 600_000 });
    };

    it('started 4m ago by the monotonic clock, its journal line and wall stamp 3h old (the clock stepped forward since): NO-GO', () => {
      const o = gate(3 * 3600, (now) => kubelite(now, { upS: 240, wallAgoS: 3 * 3600 }));
      expect([o.state, o.summary]).toEqual([State.CRITICAL, 'NO-GO for k8s02: kubelite restarted 4m ago (settle 10m)']);
    });

    it('either within --settle blocks, said once by the newer; both past it, and kubelite not judged by the state rules: GO', () => {
      expect(gate(120, (now) => kubelite(now, { upS: 3600 })).summary).toBe('NO-GO for k8s02: kubelite restarted 2m ago (settle 10m)');
      expect(gate(420, (now) => kubelite(now, { upS: 240 })).summary).toBe('NO-GO for k8s02: kubelite restarted 4m ago (settle 10m)');
      expect(gate(undefined, (now) => kubelite(now, { upS: 601 })).state).toBe(State.OK);
      // Up 30 s would be check_services' "restarting now"; here it is a restart within --settle alone.
      expect(gate(undefined, (now) => kubelite(now, { upS: 30 })).details[0]).toBe('kubelite restarted 30s ago (settle 10m)');
    });

    it('kubelite down, unknown to systemd, or its start untold: NO-GO naming it, never GO on the journal alone', () => {
      expect(gate(undefined, (now) => kubelite(now, { upS: 3600, active: 'failed', result: 'exit-code' })).summary).toBe(
        'NO-GO for k8s02: kubelite is failed (exit-code)',
      );
      expect(gate(undefined, (now) => kubelite(now, { upS: 3600, active: 'inactive' })).summary).toBe(
        'NO-GO for k8s02: kubelite is inactive',
      );
      expect(gate(undefined, (now) => ({ ...kubelite(now, { upS: 0 }), load: 'not-found', startedUs: 0, startedAt: 0 })).summary).toMatch(
        /^NO-GO for k8s02: cannot tell when kubelite started: unit snap\.microk8s\.daemon-kubelite\.service does not exist on this host/,
      );
    });
  });

  it('a write storm beside another blocker still asks for the backlog to drain first', () => {
    const f = healthy();
    Object.assign(f.journals[0]!.tally!, { lastStart: f.now - 60_000 });
    Object.assign(f.journals[0]!.tally!.lock, { locked: 400, lastMinute: 90 });
    const o = preflight.evaluate(f, { critical: r('0'), settleMs: 600_000 });
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toMatch(/^NO-GO for k8s02: .* \(\+1 more\)$/);
    expect(o.details).toContain('Do not restart now: let the cluster absorb the write backlog, fix the above, then ask again.');
  });

  it('a leader lease renewed an hour in the future (clocks that differ) is NO-GO: nobody can tell that it is held', () => {
    const f = healthy();
    f.leases[0] = lease('kube-controller-manager', 'k8s01', { renewedAgo: -3600, duration: 60, now: f.now }) as unknown as V1Lease;
    const o = preflight.evaluate(f, { critical: r('0'), settleMs: 600_000 });
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toMatch(
      pattern(
        /^NO-GO for k8s02: cannot tell who leads kube-controller-manager \(lease kube-controller-manager /,
        /spec\.renewTime is 1h in the future/,
      ),
    );
  });

  // Its leader stops leading at the 30 s renew deadline (kcm exits, taking kubelite down) and the lease
  // is nobody else's before 60 s: restarting another node now takes away a candidate to lead next.
  it('a leader lease past its renew deadline, not yet expired, is NO-GO', () => {
    const f = healthy();
    f.leases[1] = lease('kube-scheduler', 'k8s01', { renewedAgo: 41, duration: 60, now: f.now }) as unknown as V1Lease;
    const o = preflight.evaluate(f, { critical: r('0'), settleMs: 600_000 });
    expect([o.state, o.summary]).toEqual([
      State.CRITICAL,
      'NO-GO for k8s02: the kube-scheduler leader is giving up its lease (renewed 41s ago, duration 60s, past its 30s renew deadline)',
    ]);
  });
  describe("a Node read Ready whose kubelet is silent: as kube-controller-manager's node-monitor-grace-period (50s) judges it", () => {
    const limits = { critical: r('0'), settleMs: 600_000 };
    /** k8s03's kubelet: its Lease renewed `renewedAgo` s before the gate's now, its status posted `postedAgo` s before. */
    const silent = (renewedAgo: number | undefined, postedAgo = 420, duration = 40) => {
      const f = healthy();
      const k8s03 = f.nodes.find((n) => n.metadata?.name === 'k8s03')!;
      k8s03.status!.conditions!.find((c) => c.type === 'Ready')!.lastHeartbeatTime = new Date(f.now - postedAgo * 1000).toISOString();
      const lease = f.watchCache.storage!.leases.get('k8s03')!;
      Object.assign(lease, { renewed: renewedAgo === undefined ? undefined : f.now - renewedAgo * 1000, duration });
      return f;
    };

    it('past 50s without a renewal or a status: NO-GO naming the node, the next step once; within it, GO', () => {
      expect(preflight.evaluate(silent(50), limits).summary).toBe('GO: kubelite on k8s02 may be restarted');
      const o = preflight.evaluate(silent(51), limits);
      expect([o.state, o.summary]).toEqual([
        State.CRITICAL,
        "NO-GO for k8s02: node k8s03's kubelet has not renewed its Lease for 51s (duration 40s) yet the Node reads Ready",
      ]);
      expect(o.details).toContainEqual(
        expect.stringMatching(/^A Node read Ready while its kubelet is silent \(k8s03 above\) is likely down:/),
      );
      expect(o.details).toContain('  ssh k8s03 systemctl status snap.microk8s.daemon-kubelite.service');
      // Two silent nodes, --node one of them: a blocker each, the next step once, naming both.
      const two = silent(300);
      Object.assign(two.watchCache.storage!.leases.get('k8s02')!, { renewed: two.now - 600_000, duration: 40 });
      two.nodes[1]!.status!.conditions!.find((c) => c.type === 'Ready')!.lastHeartbeatTime = new Date(two.now - 600_000).toISOString();
      const both = preflight.evaluate(two, limits);
      expect(both.summary).toBe(
        "NO-GO for k8s02: node k8s02's kubelet has not renewed its Lease for 10m (duration 40s) yet the Node reads Ready (+1 more)",
      );
      expect(both.details.filter((d) => d.startsWith('A Node read Ready'))).toEqual([
        expect.stringMatching(/^A Node read Ready while its kubelet is silent \(k8s02, k8s03 above\)/),
      ]);
    });

    it('a status posted within 50s is a heartbeat the node controller takes too; a longer Lease duration is judged past it', () => {
      expect(preflight.evaluate(silent(300, 20), limits).summary).toBe('GO: kubelite on k8s02 may be restarted');
      // A kubelet told to renew less often (nodeLeaseDurationSeconds 120, renewing every 30 s).
      expect(preflight.evaluate(silent(100, 420, 120), limits).summary).toBe('GO: kubelite on k8s02 may be restarted');
      expect(preflight.evaluate(silent(121, 420, 120), limits).summary).toBe(
        "NO-GO for k8s02: node k8s03's kubelet has not renewed its Lease for 2m1s (duration 120s) yet the Node reads Ready",
      );
    });

    it("a node's clock 5 minutes off the API server's that recorded its renewals (managedFields): GO only where it can be told", () => {
      // k8s03 renews every 10 s; the API server recorded the renewal 3 s ago, by its own clock.
      const at = (f: ReturnType<typeof silent>) => {
        f.watchCache.storage!.leases.get('k8s03')!.recorded = Math.floor((f.now - 3000) / 1000) * 1000;
        // This API server's cache holds the same Lease.
        f.watchCache.cache!.leases.set('k8s03', { ...f.watchCache.storage!.leases.get('k8s03')! });
        return preflight.evaluate(f, limits).summary;
      };
      // Its renewTime 5 minutes in this host's future: its clock is the one off, the record stands.
      expect(at(silent(3 - 300, 20 - 300))).toBe('GO: kubelite on k8s02 may be restarted');
      // 5 minutes behind: alive by the record, silent by its own clock, and which is right the Lease
      // does not say (a worker's renewals are recorded by another node's clock): not established.
      const unknown =
        /^NO-GO for k8s02: cannot tell whether node k8s03's kubelet is alive: its renewTime \(its clock\) and the API server's/;
      expect(at(silent(3 + 300, 20 + 300))).toMatch(unknown);
      // Silent by the API server's record too: NO-GO, however its renewTime reads.
      const stopped = silent(-297, 420);
      stopped.watchCache.storage!.leases.get('k8s03')!.recorded = stopped.now - 300_000;
      stopped.watchCache.cache!.leases.set('k8s03', { ...stopped.watchCache.storage!.leases.get('k8s03')! });
      expect(preflight.evaluate(stopped, limits).summary).toBe(
        "NO-GO for k8s02: node k8s03's kubelet has not renewed its Lease for 5m (duration 40s) yet the Node reads Ready",
      );
    });

    it('no Lease at all, or one never renewed: NO-GO, the heartbeat is not there', () => {
      const none = silent(300);
      none.watchCache.storage!.leases.delete('k8s03');
      expect(preflight.evaluate(none, limits).summary).toBe(
        'NO-GO for k8s02: node k8s03 has no Lease in kube-node-lease and its kubelet last posted its status 7m ago, ' +
          'yet the Node reads Ready',
      );
      expect(preflight.evaluate(silent(undefined), limits).summary).toBe(
        "NO-GO for k8s02: node k8s03's kubelet has never renewed its Lease (duration 40s) yet the Node reads Ready",
      );
    });

    it('a NotReady node is its own blocker, not a second one; a heartbeat past 50s in the future cannot be told', () => {
      const down = silent(300);
      const ready = down.nodes[2]!.status!.conditions!.find((c) => c.type === 'Ready')!;
      Object.assign(ready, { status: 'Unknown', reason: 'NodeStatusUnknown' });
      const o = preflight.evaluate(down, limits);
      expect([o.summary, o.details.some((d) => d.startsWith('A Node read Ready'))]).toEqual([
        'NO-GO for k8s02: node k8s03 is not Ready',
        false,
      ]);
      // Its kubelet's clock 3 minutes ahead of this host's: a kubelet that stopped 2 minutes ago would read renewed now.
      expect(preflight.evaluate(silent(-180), limits).summary).toBe(
        "NO-GO for k8s02: cannot tell whether node k8s03's kubelet is alive: it was last heard from 3m in the future " +
          "by this host's clock " +
          '(fix: check time synchronisation (timedatectl) here and on k8s03) (+1 more)',
      );
      // Its fix is its own line's: no next step for a silent kubelet.
      expect(preflight.evaluate(silent(-180), limits).details.some((d) => d.startsWith('A Node read Ready'))).toBe(false);
    });
  });
});
