// Every check's judging, from plain facts: no API server, journal, sshd or systemd needed. What is
// asserted is what a user sees: the state, the first line's summary and the perfdata.
import type { V1Lease, V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import * as apiserver from '../../checks/apiserver.ts';
import * as calico from '../../checks/calico-routes.ts';
import * as certs from '../../checks/certs.ts';
import * as cronjobs from '../../checks/cronjobs.ts';
import * as restarts from '../../checks/pod-restarts.ts';
import * as dqlite from '../../checks/dqlite.ts';
import * as lock from '../../checks/dqlite-lock.ts';
import * as storage from '../../checks/dqlite-storage.ts';
import * as kine from '../../checks/kine-retries.ts';
import * as leases from '../../checks/leases.ts';
import * as nodes from '../../checks/nodes.ts';
import * as rollout from '../../checks/observed-generation.ts';
import * as preflight from '../../checks/restart-preflight.ts';
import * as scheduling from '../../checks/scheduling.ts';
import * as services from '../../checks/services.ts';
import * as history from '../../lib/restart-history.ts';
import * as jobs from '../../checks/stale-jobs.ts';
import { parseTextLine } from '../../lib/logs/logline.ts';
import { parseClusterAnswer } from '../../lib/sources/dqlite-cluster.ts';
import { formatPerfdata } from '../../lib/plugin/perfdata.ts';
import { Range } from '../../lib/plugin/range.ts';
import { State } from '../../lib/plugin/state.ts';
import { ScalarContext, type Outcome } from '../../lib/plugin/verdict.ts';
import type { Wire } from '../../lib/k8s/wire.ts';
import { RouteTable } from '../../lib/sources/routes.ts';
import { lease, node } from '../apiserver/objects.ts';

const NOW = Date.parse('2026-11-28T03:00:00Z');
const r = (text: string) => Range.parse(text);
const perf = (o: Outcome) => Object.fromEntries(o.perfdata.map((p) => [p.label, formatPerfdata(p).split('=')[1]]));
const asNodes = (list: ReturnType<typeof node>[]) => list as unknown as Wire<V1Node>[];

describe('dqlite-lock', () => {
  const win = { now: NOW, since: NOW - 300_000, seconds: 300, units: [] };
  const line = (agoS: number, ident = 'k8s-dqlite') =>
    parseTextLine(
      `${new Date(NOW - agoS * 1000).toISOString()} node1 ${ident}[812]: time="x" level=error msg="error in txn: database is locked"`,
      NOW,
    );
  const tally = (...ages: number[]) => {
    const t = lock.fresh();
    for (const a of ages) lock.count(t, line(a), win);
    return t;
  };

  it('none is OK and says where it looked', () => {
    const o = lock.evaluate(tally(), win, 'journal', r(lock.defaults.warning), r(lock.defaults.critical));
    expect([o.state, o.summary]).toEqual([State.OK, "no 'database is locked' in the last 5m (journal)"]);
    expect(perf(o)).toMatchObject({ locked: '0;5;50;0', locked_last_min: '0;;;0' });
  });

  it('a burst in the last minute is WARNING, rising, with the runbook advice', () => {
    const o = lock.evaluate(tally(10, 20, 30, 40, 50, 55, 200), win, 'journal', r('5'), r('50'));
    expect(o.state).toBe(State.WARNING);
    expect(o.summary).toBe("7 'database is locked' lines in the last 5m (1.4/min, 6 in the last minute, rising)");
    expect(o.details.join('\n')).toMatch(/Do not restart kubelite/);
  });
});

describe('kine-retries', () => {
  const limits = { ...kine.defaults, warning: r(kine.defaults.warning), critical: r(kine.defaults.critical) };
  const count = (...msgs: string[]) => {
    const t = kine.fresh();
    for (const m of msgs) kine.count(t, parseTextLine(`2026-11-28T02:59:00Z node1 k8s-dqlite[812]: ${m}`, NOW), kine.defaults.budget);
    return t;
  };
  const exhausted = 'time="2026-11-28T02:59:00Z" level=error msg="error in txn: exec (try: 500): database is locked"';

  it('nothing is OK', () => {
    const o = kine.evaluate(count(), 300, 'journal', limits);
    expect([o.state, o.summary]).toEqual([State.OK, 'no kine retry exhaustion or etcd-client retry storm in the last 5m (journal)']);
  });

  it('errors at the full budget are counted against -w/-c', () => {
    const o = kine.evaluate(count(exhausted, exhausted, exhausted), 300, 'journal', limits);
    expect(o.state).toBe(State.WARNING);
    expect(o.summary).toMatch(/^3 k8s-dqlite errors at the full retry budget \(try: 500\) in the last 5m/);
    expect(perf(o).exhausted).toBe('3;2;10;0');
  });
});

describe('nodes', () => {
  const facts = (...specs: Parameters<typeof node>[0][]) =>
    nodes.evaluate(
      specs
        .map((s) => node(s))
        .map((n) => ({ name: n.metadata.name, ready: s(n), cordoned: Boolean(n.spec.unschedulable), taints: n.spec.taints ?? [] })),
      [],
      undefined,
      r('0'),
    );
  const s = (n: ReturnType<typeof node>) => n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True');

  it('all Ready is OK with the node count', () => {
    const o = facts({ name: 'a', ip: '10.0.0.1' }, { name: 'b', ip: '10.0.0.2' });
    expect([o.state, o.summary]).toEqual([State.OK, '2 nodes, all Ready']);
  });

  it('NotReady is CRITICAL and named first; cordoned and tainted follow as findings', () => {
    const o = facts(
      { name: 'a', ip: '10.0.0.1', ready: false },
      { name: 'b', ip: '10.0.0.2', unschedulable: true },
      { name: 'c', ip: '10.0.0.3', taints: [{ key: 'x', effect: 'NoSchedule' }] },
    );
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toBe('1 of 3 nodes NotReady: a, cordoned: b, 1 node tainted');
  });

  it('no node at all is UNKNOWN, never OK', () => {
    const o = nodes.evaluate([], [], undefined, r('0'));
    expect([o.state, o.summary]).toEqual([State.UNKNOWN, 'the API server lists no nodes']);
  });
});

describe('leases', () => {
  const now = Date.now();
  const pair = (kcm: object, sched: object) =>
    [lease('kube-controller-manager', 'k8s01', kcm), lease('kube-scheduler', 'k8s02', sched)] as unknown as V1Lease[];

  it('held leases are OK and name the leaders', () => {
    const o = leases.evaluate({ leases: pair({}, {}), dqlite: { leader: '10.0.0.13:19001', node: 'k8s03' } }, now);
    expect([o.state, o.summary]).toEqual([State.OK, 'leaders: kcm k8s01, scheduler k8s02, dqlite k8s03']);
  });

  it('an expired lease is CRITICAL; transitions grown since the last run are WARNING', () => {
    const o = leases.evaluate(
      {
        leases: pair({ renewedAgo: 600, duration: 60 }, { transitions: 14 }),
        before: { 'kube-controller-manager': 12, 'kube-scheduler': 12 },
      },
      now,
    );
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toMatch(
      /^leaders: kcm k8s01, scheduler k8s02, kcm lease expired \(renewed 10m ago, duration 60s\): no kube-controller-manager is leading, scheduler leadership changed 2 times since the last run$/,
    );
  });
});

describe('stale-jobs', () => {
  const tally = (complete: number, failed: number) => ({
    jobs: complete + failed + 5,
    cron: 1,
    noTtl: complete,
    byNamespace: new Map([['batch', { complete, failed }]]),
  });

  it('few finished Jobs are OK, with the scope in the summary', () => {
    const o = jobs.evaluate(tally(3, 1), 3600, { only: [], excluded: ['kube-system'] }, r('50'), r('200'));
    expect([o.state, o.summary]).toEqual([State.OK, '4 finished Jobs older than 1h outside kube-system (3 Complete, 1 Failed, of 9 Jobs)']);
  });

  it('past -c is CRITICAL and the clean-up names the worst namespace', () => {
    const o = jobs.evaluate(tally(250, 10), 3600, { only: [], excluded: [] }, r('50'), r('200'));
    expect(o.state).toBe(State.CRITICAL);
    expect(o.details.join('\n')).toMatch(/kubectl -n batch delete job/);
    expect(perf(o)).toMatchObject({ stale: '260;50;200;0', complete: '250;;;0', failed: '10;;;0' });
  });
});

describe('observed-generation', () => {
  const facts = (lags: rollout.Lag[], phantoms: rollout.Phantom[] = []): rollout.RolloutFacts => ({
    counts: new Map([['deployment', 5]]),
    lags,
    stalled: [],
    phantoms,
  });
  const lag = (name: string, seconds?: number): rollout.Lag => ({
    kind: 'deployment',
    namespace: 'web',
    name,
    generation: 4,
    observed: 3,
    seconds,
  });

  it('a lag within --grace is not counted; past it, it is, named in the summary', () => {
    expect(rollout.evaluate(facts([lag('a', 30)]), 120, r('0'), r('2')).summary).toBe('0 of 5 Deployments lagging past 2m');
    const o = rollout.evaluate(facts([lag('a', 300), lag('b')]), 120, r('0'), r('2'));
    expect([o.state, o.summary]).toEqual([State.WARNING, '2 of 5 Deployments lagging past 2m, web/a, web/b']);
  });

  it('a phantom ReplicaSet is WARNING with the status patch for it', () => {
    const o = rollout.evaluate(facts([], [{ namespace: 'web', name: 'a-6d4cf56db6', owner: 'a', available: 1 }]), 120, r('0'), r('2'));
    expect([o.state, o.summary]).toEqual([State.WARNING, '0 of 5 Deployments lagging past 2m, 1 phantom ReplicaSet']);
    expect(o.details.join('\n')).toMatch(/kubectl -n web patch rs a-6d4cf56db6 --subresource=status/);
  });
});

describe('scheduling', () => {
  const limits = { minAge: 300, namespaces: [], warning: r('0'), critical: r('5'), newestPod: new ScalarContext(r('900'), r('1800')) };
  const facts = (waiting: { since: number }[], newestBind: number, newestCreated = NOW - 60_000): scheduling.SchedulingFacts => ({
    now: NOW,
    waiting: waiting.map((w, i) => ({ ref: `web/p${i}`, since: w.since, why: '0/3 nodes are available' })),
    newestBind,
    newestCreated,
    newestBindByNode: new Map(),
  });

  it('no pod waiting and recent binds is OK', () => {
    const o = scheduling.evaluate(facts([], NOW - 30_000), limits);
    expect([o.state, o.summary]).toEqual([State.OK, '0 pods unscheduled for over 5m, newest bind 30s ago']);
  });

  it('waiting pods with no bind since the oldest arrived: the scheduler looks stalled (CRITICAL)', () => {
    const o = scheduling.evaluate(facts([{ since: NOW - 600_000 }], NOW - 900_000), limits);
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toMatch(
      /^1 pod unscheduled for over 5m, newest bind 15m ago, no pod bound anywhere since the oldest waiting one arrived 10m ago/,
    );
  });

  it('no pod created for longer than --newest-pod-critical', () => {
    expect(scheduling.evaluate(facts([], NOW - 30_000, NOW - 3_600_000), limits).state).toBe(State.CRITICAL);
  });
});

describe('calico-routes', () => {
  const table = new RouteTable([
    { type: 'blackhole', dst: '10.1.22.0/26' },
    { dst: '10.1.22.7', dev: 'cali0c9f8bc5a1b' },
  ]);
  const facts = (pods: calico.PodOnNode[], ready = true): calico.RouteFacts => ({
    node: 'node1',
    ifacePrefix: 'cali',
    minAge: 30,
    pods,
    calico: [{ name: 'calico-node-cp8hh', ready, restarts: 2 }],
    table,
  });

  it('a pod whose /32 falls in the blackhole is CRITICAL by default', () => {
    const o = calico.evaluate(facts([{ namespace: 'web', name: 'api', ips: ['10.1.22.9'] }]), undefined, r('0'));
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toBe(
      '1 of 1 Running pod on node1 without a host route through its veth (older than 30s), calico-node Ready (2 restarts)',
    );
    expect(o.details[0]).toMatch(/falls into blackhole 10\.1\.22\.0\/26/);
  });

  it('calico-node not Ready is CRITICAL even with every route in place', () => {
    const o = calico.evaluate(facts([], false), undefined, r('0'));
    expect([o.state, o.summary]).toEqual([
      State.CRITICAL,
      '0 of 0 Running pods on node1 without a host route through its veth, calico-node calico-node-cp8hh on node1 is not Ready',
    ]);
  });
});

describe('dqlite', () => {
  it("reads the CLI's -f json answer (captured from Debian's v1 CLI) with the uint64 ID intact, and the tabular one", () => {
    const json = '[\n\t{\n\t\t"ID": 3297041220608546238,\n\t\t"Address": "127.77.9.1:19001",\n\t\t"Role": 0\n\t}\n]\n';
    expect(parseClusterAnswer(json)).toEqual([{ id: '3297041220608546238', address: '127.77.9.1:19001', role: 'voter' }]);
    expect(parseClusterAnswer('2dc171858c3155be|127.77.9.1:19001|voter\n')).toEqual(parseClusterAnswer(json));
  });

  const member = (n: number, role: 'voter' | 'stand-by' | 'spare' = 'voter') => ({ id: `${n}`, address: `10.0.0.1${n}:19001`, role });
  const facts = (unreachable: string[], over: Partial<dqlite.DqliteFacts> = {}): dqlite.DqliteFacts => {
    const members = over.members ?? [member(1), member(2), member(3)];
    return {
      members,
      from: 'the dqlite CLI (the leader)',
      duplicates: 0,
      self: '10.0.0.11:19001',
      leader: { kind: 'known', address: '10.0.0.11:19001' },
      notes: [],
      probes: new Map(members.map((m) => [m.address, unreachable.includes(m.address) ? { ok: false, why: 'ECONNREFUSED' } : { ok: true }])),
      ...over,
    };
  };
  const judge = (f: dqlite.DqliteFacts) => dqlite.evaluate(f, r(dqlite.defaults.warning));

  it('three reachable voters with a leader is OK', () => {
    const o = judge(facts([]));
    expect([o.state, o.summary]).toEqual([State.OK, '3 voters, leader 10.0.0.11:19001, 0 unreachable']);
  });

  it('two voters unreachable of three is quorum lost: CRITICAL first', () => {
    const o = dqlite.evaluate(facts(['10.0.0.12:19001', '10.0.0.13:19001']), r('0'));
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toMatch(/^quorum lost: 1 of 3 voters reachable, 2 needed/);
  });

  it('nothing to judge is UNKNOWN: no member, no voter', () => {
    expect(judge(facts([], { members: [], from: '/b/cluster.yaml' }))).toMatchObject({
      state: State.UNKNOWN,
      summary: expect.stringMatching(/^\/b\/cluster\.yaml lists no member/),
    });
    expect(judge(facts([], { members: [member(1, 'spare'), member(2, 'spare')] }))).toMatchObject({
      state: State.UNKNOWN,
      summary: expect.stringMatching(/^no voter among 2 members/),
    });
  });

  it('the leader not asked (no key access) is no failure by itself; a CLI that failed is UNKNOWN', () => {
    const o = judge(facts([], { leader: { kind: 'not-asked', why: 'no read access to /b/cluster.key' } }));
    expect([o.state, o.summary]).toEqual([State.OK, '3 voters, leader not asked, 0 unreachable']);
    expect(o.details).toContain('leader not asked: no read access to /b/cluster.key');
    expect(judge(facts([], { leader: { kind: 'failed', why: 'sudo: a password is required' } })).state).toBe(State.UNKNOWN);
  });

  it("a CLI with no answer in time is WARNING, leader unknown; the CLI's own no-leader answer is quorum lost", () => {
    const slow = judge(facts([], { leader: { kind: 'no-answer', seconds: 9.2 } }));
    expect([slow.state, slow.summary]).toEqual([
      State.WARNING,
      'the dqlite CLI gave no answer in 9.2s: leader unknown (3 voters, leader unknown, 0 unreachable)',
    ]);
    const none = judge(facts([], { leader: { kind: 'none', text: 'no available dqlite leader server found' } }));
    expect(none.state).toBe(State.CRITICAL);
    expect(none.summary).toMatch(/^quorum lost: the dqlite CLI found no leader/);
  });

  it('a member is stale only when it matches no Node address and does not answer; loopback members are this node', () => {
    const nodes = asNodes([node({ name: 'k8s01', ip: '10.0.0.11' }), node({ name: 'k8s02', ip: '10.0.0.12' })]);
    expect(judge(facts([], { nodes })).state).toBe(State.OK);
    const gone = judge(facts(['10.0.0.13:19001'], { nodes }));
    expect(gone.summary).toMatch(/1 member with no matching node: 10\.0\.0\.13:19001/);
    const single = { id: '1', address: '127.0.0.1:19001', role: 'voter' as const };
    const o = judge(facts([], { members: [single], self: '127.0.0.1:19001', leader: { kind: 'known', address: single.address }, nodes }));
    expect([o.state, o.summary]).toEqual([State.OK, '1 voter, leader 127.0.0.1:19001, 0 unreachable']);
  });

  it('fewer than three voters with two or more members: WARNING, no fault tolerance', () => {
    const o = judge(facts([], { members: [member(1), member(2, 'spare')] }));
    expect(o.state).toBe(State.WARNING);
    expect(o.summary).toMatch(/^no fault tolerance: 1 voter among 2 members, one failure stops every write/);
  });
});

describe('dqlite-storage', () => {
  const limits = { warning: r('50'), critical: r('150'), minIntervalSeconds: 300, freeWarning: 20, freeCritical: 10 };
  const MB = 1024 * 1024;
  // The name's last number is milliseconds since boot (a machine up 25 minutes), never a date.
  const snap = (agoS: number, mb: number, index = 1_000_000 - agoS) => [
    { name: `snapshot-3-${index}-1492552`, size: mb * MB, mtime: NOW - agoS * 1000 },
    { name: `snapshot-3-${index}-1492552.meta`, size: 128, mtime: NOW - agoS * 1000 },
    { name: 'cluster.yaml', size: 66, mtime: NOW - 86_400_000 },
  ];
  const fs = (totalMb: number, availMb: number, mount = '/') => ({ mount, totalBytes: totalMb * MB, availBytes: availMb * MB });

  it('a small newest snapshot and free space is OK', () => {
    const o = storage.evaluate({ backend: '/b', files: snap(3600, 12), fs: fs(100, 60), now: NOW }, limits);
    expect([o.state, o.summary]).toEqual([State.OK, 'newest snapshot 12 MB, one snapshot, no cadence yet, 60% free on /']);
  });

  it('a bloated snapshot on a nearly full disk: CRITICAL, both said', () => {
    const o = storage.evaluate({ backend: '/b', files: snap(60, 200), fs: fs(1000, 50, '/var'), now: NOW }, limits);
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toMatch(/^newest snapshot 200 MB: each snapshot writes and ships the whole database, /);
    expect(o.summary).toMatch(/50 MB free on \/var: the next snapshot needs about 400 MB/);
  });

  it('large AND frequent is CRITICAL; large alone WARNING; frequent and small OK', () => {
    const at = (files: ReturnType<typeof snap>) => storage.evaluate({ backend: '/b', files, fs: fs(10_000, 6000), now: NOW }, limits);
    const storm = at([...snap(200, 60), ...snap(80, 60)]);
    expect([storm.state, storm.summary]).toEqual([
      State.CRITICAL,
      'newest snapshot 60 MB, every 2m (more than one per 5m): each snapshot writes and ships the whole database (newest snapshot 60 MB, every 2m (30/h), 60% free on /)',
    ]);
    expect(at([...snap(3800, 60), ...snap(200, 60)]).state).toBe(State.WARNING);
    expect(at([...snap(200, 2), ...snap(80, 2)]).state).toBe(State.OK);
    // A burst that stopped an hour ago is history, not a storm.
    const stopped = at([...snap(3720, 60), ...snap(3600, 60)]);
    expect(stopped.state).toBe(State.WARNING);
    expect(stopped.details).toContain('the last snapshots came every 2m, but none for 1h: not frequent now');
  });
});

describe('services', () => {
  const unit = (id: string, o: Partial<{ active: string; restarts: number; upS: number }> = {}) => ({
    id,
    load: 'loaded',
    active: o.active ?? 'active',
    sub: 'running',
    result: 'success',
    restarts: o.restarts ?? 0,
    startedUs: (10_000 - (o.upS ?? 3600)) * 1e6,
    changedUs: (10_000 - (o.upS ?? 3600)) * 1e6,
  });
  const AT = Date.UTC(2026, 11, 4, 12);
  const facts = (...units: ReturnType<typeof unit>[]): services.ServiceFacts => ({
    units,
    nowUs: 10_000 * 1e6,
    at: AT,
    lastWords: new Map<string, string>(),
    leftOut: [],
  });
  const judge = { warning: r('3'), critical: r('10'), minUptime: 120, windowMs: 3600_000 };
  const DQ = services.K8S_DQLITE_UNIT;

  it('a first sample judges only what it sees: 12 old restarts, up for long, OK and said to be a first sample', () => {
    const o = services.evaluate(facts(unit(DQ, { restarts: 12 })), {}, judge);
    expect([o.state, o.summary]).toEqual([State.OK, '1 unit active, first sample (restarts per hour from the next run)']);
  });

  it('restarts per hour from the samples: unchanged is OK, 18 more within the window CRITICAL naming k8s-dqlite', () => {
    const started = (10_000 - 3600) * 1e6;
    const old = { history: { [DQ]: [[AT - 1800_000, 12, started] as [number, number, number]] } };
    expect(services.evaluate(facts(unit(DQ, { restarts: 12 })), old, judge).state).toBe(State.OK);
    const o = services.evaluate(facts(unit(DQ, { restarts: 30 })), old, judge);
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toBe('k8s-dqlite restarted 18 times in 30m (18/h)');
  });

  it('k8s-dqlite just restarted is WARNING, with NRestarts 0 too; failed is CRITICAL', () => {
    expect(services.evaluate(facts(unit(DQ, { restarts: 3, upS: 20 })), {}, judge).state).toBe(State.WARNING);
    expect(services.evaluate(facts(unit(DQ, { restarts: 0, upS: 20 })), {}, judge).state).toBe(State.WARNING);
    const failed = services.evaluate(facts(unit(DQ, { active: 'failed', restarts: 3794 })), {}, judge);
    expect(failed.state).toBe(State.CRITICAL);
    expect(failed.summary).toMatch(/^k8s-dqlite is failed/);
  });
});

describe('restart history', () => {
  it('a count that went down was reset: its new value is growth; a new main process with no count is one restart', () => {
    expect(history.growth([0, 40, 5], [1, 3, 9])).toBe(3);
    expect(history.growth([0, 4, 5], [1, 4, 9])).toBe(1);
    expect(history.growth([0, 4, 5], [1, 4, 5])).toBe(0);
  });
  it('one restart between close runs is not extrapolated: at least an hour is the span', () => {
    expect(
      history.rateOf([
        [0, 0, 1],
        [60_000, 1, 2],
      ])!.perHour,
    ).toBe(1);
    expect(
      history.rateOf([
        [0, 0, 1],
        [7200_000, 44, 2],
      ])!.perHour,
    ).toBe(22);
    expect(history.rateOf([[0, 0, 1]])).toBeUndefined();
  });
  it('a damaged history is refused, not half read', () => {
    expect(history.historyOf({ a: [[1, 2, 3]] })).toEqual({ a: [[1, 2, 3]] });
    expect(history.historyOf({ a: [[1, null, 3]] })).toBeUndefined();
    expect(history.historyOf({ a: null })).toBeUndefined();
    expect(history.historyOf([])).toBeUndefined();
  });
});

describe('restart-preflight', () => {
  const healthy = (): preflight.PreflightFacts => ({
    now: Date.now(),
    journals: [{ source: 'journal', tally: { lock: lock.fresh(), kine: kine.fresh(), lastStart: 0 } }],
    leases: [lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s01')] as unknown as V1Lease[],
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
    units: [{ facts: { units: [], nowUs: 1, at: 0, lastWords: new Map(), leftOut: [] } }],
  });

  it('a healthy cluster, a non-leader node: GO', () => {
    const o = preflight.evaluate(healthy(), 'k8s02', 600, r('0'));
    expect([o.state, o.summary]).toEqual([State.OK, 'GO: kubelite on k8s02 may be restarted']);
  });

  it('the leader node: GO with care (WARNING)', () => {
    const o = preflight.evaluate(healthy(), 'k8s01', 600, r('0'));
    expect(o.state).toBe(State.WARNING);
    expect(o.summary).toBe(
      'GO with care for k8s01: k8s01 holds the kube-controller-manager lease, k8s01 holds the kube-scheduler lease, k8s01 is the dqlite leader',
    );
  });

  it('a recent kubelite start, a NotReady node or a journal it could not read: NO-GO', () => {
    const f = healthy();
    f.journals[0]!.tally!.lastStart = f.now - 60_000;
    f.nodes[2] = asNodes([node({ name: 'k8s03', ip: '10.0.0.13', ready: false })])[0]!;
    f.journals.push({ host: 'k8s02', source: 'journal', error: new Error('ssh: connection refused') });
    const o = preflight.evaluate(f, 'k8s02', 600, r('0'));
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toBe('NO-GO for k8s02: kubelite restarted 1m ago (settle 10m) (+2 more)');
    expect(o.details.slice(0, 3)).toEqual([
      'kubelite restarted 1m ago (settle 10m)',
      expect.stringMatching(/^k8s02: cannot tell \(/),
      'node k8s03 is not Ready',
    ]);
  });
});

describe('certs', () => {
  const cert = (where: string, days: number) => ({
    where,
    subject: 'CN=x',
    issuer: 'CN=ca',
    notBefore: NOW - 86_400_000,
    notAfter: NOW + days * 86_400_000 + 3_600_000,
  });

  it('the soonest decides, by -w/-c as lower bounds; each certificate is its own metric', () => {
    const o = certs.evaluate({ now: NOW, certs: [cert('/c/ca.crt', 3000), cert('/c/server.crt', 20)], unreadable: [] }, r('30:'), r('7:'));
    expect(o.state).toBe(State.WARNING);
    expect(o.summary).toBe('/c/server.crt expires in 20 days (2 certificates, soonest /c/server.crt in 20 days)');
    expect(perf(o)).toMatchObject({ min_days: '20;30:;7:', days_ca: '3000', days_server: '20' });
    expect(o.details).toContain(
      '  renew: sudo microk8s refresh-certs --cert server.crt (the same CA, restarts kubelite and cluster-agent)',
    );
  });

  it('expired is CRITICAL; an unreadable certificate is UNKNOWN beside it, never dropped', () => {
    const o = certs.evaluate(
      { now: NOW, certs: [cert('served by 10.0.0.12:16443', -3)], unreadable: [{ where: '/c/kubelet.crt', why: 'no such file' }] },
      r('30:'),
      r('7:'),
    );
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toMatch(/^served by 10\.0\.0\.12:16443 expired 3 days ago, \/c\/kubelet\.crt: no such file/);
  });

  it('a certificate not valid yet is CRITICAL however many days it has left', () => {
    const early = { ...cert('/b/cluster.crt', 3650), notBefore: Date.parse('2035-01-01T00:00:00Z') };
    const o = certs.evaluate({ now: NOW, certs: [cert('/c/ca.crt', 3000), early], unreadable: [] }, r('30:'), r('7:'));
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toBe('/b/cluster.crt not valid until 2035-01-01T00:00:00Z (2 certificates, soonest /c/ca.crt in 3000 days)');
  });

  it('names what refresh-certs really renews for each certificate', () => {
    const front = '/var/snap/microk8s/current/certs/front-proxy-ca.crt';
    expect(certs.remedy(front)).toBe(
      `refresh-certs makes it only when it is missing: move it aside (sudo mv ${front} ${front}.old), then sudo microk8s refresh-certs --cert ca.crt (a new CA: every other node must then leave and re-join). --cert front-proxy-client.crt signs with the old one`,
    );
    expect(certs.remedy('/x/ca.crt')).toMatch(
      /--cert ca\.crt .*which also renews server\.crt, front-proxy-client\.crt and the component client certificates, not front-proxy-ca\.crt$/,
    );
    expect(certs.remedy('/x/front-proxy-client.crt')).toMatch(/--cert front-proxy-client\.crt/);
    expect(certs.remedy('/x/kubelet.crt')).toMatch(
      /^refresh-certs has no --cert for kubelet\.crt: sudo microk8s refresh-certs --cert ca\.crt/,
    );
    expect(certs.remedy('/var/snap/microk8s/current/var/kubernetes/backend/cluster.crt')).toMatch(
      /^refresh-certs does not renew it: every control-plane node shares this dqlite certificate/,
    );
    expect(certs.remedy('/etc/ssl/other.crt')).toBe('renew it where it was issued');
  });
});

describe('apiserver', () => {
  const answer = (status: number, text: string) => ({ status, text, contentType: 'text/plain; charset=utf-8', ms: 12 });
  const report = (endpoint: string, lines: string[], passed = true) =>
    `${lines.join('\n')}\n${endpoint} check ${passed ? 'passed' : 'failed'}\n`;

  it('reads the verbose report; anything else is no report', () => {
    expect(apiserver.parseHealth('readyz', report('readyz', ['[+]ping ok', '[-]etcd failed: reason withheld'], false))).toEqual({
      passed: false,
      checks: 2,
      failed: [{ name: 'etcd', why: 'failed: reason withheld' }],
    });
    expect(apiserver.parseHealth('readyz', 'ok')).toBeUndefined();
    expect(apiserver.parseHealth('livez', report('readyz', ['[+]ping ok']))).toBeUndefined();
  });

  it('a failing sub-check is CRITICAL; a slow readyz is judged by -w/-c; 403 is UNKNOWN with the RBAC fix', () => {
    const ok = answer(200, report('readyz', ['[+]ping ok']));
    const live = answer(200, report('livez', ['[+]ping ok']));
    expect(apiserver.evaluate({ server: 's', readyz: { ...ok, ms: 2500 }, livez: live }, r('1'), r('5')).state).toBe(State.WARNING);
    const down = apiserver.evaluate(
      { server: 's', readyz: answer(500, report('readyz', ['[-]etcd failed: reason withheld'], false)), livez: live },
      r('1'),
      r('5'),
    );
    expect([down.state, down.summary]).toEqual([State.CRITICAL, 'not ready: [-]etcd failed: reason withheld (readyz 0.012 s)']);
    // A [-] line is a failed sub-check even in a 200 that says "passed" (a proxy rewriting the status).
    const contradicted = apiserver.evaluate(
      { server: 's', readyz: answer(200, report('readyz', ['[+]ping ok', '[-]etcd failed: reason withheld'])), livez: live },
      r('1'),
      r('5'),
    );
    expect([contradicted.state, contradicted.summary]).toEqual([
      State.CRITICAL,
      'not ready: [-]etcd failed: reason withheld (readyz 0.012 s)',
    ]);
    const forbidden = apiserver.evaluate({ server: 's', readyz: answer(403, '{}'), livez: live }, r('1'), r('5'));
    expect(forbidden.state).toBe(State.UNKNOWN);
    expect(forbidden.summary).toMatch(/nrpe\/rbac\.yaml/);
  });
});

describe('cronjobs', () => {
  const T = Date.parse('2026-11-28T12:40:30Z');
  const job = (o: Partial<cronjobs.CronJobFacts>): cronjobs.CronJobFacts => ({
    namespace: 'ops',
    name: 'j',
    schedule: '*/5 * * * *',
    suspended: false,
    created: T - 86_400_000,
    active: [],
    ...o,
  });

  it('late past --grace and startingDeadlineSeconds; never scheduled counts from creation; suspended is skipped', () => {
    const j = cronjobs.judge(
      [
        job({ name: 'late', lastSchedule: T - 2400_000 }),
        job({ name: 'slack', lastSchedule: T - 600_000, startingDeadlineSeconds: 600 }),
        job({ name: 'new', created: T - 60_000 }),
        job({ name: 'never', created: T - 3600_000 }),
        job({ name: 'off', suspended: true, lastSchedule: T - 86_400_000 }),
      ],
      T,
      180,
      'UTC',
    );
    expect(j.late.map((l) => l.job.name)).toEqual(['late', 'never']);
    expect(j.judged).toBe(4);
  });

  it('Forbid with a Job running is busy, not late; past its next run it is named; busy ones are no frozen controller', () => {
    const busy = { concurrencyPolicy: 'Forbid', active: ['backup-29406720'] };
    const o = cronjobs.evaluate(
      [
        job({ name: 'late', lastSchedule: T - 2400_000, lastSuccess: T - 2390_000 }),
        job({ name: 'backup', schedule: '0 * * * *', lastSchedule: T - 2 * 3600_000 - 2430_000, ...busy }),
        job({ name: 'fresh', schedule: '0 * * * *', lastSchedule: T - 2430_000, ...busy }),
      ],
      T,
      180,
      'UTC',
      r('0'),
    );
    expect([o.state, o.summary]).toEqual([
      State.WARNING,
      "1 of 3 CronJobs late: ops/late (2 busy), Job running longer than its schedule's period: ops/backup",
    ]);
    expect(perf(o)).toMatchObject({ late: '1;0;;0;3', busy: '2;;;0;3' });
    expect(o.details).toContain(
      'busy ops/backup (0 * * * *): Job backup-29406720 still active, last scheduled 2h40m ago, a run was due 1h40m ago. concurrencyPolicy Forbid holds runs back until it ends: kubectl -n ops describe job backup-29406720',
    );
    // Allow (the default) with a Job running is judged as any other.
    expect(cronjobs.judge([job({ lastSchedule: T - 2400_000, active: ['j-1'] })], T, 180, 'UTC').late).toHaveLength(1);
  });

  it('reads CRON_TZ=/TZ= prefixes and @every as Kubernetes does', () => {
    const j = cronjobs.judge(
      [
        // 03:00 in Tokyo is 18:00 UTC the day before: last run 2026-11-27T18:00Z, next tomorrow.
        job({ name: 'tokyo', schedule: 'CRON_TZ=Asia/Tokyo 0 3 * * *', lastSchedule: Date.parse('2026-11-27T18:00:00Z') }),
        job({ name: 'every45', schedule: '@every 45m', lastSchedule: T - 2400_000 }),
        job({ name: 'every30', schedule: '@every 30m', lastSchedule: T - 2400_000 }),
      ],
      T,
      180,
      'UTC',
    );
    expect(j.late.map((l) => l.job.name)).toEqual(['every30']);
    expect(j.late[0]!.due).toBe(T - 600_000);
    expect(j.unreadable).toEqual([]);
  });

  it('a lastScheduleTime ahead of this clock is said, WARNING, and not judged late', () => {
    const o = cronjobs.evaluate([job({ name: 'skewed', lastSchedule: T + 7200_000 })], T, 180, 'UTC', r('0'));
    expect([o.state, o.summary]).toEqual([State.WARNING, '0 of 1 CronJob late, last scheduled in the future: ops/skewed']);
    expect(o.details[0]).toMatch(/^ops\/skewed: lastScheduleTime 2026-11-28T14:40:30Z is 2h ahead of this host's clock/);
  });

  it('one unreadable schedule is UNKNOWN for that one only: the others still decide, CRITICAL wins', () => {
    const o = cronjobs.evaluate(
      [
        job({ name: 'a', lastSchedule: T - 3600_000 }),
        job({ name: 'b', lastSchedule: T - 7200_000 }),
        job({ name: 'odd', schedule: 'TZ=Mars/Olympus_Mons 0 * * * *', lastSchedule: T }),
      ],
      T,
      180,
      'UTC',
      r('0'),
    );
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toMatch(
      /^2 of 3 CronJobs late: ops\/a, ops\/b, no CronJob was scheduled on time.*, ops\/odd: cannot read its schedule/,
    );
  });

  it('an unreadable schedule is UNKNOWN naming the CronJob', () => {
    const o = cronjobs.evaluate([job({ name: 'odd', schedule: '61 * * * *', lastSchedule: T })], T, 180, 'UTC', r('0'));
    expect(o.state).toBe(State.UNKNOWN);
    expect(o.summary).toMatch(/ops\/odd: cannot read its schedule/);
  });
});

describe('pod-restarts', () => {
  const t = (key: string, n: number, crashLooping = false): restarts.Troubled => ({
    key,
    namespace: 'web',
    pod: key.split('/')[0]!,
    container: 'app',
    restarts: n,
    crashLooping,
  });

  it('counts pods whose containers restarted since the previous run; a new container counts from zero', () => {
    const o = restarts.evaluate(
      {
        now: NOW,
        pods: 10,
        troubled: [t('a/app', 9), t('b/app', 2), t('c/app', 1)],
        before: { at: NOW - 300_000, counts: { 'a/app': 4, 'b/app': 2 } },
      },
      r('0'),
    );
    expect([o.state, o.summary]).toEqual([State.WARNING, '2 pods restarted since the previous run 5m ago: web/a, web/c']);
    expect(perf(o).restarted).toBe('2;0;;0;10');
  });

  it('a count that went down on the same UID was reset: its new value is growth, and 0 is none', () => {
    const o = restarts.evaluate(
      {
        now: NOW,
        pods: 3,
        troubled: [t('a/app', 3), t('b/app', 5)],
        before: { at: NOW - 60_000, counts: { 'a/app': 40, 'b/app': 5, 'c/app': 7 } },
      },
      r('0'),
    );
    expect([o.state, o.summary]).toEqual([State.WARNING, '1 pod restarted since the previous run 1m ago: web/a']);
    expect(o.details[0]).toBe('web/a container app: restarts 40 -> 3 (the count was reset: 3 new)');
    expect([restarts.growth(40, 3), restarts.growth(4, 9), restarts.growth(7, 0), restarts.growth(5, 5)]).toEqual([3, 5, 0, 0]);
  });

  it('the first run judges no growth (U) but still sees CrashLoopBackOff', () => {
    const o = restarts.evaluate({ now: NOW, pods: 3, troubled: [t('a/app', 30, true)] }, r('0'));
    expect(o.state).toBe(State.WARNING);
    expect(perf(o).restarted).toBe('U;;;0;3');
  });
});
