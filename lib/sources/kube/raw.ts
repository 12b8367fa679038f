import { HttpMethod, RequestContext } from '@kubernetes/client-node';
import { KubeError, kubeError } from './errors.ts';
import type { Cluster } from './cluster.ts';
import { haveTimedThread, timedOnThread } from './timed-thread.ts';
import { USER_AGENT } from './transport.ts';

/** What a non-resource path (/readyz, /livez) answered: any status is an answer, not an error. */
export interface RawAnswer {
  status: number;
  text: string;
  contentType: string;
  /** From sending the request to the whole answer, in milliseconds. */
  ms: number;
}

/** The most a health endpoint's answer may bring: a few KiB in practice. */
const MAX_TEXT = 256 * 1024;

/**
 * GET a path of the API server that is no resource, with the kubeconfig's credentials, within
 * the run's deadline. Only the network failing (or the deadline) is an error; 401, 403 and 500
 * are what the server said, for the check to judge.
 */
export async function getRaw(cluster: Cluster, path: string): Promise<RawAnswer> {
  const ctx = new RequestContext(`${cluster.server}${path}`, HttpMethod.GET);
  ctx.setHeaderParam('Accept', 'text/plain, application/json');
  ctx.setSignal(cluster.policy.signal);
  const started = performance.now();
  try {
    const res = await cluster.send(ctx);
    const body = await res.body.binary();
    if (body.length > MAX_TEXT)
      throw new KubeError(`API server ${cluster.server} sent ${body.length} bytes for ${path}: not a health answer`);
    return {
      status: res.httpStatusCode,
      text: body.toString('utf8'),
      contentType: res.headers['content-type'] ?? '',
      ms: performance.now() - started,
    };
  } catch (err) {
    throw kubeError(err, { verb: 'get', resource: path, group: '' }, cluster.server);
  }
}

/**
 * GET each path, timed. In a shared run (`all`, the poll cycle: the cluster has a share) the
 * requests go out from a thread of their own, so that their time is the API server's, not the
 * main thread's backlog of the other checks' work; alone (or through a proxy) from this thread.
 */
export async function getRawEach(cluster: Cluster, paths: string[]): Promise<RawAnswer[]> {
  const options = cluster.share && haveTimedThread() ? await cluster.directOptions() : undefined;
  if (!options) return Promise.all(paths.map((path) => getRaw(cluster, path)));
  const job = {
    server: cluster.server,
    paths,
    options: { ...options, headers: { ...options.headers, Accept: 'text/plain, application/json', 'User-Agent': USER_AGENT } },
    maxBytes: MAX_TEXT,
  };
  const results = await timedOnThread(job, cluster.policy.signal);
  return results.map((r, i) => {
    const what = { verb: 'get', resource: paths[i]!, group: '' } as const;
    if ('error' in r) throw kubeError(Object.assign(new Error(r.error.message), { code: r.error.code }), what, cluster.server);
    if ('tooLarge' in r) throw new KubeError(`API server ${cluster.server} sent ${r.tooLarge} bytes for ${paths[i]}: not a health answer`);
    return r;
  });
}
