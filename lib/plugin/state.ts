/** Nagios service states; the numeric value is the plugin's exit code. */
export enum State {
  OK = 0,
  WARNING = 1,
  CRITICAL = 2,
  UNKNOWN = 3,
}

// Severity for combining verdicts: a real CRITICAL outranks an UNKNOWN next to it, as Nagios
// and Icinga order service problems; UNKNOWN still outranks WARNING so a blind spot is not
// hidden behind a mild finding.
const SEVERITY: Record<State, number> = {
  [State.OK]: 0,
  [State.WARNING]: 1,
  [State.UNKNOWN]: 2,
  [State.CRITICAL]: 3,
};

export function worst(states: Iterable<State>): State {
  let result = State.OK;
  for (const s of states) if (SEVERITY[s] > SEVERITY[result]) result = s;
  return result;
}

/** Worst first, for wording: the finding that decides the state leads the summary. */
export function bySeverity(a: State, b: State): number {
  return SEVERITY[b] - SEVERITY[a];
}

export function stateName(state: State): string {
  return State[state];
}
