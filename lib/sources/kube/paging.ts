import type { ConfigurationOptions, V1ListMeta } from '@kubernetes/client-node';
import type { Wire } from '../../k8s/wire.ts';
import { KubeError, type Resource } from './errors.ts';
import { listOptions, request, type RequestPolicy } from './request.ts';

export interface ListPage<T> {
  metadata?: V1ListMeta;
  items: T[];
}

/**
 * Page through a list with limit/continue, handing each item to onItem and dropping the page,
 * so memory does not grow with the number of objects. When a continue token has expired (410)
 * the list restarts once from the beginning and skips what was already delivered: the API
 * server lists in key order (namespace/name), so nothing is counted twice.
 */
export async function forEachListed<T extends { metadata?: { namespace?: string; name?: string } }>(
  what: Resource,
  policy: RequestPolicy,
  fetchPage: (cont: string | undefined, options: ConfigurationOptions) => Promise<ListPage<T>>,
  onItem: (item: Wire<T>) => void,
): Promise<{ pages: number; resourceVersion?: string }> {
  let restarted = false;
  let resourceVersion: string | undefined;
  let pages = 0;
  let cont: string | undefined;
  let last: string | undefined;
  let skipThrough: string | undefined;
  const deliver = (items: unknown[]) => {
    for (const raw of items) {
      const item = raw as Wire<T>;
      const key = `${item.metadata?.namespace ?? ''}/${item.metadata?.name ?? ''}`;
      if (skipThrough !== undefined && key <= skipThrough) continue;
      last = key;
      onItem(item);
    }
  };
  const options = listOptions(policy, what, deliver);
  const tokens = new Set<string>();
  for (;;) {
    let page: ListPage<T>;
    try {
      page = await request(what, policy, (o) => fetchPage(cont, o), options);
    } catch (err) {
      if (err instanceof KubeError && err.status === 410 && !restarted) {
        restarted = true;
        cont = undefined;
        skipThrough = last;
        // A new list from the start may be handed the same tokens again.
        tokens.clear();
        continue;
      }
      throw err;
    }
    pages++;
    // The list's revision is the first page's: later pages are read at that same revision.
    if (pages === 1) resourceVersion = page.metadata?.resourceVersion;
    cont = page.metadata?._continue || undefined;
    // kube-apiserver counts the items left only beside a token to ask for them: a count without
    // one is a list cut short (a proxy, a broken server), never a whole list to judge.
    const remaining = page.metadata?.remainingItemCount ?? 0;
    if (!cont && remaining > 0)
      throw new KubeError(
        `API server ${policy.server} said ${remaining} more ${what.resource} remain but gave no continue token ` +
          `(page ${pages}): the list is cut short`,
        { fix: 'check what answers at the server address; rerun' },
      );
    if (!cont) return { pages, resourceVersion };
    // A server (or proxy) that hands out a token it gave before would be listed for ever.
    if (tokens.has(cont))
      throw new KubeError(
        `API server ${policy.server} repeated a continue token while listing ${what.resource} (page ${pages}): the list would never end`,
        { fix: 'check what answers at the server address; rerun' },
      );
    tokens.add(cont);
  }
}
