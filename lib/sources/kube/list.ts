import type { ConfigurationOptions, V1ListMeta } from '@kubernetes/client-node';
import type { Cluster } from './cluster.ts';
import { CoreV1Api } from '@kubernetes/client-node';
import { forEachListed } from './paging.ts';
import { KubeError, type ResourceName } from './errors.ts';
import { request } from './request.ts';
import type { Wire } from '../../k8s/wire.ts';

export interface PageParams {
  namespace?: string;
  limit: number;
  _continue?: string;
}

export const PAGE_SIZE = 500;

/** List a resource in all namespaces, or in each of the given ones, page by page. */
export async function listAcross<T extends { metadata?: { namespace?: string; name?: string } }>(
  /** known: the check itself names these namespaces (kube-system), not the user's -n. */
  opts: { namespaces: string[]; cluster: Cluster; pageSize?: number; known?: boolean },
  what: { resource: ResourceName; group: string },
  page: (params: PageParams, options: ConfigurationOptions) => Promise<{ metadata?: V1ListMeta; items: T[] }>,
  onItem: (item: Wire<T>) => void,
): Promise<void> {
  const limit = opts.pageSize ?? PAGE_SIZE;
  const scopes = opts.namespaces.length ? opts.namespaces : [undefined];
  for (const namespace of scopes) {
    let items = 0;
    await forEachListed(
      { verb: 'list', ...what, namespace },
      opts.cluster.policy,
      (cont, o) => page({ namespace, limit, _continue: cont }, o),
      (item) => {
        items++;
        onItem(item);
      },
    );
    if (namespace !== undefined && items === 0 && !opts.known) await namespaceExists(opts.cluster, namespace);
  }
}

/**
 * A namespace named with -n that lists nothing is a typo as often as it is clean: the API server
 * answers an empty list for a namespace that does not exist. A 404 is UNKNOWN; without the right
 * to read namespaces the empty list stands.
 */
async function namespaceExists(cluster: Cluster, name: string): Promise<void> {
  const core = cluster.api(CoreV1Api);
  try {
    await request({ verb: 'get', resource: 'namespaces', group: '' }, cluster.policy, (o) => core.readNamespace({ name }, o));
  } catch (err) {
    if (err instanceof KubeError && err.status === 404)
      throw new KubeError(
        `namespace ${name} does not exist`,
        { fix: 'check the name given with -n/--namespace (kubectl get namespaces)' },
        404,
      );
    if (err instanceof KubeError && err.status === 403) return;
    throw err;
  }
}

/** The page function for listAcross from a namespaced list call and its all-namespaces twin. */
export function byScope<P extends object, L>(
  namespaced: (params: PageParams & P & { namespace: string }, options: ConfigurationOptions) => Promise<L>,
  all: (params: PageParams & P, options: ConfigurationOptions) => Promise<L>,
  extra: P = {} as P,
): (params: PageParams, options: ConfigurationOptions) => Promise<L> {
  return (p, o) => (p.namespace ? namespaced({ ...p, ...extra, namespace: p.namespace }, o) : all({ ...p, ...extra }, o));
}
