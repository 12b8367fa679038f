import type { ConfigurationOptions, V1ListMeta } from '@kubernetes/client-node';
import type { Cluster } from '../kube-input.ts';
import { forEachListed, type Wire } from '../sources/kube.ts';

export interface PageParams {
  namespace?: string;
  limit: number;
  _continue?: string;
}

export const PAGE_SIZE = 500;

/** List a resource in all namespaces, or in each of the given ones, page by page. */
export async function listAcross<T extends { metadata?: { namespace?: string; name?: string } }>(
  opts: { namespaces: string[]; cluster: Cluster; pageSize?: number },
  what: { resource: string; group: string },
  page: (params: PageParams, options: ConfigurationOptions) => Promise<{ metadata?: V1ListMeta; items: T[] }>,
  onItem: (item: Wire<T>) => void,
): Promise<void> {
  const limit = opts.pageSize ?? PAGE_SIZE;
  const scopes = opts.namespaces.length ? opts.namespaces : [undefined];
  for (const namespace of scopes) {
    await forEachListed({ verb: 'list', ...what, namespace }, opts.cluster.policy, (cont, o) => page({ namespace, limit, _continue: cont }, o), onItem);
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
