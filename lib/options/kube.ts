import type { Argv } from 'yargs';
import { UsageError } from '../errors.ts';
import { dns1123Label } from '../names.ts';

export interface KubeArgs {
  kubeconfig?: string;
  context?: string;
}

export function kubeOptions<T>(y: Argv<T>): Argv<T & KubeArgs> {
  return y
    .option('kubeconfig', {
      type: 'string',
      describe: 'kubeconfig file (default: $KUBECONFIG, in-cluster, MicroK8s client.config, ~/.kube/config)',
    })
    .option('context', { type: 'string', describe: 'kubeconfig context to use' }) as unknown as Argv<T & KubeArgs>;
}

export interface NamespaceArgs {
  namespace?: string[];
  'exclude-namespace'?: string[];
}

/** -n/--namespace (and, where a check can skip some, --exclude-namespace), declared once for every check. */
export function namespaceOptions<T>(y: Argv<T>, exclude = false): Argv<T & NamespaceArgs> {
  const withNs = y.option('namespace', { alias: 'n', type: 'string', array: true, describe: 'only these namespaces (repeatable)' });
  return (exclude
    ? withNs.option('exclude-namespace', { type: 'string', array: true, describe: 'skip these namespaces (repeatable)' })
    : withNs) as unknown as Argv<T & NamespaceArgs>;
}

/** The namespaces asked for, each a valid name (RFC 1123 label), and those to skip. */
export function namespacesOf(args: NamespaceArgs): { only: string[]; excluded: string[] } {
  // Each namespace once: one listed twice (-n web -n web, from two NRPE arguments) was read
  // twice, and each of its objects counted twice.
  const only = [...new Set((args.namespace ?? []).map((n) => dns1123Label(n, '-n/--namespace')))];
  const excluded = [...new Set((args['exclude-namespace'] ?? []).map((n) => dns1123Label(n, '--exclude-namespace')))];
  // With -n the exclusion is not sent (scopeSelectors): a namespace given to both was judged,
  // its skip dropped without a word.
  const both = only.find((n) => excluded.includes(n));
  if (both !== undefined)
    throw new UsageError(`namespace '${both}' is given with both -n/--namespace and --exclude-namespace`, {
      fix: 'give it to one of them: -n to judge it, --exclude-namespace to skip it',
    });
  return { only, excluded };
}

/**
 * List options for a scope: the label selector, and the excluded namespaces as a field selector
 * the API server accepts for every resource. Only over all namespaces: with -n there is nothing
 * to exclude.
 */
export function scopeSelectors(
  scope: { only: string[]; excluded: string[] },
  labelSelector?: string,
): { labelSelector?: string; fieldSelector?: string } {
  const fieldSelector = scope.excluded.map((n) => `metadata.namespace!=${n}`).join(',') || undefined;
  return scope.only.length ? { labelSelector } : { labelSelector, fieldSelector };
}

export interface ServerArgs {
  server?: string[];
}

/** --server: another API server of the cluster (each MicroK8s node runs one), with the kubeconfig's credentials. */
export function serverOptions<T>(y: Argv<T>): Argv<T & ServerArgs> {
  return y.option('server', {
    type: 'string',
    array: true,
    describe: "also check this API server (repeatable; e.g. https://10.0.0.12:16443), with the kubeconfig's credentials and CA",
  }) as unknown as Argv<T & ServerArgs>;
}

/**
 * The kubeconfig's server, then each --server not among them yet: run centrally with one --server
 * per node, the kubeconfig's own node comes twice, and judged twice it would be counted twice
 * and repeat its perfdata labels.
 */
export function apiServers(kubeconfigServer: string | undefined, args: ServerArgs): string[] {
  const servers = kubeconfigServer === undefined ? [] : [kubeconfigServer];
  const seen = new Set(servers.map(originOf));
  for (const server of serverUrls(args)) {
    if (seen.has(server)) continue;
    seen.add(server);
    servers.push(server);
  }
  return servers;
}

/** A server URL as --server gives it (an origin), where it has no path of its own. */
function originOf(server: string): string {
  const url = new URL(server);
  return url.pathname === '/' || url.pathname === '' ? url.origin : server;
}

/** Each --server as an https origin; anything more (a path, a query, credentials) is a mistake. */
export function serverUrls(args: ServerArgs): string[] {
  return (args.server ?? []).map((given) => {
    // Echoed without a user:password@ part: the value is a secret's place, never printed.
    const text = given.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/, '$1***@');
    let url: URL;
    try {
      url = new URL(given);
    } catch {
      throw new UsageError(`--server '${text}' is not a URL (e.g. https://10.0.0.12:16443)`);
    }
    if (url.username || url.password) {
      throw new UsageError(`--server '${text}' carries a user name or password: give the address only`, {
        fix: "credentials come from the kubeconfig's user entry",
      });
    }
    if (url.protocol !== 'https:' || (url.pathname !== '/' && url.pathname !== '') || url.search) {
      throw new UsageError(`--server '${text}' must be an https://host:port address of an API server, nothing more`);
    }
    return url.origin;
  });
}
