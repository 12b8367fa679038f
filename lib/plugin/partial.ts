import { stateName, type State } from './state.ts';
import type { Outcome } from './verdict.ts';

/**
 * One part of a verdict made of several (go-check's partial results): a sub-check judged on a
 * host, or a condition judged whole. A gate lists the parts that are not OK as its blockers.
 */
export interface PartialResult {
  host?: string;
  /** The sub-check that judged it, e.g. "dqlite-lock"; none for a plain condition. */
  check?: string;
  state: State;
  text: string;
  /** What to do about it, where no check's own long output says: a gate lists each such line once, after its NO-GO. */
  next?: string[];
}

/** A sub-check's outcome as a part of a larger verdict. */
export const partOf = (check: string, outcome: Outcome, host?: string): PartialResult => ({
  host,
  check,
  state: outcome.state,
  text: outcome.summary,
});

/** "host: check STATE: text", as much of it as the part has. */
export function partialText(p: PartialResult): string {
  return `${p.host ? `${p.host}: ` : ''}${p.check ? `${p.check} ${stateName(p.state)}: ` : ''}${p.text}`;
}
