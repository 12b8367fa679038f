// check_watch_cache against test API servers whose watch cache follows storage, or froze.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import type { ServerResponse } from 'node:http';
import { node, nodeLease, pod } from '../apiserver/objects.ts';
import { startApiServer, tooManyRequests, type ApiServer } from '../apiserver/server.ts';
import { TOKENS, useCluster, type TestCluster } from '../helpers/cluster.ts';
import { runBuilt } from '../helpers/run.ts';
import { pattern } from '../helpers/pattern.ts';

const cluster = useCluster();
let c: TestCluster;
beforeEach(() => {
  c = cluster();
});
const kc = () => ['--kubeconfig', c.kubeconfig];
const NODES = ['k8s01', 'k8s02', 'k8s03'];
const lag = (v: string | undefined) => Number(v?.split(';')[0]?.replace(/s$/, ''));

/** Storage as kubelets keep it: every node lease renewed within the last 10 s. */
const renewAll = (api: ApiServer, renewedAgo = (i: number) => 2 + i * 3) => {
  api.clear('leases');
  api.add('leases', ...NODES.map((n, i) => nodeLease(n, { renewedAgo: renewedAgo(i) })));
};

/** A cache that froze when the leases were last renewed 5 minutes ago; storage went on renewing. */
const freezeFiveMinutesAgo = (api: ApiServer) => {
  renewAll(api, (i) => 300 + i * 3);
  api.freezeCache();
  renewAll(api);
};

