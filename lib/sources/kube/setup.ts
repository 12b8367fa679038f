import { createConfiguration, ServerConfiguration, type Configuration, type HttpLibrary } from '@kubernetes/client-node';
import { silentLogger, type Logger } from '../../logger.ts';
import { VERSION } from '../../version.ts';
import { loadKubeConfig, type KubeTarget, type LoadedConfig } from './config.ts';
import { superviseCredentialPlugins, type PluginSupervision } from './credentials.ts';
import { httpsTransport } from './transport.ts';

/** The way to one API server: client-node's configuration over one keep-alive transport. */
export interface Route {
  server: string;
  /** Which kubeconfig, context and server: reads of the same key read the same thing. */
  key: string;
  /** The kubeconfig's context, when it sends no credentials (LoadedConfig.sendsNone). */
  sendsNone?: string;
  httpApi: HttpLibrary;
  configuration: Configuration;
  /**
   * For the requests a check times (/readyz): connections of their own, so that the time measured
   * is the server's answer, never a wait for a connection another check's list holds. Not the
   * run's pool, even though check_apiserver starts first: a shared cycle may run several of its
   * command lines against one server, two requests each, and the later ones waited for the pool.
   */
  timedApi: HttpLibrary;
}

/** How many connections the checks of a shared run keep to one API server at most. */
export const SHARED_CONNECTIONS = 4;

/**
 * What a run sets up once to speak to the API servers: each kubeconfig (per --kubeconfig and
 * --context) loaded and checked once, and one transport, with its keep-alive connection pool, per
 * API server. A check run alone makes its own; `microk8s-checks all` and the shared poll cycle
 * make one for all their checks, so that N checks cost one kubeconfig parse and a few TLS
 * handshakes, not N of each. A kubeconfig that cannot be used is the same error for each check.
 */
export class KubeSetup {
  private readonly configs = new Map<string, { loaded?: LoadedConfig; error?: unknown }>();
  private readonly routes = new Map<string, Route>();

  /**
   * `signal`: how long a kubeconfig's credential plugin may run (the run's deadline); without one
   * it runs until it ends or the process does (every child is killed then, lib/children.ts).
   * `maxSockets`: the connections to one API server at most (a check alone opens what it needs).
   */
  constructor(
    private readonly log: Logger = silentLogger,
    private readonly signal: AbortSignal = new AbortController().signal,
    private readonly maxSockets = Infinity,
  ) {}

  /** The kubeconfig of a target, loaded once; the same error each time when it cannot be used. */
  config(target: KubeTarget): LoadedConfig {
    const key = configKey(target);
    let entry = this.configs.get(key);
    if (!entry) {
      try {
        entry = { loaded: loadKubeConfig(target) };
      } catch (error) {
        entry = { error };
      }
      this.configs.set(key, entry);
    }
    if (!entry.loaded) throw entry.error;
    return entry.loaded;
  }

  /** The route to the kubeconfig's server, or to another API server of the cluster with its credentials. */
  route(target: KubeTarget, otherServer?: string): Route {
    const loaded = this.config(target);
    const server = otherServer ?? loaded.server;
    const key = `${configKey(target)}\u0000${server}`;
    let route = this.routes.get(key);
    if (!route) {
      // Credentials are applied by the transport (from the kubeconfig), not by an auth method.
      const transport = (maxSockets: number) =>
        httpsTransport(loaded.kc, `microk8s-checks/${VERSION}`, this.log, this.plugins(loaded).failure, maxSockets);
      const httpApi = transport(this.maxSockets);
      route = {
        server,
        key,
        sendsNone: loaded.sendsNone,
        httpApi,
        configuration: createConfiguration({ baseServer: new ServerConfiguration(server, {}), httpApi }),
        timedApi: transport(Infinity),
      };
      this.routes.set(key, route);
    }
    return route;
  }

  private readonly supervised = new WeakMap<LoadedConfig, PluginSupervision>();

  /** One supervision of the kubeconfig's credential plugins, whichever server it is used for. */
  private plugins(loaded: LoadedConfig): PluginSupervision {
    let supervision = this.supervised.get(loaded);
    if (!supervision) {
      supervision = superviseCredentialPlugins(loaded.kc, this.signal);
      this.supervised.set(loaded, supervision);
    }
    return supervision;
  }

  /** The target's credential plugin still running, as `'<command>' of kubeconfig user '<name>'`; never throws. */
  runningPlugin(target: KubeTarget): string | undefined {
    const loaded = this.configs.get(configKey(target))?.loaded;
    const command = loaded && this.supervised.get(loaded)?.running();
    return command && `'${command}' of kubeconfig user '${loaded.kc.getCurrentUser()?.name ?? '(none)'}'`;
  }
}

const configKey = (target: KubeTarget) => JSON.stringify([target.kubeconfig ?? null, target.context ?? null]);
