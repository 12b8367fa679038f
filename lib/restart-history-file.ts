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
