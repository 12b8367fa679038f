import { ScalarContext } from './context.ts';
import type { Metric, Perfdata } from './perfdata.ts';
import { bySeverity, State, worst } from './state.ts';

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
  /** Where one check judged several hosts or servers (combine): each one's own outcome. */
  hosts?: readonly { host: string; outcome: Outcome }[];
}

/** A check that did not run because it does not apply on this host (`microk8s-checks all`), and why. */
export interface Skipped {
  check: string;
  why: string;
}

/**
 * Where a check's findings go on its summary line, beside its headline (findings worst first,
 * joined by ", "):
 * - after: the headline, then the findings ("leaders: kcm k8s01, ..., kcm lease expired");
 * - before: the findings, then the headline in parentheses ("quorum lost: ... (3 voters, ...)");
 * - instead: the findings alone, the headline only when there is none;
 * - named: the headline names what the findings are of ("GO with care for k8s01: ...").
 */
export type SummaryMode = 'after' | 'before' | 'instead' | 'named';

export interface SummaryRule {
  problems?: SummaryMode;
  /** The headline when nothing was found (default: the same headline). */
  whenClear?: string;
}

/** The summary line of a headline and findings (worst first) by one rule. */
export function summaryOf(headline: string, problems: string[], { problems: mode = 'after', whenClear }: SummaryRule = {}): string {
  if (!problems.length) return whenClear ?? headline;
  const found = problems.join(', ');
  switch (mode) {
    case 'after':
      return headline ? `${headline}, ${found}` : found;
    case 'before':
      return headline ? `${found} (${headline})` : found;
    case 'instead':
      return found;
    case 'named':
      return headline ? `${headline}: ${found}` : found;
  }
}

/**
 * Collects metrics (judged by a context or only reported), findings and long-output lines,
 * then yields the Outcome whose state is the worst of them. The summary is worded in one place,
 * conclude(): the check's headline and its findings worst first, by one rule (summaryOf; as
 * Monitoring::Plugin's message buckets, nagiosplugin's Summary). outcome() is for a check with
 * no metric or finding behind its summary (the gate's NO-GO, worded from other checks' parts).
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

  /** Findings' texts, worst first (a stable order: equal states keep the order found). */
  problems(): string[] {
    return this.findings
      .filter((f) => f.state !== State.OK)
      .sort((a, b) => bySeverity(a.state, b.state))
      .map((f) => f.text);
  }

  /** The outcome with the summary line: the headline and every finding, worst first, by `rule`. */
  conclude(headline = '', rule?: SummaryRule): Outcome {
    return this.outcome(summaryOf(headline, this.problems(), rule));
  }

  outcome(summary: string): Outcome {
    return { check: this.check, state: this.state, summary, perfdata: this.perf, details: this.details };
  }
}

export { ScalarContext };
