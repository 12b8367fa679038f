import type { Argv } from 'yargs';
import type { ApiConstructor, ApiType, KubeConfig } from '@kubernetes/client-node';
import type { Deadline } from './plugin/deadline.ts';
import { loadKubeConfig, type RequestPolicy } from './sources/kube.ts';

export interface KubeArgs {
  kubeconfig?: string;
  context?: string;
}

export function kubeOptions<T>(y: Argv<T>): Argv<T & KubeArgs> {
  return y
    .option('kubeconfig', { type: 'string', describe: 'kubeconfig file (default: $KUBECONFIG, in-cluster, MicroK8s client.config, ~/.kube/config)' })
    .option('context', { type: 'string', describe: 'kubeconfig context to use' }) as unknown as Argv<T & KubeArgs>;
}

export interface Cluster {
  kc: KubeConfig;
  server: string;
  policy: RequestPolicy;
  api<T extends ApiType>(apiClass: ApiConstructor<T>): T;
}

/** Load the kubeconfig and tie every request to the run's deadline. */
export function connect(args: KubeArgs, deadline: Deadline): Cluster {
  const { kc, server } = loadKubeConfig(args);
  return {
    kc,
    server,
    policy: { signal: deadline.signal, server, remainingMs: () => deadline.remainingMs(), connections: {} },
    api: (apiClass) => kc.makeApiClient(apiClass),
  };
}
