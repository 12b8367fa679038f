import { describe, expect, it } from 'vitest';
import { evaluate, type CacheFacts } from '../../../checks/watch-cache.ts';
import { Range } from '../../../lib/plugin/range.ts';
import { formatPerfdata } from '../../../lib/plugin/perfdata.ts';
import type { NodeLease } from '../../../lib/sources/kube/node-leases.ts';

const T = Date.parse('2026-11-28T03:00:00Z');
const list = (rv: string | undefined, leases: Record<string, NodeLease>) => ({
  leases: new Map(Object.entries(leases)),
  resourceVersion: rv,
  ms: 12,
});
// Read at T: the newest renewal in storage is judged fresh against the run's clock.
const judge = (f: CacheFacts) => {
  const o = evaluate({ readAt: T, ...f }, { warning: Range.parse('30'), critical: Range.parse('120') });
  return {
    state: o.state,
    summary: o.summary,
    perf: Object.fromEntries(o.perfdata.map((p) => [p.label, formatPerfdata(p).split('=')[1]])),
  };
};

describe('watch-cache evaluate', () => {
  it('judges the lease most behind; a cache read that is newer than storage is no lag', () => {
    const r = judge({
      storage: list('100', { a: { renewed: T }, b: { renewed: T - 5000 } }),
      cache: list('104', { a: { renewed: T - 45_000 }, b: { renewed: T } }),
    });
    expect(r.state).toBe(1);
    expect(r.summary).toBe('watch cache 45s behind storage (node lease a)');
    expect(r.perf).toMatchObject({ cache_lag: '45s;30;120;0', rv_lag: '0;;;0', leases: '2;;;0', quorum_read_time: '0.012s;;;0' });
  });

  it('a lease missing from the cache counts from its creation; a revision that is not an integer gives no rv_lag', () => {
    const r = judge({ storage: list('etcd-ish', { new: { renewed: T, created: T - 200_000 } }), cache: list('1', {}) });
    expect(r.state).toBe(2);
    expect(r.summary).toBe('watch cache 3m20s behind storage (node lease new, missing from the cache)');
    expect(r.perf.rv_lag).toBeUndefined();
    // The node leases in storage, not those the cache has: a frozen cache lacks the newest node's.
    expect(r.perf.leases).toBe('1;;;0');
  });

  // The cache is read after storage: a kubelet that renewed between the two reads leaves the cache
  // ahead. Counted as negative lag, a one-node cluster read cache_lag=-10s, outside -w 30 (0..30).
  it('a cache read that saw a renewal the storage read had not is no lag: OK, cache_lag 0', () => {
    const r = judge({ storage: list('100', { a: { renewed: T - 10_000 } }), cache: list('101', { a: { renewed: T } }) });
    expect([r.state, r.summary]).toEqual([0, 'watch cache follows storage (1 node lease, newest renewals seen)']);
    expect(r.perf.cache_lag).toBe('0s;30;120;0');
  });

  it('a lease never renewed in either read is not lag; no lease at all is UNKNOWN; a refused quorum read is CRITICAL', () => {
    const never = { a: { renewed: T - 2000 }, b: { created: T - 60_000 } };
    expect(judge({ storage: list('5', never), cache: list('5', never) }).state).toBe(0);
    const none = judge({ storage: list('5', {}), cache: list('5', {}) });
    expect(none.state).toBe(3);
    expect(none.perf.cache_lag).toBe('U;30;120;0');
    const refused = judge({ behind: '504: Too large resource version' });
    expect(refused.state).toBe(2);
    expect(refused.summary).toMatch(/^watch cache behind: the API server refused a quorum read/);
  });

  // A cache frozen 16 h ago and a storage no kubelet renewed in since hold the same leases: 0 behind, and no proof.
  it('no node lease renewed within its duration in storage: UNKNOWN, not "follows"; a lag over -w still says so', () => {
    const stale = { a: { renewed: T - 41_000 }, b: { renewed: T - 16 * 3600_000, duration: 40 } };
    const quiet = judge({ storage: list('9', stale), cache: list('9', stale) });
    expect([quiet.state, quiet.summary]).toEqual([
      3,
      'no node Lease in kube-node-lease renewed in the last 40s (newest: a, 41s ago): cannot tell whether the watch cache ' +
        'follows (are the kubelets renewing? check_nodes; is this clock right?)',
    ]);
    expect(quiet.perf.cache_lag).toBe('0s;30;120;0');
    const never = { a: { created: T - 60_000 } };
    expect(judge({ storage: list('5', never), cache: list('5', never) }).summary).toMatch(/\(newest: none ever renewed\)/);
    // Its own duration: a lease held for 60 s renewed 50 s ago is fresh.
    expect(
      judge({ storage: list('9', { a: { renewed: T - 50_000, duration: 60 } }), cache: list('9', { a: { renewed: T - 50_000 } }) }).state,
    ).toBe(0);
    // A renewal stamped further ahead than its duration (that kubelet's clock ahead, or this one
    // behind) proves nothing of storage now: frozen, it reads fresh until that clock's lead runs out.
    const ahead = { a: { renewed: T - 16 * 3600_000 }, b: { renewed: T + 3600_000 } };
    const skewed = judge({ storage: list('9', ahead), cache: list('9', ahead) });
    expect([skewed.state, skewed.summary]).toEqual([
      3,
      'no node Lease in kube-node-lease renewed in the last 40s (newest: a, 16h ago; b renewed 1h ahead of this clock, ' +
        'not counted): cannot tell whether the watch cache follows (are the kubelets renewing? check_nodes; is this clock right?)',
    ]);
    // Within its duration ahead (clocks a few seconds apart) it counts.
    expect(judge({ storage: list('9', { a: { renewed: T + 5000 } }), cache: list('9', { a: { renewed: T + 5000 } }) }).state).toBe(0);
    const behind = judge({ storage: list('9', { a: { renewed: T - 60_000 } }), cache: list('8', { a: { renewed: T - 200_000 } }) });
    expect([behind.state, behind.summary]).toEqual([2, 'watch cache 2m20s behind storage (node lease a)']);
  });
  it("a frozen cache's recovery waits for the write storm to pass, as the restart gate's NO-GO says", () => {
    // Write storms freeze caches; restarting k8s-dqlite and kubelite during one feeds it (the runbook: no kubelite
    // restart while microk8s-dqlite-lock or microk8s-kine is WARNING). check_restart_preflight says "after any write
    // storm has passed"; the check's own recovery said nothing of it.
    const o = evaluate(
      { readAt: T, storage: list('100', { a: { renewed: T } }), cache: list('90', { a: { renewed: T - 300_000 } }) },
      { warning: Range.parse('30'), critical: Range.parse('120') },
    );
    expect(o.state).toBe(2);
    const long = o.details.join('\n');
    expect(long.slice(0, long.indexOf('kubectl cordon'))).toContain(
      'only once check_dqlite_lock and check_kine_retries are OK (a restart during a write storm feeds it)',
    );
  });

  // Renewals are stamped in microseconds, each read a moment apart: a second is following.
  it('a cache a second behind storage follows it: OK, said so, never "1s behind"', () => {
    const r = judge({ storage: list('100', { a: { renewed: T - 1000 } }), cache: list('100', { a: { renewed: T - 2000 } }) });
    expect([r.state, r.summary, r.perf.cache_lag]).toEqual([
      0,
      'watch cache follows storage (1 node lease, newest renewals seen)',
      '1s;30;120;0',
    ]);
  });

  it('a lease the cache holds as created, never renewed, while storage has it renewed since: behind by those renewals', () => {
    const r = judge({
      storage: list('100', { a: { renewed: T - 1000, created: T - 300_000 } }),
      cache: list('60', { a: { created: T - 300_000 } }),
    });
    expect([r.state, r.summary]).toEqual([2, 'watch cache 4m59s behind storage (node lease a)']);
  });

  it('a WARNING lag gives the recovery too, as CRITICAL does: the cache does not heal by itself', () => {
    const o = evaluate(
      { readAt: T, storage: list('100', { a: { renewed: T } }), cache: list('90', { a: { renewed: T - 60_000 } }) },
      { warning: Range.parse('30'), critical: Range.parse('120') },
    );
    expect([o.state, o.summary]).toEqual([1, 'watch cache 1m behind storage (node lease a)']);
    expect(o.details).toContain(
      'A frozen watch cache does not heal by itself (MicroK8s runs kube-apiserver without cache-inconsistency detection).',
    );
  });

  // The cache refused (429 while it initializes): storage was read, the cache not. Nothing to compare: U, not every lease's age.
  it('a cache not ready beside a storage read: cache_lag U, the leases counted', () => {
    const r = judge({
      storage: list('100', { a: { renewed: T, created: T - 3600_000 } }),
      behind: 'storage is (re)initializing',
      notReady: true,
    });
    expect(r.state).toBe(2);
    expect(r.summary).toMatch(/^watch cache not ready: the API server refused the resourceVersion=0 list/);
    expect([r.perf.cache_lag, r.perf.leases]).toEqual(['U;30;120;0', '1;;;0']);
  });
});
