import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { basename } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { spawnTracked } from '../../children.ts';

/** The last failed run of a kubeconfig's credential plugin: its command and exit code only. */
export interface PluginFailure {
  command: string;
  code: number | null;
}

type Spawner = (command: string, args: string[], options: SpawnOptions) => ChildProcess;

/** client-node's exec authenticator, by the one field this needs (it is not exported). */
interface ExecAuthenticator {
  execFn: Spawner;
}

const isExecAuth = (a: unknown): a is ExecAuthenticator => typeof a === 'object' && a !== null && 'execFn' in a && 'tokenCache' in a;

/**
 * A kubeconfig `exec` user runs a credential plugin (e.g. a cloud CLI) before requests.
 * client-node starts it with a plain spawn: a hanging plugin outlives the run, one per request,
 * and its stderr becomes the error message, where a plugin may print a token or a key. Here the
 * plugin runs as every other child of the run (killed with the run, or at the deadline), and a
 * failure is remembered as its command and exit code, the only things a message may repeat.
 */
export function superviseCredentialPlugins(kc: KubeConfig, signal: AbortSignal): () => PluginFailure | undefined {
  let failure: PluginFailure | undefined;
  const authenticators = (kc as unknown as { authenticators?: unknown[] }).authenticators ?? [];
  const spawner: Spawner = (command, args, options) => {
    const child = spawnTracked(command, args, { env: options.env, signal });
    child.once('close', (code) => {
      failure = code === 0 ? undefined : { command: basename(command), code };
    });
    child.once('error', () => {
      failure = { command: basename(command), code: null };
    });
    return child;
  };
  for (const a of authenticators) if (isExecAuth(a)) a.execFn = spawner;
  return () => failure;
}
