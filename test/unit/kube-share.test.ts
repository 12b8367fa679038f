// The reads the checks of one run share (lib/sources/kube/share.ts): one read for all who ask,
// each leaving it at its own deadline without cutting it short for the others, and a failure
// that is every asker's.
import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../lib/sources/kube/cluster.ts';
import { KubeShare, type ListAsk, type ListRead } from '../../lib/sources/kube/share.ts';

type Pod = { metadata: { name: string; namespace: string }; spec: { nodeName: string }; status: { phase: string } };
const pods: Pod[] = [
  { metadata: { name: 'a', namespace: 'web' }, spec: { nodeName: 'n1' }, status: { phase: 'Running' } },
  { metadata: { name: 'b', namespace: 'web' }, spec: { nodeName: 'n2' }, status: { phase: 'Pending' } },
  { metadata: { name: 'c', namespace: 'db' }, spec: { nodeName: 'n1' }, status: { phase: 'Running' } },
];

/** A check's view of the API server: its own deadline (an AbortController it can end). */
function clusterOf(share: KubeShare) {
  const deadline = new AbortController();
  const cluster: Cluster = {
    server: 'https://127.0.0.1:16443',
    key: 'kubeconfig|server',
    policy: { signal: deadline.signal, server: 'https://127.0.0.1:16443', remainingMs: () => 10_000 },
    api: () => {
      throw new Error('not used');
    },
    send: () => Promise.reject(new Error('not used')),
    share,
  };
  return { cluster, deadline };
}

/** A list of `pods` in two pages (between them: `between`), logging each read with its selectors. */
function lister(reads: ListAsk[], between: () => Promise<void> = async () => {}, fail?: Error): ListRead<Pod> {
  return async (cluster, ask, onItem) => {
    reads.push(ask);
    const wanted = pods.filter((p) => !ask.fieldSelector || ask.fieldSelector === `status.phase=${p.status.phase}`);
    onItem(wanted[0]!);
    await between();
    if (cluster.policy.signal.aborted) throw cluster.policy.signal.reason;
    if (fail) throw fail;
    for (const p of wanted.slice(1)) onItem(p);
  };
}

const names = (got: Pod[]) => got.map((p) => p.metadata.name);

describe('KubeShare.list', () => {
  it('asks made in the same turn become one read; each asker gets what its own selectors select', async () => {
    const share = new KubeShare();
    const reads: ListAsk[] = [];
    const all: Pod[] = [];
    const running: Pod[] = [];
    const onN1: Pod[] = [];
    const read = lister(reads);
    await Promise.all([
      share.list(clusterOf(share).cluster, { resource: 'pods', namespaces: [] }, (p: Pod) => all.push(p), read),
      share.list(
        clusterOf(share).cluster,
        { resource: 'pods', namespaces: [], fieldSelector: 'status.phase=Running' },
        (p: Pod) => running.push(p),
        read,
      ),
      share.list(
        clusterOf(share).cluster,
        { resource: 'pods', namespaces: [], fieldSelector: 'spec.nodeName=n1' },
        (p: Pod) => onN1.push(p),
        read,
      ),
    ]);
    expect(reads).toEqual([{ resource: 'pods', namespaces: [], labelSelector: undefined, fieldSelector: undefined }]);
    expect(names(all)).toEqual(['a', 'b', 'c']);
    expect(names(running)).toEqual(['a', 'c']);
    expect(names(onN1)).toEqual(['a', 'c']);
  });

  it('one asker alone reads as alone, its selectors sent; so does one whose selector is not judged here', async () => {
    const share = new KubeShare();
    const reads: ListAsk[] = [];
    const read = lister(reads);
    await share.list(clusterOf(share).cluster, { resource: 'pods', namespaces: [], fieldSelector: 'status.phase=Running' }, () => {}, read);
    expect(reads).toEqual([{ resource: 'pods', namespaces: [], fieldSelector: 'status.phase=Running' }]);
    reads.length = 0;
    await Promise.all([
      share.list(clusterOf(share).cluster, { resource: 'pods', namespaces: [], labelSelector: 'app in (a,b)' }, () => {}, read),
      share.list(clusterOf(share).cluster, { resource: 'pods', namespaces: [] }, () => {}, read),
    ]);
    expect(reads.map((r) => r.labelSelector)).toEqual(['app in (a,b)', undefined]);
  });

  it('a read that fails part-way fails for every asker: none is left with the first page as a whole list', async () => {
    const share = new KubeShare();
    const read = lister([], async () => {}, new Error('API server answered 500'));
    const asks = [0, 1].map(() => share.list(clusterOf(share).cluster, { resource: 'pods', namespaces: [] }, () => {}, read));
    for (const a of asks) await expect(a).rejects.toThrow('answered 500');
  });

  it('an asker whose deadline passes leaves with its own reason; the read goes on for the others', async () => {
    const share = new KubeShare();
    let release = () => {};
    const read = lister([], () => new Promise((r) => (release = r)));
    const early = clusterOf(share);
    const late = clusterOf(share);
    const got: Pod[] = [];
    const first = share.list(early.cluster, { resource: 'pods', namespaces: [] }, () => {}, read);
    const second = share.list(late.cluster, { resource: 'pods', namespaces: [] }, (p: Pod) => got.push(p), read);
    await new Promise((r) => setImmediate(r));
    early.deadline.abort(new Error('deadline of the first check'));
    await expect(first).rejects.toThrow('deadline of the first check');
    release();
    await second;
    expect(names(got)).toEqual(['a', 'b', 'c']);
  });

  it('an asker that cannot take an item fails alone', async () => {
    const share = new KubeShare();
    const read = lister([]);
    const got: Pod[] = [];
    const bad = share.list(
      clusterOf(share).cluster,
      { resource: 'pods', namespaces: [] },
      () => {
        throw new Error('cannot parse a time');
      },
      read,
    );
    const good = share.list(clusterOf(share).cluster, { resource: 'pods', namespaces: [] }, (p: Pod) => got.push(p), read);
    await expect(bad).rejects.toThrow('cannot parse a time');
    await good;
    expect(got).toHaveLength(3);
  });
});

describe('KubeShare.once', () => {
  it('is read once in the run; a later asker gets the same answer, a failure too', async () => {
    const share = new KubeShare();
    let reads = 0;
    const nodes = async () => {
      reads++;
      return ['n1', 'n2'];
    };
    const [a, b] = await Promise.all([
      share.once(clusterOf(share).cluster, 'nodes', nodes),
      share.once(clusterOf(share).cluster, 'nodes', nodes),
    ]);
    expect(await share.once(clusterOf(share).cluster, 'nodes', nodes)).toBe(a);
    expect(b).toBe(a);
    expect(reads).toBe(1);
    const failing = async () => {
      reads++;
      throw new Error('403 forbidden');
    };
    await expect(share.once(clusterOf(share).cluster, 'leases', failing)).rejects.toThrow('403');
    await expect(share.once(clusterOf(share).cluster, 'leases', failing)).rejects.toThrow('403');
    expect(reads).toBe(2);
  });
});
