import { createConfiguration, ServerConfiguration, type ApiConstructor, type ApiType } from '@kubernetes/client-node';
import { silentLogger, type Logger } from '../../log.ts';
import type { Deadline } from '../../plugin/deadline.ts';
import { VERSION } from '../../version.ts';
import { loadKubeConfig, type KubeTarget, type RequestPolicy } from './client.ts';
import { superviseCredentialPlugins } from './credentials.ts';
import { httpsTransport } from './transport.ts';

/** One API server of the cluster, reached with the kubeconfig's credentials, within a deadline. */
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
export function connect(target: KubeTarget, deadline: Deadline, log: Logger = silentLogger, otherServer?: string): Cluster {
  const loaded = loadKubeConfig(target);
  const { kc } = loaded;
  const server = otherServer ?? loaded.server;
  const pluginFailure = superviseCredentialPlugins(kc, deadline.signal);
  // Credentials are applied by the transport (from the kubeconfig), not by an auth method.
  const config = createConfiguration({
    baseServer: new ServerConfiguration(server, {}),
    httpApi: httpsTransport(kc, `microk8s-checks/${VERSION}`, log, pluginFailure),
  });
  return {
    server,
    policy: { signal: deadline.signal, server, remainingMs: () => deadline.remainingMs() },
    api: (apiClass) => new apiClass(config),
  };
}
