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
    if (this.critical?.alerts(metric.value)) return State.CRITICAL;
    if (this.warning?.alerts(metric.value)) return State.WARNING;
    return State.OK;
  }

  perfdata(metric: Metric): Perfdata {
    return { ...metric, warn: this.warning, crit: this.critical };
  }
}
