import { availableParallelism } from 'node:os';
import type { Logger } from './logger.ts';
import { CommandShare } from './sources/command-share.ts';
import { JournalShare } from './sources/journal-share.ts';
import { KubeShare } from './sources/kube/share.ts';
import { SshShare } from './sources/ssh/share.ts';

/**
 * Reads that checks run together in one process share (`microk8s-checks all`, the shared poll
 * cycle): passed to each check in its run context. A check run alone gets none and reads on its own.
 */
export interface SharedReads {
  journal?: JournalShare;
  /** The Kubernetes set-up (kubeconfig, connections) and the reads of Pods, Nodes and leader leases. */
  kube?: KubeShare;
  /** The dqlite CLI's answers (`.cluster`, `.leader`) on this host, asked once. */
  commands?: CommandShare;
  /** One SSH connection per --host (and login) for every check of the run. */
  ssh?: SshShare;
}

/** One journalctl per core: its --grep is the cost, and the check's own work is small. */
export const journalSlices = () => Math.min(availableParallelism(), 4);

/**
 * Beside the other checks of a shared run, one core fewer: their API reads and parsing keep a core
 * busy, so a slice more would only wait for it, and each journalctl costs its own start and index
 * walk (on 2 cores, 2 slices cost 0.03 s more CPU than 1 for the same lines, bench/RESULTS.md).
 */
const sharedJournalSlices = () => Math.max(1, Math.min(availableParallelism() - 1, 4));

/**
 * A kubeconfig's credential plugin then runs until it ends or the process does (the process kills
 * every child as it exits, lib/children.ts): it serves every check of the run, whatever its deadline.
 */
export const shareReads = (log?: Logger): SharedReads => ({
  journal: new JournalShare(sharedJournalSlices()),
  kube: new KubeShare(log),
  commands: new CommandShare(),
  ssh: new SshShare(),
});
