import type { Argv } from 'yargs';
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
  return {
    only: (args.namespace ?? []).map((n) => dns1123Label(n, '-n/--namespace')),
    excluded: (args['exclude-namespace'] ?? []).map((n) => dns1123Label(n, '--exclude-namespace')),
  };
}
