import {
  createConfiguration,
  ServerConfiguration,
  type ApiConstructor,
  type ApiType,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { silentLogger, type Logger } from '../../logger.ts';
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
  /** A request outside the generated APIs (/readyz), over the same transport and credentials. */
  send(ctx: RequestContext): Promise<ResponseContext>;
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
  const httpApi = httpsTransport(kc, `microk8s-checks/${VERSION}`, log, pluginFailure);
  const config = createConfiguration({
    baseServer: new ServerConfiguration(server, {}),
    httpApi,
  });
  return {
    server,
    policy: { signal: deadline.signal, server, remainingMs: () => deadline.remainingMs() },
    api: (apiClass) => new apiClass(config),
    send: (ctx) => httpApi.send(ctx).toPromise(),
  };
}
