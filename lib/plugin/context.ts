import type { Metric, Perfdata } from './perfdata.ts';
import type { Range } from './range.ts';
import { State } from './state.ts';

/** Judges one metric against warning and critical ranges (critical wins). */
export class ScalarContext {
  constructor(
    readonly warning?: Range,
    readonly critical?: Range,
  ) {}

  evaluate(metric: Metric): State {
    // A value that could not be determined is judged by no range: with thresholds set, that is UNKNOWN.
    if (Number.isNaN(metric.value)) return this.warning || this.critical ? State.UNKNOWN : State.OK;
    if (this.critical?.alerts(metric.value)) return State.CRITICAL;
    if (this.warning?.alerts(metric.value)) return State.WARNING;
    return State.OK;
  }

  perfdata(metric: Metric): Perfdata {
    return { ...metric, warn: this.warning, crit: this.critical };
  }
}
