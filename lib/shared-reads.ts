import { availableParallelism } from 'node:os';
import { JournalShare } from './sources/journal-share.ts';

/**
 * Reads that checks run together in one process share (`microk8s-checks all`): passed to each
 * check in its run context. A check run alone gets none and reads on its own.
 */
export interface SharedReads {
  journal?: JournalShare;
}

/** One journalctl per core: its --grep is the cost, and the check's own work is small. */
export const journalSlices = () => Math.min(availableParallelism(), 4);

export const shareReads = (): SharedReads => ({ journal: new JournalShare(journalSlices()) });
