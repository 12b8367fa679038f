import { HttpMethod, RequestContext } from '@kubernetes/client-node';
import { KubeError, kubeError } from './errors.ts';
import type { Cluster } from './cluster.ts';

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
export async function getRaw(cluster: Cluster, path: `/${string}`): Promise<RawAnswer> {
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
    throw kubeError(err, { verb: 'get', resource: path, group: '' }, cluster.policy);
  }
}
