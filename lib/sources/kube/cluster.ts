import type { ApiConstructor, ApiType, RequestContext, ResponseContext } from '@kubernetes/client-node';
import { silentLogger, type Logger } from '../../logger.ts';
import type { Deadline } from '../../plugin/deadline.ts';
import type { RequestPolicy } from './request.ts';
import { KubeSetup } from './setup.ts';
import type { KubeShare } from './share.ts';
import type { KubeTarget } from './config.ts';

/** One API server of the cluster, reached with the kubeconfig's credentials, within a deadline. */
export interface Cluster {
  server: string;
  /** Which kubeconfig, context and server (KubeSetup): what a shared read is shared by. */
  key: string;
  policy: RequestPolicy;
  api<T extends ApiType>(apiClass: ApiConstructor<T>): T;
  /** A request outside the generated APIs (/readyz), timed by the check: on a connection of its own, same credentials. */
  send(ctx: RequestContext): Promise<ResponseContext>;
  /** The reads shared with the other checks of the run (lib/sources/kube/share.ts); none alone. */
  share?: KubeShare;
}

export interface ConnectOptions {
  /**
   * Another API server of the cluster (each MicroK8s node runs its own), with the kubeconfig's
   * credentials and CA; TLS checks its certificate for the host name in that URL.
   */
  server?: string;
  /** The option that gave `server` (--server), which a fix names for its address (RequestPolicy.given). */
  given?: string;
  /** The run's set-up, when several servers or checks use it (a check alone needs none). */
  setup?: KubeSetup;
  /** Reads shared with the other checks of the run, and its set-up. */
  share?: KubeShare;
}

/** Load the kubeconfig (once per run) and tie every request to this deadline (and, with -vv, log each). */
export function connect(target: KubeTarget, deadline: Deadline, log: Logger = silentLogger, opts: ConnectOptions = {}): Cluster {
  const setup = opts.share?.setup ?? opts.setup ?? new KubeSetup(log, deadline.signal);
  const route = setup.route(target, opts.server);
  // Every request waits for the kubeconfig's credential plugin before it leaves: a timeout names it.
  deadline.heldUpBy(() => {
    const plugin = setup.runningPlugin(target);
    return plugin && `waiting for credential plugin ${plugin}`;
  });
  return {
    server: route.server,
    key: route.key,
    policy: {
      signal: deadline.signal,
      server: route.server,
      given: opts.given,
      sendsNone: route.sendsNone,
      remainingMs: () => deadline.remainingMs(),
    },
    api: (apiClass) => new apiClass(route.configuration),
    send: (ctx) => route.timedApi.send(ctx).toPromise(),
    share: opts.share,
  };
}
