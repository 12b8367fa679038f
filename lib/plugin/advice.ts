import { bySeverity, type State } from './state.ts';

/**
 * What to do, per finding that alerts: the long output gives each piece of advice once, in the
 * findings' order, worst first (a stable order: equal states keep the order found), so the advice
 * for the worst finding is read first.
 */
export class Advice<K> {
  private readonly given: { state: State; on: K }[] = [];

  /** The advice `on` for a finding of `state`; none where no finding was made. */
  add(state: State | undefined, on: K): void {
    if (state !== undefined) this.given.push({ state, on });
  }

  /** Each piece of advice once, worst finding first. */
  inOrder(): K[] {
    return [...new Set(this.given.sort((a, b) => bySeverity(a.state, b.state)).map((a) => a.on))];
  }
}
