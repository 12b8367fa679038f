import type { Argv } from 'yargs';
import { createConfiguration, ServerConfiguration, type ApiConstructor, type ApiType } from '@kubernetes/client-node';
import { silentLogger, type Logger } from './log.ts';
import type { Deadline } from './plugin/deadline.ts';
import { VERSION } from './plugin/runner.ts';
import { loadKubeConfig, type RequestPolicy } from './sources/kube.ts';
import { superviseCredentialPlugins } from './sources/kube-credentials.ts';
import { httpsTransport } from './sources/kube-transport.ts';

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
  server: string;
  policy: RequestPolicy;
  api<T extends ApiType>(apiClass: ApiConstructor<T>): T;
}

/**
 * Load the kubeconfig and tie every request to the run's deadline (and, with -vv, log each).
 * `otherServer`: the same credentials and CA against another API server of the cluster (each
 * MicroK8s node runs its own); TLS checks its certificate for the host name in that URL.
 */
export function connect(args: KubeArgs, deadline: Deadline, log: Logger = silentLogger, otherServer?: string): Cluster {
  const loaded = loadKubeConfig(args);
  const { kc } = loaded;
  const server = otherServer ?? loaded.server;
  const pluginFailure = superviseCredentialPlugins(kc, deadline.signal);
  // Credentials are applied by the transport (from the kubeconfig), not by an auth method.
  const config = createConfiguration({ baseServer: new ServerConfiguration(server, {}), httpApi: httpsTransport(kc, `microk8s-checks/${VERSION}`, log, pluginFailure) });
  return {
    server,
    policy: { signal: deadline.signal, server, remainingMs: () => deadline.remainingMs() },
    api: (apiClass) => new apiClass(config),
  };
}
