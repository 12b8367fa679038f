// check_services' state file: each host's unit samples between runs (lib/restart-history.ts says
// what they mean). Anything not as the check writes it is a damaged file, said, never fatal.
import { type History, historyOf } from './restart-history.ts';
import { readState } from './state-file.ts';

/** The state file: per host ('' for this one), each unit's samples. */
export interface KeptHistories {
  version: 1;
  hosts: Record<string, History>;
}

/** Every host's samples from the state file; anything not as this check writes it is damaged, never fatal. */
export function readHistories(file: string): { hosts: Record<string, History>; problem?: string } {
  const read = readState<KeptHistories>(file);
  const damaged = `state file ${file} is damaged, starting over`;
  if (read.problem) return { hosts: {}, problem: `${damaged} (${read.problem})` };
  if (!read.value) return { hosts: {} };
  const raw = read.value.hosts;
  if (read.value.version !== 1 || raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { hosts: {}, problem: damaged };
  const hosts: Record<string, History> = {};
  for (const [host, value] of Object.entries(raw)) {
    const history = historyOf(value);
    if (!history) return { hosts: {}, problem: damaged };
    hosts[host] = history;
  }
  return { hosts };
}

/** The samples kept from earlier runs for one host, or why there are none. */
export interface Memory {
  history?: History;
  /** Why earlier samples cannot be used (a damaged or unreadable state file). */
  problem?: string;
}

/**
 * One run's samples: each host's memory from the file as it was, and the file's next content.
 * Hosts not read this run keep their samples: a host that is down for a run is not forgotten.
 */
export function historiesFor(file: string) {
  const before = readHistories(file);
  const after: KeptHistories = { version: 1, hosts: { ...before.hosts } };
  return {
    memoryOf: (host: string): Memory => ({ history: before.problem ? undefined : before.hosts[host], problem: before.problem }),
    keep: (host: string, history: History) => {
      after.hosts[host] = history;
    },
    after,
  };
}