describe('check_watch_cache', () => {
  it('a healthy cache: OK, cache_lag at most 1 s, and nothing but GETs', async () => {
    renewAll(c.api);
    const r = await runBuilt('check_watch_cache', kc());
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^WATCH-CACHE OK - 127\.0\.0\.1:\d+: watch cache follows storage \(3 node leases/);
    expect(lag(r.perf.cache_lag)).toBeLessThanOrEqual(1);
    expect(r.perf).toMatchObject({ rv_lag: '0;;;0', leases: '3;;;0' });
    expect(r.perf.quorum_read_time).toMatch(/^[\d.]+s;;;0$/);
    const reads = c.api.requests.filter((q) => q.path === '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases');
    expect(reads.map((q) => q.query.resourceVersion)).toEqual([undefined, '0']);
    expect(c.api.requests.every((q) => q.method === 'GET')).toBe(true);
  });

  it('a cache frozen 5 minutes ago: CRITICAL, the server named, cache_lag >= 290, the recovery in the long output', async () => {
    freezeFiveMinutesAgo(c.api);
    const r = await runBuilt('check_watch_cache', kc());
    expect(r.code).toBe(2);
    expect(r.first).toMatch(new RegExp(`^WATCH-CACHE CRITICAL - 127\\.0\\.0\\.1:${c.api.port}: watch cache 4m5\\ds behind storage`));
    expect(lag(r.perf.cache_lag)).toBeGreaterThanOrEqual(290);
    expect(r.perf.cache_lag).toMatch(/;30;120;0$/);
    expect(Number(r.perf.rv_lag?.split(';')[0])).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/does not heal by itself/);
    expect(r.stdout).toMatch(
      // The frozen cache's recovery: cordon first (its lists are stale all along), then k8s-dqlite,
      // 10 s, kubelite, and uncordon only when OK.
      pattern(
        /kubectl cordon <node>\n.*restart snap\.microk8s\.daemon-k8s-dqlite\.service; sleep 10\n/,
        /.*restart snap\.microk8s\.daemon-kubelite\.service\n.*kubectl uncordon <node> /,
        /only when it is OK/,
      ),
    );
    expect(c.api.requests.every((q) => q.method === 'GET')).toBe(true);
  });

  it('the recovery names the node where it is known: the Node at the server address, else this host by its node Lease', async () => {
    freezeFiveMinutesAgo(c.api);
    // The kubeconfig's server is 127.0.0.1: the Node whose InternalIP that is (a test's stand-in) is the one to restart.
    c.api.add('nodes', node({ name: 'k8s02', ip: '10.0.0.12' }), node({ name: 'k8s01', ip: '127.0.0.1' }));
    const byIp = await runBuilt('check_watch_cache', kc());
    expect(byIp.code).toBe(2);
    expect(byIp.stdout).not.toContain('<node>');
    expect(byIp.stdout).toMatch(
      pattern(
        /^ {2}kubectl cordon k8s01\n {2}ssh -t k8s01 sudo systemctl restart snap\.microk8s\.daemon-k8s-dqlite\.service; sleep 10\n/m,
        / {2}ssh -t k8s01 sudo systemctl restart snap\.microk8s\.daemon-kubelite\.service\n/,
        new RegExp(
          `  run this check again \\(--server https://127\\.0\\.0\\.1:${c.api.port}\\); kubectl uncordon k8s01 only when it is OK`,
        ),
      ),
    );
    // No Node at that address: loopback is this host, named as its kubelet registers it (its node Lease).
    c.api.clear('nodes');
    const here = hostname().toLowerCase();
    c.api.clear('leases');
    c.api.add('leases', ...[...NODES, here].map((n) => nodeLease(n, { renewedAgo: 300 })));
    c.api.freezeCache();
    c.api.clear('leases');
    c.api.add('leases', ...[...NODES, here].map((n) => nodeLease(n, { renewedAgo: 2 })));
    const local = await runBuilt('check_watch_cache', kc());
    expect(local.code).toBe(2);
    expect(local.stdout).not.toContain('<node>');
    expect(local.stdout).toContain(
      `  kubectl cordon ${here}\n  ssh -t ${here} sudo systemctl restart snap.microk8s.daemon-k8s-dqlite.service`,
    );
  });

  it('a lease the cache does not have counts from its creation', async () => {
    renewAll(c.api);
    c.api.freezeCache();
    c.api.add('leases', nodeLease('k8s04', { createdAgo: 200, renewedAgo: 2 }));
    const r = await runBuilt('check_watch_cache', kc());
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/behind storage \(node lease k8s04, missing from the cache\)/);
    expect(lag(r.perf.cache_lag)).toBeGreaterThanOrEqual(195);
  });

  it('newer API servers that refuse a quorum read for a cache behind (504, 429): CRITICAL, not UNKNOWN', async () => {
    for (const mode of ['504', '429'] as const) {
      freezeFiveMinutesAgo(c.api);
      c.api.cache.consistentReads = mode;
      const r = await runBuilt('check_watch_cache', kc());
      expect(r.code, mode).toBe(2);
      expect(r.first).toMatch(
        new RegExp(`watch cache behind: the API server refused a quorum read because its watch cache is behind \\(${mode}: `),
      );
      c.api.reset();
    }
  });

  /** kube-apiserver's answer to a refused request: a Status object of `code`, as it writes one. */
  const statusReply = (
    res: ServerResponse,
    code: number,
    reason: string,
    message: string,
    details: object,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(code, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code }));
    return true;
  };

  // kube-apiserver 1.31+ (ResilientWatchCacheInitialization, KEP-4568; k8s.io/apiserver cacher
  // GetList): a watch cache that is not ready (its watch on kine broke, its re-list fails) refuses
  // every list it would serve, as the resourceVersion=0 lists of kubelet and the controllers are,
  // with 429 "storage is (re)initializing" and a Retry-After that grows with its downtime (up to
  // 30 s), while a list with a limit and no selector (the quorum read) goes to storage.
  const notReadyCache = (api: ApiServer, times = Number.POSITIVE_INFINITY, retryAfter = 30, message = 'storage is (re)initializing') => {
    api.intercept = (_req, res, url) => {
      if (!url.pathname.endsWith('/namespaces/kube-node-lease/leases') || url.searchParams.get('resourceVersion') !== '0') return false;
      if (times-- <= 0) return false;
      return statusReply(res, 429, 'TooManyRequests', message, { retryAfterSeconds: retryAfter }, { 'retry-after': String(retryAfter) });
    };
  };

  it('a cache that is not ready (429 storage is (re)initializing to the resourceVersion=0 list): CRITICAL, not UNKNOWN', async () => {
    renewAll(c.api);
    notReadyCache(c.api);
    const r = await runBuilt('check_watch_cache', kc());
    expect(r.code).toBe(2);
    expect(r.first).toMatch(
      new RegExp(
        `^WATCH-CACHE CRITICAL - 127\\.0\\.0\\.1:${c.api.port}: watch cache not ready: the API server refused the ` +
          'resourceVersion=0 list because its watch cache is not ready \\(429: storage is \\(re\\)initializing\\) \\| ',
      ),
    );
    expect(r.perf).toMatchObject({ cache_lag: 'U;30;120;0', leases: '3;;;0' });
    expect(r.stdout).toMatch(/kubectl cordon <node>/);
  });

  it('a cache not ready for a moment (an API server starting): the retry after Retry-After finds it ready, OK', async () => {
    renewAll(c.api);
    notReadyCache(c.api, 1, 1);
    const r = await runBuilt('check_watch_cache', kc());
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^WATCH-CACHE OK - .*: watch cache follows storage/);
  });

  it("API Priority and Fairness' 429 to the resourceVersion=0 list says nothing of the cache: UNKNOWN naming it", async () => {
    renewAll(c.api);
    // Not a Status: APF answers with plain text (k8s.io/apiserver filters, tooManyRequests).
    c.api.intercept = (_req, res, url) => {
      if (!url.pathname.endsWith('/namespaces/kube-node-lease/leases') || url.searchParams.get('resourceVersion') !== '0') return false;
      tooManyRequests(res, 1);
      return true;
    };
    const r = await runBuilt('check_watch_cache', kc());
    expect(r.code).toBe(3);
    expect(r.first).toMatch(/^WATCH-CACHE UNKNOWN - .* answered 429 to list leases\.coordination\.k8s\.io .*: Too many requests/);
  });

  it("a 504 that is not the cache behind (kube-apiserver's own request timeout): UNKNOWN naming who answered, never CRITICAL", async () => {
    renewAll(c.api);
    // The quorum read times out in kine under a write storm: the API server's Status says nothing of its watch cache.
    c.api.intercept = (_req, res, url) => {
      if (!url.pathname.endsWith('/namespaces/kube-node-lease/leases') || url.searchParams.get('resourceVersion') === '0') return false;
      const message = 'Timeout: request did not complete within requested timeout - context deadline exceeded';
      return statusReply(res, 504, 'Timeout', message, {});
    };
    const r = await runBuilt('check_watch_cache', kc());
    expect(r.code).toBe(3);
    expect(r.first).toMatch(
      /^WATCH-CACHE UNKNOWN - .* with 504 \(kube-apiserver's Status Timeout: Timeout: request did not complete within/,
    );
    expect(r.first).toMatch(/that does not say whether the watch cache is behind/);
  });

  // A quiet storage: no kubelet renewed for 16 h (kubelets stopped, or storage is what froze). A cache
  // frozen 16 h ago holds the same leases: "0 behind" says nothing of whether it follows.
  it('no node lease renewed recently in storage: UNKNOWN, never OK, even where the cache has the same leases', async () => {
    renewAll(c.api, (i) => 16 * 3600 + i * 3);
    c.api.freezeCache();
    const r = await runBuilt('check_watch_cache', kc());
    expect(r.code).toBe(3);
    expect(r.first).toMatch(/no node Lease in kube-node-lease renewed in the last 40s \(newest: k8s01, 16h\d*m?\d*s? ago\)/);
    expect(r.first).toMatch(/cannot tell whether the watch cache follows/);
  });

  // The kubelets stamp renewTime by their own clocks: 2 minutes slow, yet renewing every few seconds,
  // as the API server's own record of each renewal shows (managedFields). Storage moved.
  it("kubelets whose clocks run 2 minutes behind, renewing: storage moved by the API server's record, OK", async () => {
    c.api.add('leases', ...NODES.map((n, i) => nodeLease(n, { renewedAgo: 120 + i, recordedAgo: 1 + i })));
    const r = await runBuilt('check_watch_cache', kc());
    expect(r.code, r.stdout).toBe(0);
    expect(r.first).toMatch(/^WATCH-CACHE OK - /);
  });

  // The other way round: the API server that records the renewals (a control-plane node the
  // workers' apiserver-proxy reaches) runs 2 minutes behind this host; the kubelets' own stamps are fresh.
  it("the recording API server's clock 2 minutes behind, the kubelets' renewTime fresh: storage moved, OK", async () => {
    c.api.add('leases', ...NODES.map((n, i) => nodeLease(n, { renewedAgo: 1 + i, recordedAgo: 121 + i })));
    const r = await runBuilt('check_watch_cache', kc());
    expect(r.code, r.stdout).toBe(0);
    expect(r.first).toMatch(/^WATCH-CACHE OK - /);
  });

  it('no node lease at all: UNKNOWN, never OK', async () => {
    const r = await runBuilt('check_watch_cache', kc());
    expect(r.code).toBe(3);
    expect(r.first).toMatch(/no node Lease in kube-node-lease to compare/);
  });

  describe('several API servers', () => {
    let other: ApiServer;
    beforeAll(async () => {
      // Another node's API server: the same CA and credentials, as in a MicroK8s cluster.
      other = await startApiServer({ certs: c.certs, tokens: { [TOKENS.admin]: { user: 'system:serviceaccount:monitoring:nagios' } } });
    });
    afterAll(() => other.close());
    beforeEach(() => other.reset());

    it('one frozen: CRITICAL naming it, metrics per server; one unreachable: UNKNOWN for it', async () => {
      renewAll(c.api);
      freezeFiveMinutesAgo(other);
      const r = await runBuilt('check_watch_cache', [...kc(), '--server', other.url]);
      expect(r.code).toBe(2);
      expect(r.first).toMatch(
        new RegExp(`^WATCH-CACHE CRITICAL - 2 hosts: 1 OK, 1 CRITICAL \\(CRITICAL: 127\\.0\\.0\\.1:${other.port}\\)`),
      );
      expect(lag(r.perf[`cache_lag_127.0.0.1:${c.api.port}`])).toBeLessThanOrEqual(1);
      expect(lag(r.perf[`cache_lag_127.0.0.1:${other.port}`])).toBeGreaterThanOrEqual(290);
      const down = await runBuilt('check_watch_cache', [...kc(), '--server', 'https://127.0.0.1:1']);
      expect(down.code).toBe(3);
      expect(down.first).toMatch(/2 hosts: 1 OK, 1 UNKNOWN \(UNKNOWN: 127\.0\.0\.1:1\)/);
      expect(down.stdout).toMatch(/^127\.0\.0\.1:1: UNKNOWN - API server https:\/\/127\.0\.0\.1:1 unreachable/m);
    });

    it("the kubeconfig's own server given again with --server (one --server per node, run centrally) is judged once", async () => {
      renewAll(c.api);
      renewAll(other);
      const r = await runBuilt('check_watch_cache', [...kc(), '--server', c.api.url, '--server', other.url, '--server', `${other.url}/`]);
      expect(r.code).toBe(0);
      expect(r.first).toMatch(/^WATCH-CACHE OK - 2 hosts: 2 OK \|/);
      // Each label once: a label given twice is one graph fed two series.
      const labels = r.first
        .split(' | ')[1]!
        .split(' ')
        .map((p) => p.split('=')[0]);
      expect(labels.filter((l) => l === `cache_lag_127.0.0.1:${c.api.port}`)).toHaveLength(1);
      expect(new Set(labels).size).toBe(labels.length);
      const api = await runBuilt('check_apiserver', [...kc(), '--server', c.api.url]);
      expect(api.first).toMatch(/^APISERVER OK - 127\.0\.0\.1:\d+: ready and live/);
    });

    it('--server must be an https address and nothing more', async () => {
      const r = await runBuilt('check_watch_cache', [...kc(), '--server', 'http://10.0.0.12:16443/api']);
      expect(r.code).toBe(3);
      expect(r.first).toBe(
        "WATCH-CACHE UNKNOWN - --server 'http://10.0.0.12:16443/api' must be an https://host:port address of an API server, nothing more",
      );
    });
  });
});

