import { ScalarContext } from './context.ts';
import type { Metric, Perfdata } from './perfdata.ts';
import { State, worst } from './state.ts';

/** A rule's verdict beyond the thresholds, e.g. "calico-node not Ready". */
export interface Finding {
  state: State;
  text: string;
}

/** Everything a run concluded; rendering turns it into Nagios text or JSON. */
export interface Outcome {
  check: string;
  state: State;
  summary: string;
  perfdata: Perfdata[];
  details: string[];
}

/**
 * Collects metrics (judged by a context or only reported), findings and long-output lines,
 * then yields the Outcome whose state is the worst of them. The check words the summary,
 * knowing the state.
 */
export class Verdict {
  private readonly perf: Perfdata[] = [];
  private readonly states: State[] = [];
  readonly findings: Finding[] = [];
  readonly details: string[] = [];

  constructor(readonly check: string) {}

  /** Report a metric; with a context it is also judged. Returns its state. */
  measure(metric: Metric, context?: ScalarContext): State {
    if (!context) {
      this.perf.push(metric);
      return State.OK;
    }
    const state = context.evaluate(metric);
    this.states.push(state);
    this.perf.push(context.perfdata(metric));
    return state;
  }

  find(state: State, text: string): void {
    this.findings.push({ state, text });
    this.states.push(state);
  }

  detail(...lines: string[]): void {
    this.details.push(...lines);
  }

  get state(): State {
    return worst(this.states);
  }

  outcome(summary: string): Outcome {
    return { check: this.check, state: this.state, summary, perfdata: this.perf, details: this.details };
  }
}

export { ScalarContext };
