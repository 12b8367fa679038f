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
export function superviseCredentialPlugins(kc: KubeConfig, signal: AbortSignal): PluginSupervision {
  let failure: PluginFailure | undefined;
  const running = new Map<ChildProcess, string>();
  // The run's end kills them (the signal): what ran then is what the run was waiting for, said
  // after they are gone. Taken before the kill: this listener is older than any child's.
  let atEnd: string[] = [];
  signal.addEventListener('abort', () => (atEnd = [...running.values()]), { once: true });
  const authenticators = (kc as unknown as { authenticators?: unknown[] }).authenticators ?? [];
  const spawner: Spawner = (command, args, options) => {
    const child = spawnTracked(command, args, { env: options.env, signal, descendants: true });
    running.set(child, basename(command));
    child.once('close', (code) => {
      running.delete(child);
      failure = code === 0 ? undefined : { command: basename(command), code };
    });
    child.once('error', () => {
      running.delete(child);
      failure = { command: basename(command), code: null };
    });
    return child;
  };
  for (const a of authenticators) if (isExecAuth(a)) a.execFn = spawner;
  return { failure: () => failure, running: () => (signal.aborted ? atEnd[0] : running.values().next().value) };
}

/** What a run knows of a kubeconfig's credential plugins: by command base name only (arguments may hold secrets). */
export interface PluginSupervision {
  /** The last failed run, if the last run failed. */
  failure(): PluginFailure | undefined;
  /** A plugin still running: every request of this kubeconfig waits for it before it leaves. */
  running(): string | undefined;
}