describe('check_scheduling: the age of the newest pod', () => {
  it('no pod created for 40m: CRITICAL with --newest-pod-critical 30m; 5m is OK; without the options it is perfdata only', async () => {
    c.api.add('pods', pod({ namespace: 'ops', name: 'backup-29361840-x7k2p', node: 'k8s01', ip: '10.1.12.10', startedAgo: 2400 }));
    const opts = ['--newest-pod-warning', '15m', '--newest-pod-critical', '30m'];
    const old = await runBuilt('check_scheduling', [...kc(), ...opts]);
    expect(old.code).toBe(2);
    expect(old.first).toMatch(/no pod created for 40m\ds?: is the controller-manager \(or its API server's watch cache\) frozen\?/);
    // 40 minutes plus however long the runs took on a loaded machine.
    expect(old.perf.newest_pod_age).toMatch(/^24[0-5]\d(\.\d+)?s;900;1800;0$/);
    const plain = await runBuilt('check_scheduling', kc());
    expect(plain.code).toBe(0);
    expect(plain.perf.newest_pod_age).toMatch(/^24[0-5]\d(\.\d+)?s;;;0$/);
    c.api.add('pods', pod({ namespace: 'ops', name: 'backup-29361880-m2q9d', node: 'k8s02', ip: '10.1.12.11', startedAgo: 298 }));
    const fresh = await runBuilt('check_scheduling', [...kc(), ...opts]);
    expect(fresh.code).toBe(0);
    expect(Number(fresh.perf.newest_pod_age!.split('s')[0])).toBeLessThan(310);
  });
});
