// Runbook, "Symptom" and "Recovery": `database is locked` means writers queue on dqlite's single
// SQLite write lock. A background of a few dozen a day is normal; a burst after a kubelite restart
// is the storm that breaks watches. k8s-dqlite logs `error in txn: ... database is locked` and
// kubelite's controllers log their failed writes, so both journals are read.
import { judgeSources } from '../lib/logs/judge.ts';
import { scanSources } from '../lib/logs/scan.ts';
import { spanDetail, spanOf, spanText, type Span } from '../lib/logs/span.ts';
import type { Counter } from '../lib/logs/tally.ts';
import { logOptions, windowOf, type LogArgs, type Window } from '../lib/options/log.ts';
import { thresholdsOf, type Thresholds } from '../lib/plugin/range.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import { weight, type LogLine } from '../lib/sources/logline.ts';
import { CUT_WRITE_LOAD, HOLD_RESTARTS } from '../lib/runbook.ts';
import { isoSeconds, plural, shorten } from '../lib/text.ts';

export const LOCKED = 'database is locked';

export interface Tally {
  locked: number;
  lastMinute: number;
  /** Lock lines that carry no time (pasted text): counted as now, but they make no trend. */
  unstamped: number;
  /** Lines by source (ident), the first MAX_SOURCES sources seen; later ones only in otherSources. */
  bySource: Map<string, number>;
  otherSources: number;
  newest?: LogLine;
}

export const defaults = { warning: '5', critical: '50' };
/** The defaults parsed: what check_restart_preflight judges with. */
export const defaultLimits = thresholdsOf(defaults);

/** One source's tally over the span of the window it holds. */
export interface LockFacts extends Span {
  tally: Tally;
  source: string;
}

export const fresh = (): Tally => ({ locked: 0, lastMinute: 0, unstamped: 0, bySource: new Map(), otherSources: 0 });

/**
 * Sources named in the long output. A node has two (k8s-dqlite, kubelite); a log file of
 * anything may have millions, each of which cost memory for good and made one detail line too
 * long for the long output to keep anything after it (the runbook advice).
 */
const MAX_SOURCES = 20;

/** How this check counts a source's lines over `win`: also what the gate counts. */
export const counter = (win: Window): Counter<Tally> => ({ grep: LOCKED, fresh, count: (t, line) => count(t, line, win) });

export function count(t: Tally, line: LogLine, win: Window): void {
  if (!line.message.includes(LOCKED)) return;
  const n = weight(line);
  t.locked += n;
  if (line.time === undefined) t.unstamped += n;
  if (line.time === undefined || line.time >= win.now - 60_000) t.lastMinute += n;
  const from = line.ident ?? 'unknown source';
  const before = t.bySource.get(from);
  if (before === undefined && t.bySource.size >= MAX_SOURCES) t.otherSources += n;
  else t.bySource.set(from, (before ?? 0) + n);
  if (!t.newest || (line.time ?? Infinity) >= (t.newest.time ?? -Infinity)) t.newest = line;
}

export function evaluate({ tally: t, source, ...span }: LockFacts, { warning, critical }: Thresholds): Outcome {
  // Over the span seen: a journal that begins inside the window holds fewer minutes than it.
  const minutes = span.seconds / 60;
  const perMin = t.locked / minutes;
  const v = new Verdict(check.name);
  v.measure({ label: 'locked', value: t.locked, min: 0 }, new ScalarContext(warning, critical));
  v.measure({ label: 'locked_per_min', value: perMin, min: 0 });
  // A journal that ends inside the window holds no last minute: undetermined (U), not 0.
  v.measure({ label: 'locked_last_min', value: span.ended ? Number.NaN : t.lastMinute, min: 0 });
  if (t.newest) {
    const others = t.otherSources ? [`${plural(t.otherSources, 'line')} from other sources`] : [];
    v.detail(`by source: ${[...[...t.bySource].map(([s, n]) => `${s} ${n}`), ...others].join(', ')}`);
    const n = t.newest;
    v.detail(`newest${n.time ? ` (${isoSeconds(n.time)}${n.host ? ` on ${n.host}` : ''})` : ''}: ${shorten(n.message)}`);
  }
  v.detail(...spanDetail(span));
  if (v.state !== State.OK) {
    v.detail(
      HOLD_RESTARTS,
      CUT_WRITE_LOAD,
      'Expect the rate to fall within 2-5 minutes; if it does not, or kine connections broke, see check_kine_retries.',
    );
  }
  // The span names the source when it begins inside the window: no need to say it twice.
  const window = spanText(span);
  // Lines without a time all count as the last minute: a trend from them would always rise.
  const trend = t.unstamped ? `no trend: ${plural(t.unstamped, 'line')} without a time` : trendOf(t.lastMinute, perMin, minutes);
  return v.conclude(
    t.locked === 0
      ? `no '${LOCKED}' in ${window}${span.begun ? '' : ` (${source})`}`
      : `${plural(t.locked, `'${LOCKED}' line`)} in ${window} (${perMin.toFixed(1)}/min` +
          (span.ended ? ')' : `, ${t.lastMinute} in the last minute${trend ? `, ${trend}` : ''})`),
  );
}

/** Last minute against the window's mean per minute; needs a few minutes of window to mean anything. */
function trendOf(lastMinute: number, perMin: number, minutes: number): string {
  if (minutes < 3 || perMin === 0) return '';
  if (lastMinute > perMin * 1.25) return 'rising';
  if (lastMinute < perMin * 0.75) return 'falling';
  return 'steady';
}

export const check: CheckDefinition<LogArgs> = {
  name: 'DQLITE-LOCK',
  command: 'check_dqlite_lock',
  description: "counts 'database is locked' (dqlite single-writer contention) in the kubelite and k8s-dqlite journals",
  defaultWarning: defaults.warning,
  defaultCritical: defaults.critical,
  thresholdUnit: "'database is locked' lines",
  options: (y) => logOptions(y),
  examples: [
    ['check_dqlite_lock', 'the last 5 minutes of the local journal'],
    [
      'journalctl -u snap.microk8s.daemon-kubelite.service -u snap.microk8s.daemon-k8s-dqlite.service --since -5min | ' +
        'check_dqlite_lock --log-file -',
      "lines you pipe in (both units: most lock lines are k8s-dqlite's)",
    ],
    ['check_dqlite_lock --host node1 --host node2 --ssh-key ~/.ssh/nagios', 'several nodes over SSH'],
  ],
  async run({ args, warning, critical, ...ctx }) {
    const win = windowOf(args);
    const results = await scanSources(args, win, ctx, counter(win));
    return judgeSources(check.name, results, (tally, source, begun, ended) =>
      evaluate({ tally, ...spanOf(win, begun, ended), source }, { warning, critical }),
    );
  },
};
